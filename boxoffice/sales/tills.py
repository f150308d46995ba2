"""The till summary for cashing up: what each operator took and gave back on a day, by payment method.

Only money handled by staff counts (payments taken at the counter, refunds made from the back office);
online payments are Stripe's to settle. The day runs midnight to midnight in the venue's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from boxoffice.money import Money
from boxoffice.sales.tables import Payment, PaymentMethod

METHOD_ORDER = [method.value for method in PaymentMethod]

SALES_SQL = """
    SELECT p.staff, s.name AS staff_name, p.method, p.currency, COUNT(*) AS payments, SUM(p.amount) AS amount
    FROM payment p LEFT JOIN staff_user s ON s.id = p.staff
    WHERE p.staff IS NOT NULL AND p.created_at >= {} AND p.created_at < {}
    GROUP BY p.staff, s.name, p.method, p.currency
"""
REFUNDS_SQL = """
    SELECT r.staff, s.name AS staff_name, p.method, r.currency, COUNT(*) AS refunds, SUM(r.amount) AS amount
    FROM refund r JOIN payment p ON p.id = r.payment LEFT JOIN staff_user s ON s.id = r.staff
    WHERE r.staff IS NOT NULL AND r.created_at >= {} AND r.created_at < {}
    GROUP BY r.staff, s.name, p.method, r.currency
"""


@dataclass
class MethodTotals:
    method: str
    currency: str
    payments: int = 0
    taken: int = 0
    refunds: int = 0
    refunded: int = 0

    @property
    def net(self) -> Money:
        return Money(self.currency, self.taken - self.refunded)

    def money(self, amount: int) -> Money:
        return Money(self.currency, amount)


@dataclass
class OperatorTill:
    staff_id: int
    staff_name: str
    methods: list[MethodTotals] = field(default_factory=list)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, zone)
    end = datetime.combine(day + timedelta(days=1), time.min, zone)
    return start.astimezone(UTC), end.astimezone(UTC)


async def till_summary(day: date, zone: ZoneInfo, *, staff_id: int | None = None) -> list[OperatorTill]:
    """Each operator's takings and refunds on `day` in time zone `zone`, by payment method (all
    operators, or one)."""
    start, end = day_bounds(day, zone)
    tills: dict[int, OperatorTill] = {}
    totals: dict[tuple[int, str, str], MethodTotals] = {}

    def totals_for(row: dict) -> MethodTotals:
        till = tills.setdefault(
            row["staff"], OperatorTill(row["staff"], row["staff_name"] or "A former operator")
        )
        key = (row["staff"], row["method"], row["currency"])
        if key not in totals:
            totals[key] = MethodTotals(row["method"], row["currency"])
            till.methods.append(totals[key])
        return totals[key]

    for row in await Payment.raw(SALES_SQL, start, end):
        if staff_id is None or row["staff"] == staff_id:
            found = totals_for(row)
            found.payments, found.taken = row["payments"], int(row["amount"])
    for row in await Payment.raw(REFUNDS_SQL, start, end):
        if staff_id is None or row["staff"] == staff_id:
            found = totals_for(row)
            found.refunds, found.refunded = row["refunds"], int(row["amount"])
    for till in tills.values():
        till.methods.sort(key=lambda totals: METHOD_ORDER.index(totals.method))
    return sorted(tills.values(), key=lambda till: till.staff_name)
