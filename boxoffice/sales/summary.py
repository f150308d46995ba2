"""The sales summary: what each UTC hour's sales, refunds and tickets add up to, per performance, ticket
type, price zone, channel, payment method and operator, so that a year's report reads some thousands of
summary rows rather than every payment, line and ticket.

The rule that keeps it true: every write that changes an order's payments, refunds, lines or tickets
runs inside `in_step(order_id)` (or, for an order made in the same transaction, ends with `count_in`),
within that write's own transaction. `in_step` takes the order's contribution out before the write and
puts it back after, both computed by `CONTRIBUTION_SQL`, the same SQL the migration's backfill and
`recount()` use, so the summary is by construction what recounting from payments and refunds gives
(tests/integration/backoffice/test_sales_summary.py checks it after random sales, refunds, comps and
exchanges). On PostgreSQL `in_step` locks the order's row first, so two writes to one order take turns
and neither takes out a contribution the other has changed.

Money rows carry the payment method and operator; ticket rows (tickets issued, comps, cancelled, by the
hour of issue) carry an empty method. Money is shared out over an order's lines as the sales report
explains (`boxoffice.reports.sales`): by what each line was sold for, the odd pennies to the largest
remainders, so the shares of a payment add up to it exactly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from piccolo.engine.postgres import PostgresEngine

from boxoffice.db import current_engine
from boxoffice.sales.tables import SalesSummary, TicketStatus

MEASURES = ("tickets", "comps", "comp_value", "cancelled", "taken", "refunded")
KEYS = ("hour", "performance", "ticket_type", "zone", "channel", "method", "staff")


def hour_of(column: str) -> str:
    """SQL for the UTC hour ("2026-11-21 19") of a timestamp column."""
    if isinstance(current_engine(), PostgresEngine):
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"
    return f"substr({column}, 1, 13)"


# What orders add to the summary: each payment (positive) and refund (negative) shared out over its
# order's lines, and each ticket, grouped by the summary's keys. `{orders}` narrows it to some orders.
CONTRIBUTION_SQL = """
WITH moves AS (
    SELECT 'p' AS kind, pay.id AS move, pay."order" AS order_id, pay.amount AS amount, pay.method AS method,
           pay.staff AS staff, pay.created_at AS at
    FROM payment pay WHERE 1 = 1 {orders_pay}
    UNION ALL
    SELECT 'r', r.id, r."order", -r.amount, pay.method, r.staff, r.created_at
    FROM refund r JOIN payment pay ON pay.id = r.payment WHERE 1 = 1 {orders_refund}
), lines AS (
    SELECT mv.kind, mv.move, mv.amount, mv.method, mv.staff, mv.at, mv.order_id, l.id AS line,
           l.performance, l.ticket_type, l.zone, l.quantity * l.unit_price AS weight,
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
), counted AS (
    SELECT {money_hour} AS hour, m.performance, m.ticket_type, COALESCE(m.zone, '') AS zone,
           o.channel, m.method, m.staff,
           0 AS tickets, 0 AS comps, 0 AS comp_value, 0 AS cancelled,
           CASE WHEN m.amount >= 0 THEN m.base + CASE WHEN m.place <= m.left_over THEN 1 ELSE 0 END
                ELSE 0 END AS taken,
           CASE WHEN m.amount < 0 THEN m.base + CASE WHEN m.place <= m.left_over THEN 1 ELSE 0 END
                ELSE 0 END AS refunded
    FROM ranked m JOIN "order" o ON o.id = m.order_id
    UNION ALL
    SELECT {ticket_hour}, k.performance, l.ticket_type, COALESCE(l.zone, ''), o.channel, '', NULL,
           1, CASE WHEN l.unit_price = 0 AND l.face_value > 0 THEN 1 ELSE 0 END,
           CASE WHEN l.unit_price = 0 AND l.face_value > 0 THEN l.face_value ELSE 0 END,
           CASE WHEN k.status = {cancelled} THEN 1 ELSE 0 END, 0, 0
    FROM ticket k JOIN order_line l ON l.id = k.order_line JOIN "order" o ON o.id = k."order"
    WHERE 1 = 1 {orders_ticket}
)
SELECT hour, performance, ticket_type, zone, channel, method, staff,
       SUM(tickets) AS tickets, SUM(comps) AS comps, SUM(comp_value) AS comp_value,
       SUM(cancelled) AS cancelled, SUM(taken) AS taken, SUM(refunded) AS refunded
FROM counted
GROUP BY hour, performance, ticket_type, zone, channel, method, staff
"""


def contribution_sql(order_ids: list[int] | None) -> str:
    """The contribution of these orders (every order when None); ids are integers, written in."""
    narrowing = {"orders_pay": "", "orders_refund": "", "orders_ticket": ""}
    if order_ids is not None:
        listed = ", ".join(str(int(order_id)) for order_id in order_ids) or "NULL"
        narrowing = {
            "orders_pay": f'AND pay."order" IN ({listed})',
            "orders_refund": f'AND r."order" IN ({listed})',
            "orders_ticket": f'AND k."order" IN ({listed})',
        }
    sql = CONTRIBUTION_SQL
    for name, part in {
        **narrowing,
        "money_hour": hour_of("m.at"),
        "ticket_hour": hour_of("k.issued_at"),
        "cancelled": f"'{TicketStatus.CANCELLED.value}'",
    }.items():
        sql = sql.replace("{" + name + "}", part)
    return sql


def slot(row: dict) -> str:
    """One text naming all of a row's keys: the unique key an upsert can name on both engines."""
    return "|".join("" if row[key] is None else str(row[key]) for key in KEYS)


async def contribution(order_ids: list[int] | None) -> dict[str, dict]:
    """What these orders (every order when None) add to the summary, by slot."""
    rows = await SalesSummary.raw(contribution_sql(order_ids))
    return {slot(row): {**row, **{m: int(row[m] or 0) for m in MEASURES}} for row in rows}


UPSERT_SQL = (
    "INSERT INTO sales_summary (slot, {keys}, {measures}) VALUES ({{}}, {values})"
    " ON CONFLICT (slot) DO UPDATE SET {adds}".format(
        keys=", ".join(KEYS),
        measures=", ".join(MEASURES),
        values=", ".join("{}" for _ in KEYS + MEASURES),
        adds=", ".join(f"{m} = sales_summary.{m} + excluded.{m}" for m in MEASURES),
    )
)


async def add(rows: dict[str, dict], sign: int) -> None:
    """Add (sign 1) or take out (sign -1) these summary rows. A row of nothing is kept too: a payment of
    complimentary tickets takes no money, and still shows its method."""
    for key, row in rows.items():
        await SalesSummary.raw(UPSERT_SQL, key, *(row[k] for k in KEYS), *(sign * row[m] for m in MEASURES))


# The whole contribution written at once, its slot made in SQL as `slot()` makes it in Python.
RECOUNT_SQL = (
    "INSERT INTO sales_summary (slot, {keys}, {measures})"
    " SELECT {slot}, {keys}, {measures} FROM ({{contribution}}) c"
).format(
    keys=", ".join(KEYS),
    measures=", ".join(MEASURES),
    slot=" || '|' || ".join(f"COALESCE(CAST({key} AS TEXT), '')" for key in KEYS),
)


_in_step: ContextVar[frozenset[int]] = ContextVar("orders_in_step", default=frozenset())


@asynccontextmanager
async def in_step(order_id: int) -> AsyncIterator[None]:
    """Keep the summary in step with a write to this order; use inside the write's transaction. Nested
    for the same order, the outer one does the counting."""
    if order_id in _in_step.get():
        yield
        return
    if isinstance(current_engine(), PostgresEngine):
        await SalesSummary.raw('SELECT id FROM "order" WHERE id = {} FOR UPDATE', order_id)
    before = await contribution([order_id])
    token = _in_step.set(_in_step.get() | {order_id})
    try:
        yield
    finally:
        _in_step.reset(token)
    await add(before, -1)
    await add(await contribution([order_id]), 1)


async def count_in(order_id: int) -> None:
    """Add an order made in this transaction (it held nothing before)."""
    if order_id not in _in_step.get():
        await add(await contribution([order_id]), 1)


async def recount() -> None:
    """Rebuild the whole summary from payments, refunds and tickets (the migration's backfill)."""
    await SalesSummary.delete(force=True)
    await SalesSummary.raw(RECOUNT_SQL.replace("{contribution}", contribution_sql(None)))


async def stored() -> dict[str, dict]:
    """The summary as stored, by slot."""
    rows = await SalesSummary.select(*(getattr(SalesSummary, c) for c in KEYS + MEASURES))
    return {slot(row): row for row in rows}
