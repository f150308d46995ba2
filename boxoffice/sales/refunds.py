"""Refunds, whole or partial: through Stripe for online payments, recorded for cash and card-terminal ones.

What must stay true: a payment is never refunded beyond what was paid, and one request never refunds
twice. The first is one conditional UPDATE (`refunded = refunded + n WHERE amount - refunded >= n`), so
racing refunds cannot together exceed the payment. The second rests on the request key each refund form
carries: the refund row is filed under it (UNIQUE) before any money moves, and Stripe is called with an
idempotency key made from it, so a double click, a retry after a timeout or a crash half-way all end in
one refund. Complimentary tickets were never paid for, so they have nothing to refund.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from boxoffice.auth import audit
from boxoffice.db import write_transaction
from boxoffice.errors import Refused
from boxoffice.money import Money
from boxoffice.payments.stripe_gateway import PaymentProviderError, StripeGateway
from boxoffice.sales.summary import in_step
from boxoffice.sales.tables import Order, OrderStatus, Payment, PaymentMethod, Refund, Ticket, TicketStatus

logger = logging.getLogger("boxoffice.payments")

REQUEST_KEY = re.compile(r"[0-9a-f]{32}(-[a-z]+[0-9]*)?")
MAX_REASON_LENGTH = 200


class RefundRefused(Refused):
    """Nothing was refunded."""


class RefundPending(RefundRefused):
    """Stripe did not answer: the refund is filed, and the same request sent again or the worker
    (`finish_pending_refunds`) completes it. It must not be made again by other means."""


class DuplicateRequest(Exception):
    """Rolls back a refund whose request key was taken by a twin request meanwhile."""


@dataclass(frozen=True, slots=True)
class RefundRequest:
    payment_id: int
    amount: int  # minor units
    reason: str
    request_key: str  # from the form: the same form submitted twice refunds once


@dataclass(frozen=True, slots=True)
class RefundDone:
    refund_id: int
    amount: Money
    method: PaymentMethod
    repeated: bool  # the request had already been carried out; nothing more was refunded


def stripe_idempotency_key(order_id: int, request_key: str) -> str:
    return f"order-{order_id}-refund-{request_key}"


async def refund_payment(
    gateway: StripeGateway | None,
    order_id: int,
    request: RefundRequest,
    *,
    staff_id: int,
    ip: str,
    now: datetime,
) -> RefundDone:
    """Refund part or all of one payment of the order. Audited."""
    if not REQUEST_KEY.fullmatch(request.request_key):
        raise RefundRefused({"": "This form has expired; open the order again."})
    if request.amount <= 0:
        raise RefundRefused({"amount": "Enter an amount to refund, more than zero."})
    reason = " ".join(request.reason.split())[:MAX_REASON_LENGTH]
    earlier = await refund_by_request(request.request_key)
    if earlier is None:
        earlier = await reserve_refund(order_id, request, reason, staff_id=staff_id, ip=ip, now=now)
        repeated = earlier["repeated"]
    elif earlier["order"] != order_id:
        raise RefundRefused({"": "This form has expired; open the order again."})
    else:
        repeated = True
    if earlier["method"] == PaymentMethod.STRIPE and earlier["provider_reference"] is None:
        await refund_through_stripe(gateway, order_id, earlier, request.request_key)
    return RefundDone(
        earlier["id"],
        Money(earlier["currency"], earlier["amount"]),
        PaymentMethod(earlier["method"]),
        repeated,
    )


async def refund_owed(
    gateway: StripeGateway | None,
    order_id: int,
    owed: int,
    request_key: str,
    *,
    reason: str,
    staff_id: int,
    ip: str,
    now: datetime,
) -> None:
    """Refund what the order owes the buyer after an exchange to cheaper tickets or a cancellation,
    against its payments (the most recent first, complimentary ones having nothing to give back). Each
    refund's key comes from the form's and the `reason`, so submitting it again never refunds twice."""
    payments = (
        await Payment.select(Payment.id, Payment.amount, Payment.refunded)
        .where((Payment.order == order_id) & (Payment.method != PaymentMethod.COMPLIMENTARY))
        .order_by(Payment.id, ascending=False)
    )
    for payment in payments:
        amount = min(owed, payment["amount"] - payment["refunded"])
        if amount <= 0:
            continue
        await refund_payment(
            gateway,
            order_id,
            RefundRequest(payment["id"], amount, reason, f"{request_key}-{reason}{payment['id']}"),
            staff_id=staff_id,
            ip=ip,
            now=now,
        )
        owed -= amount


async def refund_by_request(request_key: str) -> dict | None:
    return (
        await Refund.select(
            Refund.id,
            Refund.order,
            Refund.amount,
            Refund.currency,
            Refund.provider_reference,
            Refund.payment,
            Refund.payment.method.as_alias("method"),
            Refund.payment.provider_reference.as_alias("payment_reference"),
        )
        .where(Refund.request_key == request_key)
        .first()
    )


async def reserve_refund(
    order_id: int, request: RefundRequest, reason: str, *, staff_id: int, ip: str, now: datetime
) -> dict:
    """File the refund and count it against the payment, in one transaction; for Stripe payments the
    refund is then made by `refund_through_stripe` (until then its provider reference is empty)."""
    try:
        async with write_transaction(), in_step(order_id):
            payment = (
                await Payment.select(
                    Payment.id, Payment.method, Payment.amount, Payment.refunded, Payment.currency
                )
                .where((Payment.id == request.payment_id) & (Payment.order == order_id))
                .first()
            )
            if payment is None:
                raise RefundRefused({"payment": "Choose one of this order's payments."})
            if payment["method"] == PaymentMethod.COMPLIMENTARY:
                raise RefundRefused(
                    {"payment": "Complimentary tickets were not paid for: nothing to refund."}
                )
            counted = await Payment.raw(
                "UPDATE payment SET refunded = refunded + {} WHERE id = {} AND amount - refunded >= {}"
                " RETURNING refunded",
                request.amount,
                payment["id"],
                request.amount,
            )
            if not counted:
                if await refund_by_request(request.request_key) is not None:
                    raise DuplicateRequest()  # the same form, sent twice at once, took it all first
                raise RefundRefused(
                    {"amount": "That is more than is left to refund of this payment (see Payments)."}
                )
            filed = await Refund.raw(
                'INSERT INTO refund ("order", payment, amount, currency, reason, created_at, staff,'
                " request_key) VALUES ({}, {}, {}, {}, {}, {}, {}, {})"
                " ON CONFLICT (request_key) DO NOTHING RETURNING id",
                order_id,
                payment["id"],
                request.amount,
                payment["currency"],
                reason,
                now,
                staff_id,
                request.request_key,
            )
            if not filed:
                raise DuplicateRequest()
            await audit.record(
                "order.refunded",
                actor_id=staff_id,
                ip=ip,
                object_type="order",
                object_id=order_id,
                detail={
                    "refund": filed[0]["id"],
                    "payment": payment["id"],
                    "method": payment["method"],
                    "amount": request.amount,
                },
            )
            await settle_order_status(order_id)
    except DuplicateRequest:
        twin = await refund_by_request(request.request_key)
        assert twin is not None
        return {**twin, "repeated": True}
    filed_refund = await refund_by_request(request.request_key)
    assert filed_refund is not None
    return {**filed_refund, "repeated": False}


async def refund_through_stripe(
    gateway: StripeGateway | None, order_id: int, refund: dict, request_key: str
) -> None:
    """Make a filed refund at Stripe. Its idempotency key comes from the request, so calling again after
    a failure or a crash never refunds twice. If Stripe refuses, the filed refund is withdrawn."""
    if gateway is None:
        await withdraw_refund(refund)
        raise RefundRefused({"": "Card payments are not set up, so an online payment cannot be refunded."})
    try:
        refund_id = await gateway.refund(
            refund["payment_reference"],
            refund["amount"],
            stripe_idempotency_key(order_id, request_key),
            metadata={"refund_request": request_key},
        )
    except PaymentProviderError as error:
        if error.http_status is not None and error.http_status < 500:
            await withdraw_refund(refund)
            raise RefundRefused({"": "Stripe refused the refund; nothing was refunded."}) from error
        raise RefundPending(
            {"": "Stripe could not be reached. Submit the same form again: it will not refund twice."}
        ) from error
    await Refund.update({Refund.provider_reference: refund_id}).where(
        (Refund.id == refund["id"]) & Refund.provider_reference.is_null()
    )


PENDING_GRACE = timedelta(minutes=2)  # a refund younger than this may still be on its way to Stripe


async def finish_pending_refunds(gateway: StripeGateway, now: datetime) -> int:
    """Make at Stripe the refunds that were filed but never confirmed (the process stopped, or Stripe did
    not answer, between filing and calling); returns how many were finished. Safe to repeat: each call
    carries the refund's own idempotency key. Run by the worker."""
    pending = await Refund.select(Refund.request_key).where(
        Refund.provider_reference.is_null()
        & Refund.request_key.is_not_null()
        & (Refund.payment.method == PaymentMethod.STRIPE)
        & (Refund.created_at < now - PENDING_GRACE)
    )
    finished = 0
    for row in pending:
        refund = await refund_by_request(row["request_key"])
        if refund is None or refund["provider_reference"] is not None:
            continue
        try:
            await refund_through_stripe(gateway, refund["order"], refund, row["request_key"])
        except RefundRefused:
            logger.warning("a pending refund of order %s could not be made yet", refund["order"])
            continue
        finished += 1
    return finished


async def withdraw_refund(refund: dict) -> None:
    async with write_transaction(), in_step(refund["order"]):
        withdrawn = (
            await Refund.delete()
            .where((Refund.id == refund["id"]) & Refund.provider_reference.is_null())
            .returning(Refund.order)
        )
        if withdrawn:
            await Payment.raw(
                "UPDATE payment SET refunded = refunded - {} WHERE id = {}",
                refund["amount"],
                refund["payment"],
            )
            await settle_order_status(withdrawn[0]["order"])


async def settle_order_status(order_id: int) -> None:
    """A paid order whose tickets are all cancelled becomes refunded (if any money went back) or
    cancelled. Runs inside the caller's transaction."""
    valid = await Ticket.exists().where((Ticket.order == order_id) & (Ticket.status == TicketStatus.VALID))
    refunded = await Refund.exists().where(Refund.order == order_id)
    if valid:
        return
    await Order.update({Order.status: OrderStatus.REFUNDED if refunded else OrderStatus.CANCELLED}).where(
        (Order.id == order_id) & (Order.status == OrderStatus.PAID)
    )
