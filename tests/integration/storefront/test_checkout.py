"""Buying online, from choosing tickets to a paid order, against a fake Stripe driven by the real SDK."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from boxoffice.crm.tables import Contact
from boxoffice.mail.tables import OutboxMessage
from boxoffice.marketing.tables import ConsentRecord
from boxoffice.sales.holds import release_lapsed
from boxoffice.sales.tables import (
    Hold,
    Order,
    OrderStatus,
    Performance,
    Refund,
    StripeEvent,
    Ticket,
    TicketType,
)
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.shop import BUYER, SHOW_TIME, check_out, choose, seats_left
from tests.support.staff import csrf_token


async def test_chosen_tickets_are_held_and_the_checkout_shows_them_with_the_time_left(shop, show):
    performance_id, types = show
    response = await choose(shop, performance_id, {types["Adult"]: "2", types["Concession"]: "1"})

    assert response.status_code == 303 and response.headers["location"] == "/checkout"
    assert await seats_left(performance_id) == 7
    page = (await shop.get("/checkout")).text
    assert "The Tempest" in page and "£66.00" in page
    assert "We are holding these tickets for you until" in page
    assert 'href="/terms"' in page and 'href="/privacy"' in page
    assert re.search(r'<input id="field-marketing" name="marketing" type="checkbox" value="yes">', page)
    assert "Pay £66.00 by card" in page


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "Choose at least one ticket."),
        ("-1", "as a number"),
        ("1000000000", "You can buy at most 10 tickets in one order."),
        ("9" * 5000, "You can buy at most 10 tickets in one order."),
        ("lots", "as a number"),
        ("११", "as a number"),  # digits, but not ones anybody types into a quantity
        ("11", "You can buy at most 10 tickets in one order."),
        ("", "Choose at least one ticket."),
    ],
)
async def test_impossible_quantities_are_refused_and_hold_nothing(shop, show, quantity, message):
    performance_id, types = show
    response = await choose(shop, performance_id, {types["Adult"]: quantity})

    assert response.status_code == 400 and message in response.text
    assert await seats_left(performance_id) == 10 and await Hold.count() == 0


async def test_a_ticket_type_of_another_performance_is_refused(shop, show):
    performance_id, _ = show
    other = await make_performance(
        await make_event(await make_venue("other"), "other", "Other Show"), SHOW_TIME, {"Stalls": 999}
    )
    other_type = (await TicketType.select(TicketType.id).where(TicketType.performance == other.id).first())[
        "id"
    ]

    response = await choose(shop, performance_id, {other_type: "1"})

    assert response.status_code == 400 and "not sold for this performance" in response.text
    assert await Hold.count() == 0


async def test_asking_for_more_than_is_left_says_so_and_holds_nothing(shop, show):
    performance_id, types = show
    await Performance.update({Performance.available: 1}).where(Performance.id == performance_id)

    response = await choose(shop, performance_id, {types["Adult"]: "2"})

    assert response.status_code == 409 and "not enough tickets left" in response.text
    assert await seats_left(performance_id) == 1


async def test_a_lapsed_hold_is_released_and_the_buyer_is_told(shop, show):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "3"})
    await Hold.update({Hold.expires_at: datetime.now(UTC) - timedelta(seconds=1)}, force=True)

    page = (await shop.get("/checkout")).text

    assert "their time ran out and they were released" in page
    assert await seats_left(performance_id) == 10 and await Hold.count() == 0
    response = await check_out(shop)
    assert response.status_code == 409 and await Order.count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"accept_terms": ""}, "accept the terms and conditions"),
        ({"email": "not-an-address"}, "e-mail address"),
        ({"first_name": "  "}, "Enter your first name."),
    ],
)
async def test_checkout_refuses_missing_details_and_orders_nothing(shop, show, overrides, message):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "1"})

    response = await check_out(shop, **overrides)

    assert response.status_code == 400 and message in response.text
    assert await Order.count() == 0 and await Hold.count() == 1


async def test_paying_sends_the_buyer_to_stripe_with_the_order_and_a_stable_key(shop, show, fake_stripe):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2"})

    response = await check_out(shop)

    assert response.status_code == 303 and response.headers["location"].startswith(
        f"{fake_stripe.url}/pay/cs_"
    )
    order = await Order.select().first()
    assert order["status"] == OrderStatus.PENDING_PAYMENT and order["total"] == 4800
    assert order["email"] == "ada@example.org" and order["terms_version"] == 1
    [sent] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert sent.idempotency_key == f"order-{order['id']}-checkout"
    assert sent.form["line_items"][0]["price_data"]["unit_amount"] == "2400"
    assert sent.form["line_items"][0]["quantity"] == "2"
    assert sent.form["line_items"][0]["price_data"]["currency"] == "gbp"
    assert sent.form["customer_email"] == "ada@example.org"
    assert sent.form["metadata"]["order_id"] == str(order["id"])
    assert "card" not in json.dumps(order, default=str).lower()
    assert await Hold.count() == 0 and await seats_left(performance_id) == 8  # the order keeps the seats


async def test_a_double_clicked_pay_button_makes_one_order_and_one_payment(shop, show, fake_stripe):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "1"})
    token = await csrf_token(shop, "/checkout")

    responses = await asyncio.gather(
        *[shop.post("/checkout", data={**BUYER, "_csrf_token": token}) for _ in range(2)]
    )

    assert sorted(response.status_code for response in responses) == [303, 409]
    assert await Order.count() == 1
    assert len(fake_stripe.requests_to("POST", "/v1/checkout/sessions")) == 1


async def paid_order(shop, show, fake_stripe, *, marketing: bool = False) -> tuple[dict, dict]:
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2"})
    await check_out(shop, **({"marketing": "yes"} if marketing else {}))
    order = await Order.select().first()
    return order, fake_stripe.complete_session(order["stripe_session"])


async def deliver(shop, fake_stripe, event_type: str, subject: dict, **signing) -> httpx.Response:
    payload, signature = fake_stripe.webhook_event(event_type, subject, **signing)
    return await shop.post("/webhooks/stripe", content=payload, headers={"stripe-signature": signature})


async def test_the_webhook_fulfils_the_order_once_however_often_it_comes(shop, show, fake_stripe):
    order, session = await paid_order(shop, show, fake_stripe, marketing=True)
    payload, signature = fake_stripe.webhook_event("checkout.session.completed", session)

    for _ in range(3):
        response = await shop.post(
            "/webhooks/stripe", content=payload, headers={"stripe-signature": signature}
        )
        assert response.status_code == 200

    paid = await Order.select().where(Order.id == order["id"]).first()
    assert paid["status"] == OrderStatus.PAID and paid["contact"] is not None
    assert await Ticket.count().where(Ticket.order == order["id"]) == 2
    assert await StripeEvent.count() == 1
    contact = await Contact.select().where(Contact.id == paid["contact"]).first()
    assert (contact["email"], contact["first_name"], contact["postcode"]) == (
        "ada@example.org",
        "Ada",
        "BS1 4DJ",
    )
    [consent] = await ConsentRecord.select()
    assert consent["granted"] and consent["source"] == "online_checkout" and consent["channel"] == "email"
    assert consent["wording"] == "Yes, please e-mail me about upcoming shows, events and offers."
    [message] = await OutboxMessage.select().where(OutboxMessage.kind == "order_confirmation")
    assert message["recipient"] == "ada@example.org" and order["reference"] in message["subject"]


async def test_no_consent_is_recorded_when_the_box_was_left_unticked(shop, show, fake_stripe):
    _, session = await paid_order(shop, show, fake_stripe, marketing=False)
    await deliver(shop, fake_stripe, "checkout.session.completed", session)
    assert await Order.count().where(Order.status == OrderStatus.PAID) == 1
    assert await ConsentRecord.count() == 0


async def test_the_return_page_fulfils_first_and_the_later_webhook_changes_nothing(shop, show, fake_stripe):
    order, session = await paid_order(shop, show, fake_stripe)
    booking_link = re.search(
        r"/booking/[^/]+/[^/?]+", fake_stripe.sessions[session["id"]]["success_url"]
    ).group(0)

    response = await shop.get(f"{booking_link}/paid", params={"session_id": session["id"]})
    assert response.status_code == 303
    page = (await shop.get(response.headers["location"])).text
    assert order["reference"] in page and "your booking is confirmed and paid" in page
    assert len(re.findall(r"<code>[A-Z2-9]{16}</code>", page)) == 2

    await deliver(shop, fake_stripe, "checkout.session.completed", session)
    assert await Ticket.count() == 2 and await OutboxMessage.count() == 1


@pytest.mark.parametrize(
    "signing", [{"secret": "whsec_wrong"}, {"timestamp": int(datetime.now(UTC).timestamp()) - 3600}]
)
async def test_a_webhook_with_a_bad_or_stale_signature_is_refused(shop, show, fake_stripe, signing):
    order, session = await paid_order(shop, show, fake_stripe)

    response = await deliver(shop, fake_stripe, "checkout.session.completed", session, **signing)

    assert response.status_code == 400
    assert (await Order.select(Order.status).where(Order.id == order["id"]).first())[
        "status"
    ] == "pending_payment"


async def test_a_webhook_for_an_unknown_session_changes_nothing(shop, show, fake_stripe):
    _, session = await paid_order(shop, show, fake_stripe)
    stranger = {**session, "id": "cs_test_unknown", "metadata": {"order_id": "999999"}}

    assert (await deliver(shop, fake_stripe, "checkout.session.completed", stranger)).status_code == 200
    assert await Ticket.count() == 0


async def test_a_payment_after_the_seats_were_resold_is_refunded_in_full(shop, show, fake_stripe):
    order, session = await paid_order(shop, show, fake_stripe)
    performance_id, _ = show
    await Order.update({Order.expires_at: datetime.now(UTC) - timedelta(seconds=1)}, force=True)
    await release_lapsed(datetime.now(UTC))
    await Performance.update({Performance.available: 0}).where(Performance.id == performance_id)  # resold

    await deliver(shop, fake_stripe, "checkout.session.completed", session)

    refunded = await Order.select(Order.status).where(Order.id == order["id"]).first()
    assert refunded["status"] == OrderStatus.REFUNDED and await Ticket.count() == 0
    [refund_request] = fake_stripe.requests_to("POST", "/v1/refunds")
    assert refund_request.idempotency_key == f"order-{order['id']}-late-refund"
    assert refund_request.form["amount"] == "4800"
    assert await Refund.count() == 1 and await seats_left(performance_id) == 0


async def test_a_late_payment_retakes_its_seats_when_they_are_still_free(shop, show, fake_stripe):
    order, session = await paid_order(shop, show, fake_stripe)
    performance_id, _ = show
    await Order.update({Order.expires_at: datetime.now(UTC) - timedelta(seconds=1)}, force=True)
    await release_lapsed(datetime.now(UTC))
    assert await seats_left(performance_id) == 10

    await deliver(shop, fake_stripe, "checkout.session.completed", session)

    assert (await Order.select(Order.status).where(Order.id == order["id"]).first())[
        "status"
    ] == OrderStatus.PAID
    assert await seats_left(performance_id) == 8 and not fake_stripe.requests_to("POST", "/v1/refunds")


@pytest.mark.parametrize("event_type", ["checkout.session.expired", "checkout.session.async_payment_failed"])
async def test_an_abandoned_or_failed_payment_gives_the_seats_back(shop, show, fake_stripe, event_type):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2"})
    await check_out(shop)
    order = await Order.select().first()
    session = fake_stripe.sessions[order["stripe_session"]]

    await deliver(shop, fake_stripe, event_type, session)

    assert (await Order.select(Order.status).first())["status"] == OrderStatus.EXPIRED
    assert await seats_left(performance_id) == 10


async def test_a_wrong_booking_link_finds_nothing(shop, show, fake_stripe):
    order, _ = await paid_order(shop, show, fake_stripe)
    assert (await shop.get(f"/booking/{order['reference']}/not-the-token")).status_code == 404


async def test_without_stripe_buyers_reserve_and_pay_at_the_box_office(client, show):
    performance_id, types = show
    await choose(client, performance_id, {types["Concession"]: "2"})
    page = (await client.get("/checkout")).text
    assert "by card" not in page and "Reserve, and pay at the box office" in page

    response = await check_out(client)

    assert response.status_code == 303 and response.headers["location"].startswith("/booking/")
    order = await Order.select().first()
    assert order["status"] == OrderStatus.RESERVED
    assert order["expires_at"] == SHOW_TIME - timedelta(hours=2)
    assert "Your tickets are reserved" in (await client.get(response.headers["location"])).text
