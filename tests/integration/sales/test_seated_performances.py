"""A seated performance sells a copy of its venue's plan, which later edits to the plan leave alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.sales.seating.performances import SeatingRefused, seat_performance
from boxoffice.sales.tables import Performance, PerformanceSeat, PlanSeat
from tests.support.catalog import (
    make_event,
    make_performance,
    make_seated_performance,
    make_seating_plan,
    make_venue,
)

LATER = datetime.now(UTC) + timedelta(days=30)


async def test_a_seated_performance_copies_the_plan_and_counts_its_seats(database):
    venue = await make_venue()
    plan = await make_seating_plan(venue, {"Stalls": (4, 10), "Circle": (2, 8)})
    event = await make_event(venue, "hamlet", "Hamlet")

    performance = await make_seated_performance(event, LATER, plan, {"Adult": {"A": 3200, "B": 2400}})
    await PlanSeat.delete().where(PlanSeat.section == "Circle")  # the plan is edited afterwards

    assert (performance.capacity, performance.available, performance.seating_plan) == (56, 56, plan.id)
    assert await PerformanceSeat.count().where(PerformanceSeat.performance == performance.id) == 56
    circle = await PerformanceSeat.count().where(
        (PerformanceSeat.performance == performance.id) & (PerformanceSeat.section == "Circle")
    )
    assert circle == 16


async def test_a_performance_with_tickets_held_or_already_seated_is_refused(database):
    venue = await make_venue()
    plan = await make_seating_plan(venue, {"Stalls": (2, 5)})
    event = await make_event(venue, "hamlet", "Hamlet")
    busy = await make_performance(event, LATER, {"Adult": 1000}, capacity=10)
    await Performance.update({Performance.available: 9}).where(Performance.id == busy.id)
    seated = await make_seated_performance(event, LATER, plan, {"Adult": {"A": 1000, "B": 800}})

    with pytest.raises(SeatingRefused, match="sold or held"):
        await seat_performance(busy.id, plan.id)
    with pytest.raises(SeatingRefused, match="already seated"):
        await seat_performance(seated.id, plan.id)
    assert await PerformanceSeat.count().where(PerformanceSeat.performance == busy.id) == 0
    assert await PerformanceSeat.count().where(PerformanceSeat.performance == seated.id) == 10
