"""A contact's record as staff see it, and the changes staff make to it: details (rectification),
restriction of processing and consent given or withdrawn by phone or letter. Every change is audited;
the audit keeps old and new values under its personal part (see `auth.audit`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from boxoffice.auth import audit
from boxoffice.crm import contacts
from boxoffice.crm.contacts import (
    FIELD_LIMITS,
    ContactDetails,
    ContactExists,
    Note,
    add_note,
    contact_notes,
    contact_with_email,
    detail_problems,
    lock_live_contact,
)
from boxoffice.crm.tables import Contact
from boxoffice.crm.tags import TagSummary, contact_tags
from boxoffice.db import LARGEST_ID, as_utc, optional_utc, write_transaction
from boxoffice.errors import Refused
from boxoffice.marketing.consent import ConsentEntry, consent_history, consent_status, record_consent
from boxoffice.marketing.tables import Channel, ConsentSource
from boxoffice.money import Money
from boxoffice.paging import Page, PageRequest

DETAIL_FIELDS = tuple(FIELD_LIMITS)
CHANNEL_LABELS = {Channel.EMAIL: "E-mail", Channel.POST: "Post", Channel.PHONE: "Phone"}
CONSENT_MEANS = {
    "phone": "a phone call",
    "letter": "a letter",
    "in_person": "a conversation in person",
    "email": "an e-mail from them",
}
MAX_CONSENT_NOTE_LENGTH = 2000
# The record shows a contact's latest orders and tickets a page at a time: a regular with 500 orders
# would otherwise read and draw them all, with every ticket, each time the record is opened.
ORDERS_PAGE = PageRequest(1, 20)
TICKETS_PAGE = PageRequest(1, 20)


class ContactGone(LookupError):
    """No such contact, or it has been removed."""


class ChangeRefused(Refused):
    """Nothing was saved."""


@dataclass(frozen=True, slots=True)
class ContactOrder:
    id: int
    reference: str
    channel: str
    status: str
    created_at: datetime
    paid_at: datetime | None
    total: Money
    ticket_count: int


@dataclass(frozen=True, slots=True)
class ContactTicket:
    id: int
    order_reference: str
    event_title: str
    starts_at: datetime
    ticket_name: str
    code: str
    status: str


@dataclass(frozen=True, slots=True)
class DetailChange:
    """One audited edit of a contact's details; `values` maps a field to its old and new value."""

    at: datetime
    actor_name: str | None
    action: str
    values: dict[str, dict[str, str]]


@dataclass(frozen=True, slots=True)
class ContactRecord:
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    postcode: str
    restricted: bool
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None
    orders: Page[ContactOrder] = field(default_factory=lambda: ORDERS_PAGE.page([], 0))
    tickets: Page[ContactTicket] = field(default_factory=lambda: TICKETS_PAGE.page([], 0))
    spend: list[Money] = field(default_factory=list)  # paid less refunded, one per currency
    consent: dict[str, bool] = field(default_factory=dict)
    consent_history: list[ConsentEntry] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    tags: list[TagSummary] = field(default_factory=list)
    changes: list[DetailChange] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or "(no name)"

    @property
    def details(self) -> ContactDetails:
        return ContactDetails(self.first_name, self.last_name, self.email, self.phone, self.postcode)


async def locked_contact(contact_id: int, now: datetime) -> dict:
    """The contact's row locked for a change (see `lock_live_contact`); raises ContactGone."""
    row = await lock_live_contact(contact_id, now) if 1 <= contact_id <= LARGEST_ID else None
    if row is None:
        raise ContactGone(contact_id)
    return row


async def contact_row(contact_id: int) -> dict | None:
    return await Contact.select().where(Contact.id == contact_id).first()


async def live_contact(contact_id: int) -> dict:
    """The contact's row; raises ContactGone for a missing or removed one."""
    row = await contact_row(contact_id) if 1 <= contact_id <= LARGEST_ID else None
    if row is None or row["erased_at"] is not None:
        raise ContactGone(contact_id)
    return row


def record_from_row(row: dict) -> ContactRecord:
    return ContactRecord(
        id=row["id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        email=row["email"],
        phone=row["phone"],
        postcode=row["postcode"],
        restricted=bool(row["restricted"]),
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
        erased_at=optional_utc(row["erased_at"]),
    )


async def contact_orders(contact_id: int, page: PageRequest = ORDERS_PAGE) -> Page[ContactOrder]:
    """One page of the contact's orders, newest first, with how many there are; a page past the end is
    the last. Counted and read through the index (contact, created_at, id) of `"order"`, so a page reads
    its own rows only, however many orders the contact has; each shown order's tickets are counted
    through `ticket."order"`."""
    [counted] = await Contact.raw('SELECT COUNT(*) AS total FROM "order" WHERE contact = {}', contact_id)
    shown = page.within(counted["total"])
    rows = await Contact.raw(
        "SELECT o.id, o.reference, o.channel, o.status, o.created_at, o.paid_at, o.total, o.currency, "
        '(SELECT COUNT(*) FROM ticket WHERE ticket."order" = o.id) AS ticket_count '
        'FROM "order" o WHERE o.contact = {} ORDER BY o.created_at DESC, o.id DESC LIMIT {} OFFSET {}',
        contact_id,
        shown.size,
        shown.offset,
    )
    orders = [
        ContactOrder(
            id=row["id"],
            reference=row["reference"],
            channel=row["channel"],
            status=row["status"],
            created_at=as_utc(row["created_at"]),
            paid_at=optional_utc(row["paid_at"]),
            total=Money(row["currency"], row["total"]),
            ticket_count=row["ticket_count"],
        )
        for row in rows
    ]
    return shown.page(orders, counted["total"])


async def contact_tickets(contact_id: int, page: PageRequest = TICKETS_PAGE) -> Page[ContactTicket]:
    """One page of the tickets in the contact's orders, those of the newest orders first, with how many
    there are; a page past the end is the last. Read in the order of the index (contact, created_at, id)
    of `"order"` and then `ticket."order"`, so that a page stops once it has its tickets instead of
    sorting every ticket the contact ever had."""
    [counted] = await Contact.raw(
        'SELECT COUNT(*) AS total FROM "order" o JOIN ticket k ON k."order" = o.id WHERE o.contact = {}',
        contact_id,
    )
    shown = page.within(counted["total"])
    rows = await Contact.raw(
        "SELECT k.id, o.reference, e.title, p.starts_at, t.name AS ticket_name, k.code, k.status "
        'FROM "order" o JOIN ticket k ON k."order" = o.id '
        "JOIN order_line l ON l.id = k.order_line JOIN ticket_type t ON t.id = l.ticket_type "
        "JOIN performance p ON p.id = k.performance JOIN event e ON e.id = p.event "
        "WHERE o.contact = {} ORDER BY o.created_at DESC, o.id DESC, k.id LIMIT {} OFFSET {}",
        contact_id,
        shown.size,
        shown.offset,
    )
    tickets = [
        ContactTicket(
            id=row["id"],
            order_reference=row["reference"],
            event_title=row["title"],
            starts_at=as_utc(row["starts_at"]),
            ticket_name=row["ticket_name"],
            code=row["code"],
            status=row["status"],
        )
        for row in rows
    ]
    return shown.page(tickets, counted["total"])


async def lifetime_spend(contact_id: int) -> list[Money]:
    """What the contact has paid, less what was refunded, in each currency they paid in."""
    paid = await Contact.raw(
        'SELECT p.currency, SUM(p.amount) AS amount FROM payment p JOIN "order" o ON o.id = p."order" '
        "WHERE o.contact = {} GROUP BY p.currency",
        contact_id,
    )
    refunded = await Contact.raw(
        'SELECT r.currency, SUM(r.amount) AS amount FROM refund r JOIN "order" o ON o.id = r."order" '
        "WHERE o.contact = {} GROUP BY r.currency",
        contact_id,
    )
    totals = {row["currency"]: int(row["amount"]) for row in paid}
    for row in refunded:
        totals[row["currency"]] = totals.get(row["currency"], 0) - int(row["amount"])
    return [Money(currency, amount) for currency, amount in sorted(totals.items())]


async def detail_changes(contact_ids: list[int]) -> list[DetailChange]:
    """The audited changes of these contacts' details, newest first."""
    entries = await audit.personal_entries("contact", [str(contact_id) for contact_id in contact_ids])
    return [
        DetailChange(entry.at, entry.actor_name, entry.action, entry.detail.get(audit.PERSONAL) or {})
        for entry in reversed(entries)
    ]


async def contact_record(
    contact_id: int, *, orders_page: PageRequest = ORDERS_PAGE, tickets_page: PageRequest = TICKETS_PAGE
) -> ContactRecord:
    """Everything the record page shows, with the pages asked for of the contact's orders and tickets;
    raises ContactGone for a missing or removed contact."""
    row = await live_contact(contact_id)
    record = replace(
        record_from_row(row),
        orders=await contact_orders(contact_id, orders_page),
        tickets=await contact_tickets(contact_id, tickets_page),
    )
    record.spend.extend(await lifetime_spend(contact_id))
    record.consent.update(await consent_status(contact_id))
    record.consent_history.extend(await consent_history(contact_id))
    record.notes.extend(await contact_notes(contact_id))
    record.tags.extend(await contact_tags(contact_id))
    record.changes.extend(await detail_changes([contact_id]))
    return record


async def open_record(
    contact_id: int,
    *,
    actor_id: int,
    ip: str,
    orders_page: PageRequest = ORDERS_PAGE,
    tickets_page: PageRequest = TICKETS_PAGE,
) -> ContactRecord:
    """The record, with an audit entry saying who opened it [ASVS 7.1.3]."""
    record = await contact_record(contact_id, orders_page=orders_page, tickets_page=tickets_page)
    await audit.record(
        "contact.viewed", actor_id=actor_id, ip=ip, object_type="contact", object_id=contact_id
    )
    return record


async def create_contact(details: ContactDetails, *, actor_id: int, ip: str, now: datetime) -> int:
    """Add a contact staff typed in (a customer who called, say). Raises ChangeRefused."""
    problems = detail_problems(details)
    if problems:
        raise ChangeRefused(problems)
    async with write_transaction():
        try:
            contact_id = await contacts.create_contact(details, now)
        except ContactExists:
            raise ChangeRefused({"email": "A contact with this e-mail address already exists."}) from None
        await audit.record(
            "contact.created",
            actor_id=actor_id,
            ip=ip,
            object_type="contact",
            object_id=contact_id,
            detail={"fields": [name for name in DETAIL_FIELDS if getattr(details, name)]},
        )
    return contact_id


async def update_details(
    contact_id: int, details: ContactDetails, *, actor_id: int, ip: str, now: datetime
) -> list[str]:
    """Save staff's corrections to a contact's details (rectification) and return the fields changed.

    The e-mail address stays one person's: an address another contact has is refused (merge them under
    Duplicates instead). Raises ChangeRefused, or ContactGone."""
    problems = detail_problems(details)
    if problems:
        raise ChangeRefused(problems)
    async with write_transaction():
        current = await locked_contact(contact_id, now)
        if await contact_with_email(details.email, other_than=contact_id):
            raise ChangeRefused(
                {"email": "Another contact has this e-mail address. Merge the two under Duplicates."}
            )
        changed = {
            name: {"old": current[name], "new": getattr(details, name)}
            for name in DETAIL_FIELDS
            if current[name] != getattr(details, name)
        }
        if not changed:
            return []
        await Contact.update(
            {
                **{getattr(Contact, name): values["new"] for name, values in changed.items()},
                Contact.updated_at: now,
            }
        ).where(Contact.id == contact_id)
        await audit.record(
            "contact.updated",
            actor_id=actor_id,
            ip=ip,
            object_type="contact",
            object_id=contact_id,
            detail={"fields": sorted(changed), audit.PERSONAL: changed},
        )
    return sorted(changed)


async def note_on_contact(contact_id: int, text: str, *, author_id: int, now: datetime) -> int:
    """Append a staff note to a current contact. Raises ValueError for an empty note, or ContactGone."""
    async with write_transaction():
        await locked_contact(contact_id, now)
        return await add_note(contact_id, text, author_id=author_id, now=now)


async def set_restricted(contact_id: int, restricted: bool, *, actor_id: int, ip: str, now: datetime) -> None:
    """Restrict processing (GDPR 18): while set, the contact is left out of marketing and bulk exports."""
    async with write_transaction():
        await locked_contact(contact_id, now)
        await Contact.update({Contact.restricted: restricted}).where(Contact.id == contact_id)
        await audit.record(
            "contact.restricted" if restricted else "contact.unrestricted",
            actor_id=actor_id,
            ip=ip,
            object_type="contact",
            object_id=contact_id,
        )


def consent_wording(channel: Channel, granted: bool, means: str) -> str:
    """The venue's own words for a consent change staff record, naming how it was given."""
    decision = "agreed to" if granted else "withdrew from"
    return (
        f"The customer {decision} venue marketing by {CHANNEL_LABELS[channel].lower()}, "
        f"through {CONSENT_MEANS[means]} with the box office."
    )


async def record_staff_consent(
    contact_id: int,
    *,
    channel: str,
    decision: str,
    means: str,
    note: str,
    actor_id: int,
    ip: str,
    now: datetime,
) -> int:
    """Record a consent change a customer gave by phone, letter or in person. A note saying what they
    said is required; it lands in the consent history like any other change. Raises ChangeRefused."""
    problems = {}
    if channel not in {item.value for item in Channel}:
        problems["channel"] = "Choose e-mail, post or phone."
    if decision not in {"opt_in", "opt_out"}:
        problems["decision"] = "Choose opt in or opt out."
    if means not in CONSENT_MEANS:
        problems["means"] = "Choose how the customer told you."
    note = note.strip()[:MAX_CONSENT_NOTE_LENGTH]
    if not note:
        problems["note"] = "Write a note saying what the customer said, and when."
    if problems:
        raise ChangeRefused(problems)
    granted = decision == "opt_in"
    async with write_transaction():
        await locked_contact(contact_id, now)
        record_id = await record_consent(
            contact_id=contact_id,
            channel=channel,
            granted=granted,
            source=ConsentSource.STAFF,
            wording=consent_wording(Channel(channel), granted, means),
            note=note,
            actor_id=actor_id,
            ip=ip,
            now=now,
        )
        await audit.record(
            "consent.recorded",
            actor_id=actor_id,
            ip=ip,
            object_type="contact",
            object_id=contact_id,
            detail={"channel": channel, "granted": granted, "consent_record": record_id},
        )
    return record_id
