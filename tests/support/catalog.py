"""Catalog rows for tests, with only what each test needs to say spelled out."""

from __future__ import annotations

from datetime import datetime

from boxoffice.sales.tables import Event, EventStatus, Performance, TicketType, Venue


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
