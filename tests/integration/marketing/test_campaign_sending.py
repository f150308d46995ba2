"""Campaigns through a real SMTP server: only contacts who opted in receive them, each message carries a
personal unsubscribe link and the RFC 8058 headers; opening the link changes nothing, its page's button
or the one-click POST opts the contact out at once, and the next campaign skips them."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import quote

import httpx
import pytest

from boxoffice.auth.tables import AuditEntry
from boxoffice.config import get_settings
from boxoffice.crm.duplicates import merge_contacts
from boxoffice.crm.tables import Contact
from boxoffice.mail.outbox import claim_due_messages
from boxoffice.mail.smtp import SmtpSettings
from boxoffice.mail.tables import OutboxMessage
from boxoffice.marketing import campaign_reports, campaign_sending, campaigns
from boxoffice.marketing.consent import consent_history, consent_status
from boxoffice.marketing.tables import CampaignRecipient, CampaignStatus, ConsentRecord
from boxoffice.marketing.unsubscribe import make_token
from tests.support import staff as support
from tests.support.marketing import (
    START,
    deliver_campaign,
    draft_campaign,
    mail_settings,
    make_contact,
    press_unsubscribe,
    start,
)
from tests.support.smtp import SmtpServer

LINK = re.compile(r"http://127\.0\.0\.1:8000(/unsubscribe/[A-Za-z0-9_.-]+)")


def recipients(server: SmtpServer) -> list[str]:
    return sorted(message["To"] for message in server.messages)


def message_to(server: SmtpServer, address: str) -> EmailMessage:
    [message] = [message for message in server.messages if message["To"] == address]
    return message


def unsubscribe_path(message: EmailMessage) -> str:
    """The unsubscribe link of a received message, checking the body and the header name the same one."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [in_text] = LINK.findall(text)
    [in_html] = LINK.findall(html)
    [in_header] = LINK.findall(message["List-Unsubscribe"])
    assert in_text == in_html == in_header
    return in_text


async def everyone() -> dict[str, int]:
    """Two contacts who opted in, and one of each kind that must never receive a campaign."""
    return {
        "ada@example.org": await make_contact("ada@example.org", first_name="Ada"),
        "bea@example.org": await make_contact("bea@example.org", first_name="Bea"),
        "never@example.org": await make_contact("never@example.org", opted_in=None),
        "withdrawn@example.org": await make_contact("withdrawn@example.org", opted_in=False),
        "restricted@example.org": await make_contact("restricted@example.org", restricted=True),
        "removed@example.org": await make_contact("removed@example.org", erased=True),
    }


async def test_only_opted_in_contacts_receive_the_campaign_with_link_and_headers(
    database, marketing_staff: support.TestStaff, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    await everyone()
    campaign_id = await draft_campaign(marketing_staff)

    assert await start(marketing_staff, campaign_id) == 2
    await deliver_campaign(campaign_id, smtp_settings)

    assert recipients(smtp_server) == ["ada@example.org", "bea@example.org"]
    message = message_to(smtp_server, "ada@example.org")
    assert message["Subject"] == "Spring season on sale"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(
        r"<http://127\.0\.0\.1:8000/unsubscribe/[A-Za-z0-9_.-]+>", message["List-Unsubscribe"]
    )
    html = message.get_body(("html",)).get_content()
    assert "<h1>Spring at the Town Hall</h1>" in html and "<strong>The Tempest</strong>" in html
    text = message.get_body(("plain",)).get_content()
    assert "Tickets for **The Tempest** are on sale." in text
    ada_link, bea_link = (
        unsubscribe_path(message),
        unsubscribe_path(message_to(smtp_server, "bea@example.org")),
    )
    assert ada_link != bea_link  # personal links

    report = await campaign_reports.campaign_report(campaign_id)
    assert (report.recipients, report.sent, report.failed, report.unsubscribed) == (2, 2, 0, 0)


async def test_opening_the_link_changes_nothing(
    client: httpx.AsyncClient, ada_received: tuple[int, int, str]
):
    ada, campaign_id, link = ada_received
    records_before = await ConsentRecord.count()

    for _ in range(2):  # a mail scanner, then the person
        page = await client.get(link)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert ">Unsubscribe</button>" in page.text and "unsubscribed" not in page.text

    assert (await consent_status(ada))["email"] is True
    assert await ConsentRecord.count() == records_before
    report = await campaign_reports.campaign_report(campaign_id)
    assert report.unsubscribed == 0


async def test_the_pages_button_and_the_one_click_post_both_opt_out_and_the_next_campaign_skips_them(
    client: httpx.AsyncClient,
    marketing_staff: support.TestStaff,
    smtp_server: SmtpServer,
    smtp_settings: SmtpSettings,
):
    contacts = await everyone()
    first = await draft_campaign(marketing_staff, "First")
    await start(marketing_staff, first)
    clock = await deliver_campaign(first, smtp_settings)
    ada_link = unsubscribe_path(message_to(smtp_server, "ada@example.org"))
    bea_link = unsubscribe_path(message_to(smtp_server, "bea@example.org"))

    page = await press_unsubscribe(client, ada_link)
    assert page.status_code == 200
    assert "You are unsubscribed." in page.text and ">Unsubscribe</button>" not in page.text
    assert "Subscribe me again" in page.text
    assert page.headers["cache-control"] == "no-store"

    one_click = await client.post(
        bea_link,
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200, one_click.text

    for address in ("ada@example.org", "bea@example.org"):
        assert (await consent_status(contacts[address]))["email"] is False
        [latest, *_] = await consent_history(contacts[address])
        assert (latest.granted, latest.source, latest.ip) == (False, "unsubscribe_link", "127.0.0.1")
        assert "“First”" in latest.wording
    assert "Pressed Unsubscribe" in (await consent_history(contacts["ada@example.org"]))[0].wording
    assert "one-click" in (await consent_history(contacts["bea@example.org"]))[0].wording
    report = await campaign_reports.campaign_report(first)
    assert report.unsubscribed == 2
    assert [(row.unsubscribed, row.opted_in_now) for row in report.rows] == [(True, False), (True, False)]

    second = await draft_campaign(marketing_staff, "Second")
    with pytest.raises(campaigns.EmptyAudience, match="Nobody is in this audience"):
        await start(marketing_staff, second, clock)
    assert await CampaignRecipient.count().where(CampaignRecipient.campaign == second) == 0

    await make_contact("carl@example.org")
    await start(marketing_staff, second, clock)
    await deliver_campaign(second, smtp_settings, now=clock)
    assert [m["To"] for m in smtp_server.messages if m["Subject"] == "Second"] == ["carl@example.org"]


@pytest.fixture
async def ada_received(
    marketing_staff: support.TestStaff, smtp_server: SmtpServer, smtp_settings: SmtpSettings
) -> tuple[int, int, str]:
    """Ada, who opted in, has received a campaign: her contact id, the campaign's, and her link."""
    ada = await make_contact("ada@example.org")
    campaign_id = await draft_campaign(marketing_staff)
    await start(marketing_staff, campaign_id)
    await deliver_campaign(campaign_id, smtp_settings)
    return ada, campaign_id, unsubscribe_path(message_to(smtp_server, "ada@example.org"))


async def test_a_replayed_one_click_post_or_button_press_writes_nothing_new(
    client: httpx.AsyncClient, ada_received: tuple[int, int, str]
):
    ada, _, link = ada_received

    for _ in range(3):
        response = await client.post(link, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert (await client.post(link, data={})).status_code == 303
    again = await client.get(link)

    assert "You are unsubscribed." in again.text
    withdrawn = await ConsentRecord.count().where(
        (ConsentRecord.contact == ada) & (ConsentRecord.granted == False)  # noqa: E712 - SQL, not Python
    )
    assert withdrawn == 1


async def test_opting_back_in_records_a_fresh_opt_in_and_needs_the_csrf_token(
    client: httpx.AsyncClient, ada_received: tuple[int, int, str]
):
    ada, _, link = ada_received
    page = await press_unsubscribe(client, link)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)

    assert (await client.post(f"{link}/opt-in", data={})).status_code == 403
    assert (await consent_status(ada))["email"] is False

    response = await client.post(f"{link}/opt-in", data={"_csrf_token": token})
    assert response.status_code == 200
    assert "you are subscribed again" in response.text
    [latest, *_] = await consent_history(ada)
    assert (latest.granted, latest.source, latest.wording_version) == (True, "unsubscribe_link", 1)
    assert latest.wording == "Yes, please e-mail me about upcoming shows, events and offers."
    assert (await consent_status(ada))["email"] is True


async def test_tampered_expired_and_removed_contacts_tokens_change_nothing(
    client: httpx.AsyncClient, ada_received: tuple[int, int, str]
):
    ada, campaign_id, link = ada_received
    secret = get_settings().secret_key
    before = await ConsentRecord.count()

    payload, signature = link.removeprefix("/unsubscribe/").split(".")
    other_contact = make_token(secret, contact_id=ada + 1, campaign_id=campaign_id, now=START)
    forged = f"/unsubscribe/{other_contact.split('.')[0]}.{signature}"
    flipped = link[:-2] + ("A" if link[-2] != "A" else "B") + link[-1]
    non_ascii = "/unsubscribe/" + quote(f"{payload}é.{signature}")
    for bad in (forged, flipped, "/unsubscribe/nonsense", f"/unsubscribe/{payload}.", non_ascii):
        page = await client.get(bad)
        assert page.status_code == 400, bad
        assert "This unsubscribe link is not valid, so nothing has been changed." in page.text
        assert ">Unsubscribe</button>" not in page.text
        pressed = await client.post(bad, data={})
        assert pressed.status_code == 400, bad
        assert "This unsubscribe link is not valid, so nothing has been changed." in pressed.text
        one_click = await client.post(bad, data={"List-Unsubscribe": "One-Click"})
        assert (one_click.status_code, one_click.text) == (400, "This unsubscribe link is not valid.\n")

    expired = make_token(secret, contact_id=ada, campaign_id=campaign_id, now=START - timedelta(days=366))
    page = await client.get(f"/unsubscribe/{expired}")
    assert page.status_code == 400 and "This unsubscribe link has expired" in page.text
    assert await ConsentRecord.count() == before

    await Contact.update({Contact.erased_at: START, Contact.email: ""}).where(Contact.id == ada)
    page = await client.get(link)
    assert page.status_code == 200
    assert "We no longer hold your details" in page.text
    assert "Subscribe me again" not in page.text and ">Unsubscribe</button>" not in page.text
    assert (await client.post(link, data={})).status_code == 303
    assert await ConsentRecord.count() == before


async def test_a_link_sent_before_a_merge_opts_out_the_contact_it_was_merged_into(
    client: httpx.AsyncClient, ada_received: tuple[int, int, str], marketing_staff: support.TestStaff
):
    ada, _, link = ada_received
    kept = await make_contact("ada.lovelace@example.org")
    await merge_contacts(kept, ada, actor_id=marketing_staff.id, ip="", now=START)
    assert (await consent_status(kept))["email"] is True

    page = await press_unsubscribe(client, link)

    assert page.status_code == 200 and "You are unsubscribed." in page.text
    assert (await consent_status(kept))["email"] is False


async def test_a_link_reaches_the_merged_contact_after_the_merge_has_left_the_audit_log(
    client: httpx.AsyncClient, ada_received: tuple[int, int, str], marketing_staff: support.TestStaff
):
    ada, _, link = ada_received
    kept = await make_contact("ada.lovelace@example.org")
    await merge_contacts(kept, ada, actor_id=marketing_staff.id, ip="", now=START)
    await AuditEntry.delete().where(AuditEntry.action == "contact.merged")  # the audit period is shorter

    page = await press_unsubscribe(client, link)

    assert page.status_code == 200 and "You are unsubscribed." in page.text
    assert (await consent_status(kept))["email"] is False


async def test_the_worker_releases_messages_at_the_configured_pace_even_with_several_workers(
    database, marketing_staff: support.TestStaff
):
    for number in range(4):
        await make_contact(f"guest{number}@example.org")
    campaign_id = await draft_campaign(marketing_staff)
    await start(marketing_staff, campaign_id)
    one_a_second = 60

    async def release(at: timedelta) -> int:
        return await campaign_sending.release_due_messages(one_a_second, mail_settings(), START + at)

    assert await asyncio.gather(release(timedelta()), release(timedelta())) in ([1, 0], [0, 1])
    assert await release(timedelta(milliseconds=500)) == 0
    assert await release(timedelta(seconds=1)) == 1
    assert await release(timedelta(seconds=1, milliseconds=10)) == 0
    assert await release(timedelta(seconds=2)) == 1
    assert await release(timedelta(seconds=3)) == 1
    assert await release(timedelta(seconds=4)) == 0  # nobody left: the campaign is finished
    assert (await campaigns.get_campaign(campaign_id)).status == CampaignStatus.SENT
    assert await OutboxMessage.count() == 4


async def test_a_released_message_is_due_by_the_senders_clock_not_the_databases(
    database, marketing_staff: support.TestStaff
):
    await make_contact("ada@example.org")
    campaign_id = await draft_campaign(marketing_staff)
    an_hour_ago = START - timedelta(hours=1)
    await start(marketing_staff, campaign_id, now=an_hour_ago)

    assert await campaign_sending.release_due_messages(60, mail_settings(), an_hour_ago) == 1
    [claimed] = await claim_due_messages(5, an_hour_ago, "box1:100:aaaa")
    assert claimed.email.recipient == "ada@example.org"
