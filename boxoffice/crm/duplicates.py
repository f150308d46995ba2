"""Duplicate contacts: finding the likely ones, and merging two into one.

Contacts are one per e-mail address, but the box office files customers who give no address, people
use two addresses, and staff corrections can make two records meet. Likely duplicates share an e-mail
address (ignoring case), a name and postcode (ignoring case and spaces), or a phone number (ignoring
spaces).

A merge moves everything of one contact to the other (orders, notes, tags, consent history) and fills
the kept contact's empty details from the merged one. The merged contact's row stays, blank, marked
removed and naming the kept one in `merged_into`, so nothing that points at it breaks and its unsubscribe
links still reach the person; its details are kept in the merge's audit entry (under its personal part),
which erasing the kept contact later blanks too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.auth import audit
from boxoffice.crm.contacts import FIELD_LIMITS, ContactSummary, lock_live_contact
from boxoffice.crm.records import live_contact
from boxoffice.crm.tables import Contact, ContactNote, ContactTag
from boxoffice.db import none_of, one_of, write_transaction
from boxoffice.errors import Refused
from boxoffice.marketing.tables import ConsentRecord
from boxoffice.sales.tables import Order

MERGED = "contact.merged"
MOST_SHOWN = 300  # contacts listed at once; merging some brings up the rest

RULES = (
    ("The same e-mail address", "LOWER(email)", "email <> ''"),
    (
        "The same name and postcode",
        "LOWER(first_name) || ' ' || LOWER(last_name) || ' ' || REPLACE(LOWER(postcode), ' ', '')",
        "postcode <> '' AND (first_name <> '' OR last_name <> '')",
    ),
    ("The same phone number", "REPLACE(phone, ' ', '')", "phone <> ''"),
)


class MergeRefused(Refused):
    """The merge was not made; the message says why."""


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    reason: str
    contacts: list[ContactSummary]


async def likely_duplicates() -> list[DuplicateGroup]:
    """Groups of current contacts that look like one person, each with the reason."""
    groups: list[DuplicateGroup] = []
    for reason, key, present in RULES:
        live = f"erased_at IS NULL AND {present}"
        rows = await Contact.raw(
            "SELECT id, first_name, last_name, email, phone, postcode, restricted, "
            f"{key} AS duplicate_key FROM contact WHERE {live} AND {key} IN "
            f"(SELECT {key} FROM contact WHERE {live} GROUP BY {key} HAVING COUNT(*) > 1) "
            f"ORDER BY duplicate_key, id LIMIT {MOST_SHOWN}"
        )
        by_key: dict[str, list[ContactSummary]] = {}
        for row in rows:
            key_value = row.pop("duplicate_key")
            by_key.setdefault(key_value, []).append(
                ContactSummary(**{**row, "restricted": bool(row["restricted"])})
            )
        groups.extend(DuplicateGroup(reason, contacts) for contacts in by_key.values() if len(contacts) > 1)
    return groups


async def merged_family(contact_id: int) -> list[int]:
    """The contact and every contact merged into it, directly or through others."""
    found = [contact_id]
    generation = [contact_id]
    while generation:
        rows = await Contact.select(Contact.id).where(one_of(Contact.merged_into, generation))
        generation = [row["id"] for row in rows if row["id"] not in found]
        found.extend(generation)
    return found


async def merged_into(contact_id: int) -> int | None:
    """The contact that `contact_id` was merged into, if it was."""
    row = await Contact.select(Contact.merged_into).where(Contact.id == contact_id).first()
    return row["merged_into"] if row else None


@dataclass(frozen=True, slots=True)
class MergePreview:
    """What a merge would do: the two contacts, what moves, and which empty details get filled."""

    kept: ContactSummary
    merged: ContactSummary
    orders: int
    notes: int
    consent_records: int
    tags: int
    filled: list[str]


def summary_of(row: dict) -> ContactSummary:
    return ContactSummary(
        **{name: row[name] for name in ("id", *FIELD_LIMITS)}, restricted=bool(row["restricted"])
    )


async def live_pair(keep_id: int, merge_id: int) -> tuple[dict, dict]:
    if keep_id == merge_id:
        raise MergeRefused("A contact cannot be merged with itself. Choose two different contacts.")
    try:
        return await live_contact(keep_id), await live_contact(merge_id)
    except LookupError as gone:
        raise MergeRefused("One of these contacts no longer exists or has been removed.") from gone


async def lock_pair(keep_id: int, merge_id: int, now: datetime) -> None:
    """Lock both contacts' rows, lower id first, by a conditional write: two merges of the same pair at
    once (either way round) take turns, and the second finds one of them gone."""
    for contact_id in sorted({keep_id, merge_id}):
        await lock_live_contact(contact_id, now)


async def merge_preview(keep_id: int, merge_id: int) -> MergePreview:
    """What merging `merge_id` into `keep_id` would do, for staff to confirm. Raises MergeRefused."""
    kept, merged = await live_pair(keep_id, merge_id)
    kept_tags = [
        row["tag"] for row in await ContactTag.select(ContactTag.tag).where(ContactTag.contact == keep_id)
    ]
    return MergePreview(
        kept=summary_of(kept),
        merged=summary_of(merged),
        orders=await Order.count().where(Order.contact == merge_id),
        notes=await ContactNote.count().where(ContactNote.contact == merge_id),
        consent_records=await ConsentRecord.count().where(ConsentRecord.contact == merge_id),
        tags=await ContactTag.count().where(
            (ContactTag.contact == merge_id) & none_of(ContactTag.tag, kept_tags)
        ),
        filled=[name for name in FIELD_LIMITS if not kept[name] and merged[name]],
    )


async def merge_contacts(keep_id: int, merge_id: int, *, actor_id: int, ip: str, now: datetime) -> None:
    """Merge contact `merge_id` into `keep_id` (see the module's docstring). Raises MergeRefused."""
    async with write_transaction():
        await lock_pair(keep_id, merge_id, now)
        kept, merged = await live_pair(keep_id, merge_id)
        orders = (
            await Order.update({Order.contact: keep_id}).where(Order.contact == merge_id).returning(Order.id)
        )
        notes = (
            await ContactNote.update({ContactNote.contact: keep_id})
            .where(ContactNote.contact == merge_id)
            .returning(ContactNote.id)
        )
        consents = (
            await ConsentRecord.update({ConsentRecord.contact: keep_id})
            .where(ConsentRecord.contact == merge_id)
            .returning(ConsentRecord.id)
        )
        kept_tags = {
            row["tag"] for row in await ContactTag.select(ContactTag.tag).where(ContactTag.contact == keep_id)
        }
        moved_tags = [
            row["tag"]
            for row in await ContactTag.select(ContactTag.tag).where(ContactTag.contact == merge_id)
            if row["tag"] not in kept_tags
        ]
        await ContactTag.delete().where(ContactTag.contact == merge_id)
        if moved_tags:
            await ContactTag.insert(*[ContactTag(contact=keep_id, tag=tag) for tag in moved_tags])
        await Contact.update(
            {
                **{getattr(Contact, name): "" for name in FIELD_LIMITS},
                Contact.erased_at: now,
                Contact.merged_into: keep_id,
                Contact.updated_at: now,
            }
        ).where(Contact.id == merge_id)
        filled = {name: merged[name] for name in FIELD_LIMITS if not kept[name] and merged[name]}
        await Contact.update(
            {
                **{getattr(Contact, name): value for name, value in filled.items()},
                Contact.restricted: bool(kept["restricted"] or merged["restricted"]),
                Contact.updated_at: now,
            }
        ).where(Contact.id == keep_id)
        await audit.record(
            MERGED,
            actor_id=actor_id,
            ip=ip,
            object_type="contact",
            object_id=keep_id,
            detail={
                "merged": merge_id,
                "orders": len(orders),
                "notes": len(notes),
                "consent_records": len(consents),
                "tags": len(moved_tags),
                "filled": sorted(filled),
                audit.PERSONAL: {"merged_contact": {name: merged[name] for name in FIELD_LIMITS}},
            },
        )
