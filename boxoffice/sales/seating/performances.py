"""Making a performance seated: it takes a copy of its venue's plan.

The copy is what is sold: editing or removing seats in the plan later never changes a performance whose
seats are already copied. The performance's `capacity` and `available` become its number of seats, so
the counts that every hold takes keep holding for seated performances too.
"""

from __future__ import annotations

import secrets

from boxoffice.db import write_transaction
from boxoffice.errors import Refused
from boxoffice.sales.tables import Performance, PerformanceSeat, PlanSeat, SeatingPlan


class SeatingRefused(Refused):
    """The seating change was not made; the message says why, for staff."""


COPY_PLAN_SQL = """
    INSERT INTO performance_seat (performance, section, row, label, x, y, zone, attributes, state,
                                  hold, kill_reason, killed_by)
    SELECT {}, section, row, label, x, y, zone, attributes, 'available', NULL, '', NULL
    FROM plan_seat WHERE plan = {}
"""


async def seat_performance(performance_id: int, plan_id: int) -> int:
    """Copy the plan's seats onto a general-admission performance with nothing sold or held; returns
    how many seats it now has."""
    async with write_transaction():
        performance = await Performance.objects().where(Performance.id == performance_id).first()
        plan = await SeatingPlan.objects().where(SeatingPlan.id == plan_id).first()
        if performance is None or plan is None:
            raise SeatingRefused("There is no such performance or seating plan.")
        if performance.seating_plan is not None:
            raise SeatingRefused("This performance is already seated.")
        if performance.available != performance.capacity:
            raise SeatingRefused("Tickets for this performance are sold or held, so it cannot become seated.")
        seats = await PlanSeat.count().where(PlanSeat.plan == plan_id)
        if not seats:
            raise SeatingRefused("This seating plan has no seats.")
        await PerformanceSeat.raw(COPY_PLAN_SQL, performance_id, plan_id)
        await Performance.update(
            {
                Performance.seating_plan: plan_id,
                Performance.seating_key: secrets.token_hex(16),
                Performance.capacity: seats,
                Performance.available: seats,
            }
        ).where(Performance.id == performance_id)
        return seats
