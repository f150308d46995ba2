"""Cancelling tickets: they stop scanning at the door and their seats go back on sale (on a seated
performance, the very seats they were for).

A ticket is cancelled by one conditional UPDATE (only while valid and not yet let in), and the seats of
exactly the tickets that UPDATE reports are given back, so a double click or two operators at once give
each seat back once. Money is a step of its own (refunds), because a venue may cancel without refunding
(a no-show's seat resold) or refund without cancelling (a goodwill gesture); `cancel_and_refund` takes
both steps for staff when the buyer is owed what they paid.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from boxoffice.auth import audit
from boxoffice.db import one_of, write_transaction
from boxoffice.errors import Refused
from boxoffice.payments.stripe_gateway import StripeGateway
from boxoffice.sales.holds import give_back_seats, placeholders, release_order
from boxoffice.sales.refunds import (
    REQUEST_KEY,
    RefundPending,
    RefundRefused,
    refund_owed,
    settle_order_status,
)
from boxoffice.sales.summary import in_step
from boxoffice.sales.tables import Order, OrderLine, OrderStatus, PerformanceSeat, Ticket, TicketStatus

CANCEL_SQL = """
    UPDATE ticket SET status = {}
    WHERE "order" = {} AND status = {} AND id IN ({})
      AND NOT EXISTS (SELECT 1 FROM admission WHERE admission.ticket = ticket.id)
    RETURNING id, order_line, seat
"""


class CancelRefused(Refused):
    """Nothing was cancelled; the message says why, for the operator."""


@dataclass(frozen=True, slots=True)
class Cancelled:
    ticket_ids: list[int]
    value: int  # what the cancelled tickets were sold for, in minor units


async def cancel_ticket_rows(order_id: int, ticket_ids: list[int]) -> Cancelled:
    """Cancel those of the tickets still valid and not let in, giving their seats back. Runs inside the
    caller's transaction."""
    if not ticket_ids:
        return Cancelled([], 0)
    cancelled = await Ticket.raw(
        CANCEL_SQL.replace("IN ({})", f"IN ({', '.join('{}' for _ in ticket_ids)})"),
        TicketStatus.CANCELLED.value,
        order_id,
        TicketStatus.VALID.value,
        *ticket_ids,
    )
    seats = [row["seat"] for row in cancelled if row["seat"] is not None]
    if seats:
        await PerformanceSeat.raw(
            f"UPDATE performance_seat SET state = 'available', order_line = NULL"
            f" WHERE id IN ({placeholders(seats)}) AND state = 'sold'",
            *seats,
        )
    per_line = Counter(row["order_line"] for row in cancelled)
    value = 0
    if per_line:
        lines = await OrderLine.select(
            OrderLine.id, OrderLine.performance, OrderLine.ticket_type, OrderLine.unit_price
        ).where(one_of(OrderLine.id, list(per_line)))
        for line in lines:
            await give_back_seats(line["performance"], line["ticket_type"], per_line[line["id"]])
            value += line["unit_price"] * per_line[line["id"]]
    return Cancelled([row["id"] for row in cancelled], value)


async def cancel_tickets(order_id: int, ticket_ids: list[int], *, staff_id: int, ip: str) -> Cancelled:
    """Cancel the chosen tickets of an order; CancelRefused when none of them could be. Audited."""
    async with write_transaction(), in_step(order_id):
        cancelled = await cancel_ticket_rows(order_id, ticket_ids)
        if not cancelled.ticket_ids:
            raise CancelRefused(
                "Nothing was cancelled: choose valid tickets of this order that have not been let in."
            )
        await settle_order_status(order_id)
        await audit.record(
            "order.tickets_cancelled",
            actor_id=staff_id,
            ip=ip,
            object_type="order",
            object_id=order_id,
            detail={"tickets": cancelled.ticket_ids},
        )
    return cancelled


async def cancel_all_tickets(order_id: int) -> None:
    """Every valid ticket of the order cancelled and its seat given back (the whole payment was refunded
    in Stripe). Runs inside the caller's transaction."""
    valid = await Ticket.select(Ticket.id).where(
        (Ticket.order == order_id) & (Ticket.status == TicketStatus.VALID)
    )
    await cancel_ticket_rows(order_id, [row["id"] for row in valid])


async def cancel_reservation(order_id: int, *, staff_id: int, ip: str) -> None:
    """A reservation to pay at the box office called off: its seats go back at once rather than when it
    lapses. Audited. An order in the middle of paying online is not a reservation: its payment may yet
    land, and must find the order still waiting for it."""
    async with write_transaction():
        called_off = await Order.raw(
            'UPDATE "order" SET status = {} WHERE id = {} AND status = {} RETURNING id',
            OrderStatus.CANCELLED.value,
            order_id,
            OrderStatus.RESERVED.value,
        )
        if not called_off:
            raise CancelRefused("Only an unpaid reservation can be called off.")
        await release_order(order_id)
        await audit.record(
            "order.reservation_cancelled", actor_id=staff_id, ip=ip, object_type="order", object_id=order_id
        )


REFUND_PENDING = (
    "Stripe could not be reached to refund the cancelled tickets. The refund is filed and will be made "
    "shortly without anything more from you: do not refund it again."
)


async def cancel_and_refund(
    gateway: StripeGateway | None,
    order_id: int,
    ticket_ids: list[int],
    request_key: str,
    *,
    staff_id: int,
    ip: str,
    now: datetime,
) -> tuple[Cancelled, str]:
    """Cancel the tickets (`cancel_tickets`), then refund what was paid for them, in one step for staff.

    The refund runs after the cancellation has committed, since Stripe is never called inside a
    transaction; a refund that fails does not undo the cancellation, and is returned as what staff must
    know ("" when all was refunded). The refunds' keys come from the form's `request_key`, so a form sent
    twice refunds once (and the second cancels nothing)."""
    if not REQUEST_KEY.fullmatch(request_key):
        raise CancelRefused("This form has expired; open the order again.")
    cancelled = await cancel_tickets(order_id, ticket_ids, staff_id=staff_id, ip=ip)
    try:
        await refund_owed(
            gateway,
            order_id,
            cancelled.value,
            request_key,
            reason="cancellation",
            staff_id=staff_id,
            ip=ip,
            now=now,
        )
    except RefundPending:
        return cancelled, REFUND_PENDING
    except RefundRefused as refusal:
        return cancelled, f"The tickets are cancelled, but not refunded: {refusal} Make the refund below."
    return cancelled, ""
