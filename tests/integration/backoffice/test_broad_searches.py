"""Searches that match more than a page can count: the contacts list and the orders list say "more than
1,000", page through the newest matches without a last page, and keep the search in their links."""

from __future__ import annotations

from datetime import UTC, datetime

from boxoffice.crm.tables import Contact
from boxoffice.paging import MOST_COUNTED
from tests.support.pager import read_pager
from tests.support.staff import make_staff, sign_in

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
MANY = MOST_COUNTED + 5


async def test_a_contact_search_matching_more_than_a_thousand_says_so_and_pages_the_newest(client):
    await Contact.raw(
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MANY}) "
        "INSERT INTO contact"
        " (first_name, last_name, email, phone, postcode, restricted, created_at, updated_at) "
        "SELECT 'Person' || i, 'Smith', 'p' || i || '@example.org', '', '', {}, {}, {} FROM n",
        False,
        NOW,
        NOW,
    )
    await sign_in(client, await make_staff("admin"))

    first = await client.get("/crm/contacts", params={"q": "smith"})
    pager = read_pager(first.text)
    second = await client.get(pager.links["Next"])

    assert "More than 1,000 contacts match, the newest first" in first.text
    assert pager.summary == "Showing 1–25 of more than 1,000" and "Last" not in pager.links
    assert pager.links["Next"] == "/crm/contacts?q=smith&sort=name&page=2"
    assert read_pager(second.text).summary == "Showing 26–50 of more than 1,000"
    assert f">Person{MANY - 25} Smith<" in second.text and f">Person{MANY - 24} Smith<" not in second.text


async def test_an_order_search_matching_more_than_a_thousand_says_so(client):
    await Contact.raw(
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MANY}) "
        'INSERT INTO "order" (reference, channel, status, first_name, last_name, email, phone, postcode,'
        " currency, total, marketing_opt_in, buyer_ip, stripe_session_open, created_at) "
        "SELECT 'REF' || i, 'online', 'paid', 'Grace', 'Hopper', 'g' || i || '@example.org', '', '', 'GBP',"
        " 1000, {}, '', {}, {} FROM n",
        False,
        False,
        NOW,
    )
    await sign_in(client, await make_staff("admin"))

    found = await client.get("/backoffice/orders", params={"q": "hopper"})
    pager = read_pager(found.text)

    assert "More than 1,000 orders match: the newest are shown." in found.text
    assert pager.summary == "Showing 1–25 of more than 1,000" and "Last" not in pager.links
    assert f">REF{MANY}</a>" in found.text
