"""The demo's studio theatre: a seated plan of about 300 seats in two sections and a seated event on
sale with zone prices, added once, even to a demo database made before it existed."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from boxoffice.demo import STUDIO_PLAN, seed_demo, seed_general_admission
from boxoffice.sales.tables import (
    Event,
    EventStatus,
    Performance,
    PerformanceSeat,
    PlanSeat,
    SeatingPlan,
    ZonePrice,
)


async def test_the_demo_has_a_seated_studio_theatre_and_event(database):
    assert await seed_demo() is True

    plan = await SeatingPlan.select().where(SeatingPlan.name == STUDIO_PLAN).first()
    seats = await PlanSeat.select().where(PlanSeat.plan == plan["id"])
    assert 280 <= len(seats) <= 320
    assert {seat["section"] for seat in seats} == {"Stalls", "Circle"}
    assert {seat["zone"] for seat in seats} == {"A", "B"}
    marks = [mark for seat in seats for mark in seat["attributes"].split()]
    assert marks.count("wheelchair") >= 2 and marks.count("companion") >= 2
    assert "aisle" in marks and "restricted_view" in marks
    event = await Event.select().where(Event.slug == "much-ado-about-nothing").first()
    assert event["status"] == EventStatus.ON_SALE
    performances = await Performance.select().where(Performance.event == event["id"])
    assert performances and all(row["seating_plan"] == plan["id"] for row in performances)
    first = performances[0]
    assert (first["capacity"], first["available"]) == (len(seats), len(seats) - 2)  # two house seats killed
    assert (
        await PerformanceSeat.count().where(
            (PerformanceSeat.performance == first["id"]) & (PerformanceSeat.state == "killed")
        )
        == 2
    )
    assert await ZonePrice.count().where(ZonePrice.ticket_type.performance == first["id"]) == 4


async def test_the_studio_is_added_once_even_to_an_older_demo_database(database):
    today = datetime.now(UTC).date()
    await seed_general_admission(today, ZoneInfo("Europe/London"))  # a demo made before the studio
    assert await SeatingPlan.count() == 0

    assert await seed_demo() is True
    seats = await PerformanceSeat.count()
    assert await seed_demo() is False
    assert (await SeatingPlan.count(), await PerformanceSeat.count()) == (1, seats)
