"""Remove (the right to erasure, GDPR 17): a contact's personal data is blanked wherever we copied it.

Each package erases what it owns, in one transaction that this module opens: `crm.erasure` the contact's
row, notes, tags and the pairs staff said are not duplicates; `sales.erasure` their orders' buyer
details, the tickets PDFs kept for those orders and what staff typed about their payments;
`marketing.erasure` their consent records' free text; `mail.erasure` the e-mails sent to them;
`auth.audit` the values its entries kept; and this module the person's privacy-centre sign-ins and
their details in the privacy requests register (`erase_privacy_records`). A package that adds a
table holding personal data adds its part here, and `tests/integration/privacy/test_erasure.py` finds
the table if it does not.


What goes: the contact's details; the buyer details (and address) copied onto their orders, including
unpaid or lapsed orders placed with any of their e-mail addresses that never got linked, and the tickets
PDFs kept for their orders; their notes and the staff's notes on their orders, and their details inside
the reasons and references typed for their payments and refunds;
the e-mails sent or queued to them (recipient, subject, bodies, headers, errors and attachments); the free
text of their consent records (notes, addresses, and any of their details inside a wording that did not
come from one of the venue's questions); their tags; and the old and new values kept by the audit of
edits to their details, also for contacts merged into them.

What stays, for the accounts: the contact row itself (blank, with `erased_at` set), orders, order lines,
tickets, payments and refunds, consent events (channel, granted or withdrawn, source, when, the
question version) and audit entries (who did what when, without the values). All of it is marked as
belonging to the removed contact: orders through their `contact` column. Queued e-mail is cancelled.

Nothing of what goes stays readable in the database's files either: SQLite zeroes the space it frees
(`secure_delete`, on every connection), the contact search index is rewritten without the removed text
(`compact_search_index`), and the write-ahead log is checkpointed and truncated after each removal
(`scrub_write_ahead_log`). PostgreSQL's files are the server's: the README says what a venue
must know about dead rows and backups.

Someone who buys again later becomes a new contact (`upsert_contact` never revives a removed one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.auth import audit
from boxoffice.crm.contacts import FIELD_LIMITS, lock_live_contact
from boxoffice.crm.duplicates import merged_family
from boxoffice.crm.erasure import compact_search_index, erase_contact_record, unshared_emails
from boxoffice.crm.tables import Contact
from boxoffice.db import LARGEST_ID, scrub_write_ahead_log, write_transaction
from boxoffice.documents.redaction import redact
from boxoffice.errors import Refused
from boxoffice.mail.erasure import erase_emails
from boxoffice.marketing.erasure import erase_consent_text
from boxoffice.privacy.tables import CentreSignIn, PrivacyRequest, RequestAction
from boxoffice.sales.erasure import erase_order_text, erase_orders
from boxoffice.sales.tables import Order

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


async def erase_privacy_records(contact_id: int, identifiers: list[str]) -> None:
    """This package's own part: the person's privacy-centre sign-ins go; their privacy requests stay as
    the record of what was asked and done, without the name and address given or their details in what
    staff wrote. Requests logged without a contact lose the text that names the person. (The rate
    limit's keyed digests of addresses name nobody, and are swept within a day.)"""
    await CentreSignIn.delete().where(CentreSignIn.contact == contact_id)
    rows = await PrivacyRequest.select(
        PrivacyRequest.id, PrivacyRequest.contact, PrivacyRequest.requester, PrivacyRequest.identity_check
    ).where((PrivacyRequest.contact == contact_id) | PrivacyRequest.contact.is_null())
    for row in rows:
        requester = "" if row["contact"] == contact_id else redact(row["requester"], identifiers)
        identity_check = redact(row["identity_check"], identifiers)
        if row["contact"] != contact_id and (requester, identity_check) == (
            row["requester"],
            row["identity_check"],
        ):
            continue  # someone else's request
        await PrivacyRequest.update(
            {PrivacyRequest.requester: requester, PrivacyRequest.identity_check: identity_check}
        ).where(PrivacyRequest.id == row["id"])
        for action in await RequestAction.select(RequestAction.id, RequestAction.detail).where(
            RequestAction.request == row["id"]
        ):
            await RequestAction.update({RequestAction.detail: redact(action["detail"], identifiers)}).where(
                RequestAction.id == action["id"]
            )


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
        consent_records = await erase_consent_text(
            contact_id, [value for value in identifiers if len(value) >= SHORTEST_IDENTIFIER]
        )
        messages = await erase_emails(emails)
        await erase_privacy_records(
            contact_id, [value for value in identifiers if len(value) >= SHORTEST_IDENTIFIER]
        )
        notes = await erase_contact_record(contact_id, now)
        await audit.erase_personal_detail("contact", [str(each) for each in contact_ids])
        erasure = Erasure(contact_id, orders, notes, consent_records, messages)
        await audit.record(
            "contact.removed",
            actor_id=actor_id,
            ip=ip,
            object_type="contact",
            object_id=contact_id,
            detail={
                "orders": orders,
                "notes": notes,
                "consent_records": consent_records,
                "emails": messages,
            },
        )
    await compact_search_index()
    await scrub_write_ahead_log()
    return erasure
