"""What the storefront shows of one event or performance (the listing of them all is `sales.listings`).

These are the busiest pages when tickets go on sale, so each is answered by one or two aggregate
queries written in SQL, each reading one event's rows through an index (see `sales.listings` for the
indexes): building the same joins through Piccolo's query builder costs about a
millisecond of Python per query, several times the query itself. The SQL is portable: Piccolo's `raw()`
turns each `{}` into the engine's own placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from boxoffice.db import as_utc, optional_utc
from boxoffice.documents.formatting import LocalFormat, local_format
from boxoffice.money import Money
from boxoffice.sales.tables import Event, EventStatus, Performance, Venue

PUBLIC_STATUSES = (EventStatus.ON_SALE, EventStatus.OFF_SALE)
PERFORMANCES_SHOWN = 50  # an event's performances on one page of its own; a long run shows more on the next


@dataclass(frozen=True, slots=True)
class VenueSummary:
    name: str
    address: str
    locale: str
    timezone: str


class SalesState(Enum):
    ON_SALE = "on_sale"
    NOT_YET = "not_yet"
    CLOSED = "closed"


class Availability(Enum):
    AVAILABLE = "Available"
    FEW_LEFT = "Few left"
    SOLD_OUT = "Sold out"


def availability(available: int, capacity: int) -> Availability:
    """What buyers are told: "few left" from a tenth of the house (at least 5 seats) down."""
    if available <= 0:
        return Availability.SOLD_OUT
    if available <= max(5, capacity // 10):
        return Availability.FEW_LEFT
    return Availability.AVAILABLE


@dataclass(frozen=True, slots=True)
class PerformanceListing:
    id: int
    starts_at: datetime
    sales_start: datetime | None
    sales_end: datetime | None
    from_price: Money
    sales_state: SalesState
    availability: Availability


@dataclass(frozen=True, slots=True)
class EventDetail:
    slug: str
    title: str
    description: str
    on_sale: bool
    venue: VenueSummary
    performances: list[PerformanceListing]  # the next few to come, in order
    later_after: int | None  # the cursor of the performances after these (None: there are none)


def sales_state(now: datetime, sales_start: datetime | None, sales_end: datetime | None) -> SalesState:
    if sales_start is not None and now < sales_start:
        return SalesState.NOT_YET
    if sales_end is not None and now >= sales_end:
        return SalesState.CLOSED
    return SalesState.ON_SALE


# The event with its next performances, in one query: `{after}` is empty, or the condition that a
# performance comes after the cursor's. A performance's price is its cheapest ticket, read from the index
# on ticket_type (performance, currency, price); one with no tickets yet has none, and is not shown.
EVENT_WITH_PERFORMANCES_SQL = """
    SELECT e.slug, e.title, e.description, e.status,
           v.name AS venue_name, v.address AS venue_address, v.locale, v.timezone,
           p.id, p.starts_at, p.sales_start, p.sales_end, p.available, p.capacity,
           (SELECT MIN(t.currency) FROM ticket_type t WHERE t.performance = p.id) AS currency,
           (SELECT MIN(t.price) FROM ticket_type t WHERE t.performance = p.id AND t.currency =
               (SELECT MIN(c.currency) FROM ticket_type c WHERE c.performance = p.id)) AS from_price
    FROM event e
    JOIN venue v ON v.id = e.venue
    LEFT JOIN performance p ON p.event = e.id AND p.starts_at > {{}} {after}
    WHERE e.slug = {{}} AND e.status IN ({{}}, {{}})
    ORDER BY p.starts_at, p.id
    LIMIT {{}}
"""

AFTER_PERFORMANCE_SQL = """AND p.starts_at >= (SELECT c.starts_at FROM performance c WHERE c.id = {})
    AND (p.starts_at > (SELECT c.starts_at FROM performance c WHERE c.id = {}) OR p.id > {})"""


async def event_detail(
    slug: str, now: datetime, *, after: int | None = None, size: int = PERFORMANCES_SHOWN
) -> EventDetail | None:
    """A public event with its next `size` performances still to come (those after the performance
    `after`, when given), or None for an unknown or draft event."""
    if after is None:
        sql, cursor = EVENT_WITH_PERFORMANCES_SQL.format(after=""), []
    else:
        sql, cursor = EVENT_WITH_PERFORMANCES_SQL.format(after=AFTER_PERFORMANCE_SQL), [after, after, after]
    statuses = (status.value for status in PUBLIC_STATUSES)
    rows = await Event.raw(sql, now, *cursor, slug, *statuses, size + 1)
    if not rows:
        return None
    event = rows[0]
    return EventDetail(
        slug=event["slug"],
        title=event["title"],
        description=event["description"],
        on_sale=event["status"] == EventStatus.ON_SALE.value,
        venue=VenueSummary(event["venue_name"], event["venue_address"], event["locale"], event["timezone"]),
        performances=[
            PerformanceListing(
                id=row["id"],
                starts_at=as_utc(row["starts_at"]),
                sales_start=optional_utc(row["sales_start"]),
                sales_end=optional_utc(row["sales_end"]),
                from_price=Money(row["currency"], row["from_price"]),
                sales_state=sales_state(
                    now, optional_utc(row["sales_start"]), optional_utc(row["sales_end"])
                ),
                availability=availability(row["available"], row["capacity"]),
            )
            for row in rows[:size]
            if row["from_price"] is not None
        ],
        later_after=rows[size - 1]["id"] if len(rows) > size else None,
    )


@dataclass(frozen=True, slots=True)
class TicketChoice:
    id: int
    name: str
    price: Money
    available: int  # what a buyer may take of this type now: the performance's seats, or less if capped


@dataclass(frozen=True, slots=True)
class PerformanceDetail:
    id: int
    event_slug: str
    event_title: str
    starts_at: datetime
    venue: VenueSummary
    sales_state: SalesState
    on_sale: bool
    availability: Availability
    ticket_types: list[TicketChoice]


PERFORMANCE_SQL = """
    SELECT p.id, p.starts_at, p.sales_start, p.sales_end, p.available, p.capacity,
           e.slug, e.title, e.status, v.name AS venue_name, v.address AS venue_address, v.locale, v.timezone,
           t.id AS type_id, t.name AS type_name, t.price, t.currency, t.available AS type_available
    FROM performance p
    JOIN event e ON e.id = p.event
    JOIN venue v ON v.id = e.venue
    JOIN ticket_type t ON t.performance = p.id
    WHERE p.id = {} AND e.status IN ({}, {})
    ORDER BY t.position, t.id
"""


async def performance_detail(performance_id: int, now: datetime) -> PerformanceDetail | None:
    """A public performance with its ticket types, or None for an unknown or draft one."""
    rows = await Performance.raw(
        PERFORMANCE_SQL, performance_id, *(status.value for status in PUBLIC_STATUSES)
    )
    if not rows:
        return None
    first = rows[0]
    starts_at = as_utc(first["starts_at"])
    state = sales_state(now, optional_utc(first["sales_start"]), optional_utc(first["sales_end"]))
    return PerformanceDetail(
        id=first["id"],
        event_slug=first["slug"],
        event_title=first["title"],
        starts_at=starts_at,
        venue=VenueSummary(first["venue_name"], first["venue_address"], first["locale"], first["timezone"]),
        sales_state=state,
        on_sale=first["status"] == EventStatus.ON_SALE.value
        and starts_at > now
        and state is SalesState.ON_SALE,
        availability=availability(first["available"], first["capacity"]),
        ticket_types=[
            TicketChoice(
                id=row["type_id"],
                name=row["type_name"],
                price=Money(row["currency"], row["price"]),
                available=row["available"]
                if row["type_available"] is None
                else min(row["available"], row["type_available"]),
            )
            for row in rows
        ],
    )


@dataclass(frozen=True, slots=True)
class ScheduledPerformance:
    """A performance as staff see it on the dashboard, whatever its event's status."""

    id: int
    event_title: str
    event_status: EventStatus
    starts_at: datetime
    capacity: int
    venue: VenueSummary


def scheduled_query():
    """Performances as staff see them, whatever their event's status, with event and venue."""
    event = Performance.event
    return Performance.select(
        Performance.id,
        Performance.starts_at,
        Performance.capacity,
        event.title.as_alias("event_title"),
        event.status.as_alias("event_status"),
        *event.venue.all_columns(exclude=[Venue.id, Venue.slug, Venue.currency]),
    ).output(nested=True)


def scheduled(row: dict) -> ScheduledPerformance:
    return ScheduledPerformance(
        id=row["id"],
        event_title=row["event_title"],
        event_status=EventStatus(row["event_status"]),
        starts_at=row["starts_at"],
        capacity=row["capacity"],
        venue=VenueSummary(**row["event"]["venue"]),
    )


async def upcoming_performances(now: datetime, limit: int = 10) -> list[ScheduledPerformance]:
    rows = (
        await scheduled_query()
        .where(Performance.starts_at > now)
        .order_by(Performance.starts_at)
        .limit(limit)
    )
    return [scheduled(row) for row in rows]


async def scheduled_performance(performance_id: int) -> ScheduledPerformance | None:
    row = await scheduled_query().where(Performance.id == performance_id).first()
    return scheduled(row) if row else None


async def house_locale() -> tuple[str, str]:
    """The (locale, time zone) of staff pages that are about no one venue (orders, the till, the CRM):
    the first venue's."""
    venue = await Venue.select(Venue.locale, Venue.timezone).order_by(Venue.id).first()
    return (venue["locale"], venue["timezone"]) if venue else (Venue.locale.default, Venue.timezone.default)


async def house_format() -> LocalFormat:
    return local_format(*await house_locale())
