"""Remove (the right to erasure, GDPR 17): a contact's personal data is blanked wherever we copied it.

What goes: the contact's details; the buyer details (and address) copied onto their orders, including
unpaid or lapsed orders placed with any of their e-mail addresses that never got linked; their notes and
the staff's notes on their orders, and their details inside the reasons and references typed for their
payments and refunds;
the e-mails sent or queued to them (recipient, subject, bodies, headers, errors and attachments); the free
text of their consent records (notes, addresses, and any of their details inside a wording that did not
come from one of the venue's questions); their tags; and the old and new values kept by the audit of
edits to their details, also for contacts merged into them.

What stays, for the accounts: the contact row itself (blank, with `erased_at` set), orders, order lines,
tickets, payments and refunds, consent events (channel, granted or withdrawn, source, when, the
question version) and audit entries (who did what when, without the values). All of it is marked as
belonging to the removed contact: orders through their `contact` column. Queued e-mail is cancelled.

Nothing of what goes stays readable in the database's files either: SQLite zeroes the space it frees
(`secure_delete`, on every connection) and the write-ahead log is checkpointed and truncated after each
removal (`scrub_write_ahead_log`). PostgreSQL's files are the server's: the README says what a venue
must know about dead rows and backups.

Someone who buys again later becomes a new contact (`upsert_contact` never revives a removed one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from boxoffice.auth import audit
from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.contacts import FIELD_LIMITS, lock_live_contact
from boxoffice.crm.duplicates import merged_family
from boxoffice.crm.tables import Contact, ContactNote, ContactTag
from boxoffice.db import one_of, scrub_write_ahead_log, write_transaction
from boxoffice.errors import Refused
from boxoffice.mail.tables import OutboxAttachment, OutboxMessage, OutboxStatus
from boxoffice.marketing.tables import ConsentRecord
from boxoffice.sales.tables import Order, OrderNote, Payment, Refund
from boxoffice.web.forms import LARGEST_ID

REMOVED = audit.ERASED_VALUE
CANCELLED_ERROR = "cancelled: the recipient was removed"
BUYER_FIELDS = (*FIELD_LIMITS, "buyer_ip")
SHORTEST_IDENTIFIER = 3  # shorter fragments (initials) would blank ordinary words


class AlreadyRemoved(Refused):
    """The contact was removed before; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Erasure:
    contact_id: int
    orders: int
    notes: int
    consent_records: int
    emails: int


def audited_values(entries: list[audit.AuditRow]) -> list[str]:
    """Every value the audit kept in its personal part."""
    values: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, str):
            values.append(value)

    for entry in entries:
        collect(entry.detail.get(audit.PERSONAL))
    return values


def redact(text: str, identifiers: list[str]) -> str:
    """`text` with each identifier in it replaced, whatever its case, where it stands as a word of its own:
    a contact called Ann leaves "Annual comp" as it is."""
    for identifier in sorted(identifiers, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(identifier)}(?!\w)", REMOVED, text, flags=re.IGNORECASE)
    return text


async def erase_contact(contact_id: int, *, actor_id: int | None, ip: str, now: datetime) -> Erasure:
    """Erase a contact's personal data in one transaction (see the module's docstring).
    Raises LookupError for an unknown contact and AlreadyRemoved for one removed before."""
    async with write_transaction():
        contact = await lock_live_contact(contact_id, now)  # a second removal at once waits here
        if contact is None:
            if contact_id <= LARGEST_ID and await Contact.exists().where(Contact.id == contact_id):
                raise AlreadyRemoved("This contact was removed before; nothing was changed.")
            raise LookupError(contact_id)
        contact_ids = await merged_family(contact_id)
        audit_entries = await audit.personal_entries("contact", [str(each) for each in contact_ids])
        linked_orders = await Order.select(*(getattr(Order, name) for name in FIELD_LIMITS)).where(
            Order.contact == contact_id
        )
        identifiers = {
            value.strip()
            for source in (contact, *linked_orders)
            for name in FIELD_LIMITS
            if (value := source[name])
        } | {value.strip() for value in audited_values(audit_entries) if value.strip()}
        emails = await unshared_emails(contact_id, {value.lower() for value in identifiers if "@" in value})

        orders = await erase_orders(contact_id, emails)
        await erase_order_text(
            contact_id, [value for value in identifiers if len(value) >= SHORTEST_IDENTIFIER]
        )
        notes = (
            await ContactNote.update({ContactNote.text: ""})
            .where(ContactNote.contact == contact_id)
            .returning(ContactNote.id)
        )
        consent_records = await erase_consent_text(
            contact_id, [value for value in identifiers if len(value) >= SHORTEST_IDENTIFIER]
        )
        messages = await erase_emails(emails)
        await ContactTag.delete().where(ContactTag.contact == contact_id)
        await Contact.update(
            {
                **{getattr(Contact, name): "" for name in FIELD_LIMITS},
                Contact.erased_at: now,
                Contact.updated_at: now,
            }
        ).where(Contact.id == contact_id)
        await audit.erase_personal_detail("contact", [str(each) for each in contact_ids])
        erasure = Erasure(contact_id, orders, len(notes), consent_records, messages)
        await audit.record(
            "contact.removed",
            actor_id=actor_id,
            ip=ip,
            object_type="contact",
            object_id=contact_id,
            detail={
                "orders": orders,
                "notes": len(notes),
                "consent_records": consent_records,
                "emails": messages,
            },
        )
    await scrub_write_ahead_log()
    return erasure


async def unshared_emails(contact_id: int, emails: set[str]) -> list[str]:
    """The addresses among `emails` that no other current contact uses (theirs are not ours to erase)."""
    if not emails:
        return []
    taken = await Contact.select(Contact.email).where(
        one_of(Contact.email, list(emails)) & (Contact.id != contact_id) & Contact.erased_at.is_null()
    )
    return sorted(emails - {row["email"] for row in taken})


async def erase_orders(contact_id: int, emails: list[str]) -> int:
    """Blank the buyer details of the contact's orders, and of unlinked orders placed with their
    addresses, which from now on are marked as the removed contact's too."""
    blank = {getattr(Order, name): "" for name in BUYER_FIELDS}
    if emails:
        await Order.update({**blank, Order.contact: contact_id}).where(
            Order.contact.is_null() & one_of(Order.email, emails)
        )
    erased = await Order.update(blank).where(Order.contact == contact_id).returning(Order.id)
    return len(erased)


async def erase_order_text(contact_id: int, identifiers: list[str]) -> None:
    """Blank the staff's notes on the contact's orders, and take the contact's details out of what staff
    typed for their payments and refunds (a complimentary ticket's reason, a terminal's reference); the
    amounts, methods and the rest of those words stay for the accounts."""
    order_ids = [row["id"] for row in await Order.select(Order.id).where(Order.contact == contact_id)]
    if not order_ids:
        return
    await OrderNote.update({OrderNote.text: ""}).where(one_of(OrderNote.order, order_ids))
    for table in (Payment, Refund):
        rows = await table.select(table.id, table.reason, table.provider_reference).where(
            one_of(table.order, order_ids)
        )
        for row in rows:
            values = {
                column: redact(row[column._meta.name], identifiers)
                for column in (table.reason, table.provider_reference)
                if row[column._meta.name]
            }
            if any(values[column] != row[column._meta.name] for column in values):
                await table.update(values).where(table.id == row["id"])


async def erase_consent_text(contact_id: int, identifiers: list[str]) -> int:
    """Blank the notes and addresses of the contact's consent records; a wording that came from a
    question version is the venue's text and stays, any other loses the contact's details."""
    rows = await ConsentRecord.select(ConsentRecord.id, ConsentRecord.wording, ConsentRecord.question).where(
        ConsentRecord.contact == contact_id
    )
    for row in rows:
        values = {ConsentRecord.note: "", ConsentRecord.ip: ""}
        if row["question"] is None:
            values[ConsentRecord.wording] = redact(row["wording"], identifiers)
        await ConsentRecord.update(values).where(ConsentRecord.id == row["id"])
    if rows:  # the person's own changes (unsubscribing, say) were audited with their address
        await AuditEntry.update({AuditEntry.ip: ""}).where(
            (AuditEntry.object_type == "consent_record")
            & one_of(AuditEntry.object_id, [str(row["id"]) for row in rows])
            & AuditEntry.actor.is_null()
        )
    return len(rows)


async def erase_emails(emails: list[str]) -> int:
    """Blank every e-mail to these addresses and drop its attachments; any not yet sent is cancelled."""
    if not emails:
        return 0
    rows = await OutboxMessage.raw(
        "SELECT id, status FROM outbox_message WHERE LOWER(recipient) IN ("
        + ", ".join("{}" for _ in emails)
        + ")",
        *emails,
    )
    message_ids = [row["id"] for row in rows]
    if not message_ids:
        return 0
    await OutboxAttachment.delete().where(one_of(OutboxAttachment.message, message_ids))
    await OutboxMessage.update(
        {
            OutboxMessage.recipient: "",
            OutboxMessage.subject: REMOVED,  # the e-mail log still lists that something was sent
            OutboxMessage.text_body: REMOVED,
            OutboxMessage.html_body: None,
            OutboxMessage.headers: "{}",
            OutboxMessage.last_error: "",
        }
    ).where(one_of(OutboxMessage.id, message_ids))
    await OutboxMessage.update(
        {
            OutboxMessage.status: OutboxStatus.FAILED,
            OutboxMessage.claimed_at: None,
            OutboxMessage.claimed_by: None,
            OutboxMessage.last_error: CANCELLED_ERROR,
        }
    ).where(
        one_of(OutboxMessage.id, message_ids)
        & OutboxMessage.status.is_in([OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING])
    )
    return len(message_ids)
