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
from boxoffice.crm.tables import Contact, ContactNote, ContactTag, DismissedDuplicate
from boxoffice.db import none_of, one_of, write_transaction
from boxoffice.errors import Refused
from boxoffice.marketing.tables import ConsentRecord
from boxoffice.paging import Page, PageRequest
from boxoffice.sales.tables import Order

MERGED = "contact.merged"
DISMISSED = "contact.duplicate_dismissed"
FIRST_PAGE = PageRequest(1, 20)
MOST_MEMBERS = 25  # contacts listed in one group; merging or dismissing some brings up the rest
MOST_PAIRS = 10  # pairs offered in one group, the same way


@dataclass(frozen=True, slots=True)
class Rule:
    """What makes contacts look like one person: the same `key`, among contacts where it is `present`.
    Both are SQL over the contact table, with `{t}` where a table alias may go. The migration
    `crm_2026_12_04t06_16_36_000000` indexes each key, with these exact expressions and conditions, so
    that the groups are read from the indexes in key order rather than by sorting the table."""

    reason: str
    key: str
    present: str

    def key_of(self, alias: str = "") -> str:
        return self.key.format(t=alias)

    def present_in(self, alias: str = "") -> str:
        return self.present.format(t=alias)


RULES = (
    Rule("The same e-mail address", "LOWER({t}email)", "{t}email <> ''"),
    Rule(
        "The same name and postcode",
        "LOWER({t}first_name) || ' ' || LOWER({t}last_name) || ' ' || REPLACE(LOWER({t}postcode), ' ', '')",
        "{t}postcode <> '' AND ({t}first_name <> '' OR {t}last_name <> '')",
    ),
    Rule("The same phone number", "REPLACE({t}phone, ' ', '')", "{t}phone <> ''"),
)


class MergeRefused(Refused):
    """The merge was not made; the message says why."""


class DismissRefused(Refused):
    """The pair was not dismissed; the message says why."""


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    first: ContactSummary
    second: ContactSummary


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Contacts that share one key of one rule. `contacts` are those still offered in some pair (a contact
    whose every pair here was dismissed is left out); `pairs` the first `MOST_PAIRS` of the pairs not
    dismissed, and `more_pairs` how many more there are; `members` how many contacts share the key."""

    reason: str
    contacts: list[ContactSummary]
    pairs: list[DuplicatePair]
    more_pairs: int
    members: int


def grouped_keys_sql() -> str:
    """The groups of likely duplicates that still have a pair nobody dismissed, as rows of (rule, key,
    members), in rule and key order, each with the number of such groups in `group_count`.

    A group of n contacts has n(n-1)/2 pairs; it is left out when that many of them were dismissed.
    The contacts sharing a key are counted from that key's index, the dismissed pairs sharing one from
    their own (small) table, and the two tallies meet in one aggregate rather than a join, so that no
    engine can plan them as a nested loop of every group against every dismissal."""
    members = (
        f"SELECT {number} AS rule, {rule.key_of()} AS duplicate_key, COUNT(*) AS members, 0 AS pairs"
        f" FROM contact WHERE erased_at IS NULL AND {rule.present_in()}"
        f" GROUP BY {rule.key_of()} HAVING COUNT(*) > 1"
        for number, rule in enumerate(RULES)
    )
    dismissed = (
        f"SELECT {number} AS rule, {rule.key_of('a.')} AS duplicate_key, 0 AS members, COUNT(*) AS pairs"
        # CROSS JOIN: SQLite joins in the order written, starting from the few dismissals rather than
        # from every contact with a key; PostgreSQL plans it as the inner join it is.
        " FROM dismissed_duplicate d CROSS JOIN contact a CROSS JOIN contact b"
        " WHERE a.id = d.contact AND b.id = d.other_contact"
        f" AND a.erased_at IS NULL AND b.erased_at IS NULL AND {rule.present_in('a.')}"
        f" AND {rule.present_in('b.')} AND {rule.key_of('a.')} = {rule.key_of('b.')}"
        f" GROUP BY {rule.key_of('a.')}"
        for number, rule in enumerate(RULES)
    )
    tallies = " UNION ALL ".join([*members, *dismissed])
    return (
        "SELECT rule, duplicate_key, SUM(members) AS members, COUNT(*) OVER () AS group_count"
        f" FROM ({tallies}) AS tally GROUP BY rule, duplicate_key"
        " HAVING SUM(members) * (SUM(members) - 1) / 2 > SUM(pairs)"
    )


async def grouped_keys(shown: PageRequest) -> list[dict]:
    return await Contact.raw(
        f"{grouped_keys_sql()} ORDER BY rule, duplicate_key LIMIT {{}} OFFSET {{}}",
        shown.size,
        shown.offset,
    )


async def likely_duplicates(page: PageRequest = FIRST_PAGE) -> Page[DuplicateGroup]:
    """One page of the groups of current contacts that look like one person, each with its reason, and
    how many groups there are; a page past the end is the last. Pairs that staff dismissed
    (`dismiss_pair`) are never offered, and a group whose every pair was dismissed is not listed.

    The groups and their number come from one pass over the keys' indexes (the count rides along as a
    window over the same query). A page asked for past the end finds no groups; the last page is then
    read from the end of the list, which counts them too: two passes, never more."""
    rows = await grouped_keys(page)
    if rows or page.number == 1:
        total = rows[0]["group_count"] if rows else 0
        return page.within(total).page(await groups_of(rows), total)
    from_the_end = await Contact.raw(
        f"{grouped_keys_sql()} ORDER BY rule DESC, duplicate_key DESC LIMIT {{}}", page.size
    )
    total = from_the_end[0]["group_count"] if from_the_end else 0
    shown = page.within(total)
    last_page = list(reversed(from_the_end[: total - shown.offset]))
    return shown.page(await groups_of(last_page), total)


async def groups_of(rows: list[dict]) -> list[DuplicateGroup]:
    """The contacts and open pairs of each (rule, key) in `rows`, in their order."""
    members: dict[tuple[int, str], list[ContactSummary]] = {}
    for number, rule in enumerate(RULES):
        keys = [row["duplicate_key"] for row in rows if row["rule"] == number]
        if not keys:
            continue
        placeholders = ", ".join("{}" for _ in keys)
        found = await Contact.raw(
            "SELECT id, first_name, last_name, email, phone, postcode, restricted, duplicate_key FROM ("
            "SELECT id, first_name, last_name, email, phone, postcode, restricted,"
            f" {rule.key_of()} AS duplicate_key,"
            f" ROW_NUMBER() OVER (PARTITION BY {rule.key_of()} ORDER BY id) AS place"
            f" FROM contact WHERE erased_at IS NULL AND {rule.present_in()}"
            f" AND {rule.key_of()} IN ({placeholders})) AS member"
            f" WHERE place <= {MOST_MEMBERS} ORDER BY duplicate_key, id",
            *keys,
        )
        for row in found:
            members.setdefault((number, row.pop("duplicate_key")), []).append(summary_of(row))
    contact_ids = [contact.id for group in members.values() for contact in group]
    dismissed = {
        (row["contact"], row["other_contact"])
        for row in await DismissedDuplicate.select(
            DismissedDuplicate.contact, DismissedDuplicate.other_contact
        ).where(one_of(DismissedDuplicate.contact, contact_ids))
    }
    groups = []
    for row in rows:
        contacts = members.get((row["rule"], row["duplicate_key"]), [])
        pairs = [
            DuplicatePair(first, second)
            for place, first in enumerate(contacts)
            for second in contacts[place + 1 :]
            if (first.id, second.id) not in dismissed
        ]
        paired = {contact.id for pair in pairs for contact in (pair.first, pair.second)}
        groups.append(
            DuplicateGroup(
                reason=RULES[row["rule"]].reason,
                contacts=[contact for contact in contacts if contact.id in paired],
                pairs=pairs[:MOST_PAIRS],
                more_pairs=max(0, len(pairs) - MOST_PAIRS),
                members=row["members"],
            )
        )
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
        await move_dismissals(merge_id, keep_id, now)
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


def ordered(first_id: int, second_id: int) -> tuple[int, int]:
    """A pair as `DismissedDuplicate` keeps it: the lower id first."""
    return (first_id, second_id) if first_id < second_id else (second_id, first_id)


async def dismiss_pair(first_id: int, second_id: int, *, actor_id: int, ip: str, now: datetime) -> bool:
    """Record, for good, that two current contacts are not one person: they are never offered as likely
    duplicates again (they can still be merged from the merge page, should staff change their minds).
    Audited once; saying it again changes nothing and returns False. Raises DismissRefused."""
    if first_id == second_id:
        raise DismissRefused("Choose two different contacts.")
    low, high = ordered(first_id, second_id)
    async with write_transaction():
        for contact_id in (low, high):  # lower id first, as merges lock them: a merge or removal waits
            if await lock_live_contact(contact_id, now) is None:
                raise DismissRefused("One of these contacts no longer exists or has been removed.")
        added = (
            await DismissedDuplicate.insert(
                DismissedDuplicate(contact=low, other_contact=high, dismissed_at=now)
            )
            .on_conflict(action="DO NOTHING")
            .returning(DismissedDuplicate.id)
        )
        if added:
            await audit.record(
                DISMISSED,
                actor_id=actor_id,
                ip=ip,
                object_type="contact",
                object_id=low,
                detail={"other": high},
            )
    return bool(added)


async def move_dismissals(merged_id: int, kept_id: int, now: datetime) -> None:
    """A merge's part: the pairs dismissed with the merged contact become pairs with the kept one (whoever
    is not the merged person is not the kept one either); a pair of the two themselves goes. Inside the
    merge's transaction."""
    rows = await DismissedDuplicate.select(
        DismissedDuplicate.contact, DismissedDuplicate.other_contact
    ).where((DismissedDuplicate.contact == merged_id) | (DismissedDuplicate.other_contact == merged_id))
    await DismissedDuplicate.delete().where(
        (DismissedDuplicate.contact == merged_id) | (DismissedDuplicate.other_contact == merged_id)
    )
    others = {row["other_contact"] if row["contact"] == merged_id else row["contact"] for row in rows} - {
        kept_id
    }
    for other in sorted(others):
        low, high = ordered(kept_id, other)
        await DismissedDuplicate.insert(
            DismissedDuplicate(contact=low, other_contact=high, dismissed_at=now)
        ).on_conflict(action="DO NOTHING")
