"""Killing seats (keeping them off sale: house seats, technical kills, wheelchair spaces held back) and
releasing them, on a seated performance.

What must stay true: a seat is killed only from `available` and released only from `killed`, and the
performance's `available` count moves by the same number in the same transaction, so the capacity that
every hold takes keeps matching the seats that can be sold. Each move is one conditional UPDATE naming
the state it leaves (`... WHERE state = 'available'`); if any chosen seat is not in that state (sold or
held by a buyer a moment ago, or not a seat of this performance) the whole request is refused and
nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from boxoffice.auth import audit
from boxoffice.db import write_transaction
from boxoffice.errors import Refused
from boxoffice.sales.catalogue_forms import counted
from boxoffice.sales.tables import Performance, PerformanceSeat, SeatState

MAX_REASON_LENGTH = 200
MOST_SEATS_AT_ONCE = 5_000

STATE_WORDS = {
    SeatState.AVAILABLE.value: "available",
    SeatState.HELD.value: "held by a buyer",
    SeatState.SOLD.value: "sold",
    SeatState.KILLED.value: "already killed",
}


# Killed seats leave the performance's capacity to sell; released ones come back to it.
MOVE_AVAILABLE_SQL = """
    UPDATE performance SET available = available + {} WHERE id = {} AND available + {} >= 0 RETURNING id
"""


class KillRefused(Refused):
    """Seats that cannot be killed or released as asked; nothing was changed."""


def seat_name(seat: dict) -> str:
    return f"{seat['section']} row {seat['row']} seat {seat['label']}"


async def move_seats(
    performance_id: int,
    seat_ids: Iterable[int],
    *,
    leaving: SeatState,
    entering: SeatState,
    reason: str,
    actor_id: int | None,
    ip: str,
) -> int:
    ids = sorted(set(seat_ids))
    if not ids:
        raise KillRefused("Choose at least one seat.", "seats")
    if len(ids) > MOST_SEATS_AT_ONCE:
        raise KillRefused(f"Choose at most {MOST_SEATS_AT_ONCE:,} seats at once.", "seats")
    killing = entering is SeatState.KILLED
    async with write_transaction():
        if not await Performance.exists().where(
            (Performance.id == performance_id) & Performance.seating_plan.is_not_null()
        ):
            if not await Performance.exists().where(Performance.id == performance_id):
                raise LookupError(performance_id)
            raise KillRefused("This performance is general admission: it has no seats to kill.", "seats")
        moved = (
            await PerformanceSeat.update(
                {
                    PerformanceSeat.state: entering.value,
                    PerformanceSeat.kill_reason: reason if killing else "",
                    PerformanceSeat.killed_by: actor_id if killing else None,
                }
            )
            .where(
                (PerformanceSeat.performance == performance_id)
                & PerformanceSeat.id.is_in(ids)
                & (PerformanceSeat.state == leaving.value)
            )
            .returning(PerformanceSeat.id)
        )
        if len(moved) != len(ids):
            raise KillRefused(await why_not_moved(performance_id, ids, leaving), "seats")
        change = -len(ids) if killing else len(ids)
        counted_ok = await Performance.raw(MOVE_AVAILABLE_SQL, change, performance_id, change)
        if not counted_ok:
            raise KillRefused("The performance’s seat count is out of step; nothing was changed.", "seats")
        await audit.record(
            "performance.seats_killed" if killing else "performance.seats_released",
            actor_id=actor_id,
            ip=ip,
            object_type="performance",
            object_id=performance_id,
            detail={"seat_ids": ids, **({"reason": reason} if killing else {})},
        )
    return len(ids)


async def why_not_moved(performance_id: int, ids: list[int], leaving: SeatState) -> str:
    """The message for a refused kill or release: which seats were not in the state it leaves."""
    seats = await PerformanceSeat.select(
        PerformanceSeat.id,
        PerformanceSeat.section,
        PerformanceSeat.row,
        PerformanceSeat.label,
        PerformanceSeat.state,
    ).where((PerformanceSeat.performance == performance_id) & PerformanceSeat.id.is_in(ids))
    strangers = len(ids) - len(seats)
    if strangers:
        return (
            f"{counted(strangers, 'chosen seat')} {'is' if strangers == 1 else 'are'} not a seat of this "
            "performance. Nothing was changed."
        )
    wrong = [seat for seat in seats if seat["state"] != leaving.value]
    listed = "; ".join(f"{seat_name(seat)} is {STATE_WORDS[seat['state']]}" for seat in wrong[:10])
    if leaving is SeatState.AVAILABLE:
        return f"Only available seats can be killed: {listed}. Nothing was changed."
    return f"Only killed seats can be released: {listed}. Nothing was changed."


async def kill_seats(
    performance_id: int, seat_ids: Iterable[int], reason: str, *, actor_id: int | None, ip: str
) -> int:
    """Keep the seats off sale, with the reason staff give; returns how many were killed."""
    why = " ".join(reason.split())
    if not why:
        raise KillRefused("Give the reason the seats are kept off sale, such as House seats.", "reason")
    if len(why) > MAX_REASON_LENGTH:
        raise KillRefused(f"Use at most {MAX_REASON_LENGTH} characters for the reason.", "reason")
    return await move_seats(
        performance_id,
        seat_ids,
        leaving=SeatState.AVAILABLE,
        entering=SeatState.KILLED,
        reason=why,
        actor_id=actor_id,
        ip=ip,
    )


async def release_seats(
    performance_id: int, seat_ids: Iterable[int], *, actor_id: int | None, ip: str
) -> int:
    """Put killed seats back on sale; returns how many were released."""
    return await move_seats(
        performance_id,
        seat_ids,
        leaving=SeatState.KILLED,
        entering=SeatState.AVAILABLE,
        reason="",
        actor_id=actor_id,
        ip=ip,
    )
