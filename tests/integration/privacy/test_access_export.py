"""Export (the right of access): every field held on a contact appears in the JSON, the PDF reads as a
document for the person, both are audited, and only staff who may export can."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from pypdf import PdfReader

from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.contacts import ContactDetails, upsert_contact
from boxoffice.crm.duplicates import merge_contacts
from boxoffice.crm.records import update_details
from boxoffice.crm.tables import Contact, ContactNote, Tag
from boxoffice.mail.outbox import Email, queue_email
from boxoffice.mail.tables import OutboxAttachment, OutboxMessage
from boxoffice.marketing.tables import ConsentRecord
from boxoffice.privacy.access_export import plain
from boxoffice.sales.tables import Order, OrderLine, OrderNote, Payment, Ticket
from tests.integration.privacy.test_erasure import customer_with_history
from tests.support.staff import make_staff, sign_in

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

# Columns that hold our own bookkeeping rather than anything about the person, each with its reason.
NOT_EXPORTED = {
    "id",  # row numbers (an order's own id and the contact's are exported)
    "contact",  # the contact the rows belong to
    "order",
    "order_line",
    "performance",
    "ticket_type",
    "message",  # links between rows
    "question",  # the question version is exported as its wording and version number
    "consent_question",
    "actor",  # staff ids: exported as the staff member's name
    "author",
    "staff",
    "stripe_session_open",  # whether we still have to close a Stripe session
    "attempts",  # the outbox's sending machinery
    "next_attempt_at",
    "claimed_at",
    "last_error",
    "content",  # attachment files themselves: their names and types are listed
    "made_by",  # how the worker makes an attachment, and from which order
    "made_from",
    "sale_key",  # keys that stop a form being acted on twice
    "request_key",
}


def scalars(value: object) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in scalars(item)]
    if isinstance(value, list):
        return [text for item in value for text in scalars(item)]
    return [] if value is None else [str(value)]


def missing_fields(table_name: str, rows: list[dict], exported: list[str]) -> list[str]:
    everything = set(exported)
    missing = []
    for row in rows:
        for column, value in row.items():
            if column in NOT_EXPORTED or value in (None, "", "{}") or isinstance(value, bool):
                continue
            shown = plain(value)
            if isinstance(shown, str) and table_name == "outbox_message" and column == "headers":
                shown = next(iter(json.loads(shown).values()), "")
            if str(shown) not in everything:
                missing.append(f"{table_name}.{column} = {value!r}")
    return missing


async def test_every_field_held_appears_in_the_json_export(shop, show, fake_stripe):
    contact_id, _ = await customer_with_history(shop, show, fake_stripe)

    response = await shop.get(f"/crm/contacts/{contact_id}/export.json")

    assert response.status_code == 200
    assert response.headers["content-disposition"] == f"attachment; filename=contact-{contact_id}.json"
    export = response.json()
    exported = scalars(export)
    order_ids = [row["id"] for row in await Order.select(Order.id).where(Order.contact == contact_id)]
    assert len(order_ids) == 3 and len(export["orders"]) == 3
    message_ids = [row["id"] for row in await OutboxMessage.select(OutboxMessage.id)]
    held = {
        "contact": await Contact.select().where(Contact.id == contact_id),
        "order": await Order.select().where(Order.id.is_in(order_ids)),
        "order_line": await OrderLine.select().where(OrderLine.order.is_in(order_ids)),
        "ticket": await Ticket.select().where(Ticket.order.is_in(order_ids)),
        "payment": await Payment.select().where(Payment.order.is_in(order_ids)),
        "order_note": await OrderNote.select().where(OrderNote.order.is_in(order_ids)),
        "consent_record": await ConsentRecord.select().where(ConsentRecord.contact == contact_id),
        "contact_note": await ContactNote.select().where(ContactNote.contact == contact_id),
        "tag": await Tag.select(Tag.name),
        "outbox_message": await OutboxMessage.select().where(OutboxMessage.id.is_in(message_ids)),
        "outbox_attachment": await OutboxAttachment.select().where(
            OutboxAttachment.message.is_in(message_ids)
        ),
    }
    assert all(held.values()), {name: len(rows) for name, rows in held.items()}
    missing = [item for name, rows in held.items() for item in missing_fields(name, rows, exported)]
    assert missing == [], missing
    assert export["marketing"] == {"E-mail": "Opt in", "Post": "Opt in", "Phone": "Opt out"}
    assert export["changes_to_details"][0]["values"]["postcode"] == {"old": "BS8 1QU", "new": "BS1 5TR"}
    assert export["tags"] == ["Friends"]
    assert export["notes"][0]["author"] == "Clara Clerk"


async def test_the_pdf_export_reads_as_a_document_for_the_person(shop, show, fake_stripe):
    contact_id, admin = await customer_with_history(shop, show, fake_stripe)

    response = await shop.get(f"/crm/contacts/{contact_id}/export.pdf")

    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages
    )
    reference = (await Order.select(Order.reference).first())["reference"]
    for expected in (
        "Personal data held about Perdita Quixley",
        "perdita.quixley@example.org",
        reference,
        "uses a wheelchair",
        "to ask for the brochure",
        "Friends",
        "Venue marketing: Opt in",
        "Your tickets: order",
    ):
        assert expected in text, expected
    exports = await AuditEntry.select(AuditEntry.actor, AuditEntry.detail, AuditEntry.object_id).where(
        AuditEntry.action == "contact.exported"
    )
    assert exports == [{"actor": admin.id, "detail": '{"format": "pdf"}', "object_id": str(contact_id)}]


async def test_staff_without_the_export_permission_cannot_export(client):
    operator = await make_staff("box_office_operator", enrolled=False)
    contact_id = await upsert_contact(ContactDetails("Perdita", "Quixley", "pq@example.org"), NOW)
    await sign_in(client, operator)

    assert "Export (JSON)" not in (await client.get(f"/crm/contacts/{contact_id}")).text
    for path in (f"/crm/contacts/{contact_id}/export.json", f"/crm/contacts/{contact_id}/export.pdf"):
        assert (await client.get(path)).status_code == 403
    assert await AuditEntry.count().where(AuditEntry.action == "contact.exported") == 0


async def test_the_export_includes_what_is_held_under_a_contact_merged_into_this_one(client):
    admin = await make_staff("admin")
    merged = await upsert_contact(ContactDetails("Perdita", "Q", "perdita.old@example.org"), NOW)
    await update_details(
        merged,
        ContactDetails("Perdita", "Quixley", "perdita.old@example.org"),
        actor_id=admin.id,
        ip="",
        now=NOW,
    )
    await queue_email(Email(recipient="perdita.old@example.org", subject="Your tickets", text="Hello"))
    kept = await upsert_contact(ContactDetails("Perdita", "Quixley", "perdita@example.org"), NOW)
    await merge_contacts(kept, merged, actor_id=admin.id, ip="", now=NOW)
    await sign_in(client, admin)

    export = (await client.get(f"/crm/contacts/{kept}/export.json")).json()

    assert [email["recipient"] for email in export["emails"]] == ["perdita.old@example.org"]
    assert {"old": "Q", "new": "Quixley"} in [
        change["values"].get("last_name") for change in export["changes_to_details"]
    ]
