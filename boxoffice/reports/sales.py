"""The sales report: money taken, refunded and net, with tickets, comps and cancellations, grouped one way.

One source of truth: every money figure here is read from payments and refunds, the rows the till
summary (`sales.tills`) and the order pages (`sales.order_records`) read, so the three agree to the
penny. A payment or refund belongs to an order, not to one of its lines; to group money by event,
performance or ticket type, each is shared out over its order's lines in proportion to what each line
was sold for (equally when the whole order was given away), the pennies that do not divide going to
the lines with the largest remainders. So the shares of a payment add up to it exactly, every grouping
has the same total, and an order of one line (nearly all of them) is exact line by line.

Comps (tickets given away) are worth nothing in money: they count as tickets, and their face value is
shown beside, never in takings. Tickets are counted when issued; an exchange issues new tickets and
cancels the old ones, which then show as cancelled.

`groupings()` is the one place a grouping is defined: each names the SQL of its key and label over the
aliases both queries share, and any join it needs. The price zone of reserved seating is one such
entry, read from the order line's zone (an unreserved line has none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from boxoffice.reports.scope import PERIODS, Scope, hour_of, local_day
from boxoffice.reports.tabular import MONEY, TEXT, Chart, Column, Report, ReportTable
from boxoffice.sales.tables import Payment, TicketStatus

METHOD_LABELS = {
    "stripe": "Online (Stripe)",
    "cash": "Cash",
    "card_terminal": "Card terminal",
    "complimentary": "Complimentary",
}
CHANNEL_LABELS = {"online": "Online", "box_office": "Box office"}


@dataclass(frozen=True, slots=True)
class Grouping:
    """How rows are grouped. `money_key` and `money_label` are SQL over the aliases of MONEY_SQL (m: a
    payment's or refund's share of a line, with its performance p, event e and ticket type t) or, for a
    grouping not `per_line`, of WHOLE_MONEY_SQL (m: the payment or refund itself); `ticket_key` and
    `ticket_label` over those of TICKETS_SQL (k: a ticket, l, p, e, t), or None where tickets have no
    such key (a payment method, an operator). `joins` and `ticket_joins` add what else a grouping reads
    (the order, the operator). `when` is SQL for a start time to show and sort by; `period` folds UTC
    hours into the venue's days, weeks or months."""

    label: str
    money_key: str
    money_label: str
    ticket_key: str | None
    ticket_label: str | None
    when: str = "NULL"
    period: str | None = None
    joins: str = ""  # what the money query needs joined for this grouping
    ticket_joins: str = ""  # and the tickets query
    names: Callable[[str], str] | None = None  # a coded label made readable
    per_line: bool = False  # keyed by what an order line says (event, zone...), not the payment


def period_grouping(label: str, period: str) -> Grouping:
    return Grouping(
        label,
        hour_of("m.at"),
        "''",
        hour_of("k.issued_at"),
        "''",
        period=period,
    )


def groupings() -> dict[str, Grouping]:
    """Every way the sales report groups, by key."""
    return {
        "event": Grouping("Event", "e.id", "e.title", "e.id", "e.title", per_line=True),
        "performance": Grouping(
            "Performance", "p.id", "e.title", "p.id", "e.title", when="p.starts_at", per_line=True
        ),
        "ticket_type": Grouping("Ticket type", "t.name", "t.name", "t.name", "t.name", per_line=True),
        "zone": Grouping(
            "Price zone",
            "zl.zone",
            "zl.zone",
            "l.zone",
            "l.zone",
            joins="JOIN order_line zl ON zl.id = m.line",
            names=lambda zone: zone or "No zone (unreserved)",
            per_line=True,
        ),
        "channel": Grouping(
            "Channel",
            "o.channel",
            "o.channel",
            "o.channel",
            "o.channel",
            joins='JOIN "order" o ON o.id = m.order_id',
            ticket_joins='JOIN "order" o ON o.id = k."order"',
            names=lambda code: CHANNEL_LABELS.get(code, code),
        ),
        "method": Grouping(
            "Payment method",
            "m.method",
            "m.method",
            None,
            None,
            names=lambda code: METHOD_LABELS.get(code, code),
        ),
        "operator": Grouping(
            "Operator",
            "m.staff",
            "COALESCE(s.name, CASE WHEN m.staff IS NULL THEN 'Online (no operator)'"
            " ELSE 'A former operator' END)",
            None,
            None,
            joins="LEFT JOIN staff_user s ON s.id = m.staff",
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

# Each payment (positive) and refund (negative) in the range.
MOVES_SQL = """
WITH moves AS (
    SELECT 'p' AS kind, pay.id AS move, pay."order" AS order_id, pay.amount AS amount, pay.method AS method,
           pay.staff AS staff, pay.created_at AS at
    FROM payment pay WHERE pay.created_at >= {} AND pay.created_at < {}
    UNION ALL
    SELECT 'r', r.id, r."order", -r.amount, pay.method, r.staff, r.created_at
    FROM refund r JOIN payment pay ON pay.id = r.payment WHERE r.created_at >= {} AND r.created_at < {}
)
"""

# Each payment and refund in the range, shared out over its order's lines (see the module's docstring).
MONEY_SQL = (
    MOVES_SQL.rstrip()
    + """, lines AS (
    SELECT mv.kind, mv.move, mv.amount, mv.method, mv.staff, mv.at, mv.order_id, l.id AS line,
           l.performance, l.ticket_type, l.quantity * l.unit_price AS weight,
           SUM(l.quantity * l.unit_price) OVER (PARTITION BY mv.kind, mv.move) AS order_weight,
           COUNT(*) OVER (PARTITION BY mv.kind, mv.move) AS order_lines
    FROM moves mv JOIN order_line l ON l."order" = mv.order_id
), shares AS (
    SELECT lines.*,
           CAST(ABS(amount) AS BIGINT) * CASE WHEN order_weight > 0 THEN weight ELSE 1 END AS scaled,
           CASE WHEN order_weight > 0 THEN order_weight ELSE order_lines END AS whole
    FROM lines
), split AS (
    SELECT shares.*, scaled / whole AS base, scaled % whole AS rest FROM shares
), ranked AS (
    SELECT split.*, ABS(amount) - SUM(base) OVER (PARTITION BY kind, move) AS left_over,
           ROW_NUMBER() OVER (PARTITION BY kind, move ORDER BY rest DESC, line) AS place
    FROM split
)
SELECT {key} AS group_key, {label} AS group_label, {when} AS group_when,
       SUM(CASE WHEN m.amount >= 0 THEN m.base + CASE WHEN m.place <= m.left_over THEN 1 ELSE 0 END
           ELSE 0 END) AS taken,
       SUM(CASE WHEN m.amount < 0 THEN m.base + CASE WHEN m.place <= m.left_over THEN 1 ELSE 0 END
           ELSE 0 END) AS refunded
FROM ranked m
JOIN performance p ON p.id = m.performance
JOIN event e ON e.id = p.event
JOIN ticket_type t ON t.id = m.ticket_type
{joins}
WHERE 1 = 1 {scope}
GROUP BY 1, 2, 3
"""
)

# Money grouped by what a payment or refund itself says (channel, method, operator, time), over every
# line: no sharing out is needed, and the sum is the same.
WHOLE_MONEY_SQL = (
    MOVES_SQL
    + """
SELECT {key} AS group_key, {label} AS group_label, {when} AS group_when,
       SUM(CASE WHEN m.amount >= 0 THEN m.amount ELSE 0 END) AS taken,
       SUM(CASE WHEN m.amount < 0 THEN -m.amount ELSE 0 END) AS refunded
FROM moves m
{joins}
GROUP BY 1, 2, 3
"""
)

TICKETS_SQL = """
SELECT {key} AS group_key, {label} AS group_label, {when} AS group_when,
       COUNT(*) AS tickets,
       SUM(CASE WHEN l.unit_price = 0 AND l.face_value > 0 THEN 1 ELSE 0 END) AS comps,
       SUM(CASE WHEN l.unit_price = 0 AND l.face_value > 0 THEN l.face_value ELSE 0 END) AS comp_value,
       SUM(CASE WHEN k.status = {} THEN 1 ELSE 0 END) AS cancelled
FROM ticket k
JOIN order_line l ON l.id = k.order_line
JOIN performance p ON p.id = k.performance
JOIN event e ON e.id = p.event
JOIN ticket_type t ON t.id = l.ticket_type
{joins}
WHERE k.issued_at >= {} AND k.issued_at < {} {scope}
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

    parts = {"when": grouping.when, "scope": clause}
    shared = grouping.per_line or scope.narrowed
    money = await Payment.raw(
        fill(
            MONEY_SQL if shared else WHOLE_MONEY_SQL,
            key=grouping.money_key,
            label=grouping.money_label,
            joins=grouping.joins,
            **parts,
        ),
        start,
        end,
        start,
        end,
        *values,
    )
    for found in money:
        row = row_for(found)
        row.taken += int(found["taken"] or 0)
        row.refunded += int(found["refunded"] or 0)
    if grouping.ticket_key is not None:
        tickets = await Payment.raw(
            fill(
                TICKETS_SQL,
                key=grouping.ticket_key,
                label=grouping.ticket_label or "''",
                joins=grouping.ticket_joins,
                **parts,
            ),
            TicketStatus.CANCELLED.value,
            start,
            end,
            *values,
        )
        for found in tickets:
            row = row_for(found)
            for measure in ("tickets", "comps", "comp_value", "cancelled"):
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
    if grouping.ticket_key is None:
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
