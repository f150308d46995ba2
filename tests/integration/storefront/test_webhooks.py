"""Stripe's webhook answers every signed body without a server error, and acts only on events that are
genuine, recent, shaped like their type and about a session we opened for the order they name."""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
import json
import logging
import time

import httpx
import pytest

from boxoffice.sales import online_payment
from boxoffice.sales.tables import Order, OrderStatus, Payment, Refund, StripeEvent, Ticket
from tests.conftest import POSTGRES_URL
from tests.support.fake_stripe import FakeStripe
from tests.support.shop import check_out, choose, paid_order, seats_left


async def pending_order(shop: httpx.AsyncClient, show) -> tuple[dict, int]:
    """An order checked out for 2 seats and waiting for its payment; and its performance."""
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2"})
    await check_out(shop)
    return await Order.select().first(), performance_id


async def post_signed(shop: httpx.AsyncClient, fake_stripe: FakeStripe, payload: bytes, **signing) -> int:
    signature = fake_stripe.sign(payload, **signing)
    response = await shop.post("/webhooks/stripe", content=payload, headers={"stripe-signature": signature})
    return response.status_code


async def nothing_changed(order: dict, performance_id: int) -> bool:
    now = await Order.select(Order.status).where(Order.id == order["id"]).first()
    return (
        now["status"] == OrderStatus.PENDING_PAYMENT
        and await seats_left(performance_id) == 8
        and await StripeEvent.count() == 0
        and await Payment.count() == 0
        and await Refund.count() == 0
        and await Ticket.count() == 0
    )


@pytest.mark.parametrize(
    "event_type",
    [
        "checkout.session.expired",
        "checkout.session.async_payment_failed",
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ],
)
async def test_an_event_about_another_session_leaves_the_order_it_names_alone(
    shop, show, fake_stripe, event_type, caplog
):
    order, performance_id = await pending_order(shop, show)
    own_session = fake_stripe.sessions[order["stripe_session"]]
    stranger = {**own_session, "id": "cs_test_someone_elses", "payment_status": "paid"}
    payload, signature = fake_stripe.webhook_event(event_type, stranger)

    with caplog.at_level(logging.WARNING, logger="boxoffice.payments"):
        response = await shop.post(
            "/webhooks/stripe", content=payload, headers={"stripe-signature": signature}
        )

    assert response.status_code == 200
    assert await nothing_changed(order, performance_id)
    assert "cs_test_someone_elses" in caplog.text and "no order's own" in caplog.text


async def test_the_orders_own_expired_session_still_lapses_it(shop, show, fake_stripe):
    order, performance_id = await pending_order(shop, show)
    payload, signature = fake_stripe.webhook_event(
        "checkout.session.expired", fake_stripe.sessions[order["stripe_session"]]
    )

    response = await shop.post("/webhooks/stripe", content=payload, headers={"stripe-signature": signature})

    assert response.status_code == 200
    assert (await Order.select(Order.status).first())["status"] == OrderStatus.EXPIRED
    assert await seats_left(performance_id) == 10


@pytest.mark.parametrize("seconds_ahead", [301, 3600, 10**9])
async def test_a_webhook_dated_in_the_future_is_refused(shop, show, fake_stripe, seconds_ahead):
    order, performance_id = await pending_order(shop, show)
    payload, _ = fake_stripe.webhook_event(
        "checkout.session.expired", fake_stripe.sessions[order["stripe_session"]]
    )

    status = await post_signed(shop, fake_stripe, payload, timestamp=int(time.time()) + seconds_ahead)

    assert status == 400
    assert await nothing_changed(order, performance_id)


@pytest.mark.parametrize("seconds_ahead", [0, 3600])
async def test_a_signature_time_with_a_trailing_part_is_read_as_stripe_reads_it(
    shop, show, fake_stripe, seconds_ahead
):
    order, performance_id = await pending_order(shop, show)
    payload, _ = fake_stripe.webhook_event(
        "checkout.session.expired", fake_stripe.sessions[order["stripe_session"]]
    )
    signed_at = int(time.time()) + seconds_ahead
    digest = hmac.new(
        fake_stripe.webhook_secret.encode(), f"{signed_at}.".encode() + payload, hashlib.sha256
    ).hexdigest()

    response = await shop.post(
        "/webhooks/stripe", content=payload, headers={"stripe-signature": f"t={signed_at}=0,v1={digest}"}
    )

    if seconds_ahead:
        assert response.status_code == 400
        assert await nothing_changed(order, performance_id)
    else:
        assert response.status_code == 200
        assert (await Order.select(Order.status).first())["status"] == OrderStatus.EXPIRED


async def test_a_signature_header_outside_ascii_is_refused(shop, show, fake_stripe):
    order, performance_id = await pending_order(shop, show)
    payload, signature = fake_stripe.webhook_event(
        "checkout.session.expired", fake_stripe.sessions[order["stripe_session"]]
    )

    response = await shop.post(
        "/webhooks/stripe", content=payload, headers={"stripe-signature": signature.encode() + b"\xe9"}
    )

    assert response.status_code == 400
    assert await nothing_changed(order, performance_id)


async def test_a_webhook_a_little_ahead_of_our_clock_is_accepted(shop, show, fake_stripe):
    order, _ = await pending_order(shop, show)
    payload, _ = fake_stripe.webhook_event(
        "checkout.session.expired", fake_stripe.sessions[order["stripe_session"]]
    )

    assert await post_signed(shop, fake_stripe, payload, timestamp=int(time.time()) + 240) == 200
    assert (await Order.select(Order.status).first())["status"] == OrderStatus.EXPIRED


def event_body(event_type: str, obj: object) -> bytes:
    return json.dumps(
        {"id": "evt_test_shape", "object": "event", "type": event_type, "data": {"object": obj}}
    ).encode()


def session_without(session: dict, *fields: str) -> dict:
    return {key: value for key, value in session.items() if key not in fields}


# Bodies that cannot be an event at all: 400, and Stripe shows the delivery as failed.
NOT_EVENTS = {
    "a JSON list": lambda session: b"[1, 2, 3]",
    "an empty object": lambda session: b"{}",
    "JSON null": lambda session: b"null",
    "no type": lambda session: json.dumps({"id": "evt_test_1", "data": {"object": session}}).encode(),
    "no data": lambda session: json.dumps({"id": "evt_test_1", "type": "checkout.session.expired"}).encode(),
    "data object is a string": lambda session: event_body("checkout.session.expired", "cs_test"),
    "data object is a list": lambda session: event_body("charge.refunded", [{"payment_intent": "pi_1"}]),
    "event id is a number": lambda session: json.dumps(
        {"id": 7, "type": "checkout.session.expired", "data": {"object": session}}
    ).encode(),
    "event id holds a NUL": lambda session: json.dumps(
        {"id": "evt_\u0000", "type": "checkout.session.expired", "data": {"object": session}}
    ).encode(),
    "event id past any column": lambda session: json.dumps(
        {"id": "evt_" + "x" * 300, "type": "checkout.session.expired", "data": {"object": session}}
    ).encode(),
    "event id ending in a newline": lambda session: json.dumps(
        {"id": "evt_test_1\n", "type": "checkout.session.expired", "data": {"object": session}}
    ).encode(),
    "not UTF-8": lambda session: b'{"id": "evt_\xff\xfe", "type": "x", "data": {"object": {}}}',
    "arrays nested past any event": lambda session: b"[" * 100_000,
    "objects nested past any event": lambda session: (
        b'{"id": "evt_test_1", "type": "x", "data": {"object": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_002
    ),
}

# Genuine-looking events whose object we cannot use: 200, a log line naming the event, and nothing changes.
UNUSABLE_EVENTS = {
    "session without currency": lambda s: event_body(
        "checkout.session.expired", session_without(s, "currency")
    ),
    "session without metadata": lambda s: event_body(
        "checkout.session.expired", session_without(s, "metadata")
    ),
    "session with metadata null": lambda s: event_body("checkout.session.expired", {**s, "metadata": None}),
    "paid session with amount as text": lambda s: event_body(
        "checkout.session.completed", {**s, "payment_status": "paid", "amount_total": "4800"}
    ),
    "paid session with amount past any column": lambda s: event_body(
        "checkout.session.completed", {**s, "payment_status": "paid", "amount_total": 2**63 - 1}
    ),
    "session id with a NUL": lambda s: event_body("checkout.session.expired", {**s, "id": "cs_\u0000"}),
    "session id ending in a newline": lambda s: event_body(
        "checkout.session.expired", {**s, "id": s["id"] + "\n"}
    ),
    "an empty session": lambda s: event_body("checkout.session.completed", {}),
    "charge without refunds list": lambda s: event_body(
        "charge.refunded", {"payment_intent": "pi_test_1", "refunded": True, "refunds": {"data": "all"}}
    ),
    "charge refund without amount": lambda s: event_body(
        "charge.refunded",
        {"payment_intent": "pi_test_1", "refunded": True, "refunds": {"data": [{"id": "re_1"}]}},
    ),
}

# Sessions whose metadata names no order we could have: 200, the session logged as no order's own.
SESSIONS_NAMING_NO_ORDER = {
    "order id past 64 bits": {"order_id": "99999999999999999999"},
    "order id in other digits": {"order_id": "\u0661\u0662"},
    "order id not a number": {"order_id": "one"},
}


@pytest.mark.parametrize("make_body", NOT_EVENTS.values(), ids=NOT_EVENTS.keys())
async def test_a_signed_body_that_is_no_event_is_refused_and_changes_nothing(
    shop, show, fake_stripe, make_body
):
    order, performance_id = await pending_order(shop, show)

    status = await post_signed(shop, fake_stripe, make_body(fake_stripe.sessions[order["stripe_session"]]))

    assert status == 400
    assert await nothing_changed(order, performance_id)


@pytest.mark.parametrize("make_body", UNUSABLE_EVENTS.values(), ids=UNUSABLE_EVENTS.keys())
async def test_a_signed_event_we_cannot_use_is_acknowledged_and_changes_nothing(
    shop, show, fake_stripe, make_body, caplog
):
    order, performance_id = await pending_order(shop, show)

    with caplog.at_level(logging.WARNING, logger="boxoffice.payments"):
        status = await post_signed(
            shop, fake_stripe, make_body(fake_stripe.sessions[order["stripe_session"]])
        )

    assert status == 200
    assert await nothing_changed(order, performance_id)
    assert "ignored Stripe event evt_test_shape" in caplog.text


@pytest.mark.parametrize("metadata", SESSIONS_NAMING_NO_ORDER.values(), ids=SESSIONS_NAMING_NO_ORDER.keys())
async def test_a_signed_session_naming_no_order_is_acknowledged_and_changes_nothing(
    shop, show, fake_stripe, metadata, caplog
):
    order, performance_id = await pending_order(shop, show)
    session = fake_stripe.sessions[order["stripe_session"]]

    with caplog.at_level(logging.WARNING, logger="boxoffice.payments"):
        status = await post_signed(
            shop, fake_stripe, event_body("checkout.session.expired", {**session, "metadata": metadata})
        )

    assert status == 200
    assert await nothing_changed(order, performance_id)
    assert f"Checkout Session {session['id']}: it is no order's own" in caplog.text


async def paid_payment(shop: httpx.AsyncClient, show, fake_stripe: FakeStripe) -> dict:
    """The Stripe payment of an order paid for 2 seats (48.00)."""
    performance_id, types = show
    await paid_order(shop, performance_id, {types["Adult"]: "2"}, fake_stripe)
    return await Payment.select().first()


async def refunds_unchanged(payment: dict) -> bool:
    now = await Payment.select(Payment.refunded).where(Payment.id == payment["id"]).first()
    order = await Order.select(Order.status).where(Order.id == payment["order"]).first()
    return (
        now["refunded"] == 0
        and await Refund.count() == 0
        and order["status"] == OrderStatus.PAID
        and await Ticket.count().where(Ticket.status == "valid") == 2
        and await StripeEvent.count() == 1  # the payment's own
    )


@pytest.mark.parametrize("amount", [2**31, 2**63, 10**30, -1])
async def test_a_signed_refund_of_an_amount_no_payment_holds_is_acknowledged_and_changes_nothing(
    shop, show, fake_stripe, amount, caplog
):
    payment = await paid_payment(shop, show, fake_stripe)
    charge = {
        "payment_intent": payment["provider_reference"],
        "refunded": False,
        "refunds": {"data": [{"id": "re_test_odd", "amount": amount}]},
    }

    with caplog.at_level(logging.WARNING, logger="boxoffice.payments"):
        status = await post_signed(shop, fake_stripe, event_body("charge.refunded", charge))

    assert status == 200
    assert await refunds_unchanged(payment)
    assert "ignored Stripe event evt_test_shape" in caplog.text


async def test_a_signed_refund_of_more_than_was_paid_is_not_recorded(shop, show, fake_stripe, caplog):
    payment = await paid_payment(shop, show, fake_stripe)
    charge = {
        "payment_intent": payment["provider_reference"],
        "refunded": False,
        "refunds": {"data": [{"id": "re_test_too_much", "amount": payment["amount"] + 1}]},
    }

    with caplog.at_level(logging.WARNING, logger="boxoffice.payments"):
        status = await post_signed(shop, fake_stripe, event_body("charge.refunded", charge))

    assert status == 200
    assert await Payment.select(Payment.refunded).where(Payment.id == payment["id"]).first() == {
        "refunded": 0
    }
    assert await Refund.count() == 0
    assert f"Stripe refund re_test_too_much is more than is left of payment {payment['id']}" in caplog.text


async def test_a_body_far_larger_than_any_event_is_refused_unread(shop, show, fake_stripe):
    order, performance_id = await pending_order(shop, show)
    session = fake_stripe.sessions[order["stripe_session"]]
    payload = event_body("checkout.session.expired", {**session, "padding": "x" * (2 * 1024 * 1024)})

    assert await post_signed(shop, fake_stripe, payload) == 413
    assert await nothing_changed(order, performance_id)


async def test_a_refund_reported_before_its_payment_waits_for_it_and_is_recorded_once(
    shop, show, fake_stripe
):
    order, _ = await pending_order(shop, show)
    paid = fake_stripe.complete_session(order["stripe_session"])
    refunded_charge = fake_stripe.refund_in_dashboard(paid["payment_intent"], 1000)
    refund_event = fake_stripe.webhook_event("charge.refunded", refunded_charge)[0]
    payment_event = fake_stripe.webhook_event("checkout.session.completed", paid)[0]

    assert await post_signed(shop, fake_stripe, refund_event) == 409  # Stripe sends it again later
    assert await Refund.count() == 0 and await StripeEvent.count() == 0

    assert await post_signed(shop, fake_stripe, payment_event) == 200
    assert await post_signed(shop, fake_stripe, refund_event) == 200
    assert await post_signed(shop, fake_stripe, refund_event) == 200
    [refund] = await Refund.select(Refund.amount, Refund.provider_reference)
    assert refund["amount"] == 1000 and refund["provider_reference"] in fake_stripe.refunds
    assert (await Payment.select(Payment.refunded).first())["refunded"] == 1000


@pytest.mark.skipif(
    not POSTGRES_URL, reason="SQLite lets one writer in at a time, so the payment cannot land mid-refund"
)
async def test_a_refund_reported_while_its_payment_is_being_recorded_is_not_lost(
    shop, show, fake_stripe, monkeypatch
):
    """The payment event commits between the refund's two reads, the worst moment for it: the refund is
    recorded all the same."""
    order, _ = await pending_order(shop, show)
    paid = fake_stripe.complete_session(order["stripe_session"])
    refund_event = fake_stripe.webhook_event(
        "charge.refunded", fake_stripe.refund_in_dashboard(paid["payment_intent"], 1000)
    )[0]
    payment_event = fake_stripe.webhook_event("checkout.session.completed", paid)[0]
    outside_the_refund = contextvars.copy_context()
    asks_whether_it_awaits_payment = online_payment.awaits_payment

    async def payment_lands_first(order_id):
        payment = asyncio.get_running_loop().create_task(
            post_signed(shop, fake_stripe, payment_event), context=outside_the_refund
        )
        assert await payment == 200
        return await asks_whether_it_awaits_payment(order_id)

    monkeypatch.setattr(online_payment, "awaits_payment", payment_lands_first)

    assert await post_signed(shop, fake_stripe, refund_event) == 200
    [refund] = await Refund.select(Refund.amount, Refund.provider_reference)
    assert refund["amount"] == 1000 and refund["provider_reference"] in fake_stripe.refunds
    assert (await Payment.select(Payment.refunded).first())["refunded"] == 1000
