"""The CRM side of removing a contact (`privacy.erasure`): their notes, tags and dismissed duplicate
pairs go, and their row is blanked and marked removed. The row itself stays, so that their orders and
consent events still belong to someone, and the person is not revived when they buy again
(`upsert_contact` skips removed rows)."""

from __future__ import annotations

from datetime import datetime

from boxoffice.crm.contacts import FIELD_LIMITS
from boxoffice.crm.tables import Contact, ContactNote, ContactTag, DismissedDuplicate
from boxoffice.db import is_sqlite, one_of, write_transaction


async def unshared_emails(contact_id: int, emails: set[str]) -> list[str]:
    """The addresses among `emails` that no other current contact uses (theirs are not ours to erase)."""
    if not emails:
        return []
    taken = await Contact.select(Contact.email).where(
        one_of(Contact.email, list(emails)) & (Contact.id != contact_id) & Contact.erased_at.is_null()
    )
    return sorted(emails - {row["email"] for row in taken})


async def erase_contact_record(contact_id: int, now: datetime) -> int:
    """Blank the contact's notes and details, drop their tags and the pairs they were dismissed from as
    duplicates (a removed contact is never offered as one), and mark them removed; the number of notes
    blanked. Inside the caller's transaction."""
    notes = (
        await ContactNote.update({ContactNote.text: ""})
        .where(ContactNote.contact == contact_id)
        .returning(ContactNote.id)
    )
    await ContactTag.delete().where(ContactTag.contact == contact_id)
    await DismissedDuplicate.delete().where(
        (DismissedDuplicate.contact == contact_id) | (DismissedDuplicate.other_contact == contact_id)
    )
    await Contact.update(
        {
            **{getattr(Contact, name): "" for name in FIELD_LIMITS},
            Contact.erased_at: now,
            Contact.updated_at: now,
        }
    ).where(Contact.id == contact_id)
    return len(notes)


async def compact_search_index() -> None:
    """Rewrite SQLite's contact search index without what removals took out of it.

    FTS5 keeps a removed text's trigrams in its older segments until they are merged, and a removal
    must leave nothing readable on disk: merging them all now drops them (and `secure_delete` zeroes the
    freed pages). Run after the removal has committed. PostgreSQL's index is the server's (README)."""
    if is_sqlite():
        async with write_transaction():
            await Contact.raw("INSERT INTO contact_search (contact_search) VALUES ('optimize')")
