"""Exchanging tickets to another performance of the same event.

All in one transaction: the new seats are taken (by the same conditional UPDATE as any sale, so a
sold-out performance refuses and nothing changes), the old tickets are cancelled and their seats given
back, new tickets are issued on new order lines at the new performance's prices, and a higher price is
paid at the counter. Into a seated performance the operator names a seat for each ticket: the seats go
from available to sold by the conditional UPDATE of `seating.claims`, so a seat someone took meanwhile
makes the whole exchange roll back, and each ticket is priced in its new seat's zone. A lower price is
refunded afterwards, through `refunds`, against the order's payments (Stripe cannot take part in a
database transaction).

Only money paid moves: a complimentary ticket stays complimentary, so exchanging it costs and refunds
nothing, and a higher price given away (paid "complimentary") leaves each ticket at what was paid for it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from boxoffice.auth import audit
from boxoffice.db import as_utc, write_transaction
from boxoffice.errors import Refused
from boxoffice.payments.stripe_gateway import StripeGateway
from boxoffice.sales.cancellations import cancel_ticket_rows
from boxoffice.sales.counter_payments import CounterPayment, check_payment, record_counter_payment
from boxoffice.sales.holds import HoldRefused, release_lapsed, seat_name, take_seats
from boxoffice.sales.orders import face_value, insert_order_lines, issue_tickets, ticket_prices
from boxoffice.sales.refunds import REQUEST_KEY, RefundPending, RefundRefused, refund_owed
from boxoffice.sales.seating.claims import JUST_TAKEN, SAME_SEAT_TWICE, seats_chosen, take_chosen_seats
from boxoffice.sales.summary import in_step
from boxoffice.sales.tables import (
    Order,
    OrderStatus,
    PaymentMethod,
    Performance,
    Ticket,
    TicketStatus,
    TicketType,
)

EXCHANGEABLE_TICKETS_SQL = """
    SELECT k.id, k.performance, l.unit_price, l.face_value, t.name AS type_name, p.event
    FROM ticket k
    JOIN order_line l ON l.id = k.order_line
    JOIN ticket_type t ON t.id = l.ticket_type
    JOIN performance p ON p.id = k.performance
    WHERE k."order" = {} AND k.status = {}
      AND NOT EXISTS (SELECT 1 FROM admission a WHERE a.ticket = k.id)
"""


class ExchangeRefused(Refused):
    """Nothing was exchanged."""


@dataclass(frozen=True, slots=True)
class Exchanged:
    tickets: int
    difference: int  # minor units: more than zero was paid, less than zero is to be refunded
    currency: str


@dataclass(frozen=True, slots=True)
class ExchangeTarget:
    """A performance tickets may move to."""

    id: int
    starts_at: datetime
    seated: bool = False  # tickets moving there need a seat each, chosen on its map


async def exchange_targets(order_id: int, now: datetime) -> list[ExchangeTarget]:
    """The other performances still to come of the events the order has tickets for."""
    rows = await Performance.raw(
        """
        SELECT DISTINCT p.id, p.starts_at, p.seating_plan IS NOT NULL AS seated FROM performance p
        WHERE p.starts_at > {} AND p.event IN (
            SELECT op.event FROM ticket k JOIN performance op ON op.id = k.performance WHERE k."order" = {}
        ) AND p.id NOT IN (SELECT k.performance FROM ticket k WHERE k."order" = {} AND k.status = {})
        ORDER BY p.starts_at
        """,
        now,
        order_id,
        order_id,
        TicketStatus.VALID.value,
    )
    return [ExchangeTarget(row["id"], as_utc(row["starts_at"]), bool(row["seated"])) for row in rows]


async def exchange_tickets(
    order_id: int,
    ticket_ids: list[int],
    target_performance_id: int,
    payment: CounterPayment | None,
    *,
    staff_id: int,
    may_comp: bool,
    may_refund: bool,
    ip: str,
    now: datetime,
    seat_ids: list[int] | None = None,
) -> Exchanged:
    """Move the chosen tickets to `target_performance_id`, each to the ticket type of the same name there
    and, on a seated performance, to the seat of `seat_ids` in the same place (tickets taken in the order
    of their ids). A higher total is paid with `payment`; a lower one needs `may_refund`, and the caller
    refunds it with `refunds.refund_owed` once this transaction has committed. Audited."""
    seat_ids = list(seat_ids or [])
    if seat_ids:  # seats whose holds have lapsed are free to take
        await release_lapsed(now, performance_id=target_performance_id)
    async with write_transaction(), in_step(order_id):
        order = await Order.select(Order.status, Order.currency).where(Order.id == order_id).first()
        if order is None or order["status"] != OrderStatus.PAID:
            raise ExchangeRefused({"": "Only the tickets of a paid order can be exchanged."})
        chosen = sorted(
            (
                row
                for row in await Ticket.raw(EXCHANGEABLE_TICKETS_SQL, order_id, TicketStatus.VALID.value)
                if row["id"] in set(ticket_ids)
            ),
            key=lambda row: row["id"],
        )
        if not chosen or len(chosen) != len(set(ticket_ids)):
            raise ExchangeRefused(
                {"tickets": "Choose valid tickets of this order that have not been let in."}
            )
        target = (
            await Performance.select(
                Performance.id, Performance.event, Performance.starts_at, Performance.seating_plan
            )
            .where(Performance.id == target_performance_id)
            .first()
        )
        if (
            target is None
            or {row["event"] for row in chosen} != {target["event"]}
            or as_utc(target["starts_at"]) <= now
            or any(row["performance"] == target["id"] for row in chosen)
        ):
            raise ExchangeRefused(
                {"performance": "Choose another performance of the same event, still to come."}
            )
        seats = await new_seats(target["id"], target["seating_plan"] is not None, seat_ids, len(chosen))
        zones = [seats[seat_id]["zone"] for seat_id in seat_ids] or [""] * len(chosen)
        target_types = {
            row["name"]: row["id"]
            for row in await TicketType.select(TicketType.id, TicketType.name).where(
                TicketType.performance == target["id"]
            )
        }
        missing = sorted({row["type_name"] for row in chosen} - set(target_types))
        if missing:
            raise ExchangeRefused(
                {"performance": f"That performance has no {', '.join(missing)} tickets to exchange into."}
            )
        wanted = Counter(target_types[row["type_name"]] for row in chosen)
        # The seats before the counts, as every hold takes them (seating.claims).
        if seat_ids and (gone := await take_chosen_seats(target["id"], seat_ids, hold_id=None)):
            names = " and ".join(seat_name(seats[seat_id]) for seat_id in gone)
            raise ExchangeRefused({"seat": JUST_TAKEN.format(names)})
        for type_id, count in wanted.items():
            if not await take_seats(target["id"], type_id, count):
                raise ExchangeRefused({"performance": "Sorry, that performance has too few seats left."})
        cancelled = await cancel_ticket_rows(order_id, [row["id"] for row in chosen])
        if len(cancelled.ticket_ids) != len(chosen):  # one was let in (or cancelled) meanwhile
            raise ExchangeRefused(
                {"tickets": "A chosen ticket has just been used or cancelled; choose again."}
            )
        prices = await ticket_prices(list(wanted))
        new_tickets = []
        for row, zone in zip(chosen, zones, strict=True):
            type_id = target_types[row["type_name"]]
            price = face_value({"ticket_type": type_id, "zone": zone}, prices)
            new_tickets.append((type_id, zone, 0 if is_complimentary(row) else price))
        difference = sum(price for *_, price in new_tickets) - sum(row["unit_price"] for row in chosen)
        currency = order["currency"]
        payment_id = None
        if difference > 0:
            if payment is None:
                raise ExchangeRefused({"method": "The new tickets cost more: take the difference."})
            checked = check_payment(payment, difference, currency, may_comp=may_comp)
            payment_id = await record_counter_payment(order_id, checked, currency, staff_id=staff_id, now=now)
            if checked.method is PaymentMethod.COMPLIMENTARY:  # the difference given away
                new_tickets = [
                    (type_id, zone, row["unit_price"])
                    for (type_id, zone, _), row in zip(new_tickets, chosen, strict=True)
                ]
                difference = 0
        lines: dict[tuple[int, str, int], list[int | None]] = {}
        for ticket, seat_id in zip(new_tickets, seat_ids or [None] * len(chosen), strict=True):
            lines.setdefault(ticket, []).append(seat_id)
        new_lines = [
            {
                "performance": target["id"],
                "ticket_type": type_id,
                "zone": zone,
                "unit_price": price,
                "quantity": len(line_seats),
                "seats": [seat for seat in line_seats if seat is not None],
            }
            for (type_id, zone, price), line_seats in lines.items()
        ]
        line_ids = await insert_order_lines(order_id, new_lines, prices)
        await issue_tickets(order_id, now, line_ids=line_ids)
        if difference < 0 and not may_refund:
            raise ExchangeRefused({"": "The new tickets cost less, and you may not give refunds."})
        await Order.raw('UPDATE "order" SET total = total + {} WHERE id = {}', difference, order_id)
        await audit.record(
            "order.exchanged",
            actor_id=staff_id,
            ip=ip,
            object_type="order",
            object_id=order_id,
            detail={
                "tickets": [row["id"] for row in chosen],
                "to_performance": target["id"],
                "seats": seat_ids,
                "difference": difference,
                "payment": payment_id,
            },
        )
    return Exchanged(len(chosen), difference, currency)


async def new_seats(performance_id: int, seated: bool, seat_ids: list[int], tickets: int) -> dict[int, dict]:
    """The chosen seats by id (with their names and price zones); ExchangeRefused unless a seated
    performance has one seat of its own, on sale, for each ticket, and no other has any."""
    if not seated:
        if seat_ids:
            raise ExchangeRefused({"performance": "That performance has no numbered seats to choose."})
        return {}
    if len(seat_ids) != tickets:
        raise ExchangeRefused(
            {"seat": f"Choose {tickets} seat{'s' if tickets != 1 else ''}, one for each ticket exchanged."}
        )
    if len(set(seat_ids)) != len(seat_ids):
        raise ExchangeRefused({"seat": SAME_SEAT_TWICE})
    try:
        return await seats_chosen(performance_id, seat_ids)
    except HoldRefused as refusal:
        raise ExchangeRefused({"seat": str(refusal)}) from None


def is_complimentary(ticket: dict) -> bool:
    """A ticket given away: it had a price, and nothing was paid for it."""
    return ticket["unit_price"] == 0 and ticket["face_value"] > 0


DIFFERENCE_PENDING = (
    "Stripe could not be reached to refund the difference. The refund is filed and will be made shortly "
    "without anything more from you: do not refund it again."
)


@dataclass(frozen=True, slots=True)
class SettledExchange:
    exchanged: Exchanged
    refund_trouble: str = ""  # what staff must know when the difference was not refunded at once


async def exchange_and_settle(
    gateway: StripeGateway | None,
    order_id: int,
    ticket_ids: list[int],
    target_performance_id: int,
    payment: CounterPayment | None,
    request_key: str,
    *,
    staff_id: int,
    may_comp: bool,
    may_refund: bool,
    ip: str,
    now: datetime,
    seat_ids: list[int] | None = None,
) -> SettledExchange:
    """Exchange the tickets (`exchange_tickets`), then refund whatever the exchange left owing.

    The refund runs after the exchange has committed, since Stripe is never called inside a transaction.
    So a refund that fails does not undo the exchange: it is reported in `refund_trouble`, and the same
    form sent again, carrying the same `request_key`, never refunds twice. Raises ExchangeRefused (or
    PaymentRefused) when nothing was exchanged."""
    if not REQUEST_KEY.fullmatch(request_key):
        raise ExchangeRefused("This form has expired; open the order again.")
    exchanged = await exchange_tickets(
        order_id,
        ticket_ids,
        target_performance_id,
        payment,
        staff_id=staff_id,
        may_comp=may_comp,
        may_refund=may_refund,
        ip=ip,
        now=now,
        seat_ids=seat_ids,
    )
    try:
        await refund_owed(
            gateway,
            order_id,
            -exchanged.difference,
            request_key,
            reason="exchange",
            staff_id=staff_id,
            ip=ip,
            now=now,
        )
    except RefundPending:
        return SettledExchange(exchanged, DIFFERENCE_PENDING)
    except RefundRefused as refusal:
        return SettledExchange(
            exchanged, f"The difference could not be refunded: {refusal} Make the refund below."
        )
    return SettledExchange(exchanged)
