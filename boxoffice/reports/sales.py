"""The sales report: money taken, refunded and net, with tickets, comps and cancellations, grouped one way.

One source of truth: every money figure here comes from payments and refunds, the rows the till
summary (`sales.tills`) and the order pages (`sales.order_records`) read, so the three agree to the
penny. The report reads them through the sales summary (`boxoffice.sales.summary`), which each sale,
refund, cancellation and exchange keeps equal, in its own transaction, to a recount from those rows;
so a year reads thousands of summary rows, not a million tickets. The summary counts by UTC hour, so a
range starts and ends on a whole UTC hour (exact for venues whose offset is whole hours).

A payment or refund belongs to an order, not to one of its lines; to group money by event,
performance or ticket type, each is shared out over its order's lines in proportion to what each line
was sold for (equally when the whole order was given away), the pennies that do not divide going to
the lines with the largest remainders. So the shares of a payment add up to it exactly, every grouping
has the same total, and an order of one line (nearly all of them) is exact line by line.

Comps (tickets given away) are worth nothing in money: they count as tickets, and their face value is
shown beside, never in takings. Tickets are counted when issued; an exchange issues new tickets and
cancels the old ones, which then show as cancelled.

`groupings()` is the one place a grouping is defined: each names the SQL of its key and label over the
summary and what it joins, and any further join it needs. The price zone of reserved seating is one
such entry, the order line's zone (an unreserved line has none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from boxoffice.reports.scope import PERIODS, Scope, local_day
from boxoffice.reports.tabular import MONEY, TEXT, Chart, Column, Report, ReportTable
from boxoffice.sales.tables import SalesSummary

HOUR = "%Y-%m-%d %H"  # the summary's hours, as `sales.summary.hour_of` writes them

METHOD_LABELS = {
    "stripe": "Online (Stripe)",
    "cash": "Cash",
    "card_terminal": "Card terminal",
    "complimentary": "Complimentary",
}
CHANNEL_LABELS = {"online": "Online", "box_office": "Box office"}


@dataclass(frozen=True, slots=True)
class Grouping:
    """How rows are grouped. `key` and `label` are SQL over the aliases of SUMMARY_SQL (m: a row of the
    sales summary, with its performance p, event e and ticket type t); `joins` adds what else a grouping
    reads (the operator). `when` is SQL for a start time to show and sort by; `period` folds UTC hours
    into the venue's days, weeks or months. A grouping `by_payment` (method, operator) has no tickets:
    it reads the summary's money rows alone."""

    label: str
    key: str
    label_sql: str
    when: str = "NULL"
    period: str | None = None
    joins: str = ""
    names: Callable[[str], str] | None = None  # a coded label made readable
    by_payment: bool = False


def period_grouping(label: str, period: str) -> Grouping:
    return Grouping(label, "m.hour", "''", period=period)


def groupings() -> dict[str, Grouping]:
    """Every way the sales report groups, by key."""
    return {
        "event": Grouping("Event", "e.id", "e.title"),
        "performance": Grouping("Performance", "p.id", "e.title", when="p.starts_at"),
        "ticket_type": Grouping("Ticket type", "t.name", "t.name"),
        "zone": Grouping("Price zone", "m.zone", "m.zone", names=lambda zone: zone or "No zone (unreserved)"),
        "channel": Grouping(
            "Channel", "m.channel", "m.channel", names=lambda code: CHANNEL_LABELS.get(code, code)
        ),
        "method": Grouping(
            "Payment method",
            "m.method",
            "m.method",
            names=lambda code: METHOD_LABELS.get(code, code),
            by_payment=True,
        ),
        "operator": Grouping(
            "Operator",
            "m.staff",
            "COALESCE(s.name, CASE WHEN m.staff IS NULL THEN 'Online (no operator)'"
            " ELSE 'A former operator' END)",
            joins="LEFT JOIN staff_user s ON s.id = m.staff",
            by_payment=True,
        ),
        "day": period_grouping("Day", "day"),
        "week": period_grouping("Week", "week"),
        "month": period_grouping("Month", "month"),
    }


GROUPING_KEYS = (
    "event",
    "performance",
    "ticket_type",
    "zone",
    "channel",
    "method",
    "operator",
    "day",
    "week",
    "month",
)

# The summary's rows in a range of UTC hours, grouped one way.
SUMMARY_SQL = """
SELECT {key} AS group_key, {label} AS group_label, {when} AS group_when,
       SUM(m.tickets) AS tickets, SUM(m.comps) AS comps, SUM(m.comp_value) AS comp_value,
       SUM(m.cancelled) AS cancelled, SUM(m.taken) AS taken, SUM(m.refunded) AS refunded
FROM sales_summary m
JOIN performance p ON p.id = m.performance
JOIN event e ON e.id = p.event
JOIN ticket_type t ON t.id = m.ticket_type
{joins}
WHERE m.hour >= {} AND m.hour < {} {payments} {scope}
GROUP BY 1, 2, 3
"""


def fill(sql: str, **parts: str) -> str:
    """The query with its named slots filled; its `{}` value placeholders are left for the driver."""
    for name, part in parts.items():
        sql = sql.replace("{" + name + "}", part)
    return sql


MEASURES = ("tickets", "comps", "comp_value", "cancelled", "taken", "refunded")


@dataclass(slots=True)
class SalesRow:
    key: object
    label: str
    when: object = None
    tickets: int = 0
    comps: int = 0
    comp_value: int = 0
    cancelled: int = 0
    taken: int = 0
    refunded: int = 0

    @property
    def net(self) -> int:
        return self.taken - self.refunded


async def sales_rows(scope: Scope, grouping_key: str) -> list[SalesRow]:
    """The rows of the report grouped by `grouping_key` (one of GROUPING_KEYS), in display order."""
    grouping = groupings()[grouping_key]
    start, end = scope.bounds()
    clause, values = scope.performance_clause()
    rows: dict[object, SalesRow] = {}

    def row_for(found: dict) -> SalesRow:
        key = found["group_key"]
        if grouping.period:
            key = PERIODS[grouping.period](local_day(key, scope.zone))
        if key not in rows:
            label = found["group_label"] or ""
            rows[key] = SalesRow(key, grouping.names(label) if grouping.names else label, found["group_when"])
        return rows[key]

    found_rows = await SalesSummary.raw(
        fill(
            SUMMARY_SQL,
            key=grouping.key,
            label=grouping.label_sql,
            when=grouping.when,
            joins=grouping.joins,
            payments="AND m.method <> ''" if grouping.by_payment else "",
            scope=clause,
        ),
        start.strftime(HOUR),
        end.strftime(HOUR),
        *values,
    )
    for found in found_rows:
        row = row_for(found)
        for measure in MEASURES:
            setattr(row, measure, getattr(row, measure) + int(found[measure] or 0))
    if grouping.period:
        for day in scope.days():
            period = PERIODS[grouping.period](day)
            rows.setdefault(period, SalesRow(period, ""))
        for row in rows.values():
            row.label = period_label(row.key, grouping.period)
        return sorted(rows.values(), key=lambda row: row.key)
    return sorted(rows.values(), key=lambda row: (str(row.when or ""), row.label.casefold(), str(row.key)))


def period_label(day: date, period: str) -> str:
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "week":
        return f"Week of {day.isoformat()}"
    return day.isoformat()


SALES_COLUMNS = [
    Column("label", "", TEXT),
    Column("tickets", "Tickets issued"),
    Column("comps", "Comps"),
    Column("comp_value", "Comps at face value", MONEY),
    Column("cancelled", "Cancelled"),
    Column("taken", "Taken", MONEY),
    Column("refunded", "Refunded", MONEY),
    Column("net", "Net", MONEY),
]


def as_dict(row: SalesRow, label: str) -> dict:
    return {"label": label, **{measure: getattr(row, measure) for measure in MEASURES}, "net": row.net}


async def sales_report(scope: Scope, grouping_key: str, currency: str, *, format_when=str) -> Report:
    grouping = groupings()[grouping_key]
    rows = await sales_rows(scope, grouping_key)
    total = SalesRow("total", "Total")
    for row in rows:
        for measure in MEASURES:
            setattr(total, measure, getattr(total, measure) + getattr(row, measure))
    columns = [Column("label", grouping.label, TEXT), *SALES_COLUMNS[1:]]
    if grouping.by_payment:
        columns = [
            column for column in columns if column.key not in ("tickets", "comps", "comp_value", "cancelled")
        ]
    shown = [
        as_dict(row, f"{row.label} — {format_when(row.when)}" if row.when is not None else row.label)
        for row in rows
    ]
    chart = Chart(
        "line" if grouping.period else "bars",
        "label",
        ("net",),
        f"Net sales by {grouping.label.lower()}",
        f"Net takings (taken less refunded) for each {grouping.label.lower()} in the range; "
        "the table below gives every figure.",
    )
    table = ReportTable(
        f"Sales by {grouping.label.lower()}",
        columns,
        shown,
        currency,
        totals=as_dict(total, "Total"),
        chart=chart,
        note="Money is read from payments and refunds; comps count as tickets and are worth nothing in "
        "takings. Money is shared out over an order's lines by what each was sold for.",
    )
    return Report("Sales", [table])
