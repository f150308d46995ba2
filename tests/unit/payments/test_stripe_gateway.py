"""The Stripe gateway through the real SDK, against the local fake Stripe server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.payments.stripe_gateway import (
    CheckoutLine,
    CheckoutRequest,
    PaymentProviderError,
    StripeGateway,
    WebhookRejected,
)
from tests.support.fake_stripe import FakeStripe

SESSIONS = "/v1/checkout/sessions"


@pytest.fixture
async def gateway(fake_stripe: FakeStripe) -> AsyncIterator[StripeGateway]:
    gateway = StripeGateway(
        secret_key=fake_stripe.secret_key, api_base=fake_stripe.url, webhook_secret=fake_stripe.webhook_secret
    )
    yield gateway
    await gateway.aclose()


def checkout_request(order_id: int = 42, hold: timedelta = timedelta(minutes=15)) -> CheckoutRequest:
    return CheckoutRequest(
        order_reference=f"BX-{order_id}",
        order_id=order_id,
        currency="GBP",
        lines=[CheckoutLine("Hamlet – Stalls", 2400, 2), CheckoutLine("Hamlet – Circle", 1500, 1)],
        customer_email="ada@example.org",
        success_url="https://box.example/orders/BX-42/paid?session={CHECKOUT_SESSION_ID}",
        cancel_url="https://box.example/orders/BX-42",
        expires_at=datetime.now(UTC).replace(microsecond=0) + hold,
    )


async def paid_session(gateway: StripeGateway, fake_stripe: FakeStripe) -> str:
    """A paid order's payment intent (its total is 63.00)."""
    session = await gateway.create_checkout_session(checkout_request())
    return fake_stripe.complete_session(session.id)["payment_intent"]


async def test_create_sends_the_order_and_returns_an_open_session(gateway, fake_stripe):
    request = checkout_request()

    session = await gateway.create_checkout_session(request)

    assert session.id.startswith("cs_test_")
    assert session.url == f"{fake_stripe.url}/pay/{session.id}"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency) == (6300, "GBP")
    assert session.metadata == {"order_id": "42", "order_reference": "BX-42"}
    assert session.payment_intent is None
    [sent] = fake_stripe.requests_to("POST", SESSIONS)
    assert sent.idempotency_key == "order-42-checkout"
    assert sent.authorization == f"Bearer {fake_stripe.secret_key}"
    assert sent.form["mode"] == "payment"
    assert sent.form["line_items"] == [
        {
            "price_data": {
                "currency": "gbp",
                "product_data": {"name": "Hamlet – Stalls"},
                "unit_amount": "2400",
            },
            "quantity": "2",
        },
        {
            "price_data": {
                "currency": "gbp",
                "product_data": {"name": "Hamlet – Circle"},
                "unit_amount": "1500",
            },
            "quantity": "1",
        },
    ]
    assert sent.form["customer_email"] == "ada@example.org"
    assert sent.form["client_reference_id"] == "BX-42"
    assert sent.form["metadata"] == {"order_id": "42", "order_reference": "BX-42"}
    assert sent.form["payment_intent_data"] == {"metadata": {"order_id": "42", "order_reference": "BX-42"}}
    assert sent.form["success_url"] == request.success_url
    assert sent.form["cancel_url"] == request.cancel_url


async def test_a_short_hold_gets_stripes_shortest_expiry_after_it_ends(gateway, fake_stripe):
    request = checkout_request(hold=timedelta(minutes=10))

    await gateway.create_checkout_session(request)

    [sent] = fake_stripe.requests_to("POST", SESSIONS)
    assert int(sent.form["expires_at"]) == int((request.expires_at + timedelta(minutes=35)).timestamp())


async def test_creating_twice_for_one_order_gives_one_session(gateway, fake_stripe):
    request = checkout_request()

    first = await gateway.create_checkout_session(request)
    second = await gateway.create_checkout_session(request)

    assert second == first
    assert list(fake_stripe.sessions) == [first.id]
    keys = [sent.idempotency_key for sent in fake_stripe.requests_to("POST", SESSIONS)]
    assert keys == ["order-42-checkout", "order-42-checkout"]


async def test_creating_again_after_payment_reports_the_session_as_it_is_now(gateway, fake_stripe):
    request = checkout_request()
    first = await gateway.create_checkout_session(request)
    paid = fake_stripe.complete_session(first.id)

    again = await gateway.create_checkout_session(request)

    assert again.id == first.id
    assert (again.status, again.payment_status) == ("complete", "paid")
    assert again.payment_intent == paid["payment_intent"]
    assert again.url is None


async def test_a_transient_failure_is_retried_with_the_same_idempotency_key(gateway, fake_stripe):
    fake_stripe.fail_next(1)

    session = await gateway.create_checkout_session(checkout_request())

    keys = [sent.idempotency_key for sent in fake_stripe.requests_to("POST", SESSIONS)]
    assert keys == ["order-42-checkout", "order-42-checkout"]
    assert list(fake_stripe.sessions) == [session.id]


async def test_failures_beyond_the_retries_raise_a_provider_error(gateway, fake_stripe):
    fake_stripe.fail_next(3, status=503)

    with pytest.raises(PaymentProviderError) as raised:
        await gateway.create_checkout_session(checkout_request())

    assert raised.value.http_status == 503
    assert len(fake_stripe.requests_to("POST", SESSIONS)) == 3
    assert fake_stripe.sessions == {}


async def test_a_refused_key_is_reported_without_the_key(fake_stripe):
    wrong_key = "sk_test_not_the_right_one_4242"
    gateway = StripeGateway(secret_key=wrong_key, api_base=fake_stripe.url, webhook_secret="whsec_x")
    try:
        with pytest.raises(PaymentProviderError) as raised:
            await gateway.retrieve_checkout_session("cs_test_any")
    finally:
        await gateway.aclose()

    assert raised.value.http_status == 401
    assert "not_the_right_one" not in str(raised.value)


async def test_retrieve_reports_the_current_state(gateway, fake_stripe):
    created = await gateway.create_checkout_session(checkout_request())
    fake_stripe.complete_session(created.id)

    session = await gateway.retrieve_checkout_session(created.id)

    assert (session.status, session.payment_status) == ("complete", "paid")
    assert session.payment_intent.startswith("pi_test_")


async def test_retrieving_an_unknown_session_raises_a_provider_error(gateway):
    with pytest.raises(PaymentProviderError) as raised:
        await gateway.retrieve_checkout_session("cs_test_unknown")
    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"


async def test_expire_closes_an_open_session(gateway, fake_stripe):
    session = await gateway.create_checkout_session(checkout_request())

    assert await gateway.expire_checkout_session(session.id, order_id=42) is True

    assert fake_stripe.sessions[session.id]["status"] == "expired"
    [sent] = fake_stripe.requests_to("POST", f"{SESSIONS}/{session.id}/expire")
    assert sent.idempotency_key == "order-42-expire"


async def test_expiring_a_paid_session_is_not_an_error_and_changes_nothing(gateway, fake_stripe):
    session = await gateway.create_checkout_session(checkout_request())
    fake_stripe.complete_session(session.id)

    assert await gateway.expire_checkout_session(session.id, order_id=42) is False

    assert fake_stripe.sessions[session.id]["status"] == "complete"


async def test_expiring_an_unknown_session_raises_a_provider_error(gateway):
    with pytest.raises(PaymentProviderError) as raised:
        await gateway.expire_checkout_session("cs_test_unknown", order_id=42)
    assert raised.value.http_status == 404


async def test_refund_sends_the_amount_and_key(gateway, fake_stripe):
    payment_intent = await paid_session(gateway, fake_stripe)

    refund_id = await gateway.refund(payment_intent, 2400, idempotency_key="order-42-refund-late")

    assert fake_stripe.refunds[refund_id]["amount"] == 2400
    assert fake_stripe.refunds[refund_id]["payment_intent"] == payment_intent
    [sent] = fake_stripe.requests_to("POST", "/v1/refunds")
    assert sent.form == {"payment_intent": payment_intent, "amount": "2400"}
    assert sent.idempotency_key == "order-42-refund-late"


async def test_retrying_a_refund_with_its_key_refunds_once(gateway, fake_stripe):
    payment_intent = await paid_session(gateway, fake_stripe)

    first = await gateway.refund(payment_intent, 6300, idempotency_key="order-42-refund-late")
    again = await gateway.refund(payment_intent, 6300, idempotency_key="order-42-refund-late")

    assert again == first
    assert list(fake_stripe.refunds) == [first]


async def test_refunding_more_than_was_paid_raises_a_provider_error(gateway, fake_stripe):
    payment_intent = await paid_session(gateway, fake_stripe)

    with pytest.raises(PaymentProviderError) as raised:
        await gateway.refund(payment_intent, 6301, idempotency_key="order-42-refund-late")

    assert raised.value.http_status == 400
    assert "greater than unrefunded amount" in str(raised.value)
    assert fake_stripe.refunds == {}


async def test_a_correctly_signed_webhook_is_accepted(gateway, fake_stripe):
    session = await gateway.create_checkout_session(checkout_request())
    payload, signature = fake_stripe.webhook_event(
        "checkout.session.completed", fake_stripe.complete_session(session.id)
    )

    event = gateway.parse_webhook(payload, signature)

    assert event.id.startswith("evt_test_")
    assert event.type == "checkout.session.completed"
    assert event.data.object["id"] == session.id
    assert event.data.object["metadata"]["order_id"] == "42"


def tampered_webhook(fake: FakeStripe) -> tuple[bytes, str]:
    payload, signature = fake.webhook_event("checkout.session.completed", {"amount_total": 6300})
    return payload.replace(b'"amount_total": 6300', b'"amount_total": 1'), signature


@pytest.mark.parametrize(
    "make_webhook",
    [
        pytest.param(
            lambda fake: fake.webhook_event("checkout.session.completed", {}, secret="whsec_someone_else"),
            id="signed with another secret",
        ),
        pytest.param(
            lambda fake: fake.webhook_event(
                "checkout.session.completed", {}, timestamp=int(time.time()) - 301
            ),
            id="signed over five minutes ago",
        ),
        pytest.param(
            lambda fake: fake.webhook_event(
                "checkout.session.completed", {}, timestamp=int(time.time()) + 301
            ),
            id="signed over five minutes ahead",
        ),
        pytest.param(tampered_webhook, id="body changed after signing"),
        pytest.param(lambda fake: (b"[]", fake.sign(b"[]")), id="signed but not an event"),
        pytest.param(lambda fake: (b"{not json", fake.sign(b"{not json")), id="signed but not JSON"),
        pytest.param(lambda fake: (b"{}", None), id="no signature"),
        pytest.param(
            lambda fake: (b"{}", f"t={int(time.time())},v1=\u00e9\u00e9"), id="signature not in ASCII"
        ),
    ],
)
async def test_a_webhook_that_cannot_be_trusted_is_rejected(gateway, fake_stripe, make_webhook):
    payload, signature = make_webhook(fake_stripe)

    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(payload, signature)
