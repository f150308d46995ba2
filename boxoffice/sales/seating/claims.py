"""Holding chosen seats of a seated performance for a basket.

A seated hold is the general-admission hold (`sales.holds`) with its seats named: in one transaction one
hold is written per (ticket type, price zone), each hold's seats go from available to held by one
conditional UPDATE (`... SET state = 'held', hold = ? WHERE id IN (...) AND performance = ? AND state =
'available'`) whose row count must be the number of seats asked for, and the performance's count (and
each capped type's) is taken by its conditional UPDATE. A seat someone else took in the meantime makes the
count short, and the whole transaction rolls back: all the seats or none, and a seat is never held twice;
the count can never go below zero, so capacity is never exceeded.

The seats are taken before the count, and that order is what makes a rush fast. Every hold of a
performance updates its one row, and on PostgreSQL that row stays locked until the transaction ends, so
whatever a transaction does after taking the count, every other buyer of the performance waits for.
Taken last (in one statement on PostgreSQL, `holds.take_seats`), it stays locked only until the commit
that follows; buyers who lost their seats to someone else fail on the seats and never touch it. The same
order, seats then counts, is kept wherever seats and counts change together (exchanges, retaking a lapsed
order's seats, kills, cancellations), so no two transactions can each wait for a row the other holds.
A buyer whose seats were already taken when they were read is not sent into a transaction at all: only
lapsed holds could free them (`release_lapsed`).

Giving seats back (lapsing, emptying the basket) is `sales.holds`'s; placing and paying an order moves
them on (`sales.orders`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from boxoffice.db import one_of, write_transaction
from boxoffice.sales.holds import (
    MOST_PER_ORDER,
    HoldRefused,
    SoldOut,
    basket_key,
    on_sale_types,
    placeholders,
    release_lapsed,
    seat_name,
    take_seats,
)
from boxoffice.sales.tables import Hold, Performance, PerformanceSeat, SeatState

CHOOSE_A_SEAT = "Choose at least one seat."
SAME_SEAT_TWICE = "You chose the same seat twice; choose each seat once."
NOT_THIS_PERFORMANCE = "One of those seats is not a seat of this performance."
NOT_SEATED = "This performance has no numbered seats: choose how many tickets you would like."
TYPE_NOT_SOLD = "One of those tickets is not sold for this performance."
JUST_TAKEN = "Sorry, {} has just been taken by someone else. Please choose again."
NOT_ON_SALE = "{} is not on sale."


@dataclass(frozen=True, slots=True)
class SeatChoice:
    """A seat the buyer chose, and the ticket type they want for it."""

    seat_id: int
    ticket_type_id: int


async def hold_seats(
    basket_token: str,
    performance_id: int,
    choices: list[SeatChoice],
    *,
    hold_minutes: int,
    max_per_order: int,
    now: datetime,
    counter: bool = False,
) -> datetime:
    """Hold the chosen seats, each for its ticket type, for the basket; returns when they lapse.

    All or nothing: a seat of another performance, one that is not on sale, taken or chosen twice, a type
    not sold, or more seats than an order may have, and nothing is held (HoldRefused says why)."""
    if not choices:
        raise HoldRefused(CHOOSE_A_SEAT)
    seat_ids = [choice.seat_id for choice in choices]
    if len(set(seat_ids)) != len(seat_ids):
        raise HoldRefused(SAME_SEAT_TWICE)
    types = {ticket_type.id for ticket_type in await on_sale_types(performance_id, now, counter=counter)}
    if not {choice.ticket_type_id for choice in choices} <= types:
        raise HoldRefused(TYPE_NOT_SOLD)
    basket = basket_key(basket_token)
    already_held = sum(
        row["quantity"]
        for row in await Hold.select(Hold.quantity).where((Hold.basket == basket) & (Hold.expires_at > now))
    )
    if already_held + len(choices) > max_per_order:
        raise HoldRefused(MOST_PER_ORDER.format(max_per_order))
    seats = await seats_chosen(performance_id, seat_ids)
    groups: dict[tuple[int, str], list[int]] = {}
    for choice in choices:
        groups.setdefault((choice.ticket_type_id, seats[choice.seat_id]["zone"]), []).append(choice.seat_id)
    expires_at = now + timedelta(minutes=hold_minutes)
    seen_taken = [seats[seat_id] for seat_id in seat_ids if seats[seat_id]["state"] != SeatState.AVAILABLE]
    if not seen_taken and await claimed(basket, performance_id, groups, expires_at):
        return expires_at
    if not await release_lapsed(now, performance_id=performance_id):
        raise taken_refusal(seen_taken or await still_taken(seat_ids))
    if await claimed(basket, performance_id, groups, expires_at):
        return expires_at
    raise taken_refusal(await still_taken(seat_ids))


async def seats_chosen(performance_id: int, seat_ids: list[int]) -> dict[int, dict]:
    """The chosen seats by id; HoldRefused when one is not the performance's or is kept off sale. Whether
    the performance is seated at all is only asked when a seat was not found."""
    rows = await PerformanceSeat.select(
        PerformanceSeat.id,
        PerformanceSeat.section,
        PerformanceSeat.row,
        PerformanceSeat.label,
        PerformanceSeat.zone,
        PerformanceSeat.state,
    ).where((PerformanceSeat.performance == performance_id) & one_of(PerformanceSeat.id, seat_ids))
    seats = {row["id"]: row for row in rows}
    if len(seats) != len(seat_ids):
        seated = await Performance.exists().where(
            (Performance.id == performance_id) & Performance.seating_plan.is_not_null()
        )
        raise HoldRefused(NOT_THIS_PERFORMANCE if seated else NOT_SEATED)
    for seat_id in seat_ids:
        if seats[seat_id]["state"] == SeatState.KILLED:
            raise HoldRefused(NOT_ON_SALE.format(seat_name(seats[seat_id])))
    return seats


async def claimed(
    basket: str, performance_id: int, groups: dict[tuple[int, str], list[int]], expires_at: datetime
) -> bool:
    """Write the holds and take their seats, then the counts, in one transaction; False (and nothing
    taken) when a seat is no longer available or the counts are too low. Seats first, counts last: see
    the module's docstring."""
    try:
        async with write_transaction():
            for (type_id, zone), seat_ids in groups.items():
                [hold] = await Hold.insert(
                    Hold(
                        basket=basket,
                        performance=performance_id,
                        ticket_type=type_id,
                        zone=zone,
                        quantity=len(seat_ids),
                        expires_at=expires_at,
                    )
                ).returning(Hold.id)
                if await take_chosen_seats(performance_id, seat_ids, hold_id=hold["id"]):
                    raise SoldOut("A seat was taken.")
            per_type = Counter[int]()
            for (type_id, _), seat_ids in groups.items():
                per_type[type_id] += len(seat_ids)
            for type_id, count in per_type.items():
                if not await take_seats(performance_id, type_id, count):
                    raise SoldOut("Sorry, there are not enough tickets left for that choice.")
    except SoldOut:
        return False
    return True


async def take_chosen_seats(performance_id: int, seat_ids: list[int], *, hold_id: int | None) -> list[int]:
    """Move the seats from available to held (by the hold `hold_id`, or by no hold when an exchange
    passes them straight to its order line) with one conditional UPDATE. Returns the seats that were not
    available: when there are any, the caller's transaction must roll back."""
    held = await PerformanceSeat.raw(
        "UPDATE performance_seat SET state = 'held', hold = {}, order_line = NULL"
        f" WHERE id IN ({placeholders(seat_ids)}) AND performance = {{}} AND state = 'available'"
        " RETURNING id",
        hold_id,
        *seat_ids,
        performance_id,
    )
    taken = {row["id"] for row in held}
    return [seat_id for seat_id in seat_ids if seat_id not in taken]


async def still_taken(seat_ids: list[int]) -> list[dict]:
    """Those of the seats someone else has now."""
    return await PerformanceSeat.select(
        PerformanceSeat.section, PerformanceSeat.row, PerformanceSeat.label
    ).where(one_of(PerformanceSeat.id, seat_ids) & (PerformanceSeat.state != SeatState.AVAILABLE))


def taken_refusal(taken: list[dict]) -> HoldRefused:
    """Which of the seats someone else has, said to the buyer."""
    names = [seat_name(seat) for seat in taken] or ["One of those seats"]
    return SoldOut(JUST_TAKEN.format(" and ".join(names)))
