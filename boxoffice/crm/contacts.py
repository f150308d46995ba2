"""Contacts: created by sales (one per e-mail address, kept up to date with what buyers give us), found
by staff through search, and annotated with notes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from boxoffice.crm.tables import Contact, ContactNote
from boxoffice.db import LARGEST_ID, as_utc, is_sqlite
from boxoffice.errors import Refused
from boxoffice.paging import MOST_COUNTED, Page, PageRequest

MAX_QUERY_LENGTH = 200
MAX_NOTE_LENGTH = 4000
FIRST_PAGE = PageRequest(1, 25)
FIELD_LIMITS = {"first_name": 100, "last_name": 100, "email": 254, "phone": 40, "postcode": 16}


@dataclass(frozen=True, slots=True)
class ContactDetails:
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    postcode: str = ""


async def upsert_contact(details: ContactDetails, now: datetime) -> int:
    """The contact with this e-mail address, created or updated with the details given.

    A removed contact is never revived: someone who buys again after erasure becomes a new contact.
    Runs inside the caller's transaction (the sale that brought the details)."""
    email = details.email.strip().lower()
    existing = (
        await Contact.select(Contact.id).where((Contact.email == email) & Contact.erased_at.is_null()).first()
    )
    values = {
        Contact.first_name: details.first_name,
        Contact.last_name: details.last_name,
        Contact.updated_at: now,
    }
    if details.phone:
        values[Contact.phone] = details.phone
    if details.postcode:
        values[Contact.postcode] = details.postcode
    if existing:
        # Checked again as it is written: a removal that committed since the read wins, and the
        # buyer becomes a new contact instead of refilling the removed one.
        updated = (
            await Contact.update(values)
            .where((Contact.id == existing["id"]) & Contact.erased_at.is_null())
            .returning(Contact.id)
        )
        if updated:
            return existing["id"]
    [created] = await Contact.insert(
        Contact(
            first_name=details.first_name,
            last_name=details.last_name,
            email=email,
            phone=details.phone,
            postcode=details.postcode,
            created_at=now,
            updated_at=now,
        )
    ).returning(Contact.id)
    return created["id"]


async def lock_live_contact(contact_id: int, now: datetime) -> dict | None:
    """The contact's row, locked for the caller's transaction by a conditional write, or None when it
    is missing or removed. A change made under this lock and a removal cannot interleave: whichever
    comes second waits, then sees the other's outcome (a removal blanks what the change added; a
    change finds the contact removed)."""
    if not 1 <= contact_id <= LARGEST_ID:
        return None
    rows = (
        await Contact.update({Contact.updated_at: now})
        .where((Contact.id == contact_id) & Contact.erased_at.is_null())
        .returning(*Contact.all_columns())
    )
    return rows[0] if rows else None


def details_from_form(form: dict[str, str]) -> ContactDetails:
    """Contact details as typed into a form: whitespace collapsed, cut to the columns' lengths,
    the e-mail address lower-cased."""
    fields = {name: " ".join(form.get(name, "").split())[:limit] for name, limit in FIELD_LIMITS.items()}
    fields["email"] = fields["email"].lower()
    return ContactDetails(**fields)


def detail_problems(
    details: ContactDetails, *, email_required: bool = False, buyer: bool = False
) -> dict[str, str]:
    """What is wrong with contact details, by field; empty when they can be saved. The one rule for every
    form that takes them. At the counter a customer may give no e-mail address, so it is optional unless
    asked for; a `buyer` typing their own details at checkout gives both names and an address for their
    tickets, and is spoken to."""
    found = {}
    if buyer:
        if not details.first_name:
            found["first_name"] = "Enter your first name."
        if not details.last_name:
            found["last_name"] = "Enter your last name."
    elif not details.first_name and not details.last_name:
        found["last_name"] = "Enter the customer's name."
    if details.email or email_required or buyer:
        local, at, domain = details.email.partition("@")
        if not (local and at and "." in domain.strip(".")) or " " in details.email:
            found["email"] = "Enter an e-mail address such as name@example.org" + (
                ", for your tickets." if buyer else "."
            )
    if details.phone and not all(character.isdigit() or character in "+ ()-" for character in details.phone):
        found["phone"] = "Enter a phone number using digits, spaces and + ( ) - only."
    return found


class ContactSort(StrEnum):
    NAME = "name"
    EMAIL = "email"
    NEWEST = "newest"


SORT_SQL = {  # each term with its direction, so that a page read from the end can turn every one round
    ContactSort.NAME: (("LOWER(last_name)", "ASC"), ("LOWER(first_name)", "ASC"), ("id", "ASC")),
    ContactSort.EMAIL: (("email", "ASC"), ("id", "ASC")),
    ContactSort.NEWEST: (("created_at", "DESC"), ("id", "DESC")),
}
TURNED = {"ASC": "DESC", "DESC": "ASC"}


def order_by(sort: ContactSort, *, backwards: bool = False) -> str:
    """The ORDER BY terms of a sort, or of its reverse (every term turned round)."""
    return ", ".join(f"{term} {TURNED[way] if backwards else way}" for term, way in SORT_SQL[sort])


@dataclass(frozen=True, slots=True)
class ContactSummary:
    """Enough of a contact to tell people apart in a list."""

    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    postcode: str
    restricted: bool

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


def like_pattern(term: str) -> str:
    """A LIKE pattern matching `term` anywhere, with LIKE's own wildcards taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# What a contact is found by, as one lower-cased text; the `contact_search` migration indexes this very
# expression (PostgreSQL: a trigram index over it; SQLite: an FTS5 trigram table that triggers keep in step
# with every change to a contact, a merge and a removal included). Change both together.
SEARCH_TEXT = (
    "LOWER(first_name) || ' ' || LOWER(last_name) || ' ' || LOWER(email) || ' ' || "
    "REPLACE(phone, ' ', '') || ' ' || REPLACE(LOWER(postcode), ' ', '')"
)
MOST_SEARCH_WORDS = 8
LIKE_WILDCARDS = re.compile(r"[%_]")


def index_checks(words: list[str], table: str = "contact_search") -> tuple[str, list[object]]:
    """SQLite: the conditions that every word stands in the `body` of an FTS5 trigram `table`.

    SQLite's FTS5 answers LIKE from its index only without an ESCAPE clause and only for runs of three
    characters or more (shorter LIKE patterns beside longer ones crash SQLite 3.40's trigram index), so it
    is given plain runs of three or more and every word is checked exactly with INSTR."""
    checks, values = [], []
    for word in words:
        longest_run = max(LIKE_WILDCARDS.split(word), key=len)
        if len(longest_run) >= 3:
            checks.append(f"{table}.body LIKE {{}}")
            values.append(f"%{longest_run}%")
        if len(longest_run) < len(word) or len(word) < 3:
            checks.append(f"INSTR({table}.body, {{}}) > 0")
            values.append(word)
    return " AND ".join(checks), values


def words_condition(words: list[str]) -> tuple[str, list[object]]:
    """The clause that every word stands somewhere in a contact's `SEARCH_TEXT`, answered from its index.

    A word of three characters or more is looked up by its trigrams; a shorter one is checked against
    the texts those find (or, alone, against each text in turn)."""
    if not words:
        return "", []
    if not is_sqlite():
        return " AND ".join(f"({SEARCH_TEXT}) LIKE {{}} ESCAPE '\\'" for _ in words), [
            like_pattern(word) for word in words
        ]
    checks, values = index_checks(words)
    return f"id IN (SELECT rowid FROM contact_search WHERE {checks})", values


def search_condition(
    query: str, tag_id: int | None, *, include_restricted: bool = True
) -> tuple[str, list[object]]:
    """The WHERE clause (portable SQL, `{}` placeholders) and its values for a contact search.

    Every word of `query` must stand in the first or last name, e-mail, phone or postcode, whatever its
    case; postcodes and phone numbers match without their spaces. Removed contacts never match."""
    clauses = ["erased_at IS NULL"]
    values: list[object] = []
    words_clause, words_values = words_condition(query.lower().split()[:MOST_SEARCH_WORDS])
    if words_clause:
        clauses.append(words_clause)
        values += words_values
    if tag_id is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM contact_tag WHERE contact_tag.contact = contact.id AND tag = {})"
        )
        values.append(tag_id)
    if not include_restricted:
        clauses.append("restricted = {}")
        values.append(False)
    return " AND ".join(clauses), values


SUMMARY_COLUMNS = "contact.id, first_name, last_name, email, phone, postcode, restricted"


def summaries(rows: list[dict]) -> list[ContactSummary]:
    return [ContactSummary(**{**row, "restricted": bool(row["restricted"])}) for row in rows]


async def search_contacts(
    query: str = "",
    *,
    tag_id: int | None = None,
    sort: ContactSort = ContactSort.NAME,
    page: PageRequest = FIRST_PAGE,
) -> Page[ContactSummary]:
    """One page of the contacts matching a staff search (see `search_condition`), with how many match;
    a page past the end is the last one. A page in the second half is read from the end, so the last
    page sorts no more than the first. A search by words goes through `matching_page`."""
    query = query[:MAX_QUERY_LENGTH]
    words = query.lower().split()[:MOST_SEARCH_WORDS]
    if words:
        return await matching_page(words, tag_id, sort, page)
    where, values = search_condition(query, tag_id)
    [counted] = await Contact.raw(f"SELECT COUNT(*) AS total FROM contact WHERE {where}", *values)
    shown = page.within(counted["total"])
    read = shown.reading(counted["total"])
    rows = await Contact.raw(
        f"SELECT {SUMMARY_COLUMNS} FROM contact "
        f"WHERE {where} ORDER BY {order_by(sort, backwards=read.backwards)} LIMIT {{}} OFFSET {{}}",
        *values,
        read.limit,
        read.offset,
    )
    return shown.page(summaries(read.in_order(rows)), counted["total"])


def matches_source(words: list[str], tag_id: int | None) -> tuple[str, list[object], str]:
    """FROM and WHERE (portable SQL, `{}` placeholders) of the contacts matching `words`, with the column
    the text index hands them out in, newest first when read descending. On SQLite the FTS5 table drives
    (CROSS JOIN keeps it outermost), so matches stream from the index in rowid order and a LIMIT stops it;
    on PostgreSQL the planner chooses between the trigram index and the primary key backwards."""
    if not is_sqlite():
        where, values = search_condition(" ".join(words), tag_id)
        return f"contact WHERE {where}", values, "contact.id"
    checks, values = index_checks(words)
    rest, rest_values = search_condition("", tag_id)
    source = (
        f"contact_search CROSS JOIN contact ON contact.id = contact_search.rowid WHERE {checks} AND {rest}"
    )
    return source, values + rest_values, "contact_search.rowid"


async def matching_page(
    words: list[str], tag_id: int | None, sort: ContactSort, page: PageRequest
) -> Page[ContactSummary]:
    """A page of a search by words, which reads no more than `MOST_COUNTED` + 1 matches from the text
    index, however broad the words. Up to `MOST_COUNTED` matches are counted and shown in the sort asked
    for; beyond that the page says there are more, and the first `MOST_COUNTED` are paged through newest
    first, each page read straight from the index (a name order would have to sort every match)."""
    source, values, key = matches_source(words, tag_id)
    [counted] = await Contact.raw(
        f"SELECT COUNT(*) AS total FROM (SELECT 1 FROM {source} LIMIT {MOST_COUNTED + 1}) AS counted", *values
    )
    if counted["total"] > MOST_COUNTED:
        shown = page.within(MOST_COUNTED)
        rows = await Contact.raw(
            f"SELECT {SUMMARY_COLUMNS} FROM {source} ORDER BY {key} DESC LIMIT {{}} OFFSET {{}}",
            *values,
            shown.size,
            shown.offset,
        )
        return shown.page(summaries(rows), MOST_COUNTED, more=True)
    shown = page.within(counted["total"])
    rows = await Contact.raw(
        f"SELECT {SUMMARY_COLUMNS} FROM contact WHERE contact.id IN (SELECT {key} FROM {source}) "
        f"ORDER BY {order_by(sort)} LIMIT {{}} OFFSET {{}}",
        *values,
        shown.size,
        shown.offset,
    )
    return shown.page(summaries(rows), counted["total"])


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    created_at: datetime
    author_name: str | None  # None once the staff account is gone
    text: str


async def add_note(contact_id: int, text: str, *, author_id: int | None, now: datetime) -> int:
    """Append a note to a contact and return its id. Raises ValueError for an empty note.
    Opens no transaction: it lands with the caller's, such as the sale or consent change it explains."""
    text = text.strip()[:MAX_NOTE_LENGTH]
    if not text:
        raise ValueError("A note needs some text.")
    [created] = await ContactNote.insert(
        ContactNote(contact=contact_id, author=author_id, text=text, created_at=now)
    ).returning(ContactNote.id)
    return created["id"]


async def contact_notes(contact_id: int) -> list[Note]:
    """A contact's notes, newest first, with their authors' names."""
    rows = await ContactNote.raw(
        "SELECT contact_note.id, contact_note.created_at, contact_note.text, staff_user.name AS author_name "
        "FROM contact_note LEFT JOIN staff_user ON staff_user.id = contact_note.author "
        "WHERE contact_note.contact = {} ORDER BY contact_note.created_at DESC, contact_note.id DESC",
        contact_id,
    )
    return [Note(row["id"], as_utc(row["created_at"]), row["author_name"], row["text"]) for row in rows]


class ContactExists(Refused):
    """The e-mail address already belongs to a contact, whose id this carries: choose them instead."""

    def __init__(self, contact_id: int) -> None:
        super().__init__("That e-mail address already belongs to a contact.", field="email")
        self.contact_id = contact_id


async def contact_with_email(email: str, other_than: int | None = None) -> int | None:
    """The id of the current contact, other than `other_than`, with this (lower-cased) e-mail address."""
    if not email:
        return None
    query = Contact.select(Contact.id).where((Contact.email == email) & Contact.erased_at.is_null())
    row = await (query.where(Contact.id != other_than) if other_than else query).first()
    return row["id"] if row else None


async def create_contact(details: ContactDetails, now: datetime) -> int:
    """A new contact from details entered by staff (at the counter, say), and its id.

    The e-mail address is optional, but one already on file is refused with ContactExists, so one
    person stays one contact. Raises ValueError when `detail_problems` finds any. Runs inside the
    caller's transaction."""
    if detail_problems(details):
        raise ValueError("the contact details are not valid")
    existing = await contact_with_email(details.email)
    if existing:
        raise ContactExists(existing)
    fields = {name: getattr(details, name) for name in FIELD_LIMITS}
    [created] = await Contact.insert(Contact(**fields, created_at=now, updated_at=now)).returning(Contact.id)
    return created["id"]
