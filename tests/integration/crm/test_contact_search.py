"""The contact search index: used for every search, and kept in step with every change to a contact."""

from __future__ import annotations

from datetime import UTC, datetime

from boxoffice.crm.contacts import ContactDetails, matches_source, search_condition, search_contacts
from boxoffice.crm.duplicates import merge_contacts
from boxoffice.crm.records import update_details
from boxoffice.crm.tables import Contact
from boxoffice.db import is_sqlite
from boxoffice.paging import MOST_COUNTED, PageRequest
from boxoffice.privacy.erasure import erase_contact
from tests.support.staff import make_staff

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


async def make_contact(first: str, last: str, email: str, phone: str = "", postcode: str = "") -> int:
    contact = Contact(first_name=first, last_name=last, email=email, phone=phone, postcode=postcode)
    await contact.save()
    return contact.id


async def found(query: str) -> list[str]:
    return [contact.name for contact in (await search_contacts(query)).items]


async def query_plan(query: str) -> str:
    where, values = search_condition(query, None)
    sql = f"SELECT id FROM contact WHERE {where}"
    if is_sqlite():
        rows = await Contact.raw(f"EXPLAIN QUERY PLAN {sql}", *values)
        return " ".join(row["detail"] for row in rows)
    rows = await Contact.raw(f"EXPLAIN {sql}", *values)
    return " ".join(row["QUERY PLAN"] for row in rows)


async def test_a_search_is_answered_from_the_text_index(database):
    await make_contact("Ada", "Lovelace", "ada@example.org")
    # Enough other people that reading every contact costs more than the index (PostgreSQL plans by cost).
    await Contact.raw(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) "
        "INSERT INTO contact"
        " (first_name, last_name, email, phone, postcode, restricted, created_at, updated_at) "
        "SELECT 'Person' || i, 'Else', 'p' || i || '@example.org', '', '', {}, {}, {} FROM n",
        False,
        NOW,
        NOW,
    )
    await Contact.raw("ANALYZE contact")

    plan = await query_plan("love ada")

    assert ("VIRTUAL TABLE" in plan) if is_sqlite() else ("contact_search" in plan), plan


async def test_short_and_long_words_together_find_only_contacts_with_both(database):
    await make_contact("Ada", "Lovelace", "ada@example.org", "0161 496 0000")
    await make_contact("Ora", "Byron", "byron@example.org")

    assert await found("or byron") == ["Ora Byron"]
    assert await found("' OR 1=1 --") == []
    assert await found("ad 496") == ["Ada Lovelace"]


async def test_an_edit_is_found_by_the_new_details_and_not_the_old(database):
    staff = await make_staff("admin")
    contact_id = await make_contact("Ada", "Lovelace", "ada@example.org", "0161 496 0000", "M1 1AE")

    await update_details(
        contact_id,
        ContactDetails("Ada", "King", "ada@example.org", "0161 496 0000", "M1 1AE"),
        actor_id=staff.id,
        ip="127.0.0.1",
        now=NOW,
    )

    assert await found("king") == ["Ada King"]
    assert await found("lovelace") == []


async def test_merged_and_removed_contacts_are_no_longer_found(database):
    staff = await make_staff("admin")
    kept = await make_contact("Ada", "Lovelace", "ada@example.org")
    merged = await make_contact("Ada", "Lovelace", "ada.l@example.org")
    removed = await make_contact("Grace", "Hopper", "grace@example.org", "0117 496 0123", "BS1 4DJ")

    await merge_contacts(kept, merged, actor_id=staff.id, ip="127.0.0.1", now=NOW)
    await erase_contact(removed, actor_id=staff.id, ip="127.0.0.1", now=NOW)

    assert await found("lovelace") == ["Ada Lovelace"]
    assert await found("ada.l@example") == []
    for detail in ("grace", "hopper", "grace@example.org", "01174960123", "bs14dj"):
        assert await found(detail) == []
    if is_sqlite():
        [row] = await Contact.raw("SELECT COUNT(*) AS held FROM contact_search WHERE rowid = {}", removed)
        assert row["held"] == 0


async def make_smiths(count: int) -> None:
    """`count` contacts named PersonN Smith, N from 1 in the order they are made."""
    await Contact.raw(
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "
        "INSERT INTO contact"
        " (first_name, last_name, email, phone, postcode, restricted, created_at, updated_at) "
        "SELECT 'Person' || i, 'Smith', 'p' || i || '@example.org', '', '', {}, {}, {} FROM n",
        False,
        NOW,
        NOW,
    )


async def test_a_broad_search_counts_a_thousand_and_pages_the_newest_straight_from_the_index(database):
    await make_smiths(MOST_COUNTED + 10)

    first = await search_contacts("smith", page=PageRequest(1, 25))
    second = await search_contacts("SMITH example", page=PageRequest(2, 25))
    past_the_end = await search_contacts("smith", page=PageRequest(99, 25))

    assert (first.total, first.more, first.pages) == (MOST_COUNTED, True, MOST_COUNTED // 25)
    newest = MOST_COUNTED + 10
    assert [c.first_name for c in first.items[:2]] == [f"Person{newest}", f"Person{newest - 1}"]
    assert [c.first_name for c in second.items] == [f"Person{newest - n}" for n in range(25, 50)]
    assert (past_the_end.number, past_the_end.moved) == (40, True)
    assert past_the_end.items[-1].first_name == f"Person{newest - MOST_COUNTED + 1}"
    narrow = await search_contacts("person100")  # Person100 and Person1000 to Person1009
    assert (narrow.total, narrow.more) == (11, False)
    assert [c.first_name for c in narrow.items][:3] == ["Person100", "Person1000", "Person1001"]  # by name


async def test_a_broad_search_reads_one_page_from_the_index_and_sorts_nothing(database):
    await make_smiths(3000)
    await Contact.raw("ANALYZE contact")
    source, values, key = matches_source(["smith"], None)
    sql = f"SELECT contact.id FROM {source} ORDER BY {key} DESC LIMIT 25"

    if is_sqlite():
        plan = " | ".join(row["detail"] for row in await Contact.raw(f"EXPLAIN QUERY PLAN {sql}", *values))
        assert plan.startswith("SCAN contact_search VIRTUAL TABLE") and "TEMP B-TREE" not in plan, plan
    else:
        rows = await Contact.raw(f"EXPLAIN {sql}", *values)
        plan = " | ".join(row["QUERY PLAN"] for row in rows)
        assert plan.startswith("Limit") and "Sort" not in plan, plan
