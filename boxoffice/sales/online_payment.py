"""Paying online through Stripe's hosted Checkout: starting a payment, and acting on what Stripe reports.

Stripe reports by webhook, and the buyer's browser comes back to our return page; either may arrive
first, and Stripe may deliver an event twice or late. Every path ends in `orders.fulfil_order`, which
does its work once; a payment for an order whose seats were meanwhile sold is refunded in full.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from boxoffice.crash_points import crash_point
from boxoffice.db import parse_id, write_transaction
from boxoffice.payments.stripe_gateway import (
    CheckoutLine,
    CheckoutRequest,
    CheckoutSession,
    PaymentProviderError,
    RefundedCharge,
    StripeGateway,
    UnusableEvent,
    WebhookEvent,
    checkout_session_from,
    refunded_charge_from,
)
from boxoffice.sales.cancellations import cancel_all_tickets
from boxoffice.sales.holds import LAPSING_STATUSES, release_order
from boxoffice.sales.orders import (
    Fulfilment,
    PaymentReceived,
    PlacedOrder,
    claim_stripe_event,
    fulfil_or_report_no_seats,
)
from boxoffice.sales.summary import in_step
from boxoffice.sales.tables import (
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    Refund,
)

logger = logging.getLogger("boxoffice.payments")


@dataclass(frozen=True, slots=True)
class CheckoutAddresses:
    success_url: str  # Stripe puts the session id in place of {CHECKOUT_SESSION_ID}
    cancel_url: str


async def start_checkout(
    gateway: StripeGateway, order: PlacedOrder, email: str, addresses: CheckoutAddresses
) -> str:
    """Open a Checkout Session for the order; returns the address to send the buyer to.

    The idempotency key is the order's own, so a double-clicked pay button opens one session."""
    lines = await OrderLine.select(OrderLine.description, OrderLine.unit_price, OrderLine.quantity).where(
        OrderLine.order == order.id
    )
    session = await gateway.create_checkout_session(
        CheckoutRequest(
            order_reference=order.reference,
            order_id=order.id,
            currency=order.total.currency,
            lines=[CheckoutLine(line["description"], line["unit_price"], line["quantity"]) for line in lines],
            customer_email=email,
            success_url=addresses.success_url,
            cancel_url=addresses.cancel_url,
            expires_at=order.expires_at,
        )
    )
    crash_point("checkout.session_opened")
    await Order.update({Order.stripe_session: session.id, Order.stripe_session_open: True}).where(
        Order.id == order.id
    )
    assert session.url, "an open Checkout Session has an address"
    return session.url


async def order_of_session(session: CheckoutSession) -> dict | None:
    """Our order for a Checkout Session: the one its metadata names, and only if this session is the one
    we opened for it. Metadata alone proves nothing: any session on the venue's Stripe account may carry
    an order id, and an event about it must not touch our order. A session that is no order's own is
    logged here, once for every path that asks."""
    order_id = parse_id(session.metadata.get("order_id"))
    order = None
    if order_id is not None:
        order = (
            await Order.select(Order.id, Order.total, Order.currency)
            .where((Order.id == order_id) & (Order.stripe_session == session.id))
            .first()
        )
    if order is None:
        logger.warning("ignored Checkout Session %s: it is no order's own", session.id)
    return order


async def settle_paid_session(
    gateway: StripeGateway, session: CheckoutSession, *, event_id: str | None, now: datetime
) -> Fulfilment | None:
    """Fulfil the order a paid Checkout Session belongs to; None when the session is unpaid, not ours, or
    its amount does not match the order."""
    if session.payment_status != "paid":
        return None
    order = await order_of_session(session)
    if order is None:
        return None
    if session.amount_total != order["total"] or session.currency != order["currency"]:
        logger.error("Checkout Session amount differs from order %s; not fulfilled", order["id"])
        return None
    payment = PaymentReceived(
        method=PaymentMethod.STRIPE,
        amount=session.amount_total,
        currency=order["currency"],
        provider_reference=session.payment_intent or "",
        stripe_event_id=event_id,
    )
    outcome = await fulfil_or_report_no_seats(order["id"], payment, now=now)
    if outcome is Fulfilment.NO_SEATS:
        await refund_late_payment(gateway, order["id"], payment, now=now)
    return outcome


async def refund_late_payment(
    gateway: StripeGateway, order_id: int, payment: PaymentReceived, *, now: datetime
) -> None:
    """The buyer paid after their order lapsed and its seats went to someone else: give the money back.

    The refund's idempotency key is the order's, so a redelivered event never refunds twice."""
    refund_id = await gateway.refund(
        payment.provider_reference, payment.amount, f"order-{order_id}-late-refund"
    )
    async with write_transaction(), in_step(order_id):
        if payment.stripe_event_id and not await claim_stripe_event(
            payment.stripe_event_id, "late refund", now
        ):
            return
        if await Refund.exists().where(Refund.provider_reference == refund_id):
            return
        [recorded] = await Payment.insert(
            Payment(
                order=order_id,
                method=PaymentMethod.STRIPE,
                amount=payment.amount,
                currency=payment.currency,
                provider_reference=payment.provider_reference,
                created_at=now,
                refunded=payment.amount,
            )
        ).returning(Payment.id)
        await Refund.insert(
            Refund(
                order=order_id,
                payment=recorded["id"],
                amount=payment.amount,
                currency=payment.currency,
                reason="paid after the seats were released",
                provider_reference=refund_id,
                created_at=now,
            )
        )
        await Order.update({Order.status: OrderStatus.REFUNDED, Order.stripe_session_open: False}).where(
            Order.id == order_id
        )
    logger.warning("order %s was paid after it lapsed with no seats left; refunded in full", order_id)


async def lapse_unpaid(session: CheckoutSession, *, event_id: str, now: datetime) -> None:
    """Checkout expired or an asynchronous payment failed: the order lapses and its seats come back."""
    async with write_transaction():
        order = await order_of_session(session)
        if order is None:
            return
        if not await claim_stripe_event(event_id, "lapse", now):
            return
        lapsed = await Order.raw(
            'UPDATE "order" SET status = {} WHERE id = {} AND status IN ({}, {}) RETURNING id',
            OrderStatus.EXPIRED.value,
            order["id"],
            *LAPSING_STATUSES,
        )
        if lapsed:
            await release_order(order["id"])


class EventArrivedEarly(Exception):
    """Stripe sent an event about a payment before the event that tells us of the payment itself (Stripe
    does not keep events in order). Nothing is recorded, the event is not claimed, and the webhook answers
    so that Stripe delivers it again later, by when the payment is known."""


async def record_stripe_refund(charge: RefundedCharge, *, event_id: str, now: datetime) -> None:
    """A refund made in Stripe's dashboard (or by us): record what is not yet recorded, and when the whole
    payment is refunded, mark the order refunded and its tickets cancelled. A refund larger than what is
    left of the payment is logged and not recorded: a payment is never refunded beyond what was paid.
    A refund of a payment not yet recorded for an order still awaiting it raises EventArrivedEarly.

    The order is asked whether it awaits payment before the payment is looked for: the payment and the
    order's new status commit together, so once the order no longer awaits it, the payment is visible to
    every later statement. Asked the other way round, PostgreSQL could miss both and lose the refund."""
    async with write_transaction():
        if not await claim_stripe_event(event_id, "charge.refunded", now):
            return
        early = await awaits_payment(charge.metadata.get("order_id"))
        payment = (
            await Payment.select(Payment.id, Payment.order, Payment.amount, Payment.currency)
            .where(
                (Payment.method == PaymentMethod.STRIPE)
                & (Payment.provider_reference == (charge.payment_intent or ""))
            )
            .first()
        )
        if payment is None:
            if early:
                raise EventArrivedEarly(event_id)
            return
        async with in_step(payment["order"]):
            for refund in charge.refunds.data:
                if await Refund.exists().where(Refund.provider_reference == refund.id):
                    continue
                request_key = refund.metadata.get("refund_request")
                if request_key and await Refund.exists().where(Refund.request_key == request_key):
                    # made from the order page, which records it itself; the webhook only confirms it
                    await Refund.update({Refund.provider_reference: refund.id}).where(
                        (Refund.request_key == request_key) & Refund.provider_reference.is_null()
                    )
                    continue
                counted = await Payment.raw(
                    "UPDATE payment SET refunded = refunded + {} WHERE id = {} AND amount - refunded >= {}"
                    " RETURNING id",
                    refund.amount,
                    payment["id"],
                    refund.amount,
                )
                if not counted:
                    logger.error(
                        "Stripe refund %s is more than is left of payment %s", refund.id, payment["id"]
                    )
                    continue
                await Refund.insert(
                    Refund(
                        order=payment["order"],
                        payment=payment["id"],
                        amount=refund.amount,
                        currency=payment["currency"],
                        reason="refunded in Stripe",
                        provider_reference=refund.id,
                        created_at=now,
                    )
                )
            if charge.refunded:
                await Order.update({Order.status: OrderStatus.REFUNDED}).where(Order.id == payment["order"])
                await cancel_all_tickets(payment["order"])


async def awaits_payment(order_id: str | None) -> bool:
    """Whether the id names an order that went to Stripe and whose payment has not reached us yet."""
    parsed = parse_id(order_id)
    return parsed is not None and await Order.exists().where(
        (Order.id == parsed)
        & Order.stripe_session.is_not_null()
        & Order.status.is_in([OrderStatus.PENDING_PAYMENT, OrderStatus.EXPIRED])
    )


PAID_SESSION_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
LAPSED_SESSION_EVENTS = {"checkout.session.async_payment_failed", "checkout.session.expired"}


async def apply_stripe_event(gateway: StripeGateway, event: WebhookEvent, *, now: datetime) -> None:
    """Act on one verified webhook event. Events we do not use, and events whose object we cannot use, are
    acknowledged and change nothing: Stripe would only send the same body again. Raises EventArrivedEarly
    for an event that must wait for another (see there)."""
    kind, subject = event.type, event.data.object
    try:
        if kind in PAID_SESSION_EVENTS:
            await settle_paid_session(gateway, checkout_session_from(subject), event_id=event.id, now=now)
        elif kind in LAPSED_SESSION_EVENTS:
            await lapse_unpaid(checkout_session_from(subject), event_id=event.id, now=now)
        elif kind == "charge.refunded":
            await record_stripe_refund(refunded_charge_from(subject), event_id=event.id, now=now)
    except UnusableEvent as error:
        logger.warning("ignored Stripe event %s (%s): %s", event.id, kind, error)


async def close_lapsed_sessions(gateway: StripeGateway) -> int:
    """Expire the Checkout Sessions of orders that lapsed unpaid, so nobody can pay for seats that were
    given back (Stripe's own expiry comes at least 30 minutes later). A payment that still slips through
    is handled by `settle_paid_session`: seats re-taken if free, else refunded."""
    lapsed = await Order.select(Order.id, Order.stripe_session).where(
        (Order.status == OrderStatus.EXPIRED) & Order.stripe_session_open.eq(True)
    )
    for order in lapsed:
        try:
            await gateway.expire_checkout_session(order["stripe_session"], order["id"])
        except PaymentProviderError:
            logger.warning("could not expire the Checkout Session of lapsed order %s", order["id"])
            continue
        await Order.update({Order.stripe_session_open: False}).where(Order.id == order["id"])
    return len(lapsed)
