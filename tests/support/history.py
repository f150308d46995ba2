"""A customer with a history worth removing, for the tests of erasure and of restoring backups: bought
online and at the counter, noted, tagged, opted in by phone, details corrected."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from boxoffice.crm.contacts import add_note
from boxoffice.crm.records import record_staff_consent
from boxoffice.crm.tables import Contact, ContactTag, Tag
from boxoffice.privacy import centre
from boxoffice.sales.tables import Order
from tests.support.counter import sell
from tests.support.fake_stripe import FakeStripe
from tests.support.shop import paid_order
from tests.support.staff import TestStaff, make_staff, post_form, sign_in

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ONLINE_BUYER = {
    "first_name": "Perdita",
    "last_name": "Quixley",
    "email": "Perdita.Quixley@example.org",
    "phone": "+44 117 496 0123",
    "postcode": "BS8 1QU",
}
COUNTER_PHONE = "07700 900456"
CORRECTED_POSTCODE = "BS1 5TR"
PERSONAL = [
    "Perdita",
    "Quixley",
    "perdita.quixley@example.org",
    "+44 117 496 0123",
    "441174960123",
    "BS8 1QU",
    "BS81QU",
    COUNTER_PHONE,
    "07700900456",
    CORRECTED_POSTCODE,
    "BS15TR",
]


async def customer_with_history(
    shop: httpx.AsyncClient, show: tuple[int, dict[str, int]], fake_stripe: FakeStripe
) -> tuple[int, TestStaff]:
    """A customer who bought online and at the counter, with a note, a consent given by phone, a tag and
    a corrected postcode; returns their contact id and the admin (signed in on `shop`) who served them."""
    performance_id, types = show
    await paid_order(shop, performance_id, {types["Adult"]: "2"}, fake_stripe, **ONLINE_BUYER)
    contact_id = (
        await Contact.select(Contact.id).where(Contact.email == "perdita.quixley@example.org").first()
    )["id"]
    clerk = await make_staff("admin", email="clerk@venue.example", name="Clara Clerk")
    await sign_in(shop, clerk)
    counter_order = await sell(
        shop,
        performance_id,
        {types["Concession"]: "1"},
        contact=str(contact_id),
        marketing="yes",
        marketing_note=f"Perdita Quixley said yes at the counter; her mobile is {COUNTER_PHONE}",
    )
    await sell(
        shop,
        performance_id,
        {types["Adult"]: "1"},
        contact=str(contact_id),
        method="complimentary",
        reason="Perdita Quixley's prize from the BS8 1QU raffle",
    )
    noted = await post_form(
        shop,
        f"/backoffice/orders/{counter_order['id']}/notes",
        {"note": f"Collected by Perdita Quixley, {COUNTER_PHONE}"},
        form_page=f"/backoffice/orders/{counter_order['id']}",
    )
    assert noted.status_code == 303
    emailed = await post_form(
        shop,
        f"/backoffice/orders/{counter_order['id']}/resend",
        {},
        form_page=f"/backoffice/orders/{counter_order['id']}",
    )
    assert emailed.status_code == 303
    for order in await Order.select(Order.id).where(Order.contact == contact_id):  # their tickets, kept
        assert (await shop.get(f"/backoffice/orders/{order['id']}/tickets.pdf")).status_code == 200
    await add_note(
        contact_id, "Perdita Quixley uses a wheelchair; call 07700 900456", author_id=clerk.id, now=NOW
    )
    await record_staff_consent(
        contact_id,
        channel="post",
        decision="opt_in",
        means="phone",
        note="Perdita rang from +44 117 496 0123 to ask for the brochure at BS8 1QU",
        actor_id=clerk.id,
        ip="198.51.100.7",
        now=NOW,
    )
    tag = Tag(name="Friends")
    await tag.save()
    await ContactTag(contact=contact_id, tag=tag.id).save()
    edited = await post_form(
        shop,
        f"/crm/contacts/{contact_id}/edit",
        {**ONLINE_BUYER, "email": "perdita.quixley@example.org", "postcode": CORRECTED_POSTCODE},
    )
    assert edited.status_code == 303
    asked = await post_form(
        shop,
        "/crm/privacy-requests/new",
        {
            "kind": "access",
            "channel": "letter",
            "contact": str(contact_id),
            "identity_check": "Perdita Quixley sent a copy of a bill addressed to BS8 1QU",
            "received_on": NOW.date().isoformat(),
        },
    )
    assert asked.status_code == 303
    request_page = asked.headers["location"].split("?")[0]
    replied = await post_form(
        shop, f"{request_page}/sent", {"detail": "Posted to Perdita Quixley, BS8 1QU"}, form_page=request_page
    )
    assert replied.status_code == 303
    await centre.request_link(
        ONLINE_BUYER["email"], ip="198.51.100.7", now=datetime.now(UTC), key="k", base_url="http://x"
    )
    return contact_id, clerk


async def add_many_contacts(count: int) -> None:
    """`count` contacts in one statement (a recursive series, on SQLite and PostgreSQL alike)."""
    await Contact.raw(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
        "INSERT INTO contact (first_name, last_name, email, phone, postcode, restricted, created_at, "
        "updated_at) SELECT 'First' || i, 'Last' || i, 'person' || i || '@example.org', '0117 496 ' || i, "
        "'BS1 4DJ', {}, {}, {} FROM n",
        count,
        False,
        NOW,
        NOW,
    )
