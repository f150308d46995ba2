"""The dashboard's figures: today's takings and tickets, the next performances' seats, the last 30
days' sales and what needs attention. Takings come from the sales report's own reading of payments and
refunds (`reports.sales`), so the dashboard, the report and the till agree. Which of these a member of
staff sees is the page's to decide, by their role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from boxoffice.db import as_utc
from boxoffice.mail.tables import OutboxStatus
from boxoffice.marketing.tables import Campaign, CampaignStatus
from boxoffice.reports.sales import SalesRow, sales_rows
from boxoffice.reports.scope import Scope
from boxoffice.sales.tables import Hold, OrderStatus, Performance, TicketStatus

NEARLY_SOLD_OUT = 0.9  # sold or held of capacity
ALERT_DAYS = 30  # performances this close are watched for selling out
FAILING_DAYS = 7  # e-mails that failed this recently are flagged

NEXT_PERFORMANCES_SQL = """
SELECT p.id, p.starts_at, p.capacity, p.available, e.title, e.status,
       (SELECT COUNT(*) FROM ticket k WHERE k.performance = p.id AND k.status = {}) AS sold
FROM performance p JOIN event e ON e.id = p.event
WHERE p.starts_at > {} AND p.starts_at < {} {nearly}
ORDER BY p.starts_at, p.id LIMIT {}
"""
HELD_NOW_SQL = """
SELECT (SELECT COALESCE(SUM(quantity), 0) FROM hold WHERE expires_at > {}) AS in_baskets,
       (SELECT COALESCE(SUM(l.quantity), 0) FROM "order" o JOIN order_line l ON l."order" = o.id
        WHERE o.status IN ({}, {})) AS in_unpaid_orders
"""


@dataclass(frozen=True, slots=True)
class SeatBar:
    id: int
    title: str
    starts_at: datetime
    capacity: int
    sold: int
    held: int
    status: str = ""  # the event's: on sale, off sale or draft

    @property
    def available(self) -> int:
        return max(0, self.capacity - self.sold - self.held)


async def next_performances(
    now: datetime, limit: int = 20, *, nearly_sold_out: bool = False
) -> list[SeatBar]:
    """The next performances (or, with `nearly_sold_out`, those of the next 30 days that are 90% gone)
    with their seats sold, held and available."""
    nearly = "AND p.available <= p.capacity * {}" if nearly_sold_out else ""
    values: list[object] = [
        TicketStatus.VALID.value,
        now,
        now + timedelta(days=ALERT_DAYS if nearly_sold_out else 3660),
    ]
    if nearly_sold_out:
        values.append(round(1 - NEARLY_SOLD_OUT, 2))
    rows = await Performance.raw(NEXT_PERFORMANCES_SQL.replace("{nearly}", nearly), *values, limit)
    return [
        SeatBar(
            row["id"],
            row["title"],
            as_utc(row["starts_at"]),
            row["capacity"],
            row["sold"],
            max(0, row["capacity"] - row["available"] - row["sold"]),
            row["status"],
        )
        for row in rows
    ]


async def held_now(now: datetime) -> int:
    """Seats in baskets and in orders waiting to be paid, now."""
    [row] = await Hold.raw(HELD_NOW_SQL, now, OrderStatus.PENDING_PAYMENT.value, OrderStatus.RESERVED.value)
    return int(row["in_baskets"]) + int(row["in_unpaid_orders"])


@dataclass(frozen=True, slots=True)
class Today:
    by_method: list[SalesRow]
    by_channel: list[SalesRow]
    tickets: int
    comps: int

    @property
    def net(self) -> int:
        return sum(row.net for row in self.by_method)


async def today_sales(house: Scope) -> Today:
    """Money taken and refunded today, by payment method and by channel, and tickets issued today."""
    by_channel = await sales_rows(house, "channel")
    return Today(
        await sales_rows(house, "method"),
        by_channel,
        sum(row.tickets for row in by_channel),
        sum(row.comps for row in by_channel),
    )


async def campaigns_sending() -> list[dict]:
    return await Campaign.select(Campaign.id, Campaign.subject).where(
        Campaign.status == CampaignStatus.SENDING
    )


async def failed_emails(now: datetime) -> int:
    [row] = await Campaign.raw(
        "SELECT COUNT(*) AS failed FROM outbox_message WHERE status = {} AND created_at >= {}",
        OutboxStatus.FAILED.value,
        now - timedelta(days=FAILING_DAYS),
    )
    return row["failed"]
