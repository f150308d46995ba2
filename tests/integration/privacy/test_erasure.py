"""Remove (the right to erasure): after it, none of the contact's name, e-mail address, phone number or
postcode is left in any column of any table, while the money, ticket and consent-event rows stay.

The check reads every table Piccolo knows and every text, JSON and binary column in it (the text of the
PDFs among them too), so tables added later are covered without touching this test."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from piccolo.columns import JSON, JSONB, Bytea, Email, Text, Varchar
from piccolo.conf.apps import Finder

from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.contacts import ContactDetails, upsert_contact
from boxoffice.crm.records import ContactGone, note_on_contact, record_staff_consent, update_details
from boxoffice.crm.tables import Contact, ContactNote
from boxoffice.db import current_engine
from boxoffice.mail.outbox import begin_sending, claim_due_messages, mark_sent
from boxoffice.mail.tables import OutboxAttachment, OutboxMessage
from boxoffice.marketing.consent import record_consent
from boxoffice.marketing.tables import ConsentRecord
from boxoffice.marketing.unsubscribe import UnsubscribeToken, opt_out
from boxoffice.privacy.erasure import erase_contact
from boxoffice.privacy.tables import CentreSignIn
from boxoffice.sales.checkout_drafts import KeptDetails, keep_details
from boxoffice.sales.tables import (
    Order,
    Payment,
    Ticket,
    TicketsPdf,
)
from tests.conftest import POSTGRES_URL
from tests.support.history import CORRECTED_POSTCODE, ONLINE_BUYER, PERSONAL, customer_with_history
from tests.support.shop import paid_order
from tests.support.staff import make_staff, post_form, sign_in
from tests.support.tables import identifiers_in

if TYPE_CHECKING:
    pass

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
TEXT_COLUMNS = (Varchar, Text, Email, JSON, JSONB)


def text_columns(table) -> list:
    return [column for column in table._meta.columns if isinstance(column, (*TEXT_COLUMNS, Bytea))]


async def personal_data_found(identifiers: list[str]) -> list[str]:
    """Where any of `identifiers` (any case) appears: "table.column: identifier" for each find."""
    found = []
    for table in Finder().get_table_classes():
        columns = text_columns(table)
        if not columns:
            continue
        for row in await table.select(*columns):
            for name, value in row.items():
                found += [
                    f"{table._meta.tablename}.{name}: {identifier.lower()}"
                    for identifier in identifiers_in(value, identifiers)
                ]
    return found


async def test_removed_contact_leaves_no_personal_data(shop, show, fake_stripe):
    other = await upsert_contact(
        ContactDetails("Olive", "Otherwise", "olive@example.org", "0161 496 0999"), NOW
    )
    contact_id, _ = await customer_with_history(shop, show, fake_stripe)
    sent_at = datetime.now(UTC)  # the purchases queued their confirmations by the real clock
    [first_email] = await claim_due_messages(1, sent_at, "box1:100:aaaa")
    await begin_sending(first_email.id, "box1:100:aaaa")
    await mark_sent(first_email.id, sent_at)  # one confirmation sent, the other still queued
    assert (await shop.get("/backoffice/audit")).text.count(CORRECTED_POSTCODE) == 1  # old/new kept
    lapsed_checkout = ContactDetails("Perdita", "Quixley", "Perdita.Quixley@example.org", "", "BS8 1QU")
    await keep_details("a basket whose hold lapsed", KeptDetails(lapsed_checkout, marketing=False), NOW)
    before = await personal_data_found(PERSONAL)
    tables_before = {find.split(".")[0] for find in before}
    assert {
        "contact",
        "order",
        "contact_note",
        "consent_record",
        "outbox_message",
        "audit_entry",
        "order_note",
        "payment",
        "tickets_pdf",
        "privacy_request",
        "request_action",
        "checkout_draft",
    } <= tables_before
    kept = {
        "orders": await Order.count().where(Order.contact == contact_id),
        "tickets": await Ticket.count(),
        "payments": await Payment.count(),
        "consent": await ConsentRecord.count().where(ConsentRecord.contact == contact_id),
        "emails": await OutboxMessage.count(),
    }
    assert kept["orders"] == 3 and kept["tickets"] == 4 and kept["consent"] == 2

    confirm = await shop.get(f"/crm/contacts/{contact_id}/remove")
    assert "Remove Perdita Quixley" in confirm.text
    removed = await post_form(
        shop,
        f"/crm/contacts/{contact_id}/remove",
        {"confirm": "yes"},
        form_page=f"/crm/contacts/{contact_id}/remove",
    )
    assert removed.status_code == 303

    assert await personal_data_found(PERSONAL) == []
    assert "olive@example.org" in str(await Contact.select().where(Contact.id == other))  # others untouched
    assert {
        "orders": await Order.count().where(Order.contact == contact_id),
        "tickets": await Ticket.count(),
        "payments": await Payment.count(),
        "consent": await ConsentRecord.count().where(ConsentRecord.contact == contact_id),
        "emails": await OutboxMessage.count(),
    } == kept
    contact = await Contact.select().where(Contact.id == contact_id).first()
    assert contact["erased_at"] is not None
    assert await OutboxAttachment.count() == 0
    assert await TicketsPdf.count() == 0
    assert await CentreSignIn.count() == 0  # their sign-in link went with them
    statuses = {row["status"] for row in await OutboxMessage.select(OutboxMessage.status)}
    assert statuses == {"sent", "failed"}  # the queued one will never go out
    assert await ConsentRecord.select(
        ConsentRecord.channel, ConsentRecord.granted, ConsentRecord.source
    ).where(ConsentRecord.contact == contact_id).order_by(ConsentRecord.id) == [
        {"channel": "email", "granted": True, "source": "box_office"},
        {"channel": "post", "granted": True, "source": "staff"},
    ]
    assert await ContactNote.count().where(ContactNote.contact == contact_id) == 2

    audit_page = (await shop.get("/backoffice/audit", params={"action": "contact.removed"})).text
    assert f"contact {contact_id}" in audit_page and "Clara Clerk" in audit_page
    assert "postcode" in (await shop.get("/backoffice/audit", params={"action": "contact.updated"})).text

    order_id = (await Order.select(Order.id).where(Order.contact == contact_id).first())["id"]
    assert "A removed contact" in (await shop.get(f"/backoffice/orders/{order_id}")).text
    search = (await shop.get("/crm/contacts", params={"q": "quixley"})).text
    assert "No contacts match." in search
    assert (await shop.get(f"/crm/contacts/{contact_id}")).status_code == 410

    performance_id, types = show
    await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe, **ONLINE_BUYER)
    again = await Contact.select().where(Contact.email == "perdita.quixley@example.org").first()
    assert again["id"] != contact_id and again["erased_at"] is None  # buying again makes a new contact
    assert (await Contact.select(Contact.email).where(Contact.id == contact_id).first())["email"] == ""


def sqlite_files() -> list[Path]:
    """The database file the test runs on, and every file SQLite keeps beside it."""
    database = Path(current_engine().path)
    return sorted(database.parent.glob(database.name + "*"))


def personal_bytes_on_disk(identifiers: list[str]) -> list[str]:
    """Where any of `identifiers` (any case) can be read in the raw bytes of the database's files."""
    found = []
    for file in sqlite_files():
        content = file.read_bytes().lower()
        found += [f"{file.name}: {each}" for each in identifiers if each.lower().encode() in content]
    return found


@pytest.mark.skipif(bool(POSTGRES_URL), reason="PostgreSQL's files belong to the server, not to us")
async def test_removal_leaves_nothing_readable_in_the_database_files(shop, show, fake_stripe):
    contact_id, _ = await customer_with_history(shop, show, fake_stripe)
    assert personal_bytes_on_disk(PERSONAL)  # the history is on disk, in the log and the database

    removed = await post_form(
        shop,
        f"/crm/contacts/{contact_id}/remove",
        {"confirm": "yes"},
        form_page=f"/crm/contacts/{contact_id}/remove",
    )

    assert removed.status_code == 303
    assert personal_bytes_on_disk(PERSONAL) == []
    assert [file.name for file in sqlite_files()] == [
        "boxoffice.sqlite3",
        "boxoffice.sqlite3-shm",
        "boxoffice.sqlite3-wal",
    ]


async def test_removing_twice_or_without_confirming_changes_nothing(client):
    admin = await make_staff("admin")
    contact_id = await upsert_contact(ContactDetails("Perdita", "Quixley", "pq@example.org"), NOW)
    await sign_in(client, admin)
    page = f"/crm/contacts/{contact_id}/remove"

    unconfirmed = await post_form(client, page, {}, form_page=page)
    assert unconfirmed.status_code == 400 and "Tick the box to confirm the removal." in unconfirmed.text
    assert (await Contact.select(Contact.email).where(Contact.id == contact_id).first())[
        "email"
    ] == "pq@example.org"

    token_page = f"/crm/contacts/{contact_id}"
    assert (await post_form(client, page, {"confirm": "yes"}, form_page=token_page)).status_code == 303
    second = await post_form(client, page, {"confirm": "yes"}, form_page="/crm/contacts")
    assert second.status_code == 410 and "was removed" in second.text
    assert (await client.get("/backoffice/audit", params={"action": "contact.removed"})).text.count(
        f"contact {contact_id}"
    ) == 1


async def test_only_staff_who_may_remove_can_remove(client):
    operator = await make_staff("box_office_operator", enrolled=False)
    contact_id = await upsert_contact(ContactDetails("Perdita", "Quixley", "pq@example.org"), NOW)
    await sign_in(client, operator)

    record = (await client.get(f"/crm/contacts/{contact_id}")).text
    assert "Remove</a>" not in record
    refused = await post_form(
        client,
        f"/crm/contacts/{contact_id}/remove",
        {"confirm": "yes"},
        form_page=f"/crm/contacts/{contact_id}",
    )
    assert refused.status_code == 403
    assert (await Contact.select(Contact.erased_at).where(Contact.id == contact_id).first())[
        "erased_at"
    ] is None


async def test_two_removals_at_once_remove_once(database):
    contact_id = await upsert_contact(ContactDetails("Perdita", "Quixley", "pq@example.org"), NOW)
    admin = await make_staff("admin")

    outcomes = await asyncio.gather(
        *(erase_contact(contact_id, actor_id=admin.id, ip="", now=NOW) for _ in range(2)),
        return_exceptions=True,
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["AlreadyRemoved", "Erasure"]
    assert await AuditEntry.count().where(AuditEntry.action == "contact.removed") == 1


async def test_changes_racing_a_removal_leave_no_personal_data(database):
    contact_id = await upsert_contact(ContactDetails("Perdita", "Quixley", "pq@example.org"), NOW)
    admin = await make_staff("admin")
    corrected = ContactDetails("Perdita", "Quixley-Byron", "pq@example.org", "07700 900456", "BS8 1QU")

    outcomes = await asyncio.gather(
        note_on_contact(contact_id, "Perdita Quixley-Byron rang", author_id=admin.id, now=NOW),
        update_details(contact_id, corrected, actor_id=admin.id, ip="", now=NOW),
        erase_contact(contact_id, actor_id=admin.id, ip="", now=NOW),
        record_staff_consent(
            contact_id,
            channel="post",
            decision="opt_in",
            means="letter",
            note="Perdita wrote from BS8 1QU",
            actor_id=admin.id,
            ip="",
            now=NOW,
        ),
        return_exceptions=True,
    )

    assert not [
        outcome
        for outcome in outcomes
        if isinstance(outcome, Exception) and not isinstance(outcome, ContactGone)
    ]
    assert (
        await personal_data_found(["Perdita", "Quixley", "pq@example.org", "07700 900456", "BS8 1QU"]) == []
    )


async def test_removal_forgets_the_address_the_person_unsubscribed_from(database):
    contact_id = await upsert_contact(ContactDetails("Perdita", "Quixley", "pq@example.org"), NOW)
    await record_consent(
        contact_id=contact_id, channel="email", granted=True, source="online_checkout", wording="Yes", now=NOW
    )
    token = UnsubscribeToken(contact_id=contact_id, campaign_id=1, expires_at=NOW)
    await opt_out(token, one_click=True, ip="203.0.113.9", now=NOW)
    assert await AuditEntry.exists().where(AuditEntry.ip == "203.0.113.9")

    await erase_contact(contact_id, actor_id=None, ip="", now=NOW)

    assert not await AuditEntry.exists().where(AuditEntry.ip == "203.0.113.9")
    assert await AuditEntry.exists().where(AuditEntry.action == "consent.unsubscribed")  # the event stays
