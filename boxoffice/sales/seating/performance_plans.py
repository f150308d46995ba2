"""A performance's seating as staff see and set it: making it seated from one of its venue's plans, and
what its page shows of its seats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boxoffice.auth import audit
from boxoffice.db import as_utc, write_transaction
from boxoffice.sales.seating.performances import SeatingRefused, seat_performance
from boxoffice.sales.tables import Performance, PerformanceSeat, SeatingPlan, SeatState


async def seat_performance_from_plan(
    performance_id: int, plan_id: int | None, *, actor_id: int | None, ip: str
) -> int:
    """Staff make a general-admission performance seated from one of its own venue's plans; audited.
    Returns how many seats it now has."""
    async with write_transaction():
        venue = (
            await Performance.select(Performance.event.venue.as_alias("venue"))
            .where(Performance.id == performance_id)
            .first()
        )
        if venue is None:
            raise LookupError(performance_id)
        if plan_id is None or not await SeatingPlan.exists().where(
            (SeatingPlan.id == plan_id) & (SeatingPlan.venue == venue["venue"])
        ):
            raise SeatingRefused("Choose one of this venue’s seating plans.", "plan")
        seats = await seat_performance(performance_id, plan_id)
        await audit.record(
            "performance.seated",
            actor_id=actor_id,
            ip=ip,
            object_type="performance",
            object_id=performance_id,
            detail={"plan_id": plan_id, "seats": seats},
        )
    return seats


@dataclass(frozen=True, slots=True)
class SeatingOverview:
    """What a seated performance's page shows: its seats (for the map and the kill form), its zones,
    and how many seats are in each state."""

    plan_name: str
    seats: list[dict[str, Any]]
    zones: list[str]
    by_state: dict[str, int]


async def seating_overview(performance_id: int) -> SeatingOverview | None:
    """None for a general-admission performance."""
    row = (
        await Performance.select(Performance.seating_plan.name.as_alias("plan_name"))
        .where((Performance.id == performance_id) & Performance.seating_plan.is_not_null())
        .first()
    )
    if row is None:
        return None
    seats = (
        await PerformanceSeat.select(
            PerformanceSeat.id,
            PerformanceSeat.section,
            PerformanceSeat.row,
            PerformanceSeat.label,
            PerformanceSeat.x,
            PerformanceSeat.y,
            PerformanceSeat.zone,
            PerformanceSeat.attributes,
            PerformanceSeat.state,
            PerformanceSeat.kill_reason,
        )
        .where(PerformanceSeat.performance == performance_id)
        .order_by(PerformanceSeat.y)
        .order_by(PerformanceSeat.x)
        .order_by(PerformanceSeat.id)
    )
    by_state = {state.value: 0 for state in SeatState}
    for seat in seats:
        by_state[seat["state"]] += 1
    zones = sorted({seat["zone"] for seat in seats if seat["zone"]})
    return SeatingOverview(row["plan_name"] or "", seats, zones, by_state)


@dataclass(frozen=True, slots=True)
class SeatedPerformance:
    id: int
    event_title: str
    starts_at: datetime
    venue_name: str
    venue_locale: str
    venue_timezone: str
    killed: int


SEATED_PERFORMANCES_SQL = """
    SELECT p.id, e.title AS event_title, p.starts_at, v.name AS venue_name, v.locale AS venue_locale,
           v.timezone AS venue_timezone,
           (SELECT COUNT(*) FROM performance_seat s
            WHERE s.performance = p.id AND s.state = 'killed') AS killed
    FROM performance p
    JOIN event e ON e.id = p.event
    JOIN venue v ON v.id = e.venue
    WHERE p.seating_plan IS NOT NULL AND p.starts_at >= {}
    ORDER BY p.starts_at, p.id
    LIMIT 500
"""


async def seated_performances(since: datetime) -> list[SeatedPerformance]:
    """Seated performances from `since` on, soonest first, with how many seats each has killed."""
    rows = await Performance.raw(SEATED_PERFORMANCES_SQL, since)
    return [SeatedPerformance(**{**row, "starts_at": as_utc(row["starts_at"])}) for row in rows]
