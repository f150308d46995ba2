"""Tags: labels staff put on contacts ("Direct mail", "Friends scheme") to find and export them together.

Names are unique whatever their case, so "VIP" and "vip" never become two tags. Changes to the tag list
and to a contact's tags are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.auth import audit
from boxoffice.crm.contacts import MAX_QUERY_LENGTH, lock_live_contact, search_condition
from boxoffice.crm.tables import ContactTag, Tag
from boxoffice.db import LARGEST_ID, write_transaction
from boxoffice.errors import Refused

MAX_TAG_LENGTH = 60


class TagRefused(Refused):
    """The tag change was not made; the message says why."""


@dataclass(frozen=True, slots=True)
class TagSummary:
    id: int
    name: str
    contact_count: int = 0


async def list_tags() -> list[TagSummary]:
    """Every tag, by name, with how many current contacts carry it."""
    rows = await Tag.raw(
        "SELECT tag.id, tag.name, COUNT(contact.id) AS contact_count FROM tag "
        "LEFT JOIN contact_tag ON contact_tag.tag = tag.id "
        "LEFT JOIN contact ON contact.id = contact_tag.contact AND contact.erased_at IS NULL "
        "GROUP BY tag.id, tag.name ORDER BY LOWER(tag.name), tag.id"
    )
    return [TagSummary(row["id"], row["name"], row["contact_count"]) for row in rows]


async def contact_tags(contact_id: int) -> list[TagSummary]:
    rows = await Tag.raw(
        "SELECT tag.id, tag.name FROM tag JOIN contact_tag ON contact_tag.tag = tag.id "
        "WHERE contact_tag.contact = {} ORDER BY LOWER(tag.name), tag.id",
        contact_id,
    )
    return [TagSummary(row["id"], row["name"]) for row in rows]


def tidy_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise TagRefused("Enter a name for the tag.")
    if len(name) > MAX_TAG_LENGTH:
        raise TagRefused(f"Use at most {MAX_TAG_LENGTH} characters for a tag's name.")
    return name


async def name_taken(name: str, other_than: int | None = None) -> bool:
    rows = await Tag.raw("SELECT id FROM tag WHERE LOWER(name) = {}", name.lower())
    return any(row["id"] != other_than for row in rows)


async def create_tag(name: str, *, actor_id: int, ip: str) -> int:
    name = tidy_name(name)
    async with write_transaction():
        if await name_taken(name):
            raise TagRefused(f"There is already a tag called {name}.")
        [created] = await Tag.insert(Tag(name=name)).returning(Tag.id)
        await audit.record(
            "tag.created",
            actor_id=actor_id,
            ip=ip,
            object_type="tag",
            object_id=created["id"],
            detail={"name": name},
        )
    return created["id"]


async def existing_tag(tag_id: int) -> dict | None:
    """The tag's name, or None when no tag has this id (or none could)."""
    if not 1 <= tag_id <= LARGEST_ID:
        return None
    return await Tag.select(Tag.name).where(Tag.id == tag_id).first()


async def rename_tag(tag_id: int, name: str, *, actor_id: int, ip: str) -> None:
    name = tidy_name(name)
    async with write_transaction():
        current = await existing_tag(tag_id)
        if current is None:
            raise LookupError(tag_id)
        if await name_taken(name, other_than=tag_id):
            raise TagRefused(f"There is already a tag called {name}.")
        await Tag.update({Tag.name: name}).where(Tag.id == tag_id)
        await audit.record(
            "tag.renamed",
            actor_id=actor_id,
            ip=ip,
            object_type="tag",
            object_id=tag_id,
            detail={"from": current["name"], "to": name},
        )


async def delete_tag(tag_id: int, *, actor_id: int, ip: str) -> None:
    """Delete a tag, taking it off every contact."""
    async with write_transaction():
        current = await existing_tag(tag_id)
        if current is None:
            raise LookupError(tag_id)
        await ContactTag.delete().where(ContactTag.tag == tag_id)
        await Tag.delete().where(Tag.id == tag_id)
        await audit.record(
            "tag.deleted",
            actor_id=actor_id,
            ip=ip,
            object_type="tag",
            object_id=tag_id,
            detail={"name": current["name"]},
        )


async def tag_contact(contact_id: int, tag_id: int, *, actor_id: int, ip: str, now: datetime) -> None:
    """Put a tag on a live contact; putting it on twice changes nothing."""
    async with write_transaction():
        if await existing_tag(tag_id) is None:
            raise TagRefused("Choose one of the tags.")
        if await lock_live_contact(contact_id, now) is None:
            raise TagRefused("This contact has been removed.")
        if await ContactTag.exists().where((ContactTag.contact == contact_id) & (ContactTag.tag == tag_id)):
            return
        await ContactTag.insert(ContactTag(contact=contact_id, tag=tag_id))
        await audit.record(
            "contact.tagged",
            actor_id=actor_id,
            ip=ip,
            object_type="contact",
            object_id=contact_id,
            detail={"tag": tag_id},
        )


async def untag_contact(contact_id: int, tag_id: int, *, actor_id: int, ip: str) -> None:
    if not (1 <= contact_id <= LARGEST_ID and 1 <= tag_id <= LARGEST_ID):
        return
    async with write_transaction():
        removed = (
            await ContactTag.delete()
            .where((ContactTag.contact == contact_id) & (ContactTag.tag == tag_id))
            .returning(ContactTag.id)
        )
        if removed:
            await audit.record(
                "contact.untagged",
                actor_id=actor_id,
                ip=ip,
                object_type="contact",
                object_id=contact_id,
                detail={"tag": tag_id},
            )


async def tag_matching(
    tag_id: int, query: str, filter_tag_id: int | None, *, actor_id: int, ip: str, now: datetime
) -> int:
    """Put a tag on every current contact a search finds (the contacts list's search and tag filter),
    in one statement; returns how many contacts gained it. The audit keeps the count, not the search
    words, which may be someone's name."""
    where, values = search_condition(query[:MAX_QUERY_LENGTH], filter_tag_id)
    async with write_transaction():
        if await existing_tag(tag_id) is None:
            raise TagRefused("Choose one of the tags.")
        added = await ContactTag.raw(
            "INSERT INTO contact_tag (contact, tag, created_at) SELECT id, {}, {} FROM contact "
            f"WHERE {where} AND NOT EXISTS (SELECT 1 FROM contact_tag AS existing "
            "WHERE existing.contact = contact.id AND existing.tag = {}) "
            "ON CONFLICT (contact, tag) DO NOTHING RETURNING id",  # one tagged meanwhile keeps its tag
            tag_id,
            now,
            *values,
            tag_id,
        )
        await audit.record(
            "contacts.tagged",
            actor_id=actor_id,
            ip=ip,
            object_type="tag",
            object_id=tag_id,
            detail={"contacts": len(added), "searched": bool(query.strip()), "filter_tag": filter_tag_id},
        )
    return len(added)
