"""The order search index: used for every search, kept in step with erasure, and read a page at a time
however many orders match."""

from __future__ import annotations

from datetime import UTC, datetime

from boxoffice.crm.tables import Contact
from boxoffice.db import is_sqlite
from boxoffice.paging import MOST_COUNTED, PageRequest
from boxoffice.privacy.erasure import erase_contact
from boxoffice.sales.order_records import orders_source, search_orders
from boxoffice.sales.tables import Order
from tests.support.staff import make_staff

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


async def make_orders(count: int, last_name: str = "Hopper", contact: int | None = None) -> None:
    """`count` paid orders (LAS000001...) bought by GraceN `last_name`, lastnameN@example.org, N from 1
    in the order they are made."""
    await Order.raw(
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "
        'INSERT INTO "order" (reference, channel, status, contact, first_name, last_name, email, phone,'
        " postcode, currency, total, marketing_opt_in, buyer_ip, stripe_session_open, created_at) "
        "SELECT {} || SUBSTR('00000' || i, LENGTH('00000' || i) - 5), 'online', 'paid', {}, 'Grace' || i, {},"
        " {} || i || '@example.org', '', '', 'GBP', 1000, {}, '', {}, {} FROM n",
        last_name[:3].upper(),
        contact,
        last_name,
        last_name.lower(),
        False,
        False,
        NOW,
    )


async def references(query: str) -> list[str]:
    return [order.reference for order in (await search_orders(query)).items]


async def test_orders_are_found_by_reference_name_or_e_mail_and_not_after_erasure(database):
    staff = await make_staff("admin")
    contact = Contact(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    await contact.save()
    await make_orders(2, "Lovelace", contact.id)
    await make_orders(1, "Byron")

    assert await references("lov000002") == ["LOV000002"]
    assert await references("grace1 LOVELACE") == ["LOV000001"]
    assert await references("lovelace2@example") == ["LOV000002"]
    assert await references("gr") == ["BYR000001", "LOV000002", "LOV000001"]  # newest first
    assert await references("100%") == []

    await erase_contact(contact.id, actor_id=staff.id, ip="127.0.0.1", now=NOW)

    assert await references("lovelace") == []
    assert await references("byron1@example.org") == ["BYR000001"]


async def test_a_broad_search_counts_a_thousand_and_pages_the_newest(database):
    await make_orders(MOST_COUNTED + 10)

    first = await search_orders("hopper")
    past_the_end = await search_orders("grace", page=PageRequest(99, 25))
    everything = await search_orders("", "paid")

    assert (first.total, first.more, first.pages) == (MOST_COUNTED, True, MOST_COUNTED // 25)
    assert [order.reference for order in first.items[:2]] == ["HOP001010", "HOP001009"]
    assert (past_the_end.number, past_the_end.moved, past_the_end.items[-1].reference) == (
        40,
        True,
        "HOP000011",
    )
    assert (everything.total, everything.more) == (MOST_COUNTED, True)
    narrow = await search_orders("grace100")  # Grace100 and Grace1000 to Grace1009
    assert (narrow.total, narrow.more, narrow.items[0].reference) == (11, False, "HOP001009")


async def test_a_search_reads_from_the_text_index(database):
    await make_orders(2000)
    await make_orders(1, "Lovelace")
    await Order.raw('ANALYZE "order"')
    source, values, key = orders_source(["lovelace"], "")
    sql = f'SELECT "order".id FROM {source} ORDER BY {key} DESC LIMIT 25'

    if is_sqlite():
        plan = " | ".join(row["detail"] for row in await Order.raw(f"EXPLAIN QUERY PLAN {sql}", *values))
        assert plan.startswith("SCAN order_search VIRTUAL TABLE") and "TEMP B-TREE" not in plan, plan
    else:  # at this size a scan is cheaper still: this shows the index answers the very expression searched
        async with Order._meta.db.transaction():
            await Order.raw("SET LOCAL enable_seqscan = off")
            rows = await Order.raw(f'EXPLAIN SELECT "order".id FROM {source}', *values)
        plan = " | ".join(row["QUERY PLAN"] for row in rows)
        assert "order_search" in plan, plan
