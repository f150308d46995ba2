"""Orders: made from a basket's holds, then fulfilled exactly once when paid.

Fulfilment moves an order to "paid" with one conditional UPDATE, in the same transaction as the
tickets, the payment, the contact, the consent record, the confirmation e-mail and (for Stripe) the
event id that caused it. Whichever of the webhook and the buyer's return page arrives first does the
work; the other finds nothing left to do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from boxoffice.crash_points import crash_point
from boxoffice.crm.contacts import ContactDetails, upsert_contact
from boxoffice.db import as_utc, one_of, write_transaction
from boxoffice.marketing.consent import record_consent
from boxoffice.money import Money
from boxoffice.sales.confirmation import queue_confirmation
from boxoffice.sales.holds import (
    LAPSING_STATUSES,
    basket_key,
    placeholders,
    release_holds,
    remove_holds,
    take_seats,
)
from boxoffice.sales.summary import in_step
from boxoffice.sales.tables import (
    Order,
    OrderChannel,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    PerformanceSeat,
    StripeEvent,
    Ticket,
    TicketType,
    ZonePrice,
)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I to misread over the phone
TICKET_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TICKET_CODE_LENGTH = 16  # 80 random bits


class BasketLapsed(Exception):
    """The basket holds nothing any more: its time ran out, or it was already turned into an order."""


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def new_ticket_code() -> str:
    return "".join(secrets.choice(TICKET_CODE_ALPHABET) for _ in range(TICKET_CODE_LENGTH))


@dataclass(frozen=True, slots=True)
class Buyer:
    first_name: str
    last_name: str
    email: str
    phone: str
    postcode: str
    ip: str


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    id: int
    reference: str
    total: Money
    expires_at: datetime


async def place_order(
    basket_token: str,
    buyer: Buyer,
    *,
    status: OrderStatus,
    expires_at: datetime,
    terms_version: int,
    privacy_version: int,
    marketing_opt_in: bool,
    consent_question: int | None,
    now: datetime,
) -> PlacedOrder:
    """Turn the basket's live holds into an unpaid order (awaiting payment, or reserved to pay at the box
    office); the seats pass from the holds to the order without ever being free in between."""
    assert status in (OrderStatus.PENDING_PAYMENT, OrderStatus.RESERVED)
    async with write_transaction():
        live = await take_basket_holds(basket_token, now)
        prices = await ticket_prices([row["ticket_type"] for row in live])
        currency = prices[live[0]["ticket_type"]]["currency"]
        total = basket_total(live, prices)
        reference = await unused_reference()
        [order] = await Order.insert(
            Order(
                reference=reference,
                channel=OrderChannel.ONLINE,
                status=status,
                first_name=buyer.first_name,
                last_name=buyer.last_name,
                email=buyer.email.strip().lower(),
                phone=buyer.phone,
                postcode=buyer.postcode,
                currency=currency,
                total=total,
                terms_version=terms_version,
                privacy_version=privacy_version,
                marketing_opt_in=marketing_opt_in,
                consent_question=consent_question,
                buyer_ip=buyer.ip,
                created_at=now,
                expires_at=expires_at,
            )
        ).returning(Order.id)
        await insert_order_lines(order["id"], live, prices)
        crash_point("order.before_commit")
    return PlacedOrder(order["id"], reference, Money(currency, total), expires_at)


async def take_basket_holds(basket_token: str, now: datetime) -> list[dict]:
    """Empty the basket and return its live holds (performance, ticket_type, zone, quantity, seats), whose
    seats pass to the order being made; lapsed ones give their seats back. Raises BasketLapsed when
    nothing is live. Runs inside the caller's transaction."""
    holds = await remove_holds("basket = {}", basket_key(basket_token))
    live = [row for row in holds if as_utc(row["expires_at"]) > now]
    await release_holds([row for row in holds if as_utc(row["expires_at"]) <= now])
    if not live:
        raise BasketLapsed()
    return live


async def ticket_prices(type_ids: list[int]) -> dict[int, dict]:
    """Ticket types by id, with price, currency, the titles that describe an order line, and `zones`:
    the type's price in each price zone of a seated performance."""
    prices = {
        row["id"]: {**row, "zones": {}}
        for row in await TicketType.select(
            TicketType.id,
            TicketType.name,
            TicketType.price,
            TicketType.currency,
            TicketType.performance.starts_at.as_alias("starts_at"),
            TicketType.performance.event.title.as_alias("title"),
        ).where(one_of(TicketType.id, type_ids))
    }
    for row in await ZonePrice.select(ZonePrice.ticket_type, ZonePrice.zone, ZonePrice.price).where(
        one_of(ZonePrice.ticket_type, type_ids)
    ):
        prices[row["ticket_type"]]["zones"][row["zone"]] = row["price"]
    return prices


def face_value(row: dict, prices: dict[int, dict]) -> int:
    """The price of a held row's tickets: the type's price in the seats' zone, or its own price (general
    admission, or a zone the type has no price of its own in)."""
    ticket_type = prices[row["ticket_type"]]
    return ticket_type["zones"].get(row.get("zone") or "", ticket_type["price"])


def basket_total(live: list[dict], prices: dict[int, dict]) -> int:
    return sum(face_value(row, prices) * row["quantity"] for row in live)


async def insert_order_lines(order_id: int, live: list[dict], prices: dict[int, dict]) -> list[int]:
    """One order line per (performance, ticket type, zone) held, at today's price, or at the `unit_price`
    a row names (0 for tickets given away); the face value is always today's price. The seats a row
    names pass to its line, still held. Returns the lines' ids."""
    rows = await OrderLine.insert(
        *[
            OrderLine(
                order=order_id,
                performance=row["performance"],
                ticket_type=row["ticket_type"],
                description=line_description(prices[row["ticket_type"]], row.get("zone") or ""),
                quantity=row["quantity"],
                unit_price=row.get("unit_price", face_value(row, prices)),
                face_value=face_value(row, prices),
                zone=row.get("zone") or "",
            )
            for row in live
        ]
    ).returning(OrderLine.id)
    for line, row in zip(rows, live, strict=True):
        if seats := row.get("seats"):
            await PerformanceSeat.raw(
                f"UPDATE performance_seat SET order_line = {{}} WHERE id IN ({placeholders(seats)})"
                " AND state = 'held'",
                line["id"],
                *seats,
            )
    return [row["id"] for row in rows]


async def give_away_order(order_id: int) -> None:
    """The order's tickets become complimentary: nothing is paid for them, their face value stays. Runs
    inside the caller's transaction."""
    await OrderLine.update({OrderLine.unit_price: 0}).where(OrderLine.order == order_id)
    await Order.update({Order.total: 0}).where(Order.id == order_id)


def line_description(ticket_type: dict, zone: str = "") -> str:
    described = f"{ticket_type['title']} · {ticket_type['name']}"
    return f"{described} · zone {zone}" if zone else described


async def unused_reference() -> str:
    while await Order.exists().where(Order.reference == (reference := new_reference())):
        pass
    return reference


class Fulfilment(StrEnum):
    FULFILLED = "fulfilled"  # paid now, tickets issued
    ALREADY_DONE = "already_done"  # an earlier webhook or return visit did it
    NO_SEATS = "no_seats"  # paid after the order lapsed and its seats were sold: must be refunded


@dataclass(frozen=True, slots=True)
class PaymentReceived:
    method: PaymentMethod
    amount: int
    currency: str
    provider_reference: str = ""
    stripe_event_id: str | None = None
    staff_id: int | None = None
    tendered: int | None = None  # cash handed over at the counter
    reason: str = ""  # why tickets were given away, for complimentary ones


async def fulfil_order(order_id: int, payment: PaymentReceived, *, now: datetime) -> Fulfilment:
    """Mark the order paid and issue everything that comes with it, exactly once."""
    async with write_transaction(), in_step(order_id):
        if payment.stripe_event_id and not await claim_stripe_event(
            payment.stripe_event_id, "fulfilment", now
        ):
            return Fulfilment.ALREADY_DONE
        paid = await Order.raw(
            'UPDATE "order" SET status = {}, paid_at = {}, expires_at = NULL, stripe_session_open = {}'
            " WHERE id = {} AND status IN ({}, {}) RETURNING id",
            OrderStatus.PAID.value,
            now,
            False,
            order_id,
            *LAPSING_STATUSES,
        )
        if not paid:
            current = await Order.select(Order.status).where(Order.id == order_id).first()
            if current is None:
                raise LookupError(order_id)
            if current["status"] != OrderStatus.EXPIRED:
                return Fulfilment.ALREADY_DONE
            if not await retake_lapsed_seats(order_id):
                raise LatePaymentWithoutSeats()
            await Order.update(
                {Order.status: OrderStatus.PAID, Order.paid_at: now, Order.stripe_session_open: False}
            ).where(Order.id == order_id)
        await Payment.insert(
            Payment(
                order=order_id,
                method=payment.method,
                amount=payment.amount,
                currency=payment.currency,
                provider_reference=payment.provider_reference,
                staff=payment.staff_id,
                tendered=payment.tendered,
                reason=payment.reason,
                created_at=now,
            )
        )
        await issue_tickets(order_id, now)
        await attach_contact_and_consent(order_id, now)
        await queue_confirmation(order_id)
        crash_point("fulfilment.before_commit")
    crash_point("fulfilment.committed")
    return Fulfilment.FULFILLED


class LatePaymentWithoutSeats(Exception):
    """Raised inside fulfilment to roll back a partial re-take of seats."""


async def fulfil_or_report_no_seats(order_id: int, payment: PaymentReceived, *, now: datetime) -> Fulfilment:
    try:
        return await fulfil_order(order_id, payment, now=now)
    except LatePaymentWithoutSeats:
        return Fulfilment.NO_SEATS


async def claim_stripe_event(event_id: str, event_type: str, now: datetime) -> bool:
    """Record a Stripe event as applied; False when it already was. Runs in the caller's transaction, so
    the record and the event's effects commit or vanish together."""
    claimed = await StripeEvent.raw(
        "INSERT INTO stripe_event (event_id, event_type, processed_at) VALUES ({}, {}, {})"
        " ON CONFLICT (event_id) DO NOTHING RETURNING id",
        event_id,
        event_type,
        now,
    )
    return bool(claimed)


async def retake_lapsed_seats(order_id: int) -> bool:
    """A payment arrived after its order lapsed: take the seats again if they are still free (on a seated
    performance, the very seats the order had)."""
    lines = await OrderLine.select(
        OrderLine.id,
        OrderLine.performance,
        OrderLine.ticket_type,
        OrderLine.quantity,
        OrderLine.performance.seating_plan.as_alias("plan"),
    ).where(OrderLine.order == order_id)
    for line in lines:  # the seats before the counts, as every hold takes them (seating.claims)
        if line["plan"] is not None and not await retake_line_seats(line["id"], line["quantity"]):
            return False
        if not await take_seats(line["performance"], line["ticket_type"], line["quantity"]):
            return False
    return True


async def retake_line_seats(line_id: int, quantity: int) -> bool:
    taken = await PerformanceSeat.raw(
        "UPDATE performance_seat SET state = 'held' WHERE order_line = {} AND state = 'available'"
        " RETURNING id",
        line_id,
    )
    return len(taken) == quantity


async def issue_tickets(order_id: int, now: datetime, *, line_ids: list[int] | None = None) -> None:
    """One ticket per admission on the order's lines (or only on `line_ids`, new lines of an exchange);
    on a seated performance each is for one of its line's seats, which are sold by the same UPDATE that
    finds them."""
    query = OrderLine.select(
        OrderLine.id,
        OrderLine.performance,
        OrderLine.quantity,
        OrderLine.performance.seating_plan.as_alias("plan"),
    ).where(OrderLine.order == order_id)
    if line_ids is not None:
        query = query.where(one_of(OrderLine.id, line_ids))
    lines = await query
    tickets = []
    for line in lines:
        seats: list[int | None] = [None] * line["quantity"]
        if line["plan"] is not None:
            sold = await PerformanceSeat.raw(
                "UPDATE performance_seat SET state = 'sold' WHERE order_line = {} AND state = 'held'"
                " RETURNING id",
                line["id"],
            )
            seats = sorted(row["id"] for row in sold)
            if len(seats) != line["quantity"]:
                raise SeatsMissing(order_id)
        tickets += [
            Ticket(
                order=order_id,
                order_line=line["id"],
                performance=line["performance"],
                code=new_ticket_code(),
                issued_at=now,
                seat=seat,
            )
            for seat in seats
        ]
    await Ticket.insert(*tickets)


class SeatsMissing(Exception):
    """An order line's seats were not all held for it: a fault, never a state a sale may reach. Raised
    inside the transaction, so nothing is issued."""


async def attach_contact_and_consent(order_id: int, now: datetime) -> None:
    """File the buyer in the CRM by e-mail, and record their marketing consent if they gave it."""
    order = (
        await Order.select(
            Order.first_name,
            Order.last_name,
            Order.email,
            Order.phone,
            Order.postcode,
            Order.marketing_opt_in,
            Order.consent_question,
            Order.buyer_ip,
            Order.channel,
        )
        .where(Order.id == order_id)
        .first()
    )
    if not order["email"]:
        return
    contact_id = await upsert_contact(
        ContactDetails(
            order["first_name"], order["last_name"], order["email"], order["phone"], order["postcode"]
        ),
        now,
    )
    await Order.update({Order.contact: contact_id}).where(Order.id == order_id)
    if order["marketing_opt_in"] and order["consent_question"] is not None:
        await record_consent(
            contact_id=contact_id,
            channel="email",
            granted=True,
            source="online_checkout",
            question_id=order["consent_question"],
            ip=order["buyer_ip"],
            now=now,
        )


def payment_window(now: datetime, hold_minutes: int) -> datetime:
    """How long a buyer who has gone to pay keeps their seats."""
    return now + timedelta(minutes=hold_minutes)
