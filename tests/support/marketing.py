"""Contacts, purchases and campaigns for the tests of marketing and its pages (the real SMTP server to
send them through is the `smtp_server` fixture of tests/support/smtp.py)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx

from boxoffice.config import get_settings
from boxoffice.crm.tables import Contact, ContactTag, Tag
from boxoffice.mail.smtp import SmtpSettings
from boxoffice.mail.worker import send_due_messages
from boxoffice.marketing import campaign_sending, campaigns
from boxoffice.marketing.audience import AudienceFilter
from boxoffice.marketing.consent import record_consent
from boxoffice.marketing.tables import Campaign, CampaignStatus
from boxoffice.sales.tables import Order, OrderLine, Ticket, TicketType
from tests.support.staff import TestStaff

RATE = 600  # messages a minute in tests: one release every 0.1 s of the test's own clock
START = datetime.now(UTC)  # before anything a test does through HTTP, which reads the real clock


def mail_settings() -> campaign_sending.MailSettings:
    settings = get_settings()
    return campaign_sending.MailSettings(base_url=settings.base_url, secret_key=settings.secret_key)


async def make_contact(
    email: str,
    *,
    opted_in: bool | None = True,
    first_name: str = "Pat",
    restricted: bool = False,
    erased: bool = False,
) -> int:
    """A contact; `opted_in` True or False records that e-mail consent, None records nothing."""
    contact = Contact(
        first_name=first_name,
        last_name="Buyer",
        email=email,
        restricted=restricted,
        erased_at=START if erased else None,
    )
    await contact.save()
    if opted_in is not None:
        await record_consent(
            contact_id=contact.id,
            channel="email",
            granted=opted_in,
            source="online_checkout",
            wording="Yes, please e-mail me about upcoming shows, events and offers.",
            now=START - timedelta(days=30),
        )
    return contact.id


async def tag_contacts(name: str, *contact_ids: int) -> int:
    tag = Tag(name=name)
    await tag.save()
    for contact_id in contact_ids:
        await ContactTag(contact=contact_id, tag=tag.id).save()
    return tag.id


async def buy_ticket(contact_id: int, performance_id: int, *, when: datetime, status: str = "paid") -> int:
    """A box-office order with one ticket, as the sales side would have written it."""
    ticket_type = (
        await TicketType.select(TicketType.id, TicketType.price)
        .where(TicketType.performance == performance_id)
        .first()
    )
    [order] = await Order.insert(
        Order(
            reference=f"R{contact_id}P{performance_id}{when:%H%M%S}"[:16],
            channel="box_office",
            status=status,
            contact=contact_id,
            currency="GBP",
            total=ticket_type["price"],
            created_at=when,
            paid_at=when,
        )
    ).returning(Order.id)
    [line] = await OrderLine.insert(
        OrderLine(
            order=order["id"],
            performance=performance_id,
            ticket_type=ticket_type["id"],
            description="Adult",
            quantity=1,
            unit_price=ticket_type["price"],
        )
    ).returning(OrderLine.id)
    await Ticket.insert(
        Ticket(
            order=order["id"], order_line=line["id"], performance=performance_id, code=f"T{order['id']:015d}"
        )
    )
    return order["id"]


async def draft_campaign(
    actor: TestStaff, subject: str = "Spring season on sale", audience: AudienceFilter | None = None
) -> int:
    return await campaigns.save_draft(
        None,
        campaigns.CampaignDraft(
            subject=subject,
            body_markdown="# Spring at the Town Hall\n\nTickets for **The Tempest** are on sale.",
            audience=audience or AudienceFilter(),
        ),
        actor_id=actor.id,
        ip="127.0.0.1",
        now=START,
    )


async def start(actor: TestStaff, campaign_id: int, now: datetime = START) -> int:
    return await campaigns.start_sending(campaign_id, actor_id=actor.id, ip="127.0.0.1", now=now)


async def deliver_campaign(campaign_id: int, smtp: SmtpSettings, *, now: datetime | None = None) -> datetime:
    """Run the worker's two halves, releasing and sending, until the campaign has finished; returns
    the clock reached. The clock starts at the real one, which a campaign started over HTTP went by."""
    now = now or datetime.now(UTC)
    for _ in range(200):
        await campaign_sending.release_due_messages(RATE, mail_settings(), now)
        await send_due_messages(smtp, now=now + timedelta(seconds=1))
        status = (await Campaign.select(Campaign.status).where(Campaign.id == campaign_id).first())["status"]
        if status != CampaignStatus.SENDING:
            return now
        now += timedelta(seconds=1)
    raise AssertionError("the campaign did not finish")


UNSUBSCRIBE_FORM = re.compile(
    r'<form method="post" action="([^"]+)">(?:(?!</form>).)*>Unsubscribe</button>', re.S
)


async def press_unsubscribe(client: httpx.AsyncClient, link: str) -> httpx.Response:
    """Open an unsubscribe link, press the page's one button as a person does (no script, no cookie
    needed), and follow the answer back to the page."""
    page = await client.get(link)
    assert page.status_code == 200, page.text
    action = UNSUBSCRIBE_FORM.search(page.text)
    assert action is not None, page.text
    pressed = await client.post(html.unescape(action.group(1)), data={})
    assert pressed.status_code == 303, pressed.text
    return await client.get(pressed.headers["location"])
