"""The consent report (counts per month, channel and source, the online opt-in rate, chart and CSV), the
records of processing with their retention periods, and the worker applying those periods."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from boxoffice.auth import audit
from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.tables import Contact
from boxoffice.mail.outbox import Email, queue_email
from boxoffice.mail.tables import OutboxMessage, OutboxStatus
from boxoffice.marketing.consent import record_consent
from boxoffice.marketing.reports import first_month, month_start
from boxoffice.privacy.retention import RetentionApplied, apply_retention, retention_periods
from boxoffice.sales.tables import Order
from tests.support import staff as support
from tests.support.marketing import make_contact
from tests.support.staff import make_staff, post_form, sign_in

NOW = datetime.now(UTC)
THIS_MONTH = NOW.strftime("%Y-%m")
LAST_MONTH = first_month(NOW.date(), 2)


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> support.TestStaff:
    staff = await make_staff("admin", name="Ada Admin")
    await sign_in(client, staff)
    return staff


async def online_order(reference: str, *, opted_in: bool, status: str = "paid", at: datetime = NOW) -> int:
    [order] = await Order.insert(
        Order(
            reference=reference,
            channel="online",
            status=status,
            currency="GBP",
            total=1000,
            marketing_opt_in=opted_in,
            created_at=at,
            first_name="Ada",
            email="ada@example.org",
            buyer_ip="203.0.113.7",
        )
    ).returning(Order.id)
    return order["id"]


async def test_the_consent_report_counts_by_month_channel_and_source(client, admin):
    ada = await make_contact("ada@example.org", opted_in=None)
    bea = await make_contact("bea@example.org", opted_in=None)
    for contact, source, granted in ((ada, "online_checkout", True), (bea, "box_office", True)):
        await record_consent(
            contact_id=contact, channel="email", granted=granted, source=source, wording="Yes", now=NOW
        )
    await record_consent(
        contact_id=ada, channel="email", granted=False, source="unsubscribe_link", wording="Link", now=NOW
    )
    await record_consent(
        contact_id=bea, channel="post", granted=True, source="staff", wording="Asked", now=NOW
    )
    earlier = NOW.replace(day=1) - timedelta(days=2)
    await record_consent(
        contact_id=bea, channel="phone", granted=True, source="import", wording="Form", now=earlier
    )
    for number, opted_in in enumerate((True, False, False, True)):
        await online_order(f"ONL{number}", opted_in=opted_in)
    await online_order("LAPSED", opted_in=True, status="expired")

    page = await client.get("/marketing/consent", params={"months": "3"})

    assert page.status_code == 200
    assert "<svg" in page.text and 'role="img"' in page.text
    assert f"{THIS_MONTH}: 3 opt-ins" in page.text and f"{THIS_MONTH}: 1 opt-outs" in page.text
    assert f"{LAST_MONTH}: 1 opt-ins" in page.text
    assert "<td>4</td>\n      <td>50%</td>" in page.text  # 2 of the 4 paid online checkouts opted in

    download = await client.get("/marketing/consent.csv", params={"months": "3"})
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = {tuple(row) for row in csv.reader(io.StringIO(download.text))}
    assert ("month", "measure", "channel", "source", "count") in rows
    assert (THIS_MONTH, "opt_in", "", "online_checkout", "1") in rows
    assert (THIS_MONTH, "opt_in", "", "box_office", "1") in rows
    assert (THIS_MONTH, "opt_out", "", "unsubscribe_link", "1") in rows
    assert (THIS_MONTH, "opt_in", "email", "", "2") in rows
    assert (THIS_MONTH, "opt_in", "post", "", "1") in rows
    assert (THIS_MONTH, "online_checkouts", "", "", "4") in rows
    assert (THIS_MONTH, "online_checkouts_opted_in", "", "", "2") in rows
    assert (LAST_MONTH, "opt_in", "phone", "", "1") in rows


async def test_the_consent_report_counts_only_the_months_chosen(client, admin):
    ada = await make_contact("ada@example.org", opted_in=None)
    before, first, second, last = (first_month(NOW.date(), n) for n in (5, 4, 3, 2))
    starts = month_start(first)  # the first moment of the first month shown
    for at in (starts - timedelta(microseconds=1), starts, NOW):
        await record_consent(
            contact_id=ada, channel="email", granted=True, source="staff", wording="Yes", now=at
        )
    await online_order("BEFORE", opted_in=True, at=starts - timedelta(microseconds=1))
    await online_order("FIRST", opted_in=True, at=starts)

    ending_last_month = await client.get("/marketing/consent.csv", params={"months": "3", "ending": last})
    rows = {tuple(row) for row in csv.reader(io.StringIO(ending_last_month.text))}
    assert (first, "opt_in", "email", "", "1") in rows
    assert (first, "online_checkouts", "", "", "1") in rows
    assert {row[0] for row in rows} == {"month", first, second, last}  # neither `before` nor this month
    assert f"consent-3-months-to-{last}.csv" in ending_last_month.headers["content-disposition"]

    page = await client.get("/marketing/consent", params={"months": "3", "ending": last})
    assert f'name="ending" value="{last}"' in page.text and f"{THIS_MONTH}: " not in page.text
    assert f"{before}: " not in page.text and f"{first}: 1 opt-ins" in page.text

    for nonsense in ("", "2999-01", "1999-12", "2026-13", "abc", "２０２６-１１", "2026-1"):
        fallback = await client.get("/marketing/consent", params={"ending": nonsense})
        assert fallback.status_code == 200 and f'name="ending" value="{THIS_MONTH}"' in fallback.text


async def test_the_records_of_processing_state_the_retention_periods_and_processors(client, admin):
    page = await client.get("/marketing/processing")

    assert page.status_code == 200
    for words in (
        "Records of processing",
        "contacts who never bought: 24 months",
        "Paid orders: 6 years",
        "365 days after sending",
        "audit log: 24 months",
        "no SMTP provider is set up",
        "card payments are not set up",
    ):
        assert words in page.text

    saved = await post_form(
        client,
        "/marketing/processing/retention",
        {
            "contacts_without_orders_months": "36",
            "lapsed_orders_days": "30",
            "paid_orders_years": "7",
            "email_log_days": "90",
            "audit_log_months": "12",
        },
    )
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "The retention periods have been saved." in page.text
    assert "contacts who never bought: 36 months" in page.text and "90 days after sending" in page.text
    assert await AuditEntry.exists().where(AuditEntry.action == "settings.retention_updated")


async def test_refused_retention_periods_change_nothing(client, admin):
    refused = await post_form(
        client,
        "/marketing/processing/retention",
        {
            "contacts_without_orders_months": "0",
            "lapsed_orders_days": "thirty",
            "paid_orders_years": "7",
            "email_log_days": "90",
            "audit_log_months": "12",
        },
    )

    assert refused.status_code == 400
    assert 'id="error-contacts_without_orders_months">Enter a number of months from 1 to 120.' in refused.text
    assert 'id="error-lapsed_orders_days">Enter a number of days from 7 to 730.' in refused.text
    assert (await retention_periods()).paid_orders_years == 6


async def test_the_worker_deletes_mail_and_audit_entries_past_their_periods(database):
    old_sent = await queue_email(Email(recipient="old@example.org", subject="Old", text="Old"))
    old_queued = await queue_email(Email(recipient="wait@example.org", subject="Waiting", text="Waiting"))
    recent = await queue_email(Email(recipient="new@example.org", subject="New", text="New"))
    long_ago = NOW - timedelta(days=400)
    await OutboxMessage.update(
        {OutboxMessage.created_at: long_ago, OutboxMessage.status: OutboxStatus.SENT}
    ).where(OutboxMessage.id == old_sent)
    await OutboxMessage.update({OutboxMessage.created_at: long_ago}).where(OutboxMessage.id == old_queued)
    await audit.record("test.old", actor_id=None, ip="")
    await audit.record("test.new", actor_id=None, ip="")
    await AuditEntry.update({AuditEntry.at: NOW - timedelta(days=800)}).where(AuditEntry.action == "test.old")

    lapsed_long_ago = await online_order(
        "LAPSED1", opted_in=False, status="expired", at=NOW - timedelta(days=91)
    )
    lapsed_lately = await online_order(
        "LAPSED2", opted_in=False, status="expired", at=NOW - timedelta(days=89)
    )
    paid_long_ago = await online_order("PAID1", opted_in=False, at=NOW - timedelta(days=400))

    assert await apply_retention(NOW) == RetentionApplied(
        email_log_entries=1, audit_log_entries=1, lapsed_orders=1
    )

    remaining = {row["id"] for row in await OutboxMessage.select(OutboxMessage.id)}
    assert remaining == {old_queued, recent}  # mail still waiting to go is never deleted
    assert [row["action"] for row in await AuditEntry.select(AuditEntry.action)] == ["test.new"]
    buyers = {
        row["id"]: (row["email"], row["first_name"], row["buyer_ip"])
        for row in await Order.select(Order.id, Order.email, Order.first_name, Order.buyer_ip)
    }
    assert buyers[lapsed_long_ago] == ("", "", "")
    assert buyers[lapsed_lately] == buyers[paid_long_ago] == ("ada@example.org", "Ada", "203.0.113.7")


async def test_the_worker_removes_contacts_who_never_bought_once_their_period_has_passed(database):
    dormant = await make_contact("dormant@example.org", opted_in=None)
    recent = await make_contact("recent@example.org", opted_in=None)
    buyer = await make_contact("buyer@example.org", opted_in=None)
    consented = await make_contact("consented@example.org", opted_in=None)
    lapsed_only = await make_contact("lapsed@example.org", opted_in=None)
    long_ago = NOW - timedelta(days=31 * 24 + 1)
    await Contact.update({Contact.updated_at: long_ago}).where(Contact.id != recent)
    await Order.update({Order.contact: buyer}).where(Order.id == await online_order("PAID2", opted_in=False))
    await Order.update({Order.contact: lapsed_only}).where(
        Order.id == await online_order("LAPSED3", opted_in=False, status="expired", at=long_ago)
    )
    await record_consent(
        contact_id=consented, channel="email", granted=False, source="unsubscribe_link", wording="No", now=NOW
    )

    applied = await apply_retention(NOW)

    assert applied.contacts_removed == 2
    contacts = {row["id"]: row for row in await Contact.select(Contact.id, Contact.email, Contact.erased_at)}
    assert {contact for contact, row in contacts.items() if row["erased_at"]} == {dormant, lapsed_only}
    assert contacts[dormant]["email"] == "" and contacts[recent]["email"] == "recent@example.org"
    removal = await AuditEntry.select().where(AuditEntry.action == "contact.removed").first()
    assert removal["actor"] is None
    assert (await apply_retention(NOW)).contacts_removed == 0
