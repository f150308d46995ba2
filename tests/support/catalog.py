"""Catalog rows for tests, with only what each test needs to say spelled out."""

from __future__ import annotations

from datetime import datetime

from boxoffice.sales.seating.performances import seat_performance
from boxoffice.sales.tables import (
    Event,
    EventStatus,
    Performance,
    PlanSeat,
    SeatingPlan,
    TicketType,
    Venue,
    ZonePrice,
)


async def make_venue(
    slug: str = "hall",
    *,
    locale: str = "en_GB",
    timezone: str = "Europe/London",
    currency: str = "GBP",
    name: str = "Town Hall",
) -> Venue:
    venue = Venue(
        name=name, slug=slug, address="1 High Street", locale=locale, timezone=timezone, currency=currency
    )
    await venue.save()
    return venue


async def make_event(
    venue: Venue, slug: str, title: str, status: EventStatus = EventStatus.ON_SALE, description: str = ""
) -> Event:
    event = Event(venue=venue.id, slug=slug, title=title, status=status, description=description)
    await event.save()
    return event


async def make_performance(
    event: Event,
    starts_at: datetime,
    prices: dict[str, int],
    *,
    currency: str = "GBP",
    capacity: int = 100,
    sales_start: datetime | None = None,
    sales_end: datetime | None = None,
) -> Performance:
    performance = Performance(
        event=event.id,
        starts_at=starts_at,
        capacity=capacity,
        available=capacity,
        sales_start=sales_start,
        sales_end=sales_end,
    )
    await performance.save()
    await TicketType.insert(
        *[
            TicketType(
                performance=performance.id, name=name, price=price, currency=currency, position=position
            )
            for position, (name, price) in enumerate(prices.items())
        ]
    )
    return performance


async def make_seating_plan(
    venue: Venue, sections: dict[str, tuple[int, int]], *, name: str = "Main house", zones: str = "AB"
) -> SeatingPlan:
    """A plan of straight rows: `sections` maps a section's name to (rows, seats per row). Rows are
    lettered A, B, ... and seats numbered from 1, left to right; the front half of each section's rows
    is in the first zone of `zones`, the rest in the second."""
    plan = SeatingPlan(venue=venue.id, name=name)
    await plan.save()
    seats, top = [], 0
    for section, (rows, per_row) in sections.items():
        for row in range(rows):
            zone = zones[0] if row < (rows + 1) // 2 else zones[-1]
            seats += [
                PlanSeat(
                    plan=plan.id,
                    section=section,
                    row=chr(ord("A") + row),
                    label=str(number + 1),
                    x=number * 10,
                    y=top + row * 10,
                    zone=zone,
                )
                for number in range(per_row)
            ]
        top += rows * 10 + 20
    await PlanSeat.insert(*seats)
    return plan


async def make_seated_performance(
    event: Event, starts_at: datetime, plan: SeatingPlan, zone_prices: dict[str, dict[str, int]]
) -> Performance:
    """A performance seated from `plan`; `zone_prices` maps each ticket type's name to its price in each
    zone (the type's own price is its lowest)."""
    lowest = {name: min(prices.values()) for name, prices in zone_prices.items()}
    performance = await make_performance(event, starts_at, lowest, capacity=0)
    await seat_performance(performance.id, plan.id)
    types = {
        row["name"]: row["id"]
        for row in await TicketType.select(TicketType.id, TicketType.name).where(
            TicketType.performance == performance.id
        )
    }
    await ZonePrice.insert(
        *[
            ZonePrice(ticket_type=types[name], zone=zone, price=price)
            for name, prices in zone_prices.items()
            for zone, price in prices.items()
        ]
    )
    return await Performance.objects().where(Performance.id == performance.id).first()
