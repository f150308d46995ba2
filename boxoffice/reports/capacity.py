"""Capacity and attendance, per performance in the range (by when it starts).

Sold counts valid tickets; held is what is neither sold nor available (baskets and orders being paid);
available is the performance's own count, which every hold and sale moves by a conditional UPDATE.
Killed seats (a seated performance's seats kept off sale) are read in one place, `KILLED_SQL`; a
killed seat is not available, so held subtracts them as it does sold seats.

The pickup curve shows how sales built up before the performances: the share of their capacity sold
so many days before each one started, counting the tickets still valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from boxoffice.db import as_utc
from boxoffice.reports.scope import Scope, hour_of
from boxoffice.reports.tabular import PERCENT, TEXT, Chart, Column, Report, ReportTable, ratio
from boxoffice.sales.tables import Performance, TicketStatus

# The performance's (alias p) seats kept off sale; a general-admission performance has no seats.
KILLED_SQL = "(SELECT COUNT(*) FROM performance_seat s WHERE s.performance = p.id AND s.state = 'killed')"

PERFORMANCES_SQL = """
SELECT p.id, p.starts_at, e.title, p.capacity, p.available,
       (SELECT COUNT(*) FROM ticket k WHERE k.performance = p.id AND k.status = {}) AS sold,
       (SELECT COUNT(*) FROM admission a WHERE a.performance = p.id) AS admitted,
       {killed} AS killed
FROM performance p JOIN event e ON e.id = p.event
WHERE p.starts_at >= {} AND p.starts_at < {} {scope}
ORDER BY p.starts_at, p.id
"""

PICKUP_SQL = """
SELECT p.id, p.starts_at, {hour} AS hour, COUNT(*) AS tickets
FROM ticket k JOIN performance p ON p.id = k.performance JOIN event e ON e.id = p.event
WHERE k.status = {} AND p.starts_at >= {} AND p.starts_at < {} {scope}
GROUP BY p.id, p.starts_at, 3
"""
PICKUP_DAYS = (90, 60, 30, 21, 14, 7, 3, 1, 0)


@dataclass(frozen=True, slots=True)
class PerformanceCounts:
    id: int
    title: str
    starts_at: datetime
    capacity: int
    sold: int
    available: int
    killed: int
    admitted: int

    @property
    def held(self) -> int:
        return max(0, self.capacity - self.available - self.sold - self.killed)


async def performance_counts(scope: Scope) -> list[PerformanceCounts]:
    start, end = scope.bounds()
    clause, values = scope.performance_clause()
    sql = PERFORMANCES_SQL.replace("{killed}", KILLED_SQL).replace("{scope}", clause)
    rows = await Performance.raw(sql, TicketStatus.VALID.value, start, end, *values)
    return [
        PerformanceCounts(
            row["id"],
            row["title"],
            as_utc(row["starts_at"]),
            row["capacity"],
            row["sold"],
            row["available"],
            int(row["killed"]),
            row["admitted"],
        )
        for row in rows
    ]


def performance_label(counts: PerformanceCounts, scope: Scope) -> str:
    return f"{counts.title} — {counts.starts_at.astimezone(scope.zone).strftime('%a %-d %b %Y %H:%M')}"


async def pickup_curve(scope: Scope, capacity: int) -> list[dict]:
    start, end = scope.bounds()
    clause, values = scope.performance_clause()
    sql = PICKUP_SQL.replace("{hour}", hour_of("k.issued_at")).replace("{scope}", clause)
    sold_by = dict.fromkeys(PICKUP_DAYS, 0)
    for row in await Performance.raw(sql, TicketStatus.VALID.value, start, end, *values):
        sold_at = datetime.strptime(row["hour"], "%Y-%m-%d %H").replace(tzinfo=UTC)
        days_before = max(0, (as_utc(row["starts_at"]) - sold_at).days)
        for days in PICKUP_DAYS:
            if days_before >= days:
                sold_by[days] += row["tickets"]
    return [
        {
            "label": "On the day" if days == 0 else f"{days} day{'s' if days > 1 else ''} before",
            "sold": sold_by[days],
            "share": ratio(sold_by[days], capacity),
        }
        for days in PICKUP_DAYS
    ]


async def capacity_report(scope: Scope) -> Report:
    performances = await performance_counts(scope)
    rows = [
        {
            "label": performance_label(counts, scope),
            "capacity": counts.capacity,
            "sold": counts.sold,
            "held": counts.held,
            "available": counts.available,
            "killed": counts.killed,
            "share": ratio(counts.sold, counts.capacity),
        }
        for counts in performances
    ]
    totals = {
        key: sum(row[key] for row in rows) for key in ("capacity", "sold", "held", "available", "killed")
    }
    totals |= {"label": "Total", "share": ratio(totals["sold"], totals["capacity"])}
    table = ReportTable(
        "Capacity per performance",
        [
            Column("label", "Performance", TEXT),
            Column("capacity", "Capacity"),
            Column("sold", "Sold"),
            Column("held", "Held"),
            Column("available", "Available"),
            Column("killed", "Killed"),
            Column("share", "Sold of capacity", PERCENT),
        ],
        rows,
        totals=totals,
        chart=Chart(
            "bars",
            "label",
            ("sold", "held", "available"),
            "Sold, held and available seats per performance",
            "One bar per performance: sold seats solid, held seats hatched, available seats outlined; "
            "the table below gives every figure.",
        ),
        empty="No performances start in this range.",
    )
    pickup = ReportTable(
        "Pickup: share of capacity sold before the performances",
        [
            Column("label", "When", TEXT),
            Column("sold", "Tickets sold by then"),
            Column("share", "Of capacity", PERCENT),
        ],
        await pickup_curve(scope, totals["capacity"]) if performances else [],
        chart=Chart(
            "line",
            "label",
            ("share",),
            "Pickup curve",
            "How the share of capacity sold grew in the days before the performances in the range; "
            "the table below gives every figure.",
        ),
        note="Counts the tickets still valid, for the performances starting in the range.",
        empty="No performances start in this range.",
    )
    return Report("Capacity", [table, pickup])


async def attendance_report(scope: Scope, now: datetime | None = None) -> Report:
    now = now or datetime.now(UTC)
    rows = []
    for counts in await performance_counts(scope):
        started = counts.starts_at <= now
        rows.append(
            {
                "label": performance_label(counts, scope),
                "sold": counts.sold,
                "admitted": counts.admitted,
                "no_shows": counts.sold - counts.admitted if started else None,
                "share": ratio(counts.admitted, counts.sold) if started else None,
            }
        )
    past = [row for row in rows if row["no_shows"] is not None]
    totals = {
        "label": "Total (performances started)",
        "sold": sum(row["sold"] for row in past),
        "admitted": sum(row["admitted"] for row in past),
        "no_shows": sum(row["no_shows"] for row in past),
    }
    totals["share"] = ratio(totals["admitted"], totals["sold"])
    table = ReportTable(
        "Attendance per performance",
        [
            Column("label", "Performance", TEXT),
            Column("sold", "Sold"),
            Column("admitted", "Admitted"),
            Column("no_shows", "No-shows"),
            Column("share", "Attendance", PERCENT),
        ],
        rows,
        totals=totals,
        chart=Chart(
            "bars",
            "label",
            ("admitted", "no_shows"),
            "Admitted and no-shows per performance",
            "One bar per performance: tickets admitted solid, no-shows hatched; the table below gives "
            "every figure.",
        ),
        note="No-shows are counted once a performance has started.",
        empty="No performances start in this range.",
    )
    return Report("Attendance", [table])
