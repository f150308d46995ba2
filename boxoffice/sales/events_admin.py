"""What a venue puts on sale, as staff set it up: venues, events, performances and ticket types.

What must stay true whatever staff type:
- A performance's capacity never drops below the seats sold or held. A change from C to C' moves
  `available` by C' - C in ONE conditional UPDATE that also checks the capacity it started from and that
  `available` stays at zero or more, so it is atomic against holds taken at the same moment, on SQLite and
  PostgreSQL alike. A capped ticket type's cap obeys the same rule for its own `available`.
- Prices are integer minor units in the venue's currency (babel knows each currency's decimals); times
  are typed in the venue's own time zone and stored in UTC.
- Every change is audited, with identifiers and staff-side names only, never customer data.

Input that cannot be used raises `CatalogChangeRefused`, whose message is for the person who typed it;
nothing is changed then.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from asyncpg.exceptions import UniqueViolationError
from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision, is_currency
from piccolo.engine.sqlite import SQLiteEngine

from boxoffice.auth import audit
from boxoffice.db import as_utc, current_engine, optional_utc, parse_id, write_transaction
from boxoffice.errors import Refused
from boxoffice.money import Money
from boxoffice.sales.tables import Event, EventStatus, OrderStatus, Performance, TicketType, Venue

SLUG_PATTERN = re.compile(r"[a-z0-9-]+")
MAX_SLUG_LENGTH = 80
SLUG_SUFFIX_ROOM = 6  # "-99999": room left for telling apart generated slugs
MAX_NAME_LENGTH = 200
MAX_TICKET_TYPE_NAME_LENGTH = 100
MAX_ADDRESS_LENGTH = 500
MAX_DESCRIPTION_LENGTH = 10_000
MIN_CAPACITY, MAX_CAPACITY = 1, 100_000
MAX_MINOR_UNITS = 2**31 - 1  # prices live in a 32-bit integer column
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,9}")
PRICE = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")
LOCAL_MOMENT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")
MOMENT_EXAMPLE = "2026-12-05 19:30"
SLUG_TAKEN_NOW = "Someone else has just used this web address; choose another."

# Orders in these states gave their seats back; every other order, and every hold, still has them.
RELEASED_ORDER_STATUSES = (OrderStatus.EXPIRED.value, OrderStatus.CANCELLED.value)


class CatalogChangeRefused(Refused):
    """A change to the catalogue that cannot be made as typed."""


# What staff type: plain strings, validated here. Routes use these classes as their form bodies.


@dataclass
class VenueInput:
    name: str = ""
    slug: str = ""
    address: str = ""
    locale: str = "en_GB"
    timezone: str = "Europe/London"
    currency: str = "GBP"


@dataclass
class EventInput:
    title: str = ""
    slug: str = ""
    description: str = ""
    status: str = EventStatus.DRAFT.value
    venue: str = ""


@dataclass
class PerformanceInput:
    starts_at: str = ""
    capacity: str = ""
    sales_start: str = ""
    sales_end: str = ""


@dataclass
class TicketTypeInput:
    name: str = ""
    price: str = ""
    cap: str = ""


# What is stored, as the admin pages show it.


@dataclass(frozen=True, slots=True)
class VenueRecord:
    id: int
    name: str
    slug: str
    address: str
    locale: str
    timezone: str
    currency: str

    def as_input(self) -> VenueInput:
        return VenueInput(self.name, self.slug, self.address, self.locale, self.timezone, self.currency)


@dataclass(frozen=True, slots=True)
class EventSummary:
    """An event in the staff list: where, its status, and its next performance (in the venue's zone)."""

    id: int
    title: str
    slug: str
    status: EventStatus
    venue_name: str
    venue_locale: str
    venue_timezone: str
    performance_count: int
    next_starts_at: datetime | None


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    title: str
    slug: str
    description: str
    status: EventStatus
    venue: VenueRecord

    def as_input(self) -> EventInput:
        return EventInput(self.title, self.slug, self.description, self.status.value, str(self.venue.id))


@dataclass(frozen=True, slots=True)
class PerformanceSummary:
    id: int
    starts_at: datetime
    capacity: int
    available: int
    sales_start: datetime | None
    sales_end: datetime | None
    ticket_type_count: int

    @property
    def sold_or_held(self) -> int:
        return self.capacity - self.available


@dataclass(frozen=True, slots=True)
class PerformanceRecord:
    id: int
    event_id: int
    event_title: str
    venue: VenueRecord
    starts_at: datetime
    capacity: int
    available: int
    sales_start: datetime | None
    sales_end: datetime | None

    @property
    def sold_or_held(self) -> int:
        return self.capacity - self.available

    def as_input(self) -> PerformanceInput:
        zone = self.venue.timezone
        return PerformanceInput(
            starts_at=local_input(self.starts_at, zone),
            capacity=str(self.capacity),
            sales_start=local_input(self.sales_start, zone),
            sales_end=local_input(self.sales_end, zone),
        )


@dataclass(frozen=True, slots=True)
class TicketTypeRecord:
    id: int
    performance_id: int
    name: str
    price: Money
    cap: int | None
    available: int | None
    position: int

    @property
    def sold_or_held(self) -> int | None:
        """Of a capped type, how many are sold or held; None for a type limited only by the performance."""
        return None if self.cap is None or self.available is None else self.cap - self.available

    def as_input(self) -> TicketTypeInput:
        return TicketTypeInput(self.name, price_input(self.price), "" if self.cap is None else str(self.cap))


# Reading and checking what was typed


def tidy(text: str) -> str:
    """One line of text with its runs of white space made single spaces."""
    return " ".join(text.split())


def required_line(text: str, *, limit: int, field: str, missing: str, label: str) -> str:
    value = tidy(text)
    if not value:
        raise CatalogChangeRefused(missing, field)
    if len(value) > limit:
        raise CatalogChangeRefused(f"Use at most {limit} characters for the {label}.", field)
    return value


def free_text(text: str, *, limit: int, field: str, label: str) -> str:
    value = text.replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise CatalogChangeRefused(f"Use at most {limit:,} characters for the {label}.", field)
    return value


def slug_from(text: str) -> str:
    """A web address part made from a title: 'Twelfth Night — Matinée!' becomes 'twelfth-night-matinee'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[: MAX_SLUG_LENGTH - SLUG_SUFFIX_ROOM].rstrip("-")


def typed_slug(text: str) -> str:
    slug = text.strip()
    if not SLUG_PATTERN.fullmatch(slug):
        raise CatalogChangeRefused(
            "Use only lower-case letters a–z, digits and hyphens for the web address, such as the-tempest.",
            "slug",
        )
    if len(slug) > MAX_SLUG_LENGTH:
        raise CatalogChangeRefused(f"Use at most {MAX_SLUG_LENGTH} characters for the web address.", "slug")
    return slug


def parse_whole_number(text: str, *, field: str, label: str, low: int, high: int) -> int:
    value = text.strip()
    if not WHOLE_NUMBER.fullmatch(value):
        raise CatalogChangeRefused(f"Enter the {label} as a whole number, such as 250.", field)
    number = int(value)
    if not low <= number <= high:
        raise CatalogChangeRefused(f"The {label} must be between {low:,} and {high:,}.", field)
    return number


def price_example(currency: str) -> str:
    return str(Decimal(2450).scaleb(-get_currency_precision(currency)))


def parse_price(text: str, currency: str) -> int:
    """Money as typed ('24.50') in integer minor units of `currency` (2450 pence)."""
    value = text.strip()
    example = price_example(currency)
    if value.startswith("-"):
        raise CatalogChangeRefused(f"Enter a price of zero or more, such as {example}.", "price")
    if not PRICE.fullmatch(value):
        raise CatalogChangeRefused(f"Enter the price as a number, such as {example}.", "price")
    precision = get_currency_precision(currency)
    minor = Decimal(value).scaleb(precision)
    if minor != minor.to_integral_value():
        places = "no decimal places" if precision == 0 else f"at most {precision} decimal places"
        raise CatalogChangeRefused(f"Prices in {currency} have {places}, such as {example}.", "price")
    if minor > MAX_MINOR_UNITS:
        raise CatalogChangeRefused("That price is too high.", "price")
    return int(minor)


def price_input(price: Money) -> str:
    """A price as staff type it: 2450 pence is '24.50'."""
    return str(Decimal(price.amount).scaleb(-get_currency_precision(price.currency)))


def parse_local_moment(
    text: str, timezone: str, *, field: str, label: str, required: bool
) -> datetime | None:
    """A date and time as read on the venue's clocks, as a UTC moment.

    A wall-clock time that happens twice (when the clocks go back) means the first of them; one that
    never happens (when they go forward) is refused.
    """
    value = text.strip()
    if not value:
        if required:
            raise CatalogChangeRefused(f"Enter the {label}, such as {MOMENT_EXAMPLE}.", field)
        return None
    for layout in LOCAL_MOMENT_FORMATS:
        try:
            wall_clock = datetime.strptime(value, layout)
        except ValueError:
            continue
        break
    else:
        raise CatalogChangeRefused(f"Enter the {label} as a date and time, such as {MOMENT_EXAMPLE}.", field)
    zone = ZoneInfo(timezone)
    moment = wall_clock.replace(tzinfo=zone).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != wall_clock:
        raise CatalogChangeRefused(
            f"{wall_clock:%H:%M} on {wall_clock:%Y-%m-%d} does not exist in {timezone}: the clocks go "
            "forward then. Choose another time.",
            field,
        )
    return moment


def local_input(moment: datetime | None, timezone: str) -> str:
    """A stored moment as the venue's clocks show it, in the form a datetime-local field takes."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


@functools.cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_locale(text: str) -> str:
    value = text.strip().replace("-", "_")
    try:
        return str(Locale.parse(value))
    except (ValueError, TypeError, UnknownLocaleError) as unknown:
        raise CatalogChangeRefused(
            "Enter a locale that exists, such as en_GB or de_DE.", "locale"
        ) from unknown


def parse_timezone(text: str) -> str:
    value = text.strip()
    if value not in known_timezones():
        raise CatalogChangeRefused(
            "Enter a time zone by its IANA name, such as Europe/London or America/New_York.", "timezone"
        )
    return value


def parse_currency(text: str) -> str:
    value = text.strip().upper()
    if not (len(value) == 3 and value.isascii() and value.isalpha() and is_currency(value)):
        raise CatalogChangeRefused(
            "Enter a currency by its ISO 4217 code, such as GBP, EUR or USD.", "currency"
        )
    return value


def counted(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def are(count: int) -> str:
    return "is" if count == 1 else "are"


@asynccontextmanager
async def slug_kept_unique() -> AsyncIterator[None]:
    """Turn the unique index's refusal (two people saving the same address at once) into a message."""
    try:
        yield
    except sqlite3.IntegrityError as clash:
        if "UNIQUE" not in str(clash):
            raise
        raise CatalogChangeRefused(SLUG_TAKEN_NOW, "slug") from clash
    except UniqueViolationError as clash:
        raise CatalogChangeRefused(SLUG_TAKEN_NOW, "slug") from clash


async def settle_slug(
    table: type[Venue] | type[Event], typed: str, source: str, kind: str, own_id: int | None
) -> str:
    """The typed slug if it is free, or else one made from `source` and not yet taken."""
    if typed.strip():
        slug = typed_slug(typed)
        taken = table.exists().where(table.slug == slug)
        if own_id is not None:
            taken = taken.where(table.id != own_id)
        if await taken:
            raise CatalogChangeRefused(f"Another {kind} already uses the web address “{slug}”.", "slug")
        return slug
    base = slug_from(source) or kind
    similar = table.select(table.slug).where(table.slug.like(f"{base}%"))
    if own_id is not None:
        similar = similar.where(table.id != own_id)
    used = {row["slug"] for row in await similar}
    if base not in used:
        return base
    return next(f"{base}-{number}" for number in range(2, len(used) + 3) if f"{base}-{number}" not in used)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(key for key, value in after.items() if before.get(key) != value)


# Venues


@dataclass(frozen=True, slots=True)
class VenueFields:
    name: str
    address: str
    locale: str
    timezone: str
    currency: str


def validated_venue(data: VenueInput) -> VenueFields:
    return VenueFields(
        name=required_line(
            data.name, limit=MAX_NAME_LENGTH, field="name", missing="Enter the venue’s name.", label="name"
        ),
        address=free_text(data.address, limit=MAX_ADDRESS_LENGTH, field="address", label="address"),
        locale=parse_locale(data.locale),
        timezone=parse_timezone(data.timezone),
        currency=parse_currency(data.currency),
    )


def venue_record(row: dict[str, Any]) -> VenueRecord:
    return VenueRecord(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        address=row["address"],
        locale=row["locale"],
        timezone=row["timezone"],
        currency=row["currency"],
    )


async def list_venues() -> list[VenueRecord]:
    return [venue_record(row) for row in await Venue.select().order_by(Venue.name)]


async def get_venue(venue_id: int) -> VenueRecord | None:
    row = await Venue.select().where(Venue.id == venue_id).first()
    return venue_record(row) if row else None


async def create_venue(data: VenueInput, *, actor_id: int | None, ip: str) -> int:
    fields = validated_venue(data)
    async with slug_kept_unique(), write_transaction():
        slug = await settle_slug(Venue, data.slug, fields.name, "venue", None)
        [row] = await Venue.insert(
            Venue(
                name=fields.name,
                slug=slug,
                address=fields.address,
                locale=fields.locale,
                timezone=fields.timezone,
                currency=fields.currency,
            )
        ).returning(Venue.id)
        await audit.record(
            "venue.created",
            actor_id=actor_id,
            ip=ip,
            object_type="venue",
            object_id=row["id"],
            detail={"slug": slug, "currency": fields.currency, "timezone": fields.timezone},
        )
    return row["id"]


async def update_venue(venue_id: int, data: VenueInput, *, actor_id: int | None, ip: str) -> None:
    """Edit a venue. Its currency is fixed once it has priced tickets: their prices are in it. A new time
    zone keeps each performance's moment and shows it on the new zone's clocks."""
    fields = validated_venue(data)
    async with slug_kept_unique(), write_transaction():
        current = await get_venue(venue_id)
        if current is None:
            raise LookupError(venue_id)
        slug = await settle_slug(Venue, data.slug, fields.name, "venue", venue_id)
        if fields.currency != current.currency and await TicketType.exists().where(
            TicketType.performance.event.venue == venue_id
        ):
            raise CatalogChangeRefused(
                f"This venue has tickets priced in {current.currency}, so its currency cannot change.",
                "currency",
            )
        after = {
            "name": fields.name,
            "slug": slug,
            "address": fields.address,
            "locale": fields.locale,
            "timezone": fields.timezone,
            "currency": fields.currency,
        }
        changed = changed_fields(
            {key: getattr(current, key) for key in after},
            after,
        )
        if not changed:
            return
        await Venue.update({getattr(Venue, key): value for key, value in after.items()}).where(
            Venue.id == venue_id
        )
        await audit.record(
            "venue.updated",
            actor_id=actor_id,
            ip=ip,
            object_type="venue",
            object_id=venue_id,
            detail={"changed": changed},
        )


# Events

EVENTS_SQL = """
    SELECT e.id, e.title, e.slug, e.status, v.name AS venue_name, v.locale, v.timezone,
           COUNT(p.id) AS performance_count,
           MIN(CASE WHEN p.starts_at > {} THEN p.starts_at END) AS next_starts_at
    FROM event e
    JOIN venue v ON v.id = e.venue
    LEFT JOIN performance p ON p.event = e.id
    GROUP BY e.id, e.title, e.slug, e.status, v.name, v.locale, v.timezone
"""


async def list_events(now: datetime) -> list[EventSummary]:
    """Every event: those with a performance to come first, soonest first; then the rest by title."""
    rows = await Event.raw(EVENTS_SQL, now)
    events = [
        EventSummary(
            id=row["id"],
            title=row["title"],
            slug=row["slug"],
            status=EventStatus(row["status"]),
            venue_name=row["venue_name"],
            venue_locale=row["locale"],
            venue_timezone=row["timezone"],
            performance_count=row["performance_count"],
            next_starts_at=optional_utc(row["next_starts_at"]),
        )
        for row in rows
    ]
    return sorted(
        events,
        key=lambda event: (
            event.next_starts_at is None,
            event.next_starts_at or now,
            event.title.casefold(),
        ),
    )


@dataclass(frozen=True, slots=True)
class EventFields:
    title: str
    description: str
    status: EventStatus
    venue_id: int


def validated_event(data: EventInput) -> EventFields:
    title = required_line(
        data.title, limit=MAX_NAME_LENGTH, field="title", missing="Enter the event’s title.", label="title"
    )
    description = free_text(
        data.description, limit=MAX_DESCRIPTION_LENGTH, field="description", label="description"
    )
    try:
        status = EventStatus(data.status.strip())
    except ValueError as unknown:
        raise CatalogChangeRefused("Choose draft, on sale or off sale.", "status") from unknown
    venue_id = parse_id(data.venue)
    if venue_id is None:
        raise CatalogChangeRefused("Choose the venue.", "venue")
    return EventFields(title, description, status, venue_id)


async def get_event(event_id: int) -> EventRecord | None:
    row = (
        await Event.select(
            Event.id,
            Event.title,
            Event.slug,
            Event.description,
            Event.status,
            *Event.venue.all_columns(),
        )
        .where(Event.id == event_id)
        .output(nested=True)
        .first()
    )
    if row is None:
        return None
    return EventRecord(
        id=row["id"],
        title=row["title"],
        slug=row["slug"],
        description=row["description"],
        status=EventStatus(row["status"]),
        venue=venue_record(row["venue"]),
    )


async def create_event(data: EventInput, *, actor_id: int | None, ip: str) -> int:
    fields = validated_event(data)
    async with slug_kept_unique(), write_transaction():
        if not await Venue.exists().where(Venue.id == fields.venue_id):
            raise CatalogChangeRefused("Choose the venue.", "venue")
        slug = await settle_slug(Event, data.slug, fields.title, "event", None)
        [row] = await Event.insert(
            Event(
                venue=fields.venue_id,
                slug=slug,
                title=fields.title,
                description=fields.description,
                status=fields.status,
            )
        ).returning(Event.id)
        await audit.record(
            "event.created",
            actor_id=actor_id,
            ip=ip,
            object_type="event",
            object_id=row["id"],
            detail={"slug": slug, "status": fields.status.value, "venue_id": fields.venue_id},
        )
    return row["id"]


async def update_event(event_id: int, data: EventInput, *, actor_id: int | None, ip: str) -> None:
    """Edit an event. Its venue is fixed once it has performances: their times and prices are the
    venue's."""
    fields = validated_event(data)
    async with slug_kept_unique(), write_transaction():
        current = await get_event(event_id)
        if current is None:
            raise LookupError(event_id)
        if fields.venue_id != current.venue.id:
            if not await Venue.exists().where(Venue.id == fields.venue_id):
                raise CatalogChangeRefused("Choose the venue.", "venue")
            if await Performance.exists().where(Performance.event == event_id):
                raise CatalogChangeRefused(
                    "This event has performances, so its venue cannot change.", "venue"
                )
        slug = await settle_slug(Event, data.slug, fields.title, "event", event_id)
        before = {
            "title": current.title,
            "slug": current.slug,
            "description": current.description,
            "status": current.status.value,
            "venue": current.venue.id,
        }
        after = {
            "title": fields.title,
            "slug": slug,
            "description": fields.description,
            "status": fields.status.value,
            "venue": fields.venue_id,
        }
        changed = changed_fields(before, after)
        if not changed:
            return
        await Event.update({getattr(Event, key): value for key, value in after.items()}).where(
            Event.id == event_id
        )
        await audit.record(
            "event.updated",
            actor_id=actor_id,
            ip=ip,
            object_type="event",
            object_id=event_id,
            detail={"changed": changed, "status": fields.status.value},
        )


# Performances

EVENT_PERFORMANCES_SQL = """
    SELECT p.id, p.starts_at, p.capacity, p.available, p.sales_start, p.sales_end,
           COUNT(t.id) AS ticket_type_count
    FROM performance p
    LEFT JOIN ticket_type t ON t.performance = p.id
    WHERE p.event = {}
    GROUP BY p.id, p.starts_at, p.capacity, p.available, p.sales_start, p.sales_end
    ORDER BY p.starts_at, p.id
"""

CHANGE_CAPACITY_SQL = """
    UPDATE performance SET capacity = {}, available = available + {}
    WHERE id = {} AND capacity = {} AND available + {} >= 0
    RETURNING id
"""


async def event_performances(event_id: int) -> list[PerformanceSummary]:
    rows = await Performance.raw(EVENT_PERFORMANCES_SQL, event_id)
    return [
        PerformanceSummary(
            id=row["id"],
            starts_at=as_utc(row["starts_at"]),
            capacity=row["capacity"],
            available=row["available"],
            sales_start=optional_utc(row["sales_start"]),
            sales_end=optional_utc(row["sales_end"]),
            ticket_type_count=row["ticket_type_count"],
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class PerformanceFields:
    starts_at: datetime
    capacity: int
    sales_start: datetime | None
    sales_end: datetime | None


def validated_performance(data: PerformanceInput, timezone: str) -> PerformanceFields:
    starts_at = parse_local_moment(
        data.starts_at, timezone, field="starts_at", label="start date and time", required=True
    )
    assert starts_at is not None
    capacity = parse_whole_number(
        data.capacity, field="capacity", label="capacity", low=MIN_CAPACITY, high=MAX_CAPACITY
    )
    sales_start = parse_local_moment(
        data.sales_start, timezone, field="sales_start", label="start of sales", required=False
    )
    sales_end = parse_local_moment(
        data.sales_end, timezone, field="sales_end", label="end of sales", required=False
    )
    if sales_start is not None and sales_end is not None and sales_end <= sales_start:
        raise CatalogChangeRefused("Sales must end after they start.", "sales_end")
    return PerformanceFields(starts_at, capacity, sales_start, sales_end)


async def get_performance(performance_id: int) -> PerformanceRecord | None:
    row = (
        await Performance.select(
            Performance.id,
            Performance.event.as_alias("event_id"),
            Performance.starts_at,
            Performance.capacity,
            Performance.available,
            Performance.sales_start,
            Performance.sales_end,
            Performance.event.title.as_alias("event_title"),
            *Performance.event.venue.all_columns(),
        )
        .where(Performance.id == performance_id)
        .output(nested=True)
        .first()
    )
    if row is None:
        return None
    return PerformanceRecord(
        id=row["id"],
        event_id=row["event_id"],
        event_title=row["event_title"],
        venue=venue_record(row["event"]["venue"]),
        starts_at=as_utc(row["starts_at"]),
        capacity=row["capacity"],
        available=row["available"],
        sales_start=optional_utc(row["sales_start"]),
        sales_end=optional_utc(row["sales_end"]),
    )


async def create_performance(event_id: int, data: PerformanceInput, *, actor_id: int | None, ip: str) -> int:
    """Add a performance; all its capacity is available until holds and sales take some."""
    event = await get_event(event_id)
    if event is None:
        raise LookupError(event_id)
    fields = validated_performance(data, event.venue.timezone)
    async with write_transaction():
        [row] = await Performance.insert(
            Performance(
                event=event_id,
                starts_at=fields.starts_at,
                capacity=fields.capacity,
                available=fields.capacity,
                sales_start=fields.sales_start,
                sales_end=fields.sales_end,
            )
        ).returning(Performance.id)
        await audit.record(
            "performance.created",
            actor_id=actor_id,
            ip=ip,
            object_type="performance",
            object_id=row["id"],
            detail={"event_id": event_id, "capacity": fields.capacity},
        )
    return row["id"]


async def update_performance(
    performance_id: int, data: PerformanceInput, *, actor_id: int | None, ip: str
) -> None:
    """Edit a performance. Its capacity cannot go below the seats sold or held (see the module's
    docstring); the rest changes with it, or nothing does."""
    current = await get_performance(performance_id)
    if current is None:
        raise LookupError(performance_id)
    fields = validated_performance(data, current.venue.timezone)
    async with write_transaction():
        row = await Performance.select(Performance.capacity).where(Performance.id == performance_id).first()
        if row is None:
            raise LookupError(performance_id)
        capacity_before = row["capacity"]
        if fields.capacity != capacity_before:
            await change_capacity(performance_id, capacity_before, fields.capacity)
        before = {
            "starts_at": current.starts_at,
            "sales_start": current.sales_start,
            "sales_end": current.sales_end,
        }
        after = {
            "starts_at": fields.starts_at,
            "sales_start": fields.sales_start,
            "sales_end": fields.sales_end,
        }
        changed = changed_fields(before, after)
        if changed:
            await Performance.update(
                {getattr(Performance, key): value for key, value in after.items()}
            ).where(Performance.id == performance_id)
        if fields.capacity != capacity_before:
            changed = sorted([*changed, "capacity"])
        if not changed:
            return
        detail: dict[str, Any] = {"changed": changed}
        if "capacity" in changed:
            detail["capacity"] = [capacity_before, fields.capacity]
        await audit.record(
            "performance.updated",
            actor_id=actor_id,
            ip=ip,
            object_type="performance",
            object_id=performance_id,
            detail=detail,
        )


async def change_capacity(performance_id: int, capacity_before: int, capacity: int) -> None:
    """Capacity from `capacity_before` to `capacity`, moving `available` by the difference, in one
    conditional UPDATE; refused when fewer seats would be left than are sold or held."""
    difference = capacity - capacity_before
    changed = await Performance.raw(
        CHANGE_CAPACITY_SQL, capacity, difference, performance_id, capacity_before, difference
    )
    if changed:
        return
    row = (
        await Performance.select(Performance.capacity, Performance.available)
        .where(Performance.id == performance_id)
        .first()
    )
    if row is None:
        raise LookupError(performance_id)
    if row["capacity"] != capacity_before:
        raise CatalogChangeRefused(
            "Someone else changed this performance’s capacity just now. Check it and try again.", "capacity"
        )
    taken = row["capacity"] - row["available"]
    raise CatalogChangeRefused(
        f"{counted(taken, 'seat')} {are(taken)} sold or held; capacity cannot go below {taken:,}.", "capacity"
    )


# Ticket types

# Of one ticket type, the tickets sold or held: order lines of orders that still have their seats, and holds.
TAKEN_OF_TYPE_SQL = """
    COALESCE((SELECT SUM(l.quantity) FROM order_line l JOIN "order" o ON o.id = l."order"
              WHERE l.ticket_type = {} AND o.status NOT IN ({}, {})), 0)
    + COALESCE((SELECT SUM(h.quantity) FROM hold h WHERE h.ticket_type = {}), 0)
"""

COUNT_TAKEN_OF_TYPE_SQL = f"SELECT {TAKEN_OF_TYPE_SQL} AS taken"

CAP_UNCAPPED_TYPE_SQL = f"""
    UPDATE ticket_type SET cap = {{}}, available = {{}} - ({TAKEN_OF_TYPE_SQL})
    WHERE id = {{}} AND cap IS NULL AND {{}} - ({TAKEN_OF_TYPE_SQL}) >= 0
    RETURNING id
"""

CHANGE_CAP_SQL = """
    UPDATE ticket_type SET cap = {}, available = available + {}
    WHERE id = {} AND cap = {} AND available + {} >= 0
    RETURNING id
"""

REMOVE_CAP_SQL = """
    UPDATE ticket_type SET cap = NULL, available = NULL
    WHERE id = {} AND cap = {}
    RETURNING id
"""


def taken_of_type_args(ticket_type_id: int) -> tuple[Any, ...]:
    return (ticket_type_id, *RELEASED_ORDER_STATUSES, ticket_type_id)


def ticket_type_record(row: dict[str, Any]) -> TicketTypeRecord:
    return TicketTypeRecord(
        id=row["id"],
        performance_id=row["performance"],
        name=row["name"],
        price=Money(row["currency"], row["price"]),
        cap=row["cap"],
        available=row["available"],
        position=row["position"],
    )


async def performance_ticket_types(performance_id: int) -> list[TicketTypeRecord]:
    rows = (
        await TicketType.select()
        .where(TicketType.performance == performance_id)
        .order_by(TicketType.position)
        .order_by(TicketType.id)
    )
    return [ticket_type_record(row) for row in rows]


async def get_ticket_type(ticket_type_id: int) -> TicketTypeRecord | None:
    row = await TicketType.select().where(TicketType.id == ticket_type_id).first()
    return ticket_type_record(row) if row else None


async def tickets_taken_of_type(ticket_type_id: int) -> int:
    """Tickets of this type sold or held, counted from orders and holds (for a type without a cap,
    which keeps no count of its own)."""
    [row] = await TicketType.raw(COUNT_TAKEN_OF_TYPE_SQL, *taken_of_type_args(ticket_type_id))
    return int(row["taken"])


@dataclass(frozen=True, slots=True)
class TicketTypeFields:
    name: str
    price: int
    cap: int | None


def validated_ticket_type(data: TicketTypeInput, currency: str) -> TicketTypeFields:
    name = required_line(
        data.name,
        limit=MAX_TICKET_TYPE_NAME_LENGTH,
        field="name",
        missing="Enter a name for the ticket type, such as Adult.",
        label="name",
    )
    price = parse_price(data.price, currency)
    cap = None
    if data.cap.strip():
        cap = parse_whole_number(data.cap, field="cap", label="cap", low=MIN_CAPACITY, high=MAX_CAPACITY)
    return TicketTypeFields(name, price, cap)


async def create_ticket_type(
    performance_id: int, data: TicketTypeInput, *, actor_id: int | None, ip: str
) -> int:
    """Add a ticket type, priced in the venue's currency, after the performance's other types."""
    performance = await get_performance(performance_id)
    if performance is None:
        raise LookupError(performance_id)
    currency = performance.venue.currency
    fields = validated_ticket_type(data, currency)
    async with write_transaction():
        last = (
            await TicketType.select(TicketType.position)
            .where(TicketType.performance == performance_id)
            .order_by(TicketType.position, ascending=False)
            .first()
        )
        [row] = await TicketType.insert(
            TicketType(
                performance=performance_id,
                name=fields.name,
                price=fields.price,
                currency=currency,
                cap=fields.cap,
                available=fields.cap,
                position=last["position"] + 1 if last else 0,
            )
        ).returning(TicketType.id)
        await audit.record(
            "ticket_type.created",
            actor_id=actor_id,
            ip=ip,
            object_type="ticket_type",
            object_id=row["id"],
            detail={
                "performance_id": performance_id,
                "price": fields.price,
                "currency": currency,
                "cap": fields.cap,
            },
        )
    return row["id"]


async def update_ticket_type(
    ticket_type_id: int, data: TicketTypeInput, *, actor_id: int | None, ip: str
) -> None:
    """Edit a ticket type. A new price applies to sales from now on; its cap cannot go below the
    tickets of this type sold or held (see the module's docstring)."""
    current = await get_ticket_type(ticket_type_id)
    if current is None:
        raise LookupError(ticket_type_id)
    fields = validated_ticket_type(data, current.price.currency)
    async with write_transaction():
        cap_before = await locked_cap(ticket_type_id)
        if fields.cap != cap_before:
            await change_cap(ticket_type_id, cap_before, fields.cap)
        changed = changed_fields(
            {"name": current.name, "price": current.price.amount},
            {"name": fields.name, "price": fields.price},
        )
        if changed:
            await TicketType.update({TicketType.name: fields.name, TicketType.price: fields.price}).where(
                TicketType.id == ticket_type_id
            )
        if fields.cap != cap_before:
            changed = sorted([*changed, "cap"])
        if not changed:
            return
        detail: dict[str, Any] = {"changed": changed}
        if "price" in changed:
            detail["price"] = [current.price.amount, fields.price]
        if "cap" in changed:
            detail["cap"] = [cap_before, fields.cap]
        await audit.record(
            "ticket_type.updated",
            actor_id=actor_id,
            ip=ip,
            object_type="ticket_type",
            object_id=ticket_type_id,
            detail=detail,
        )


async def locked_cap(ticket_type_id: int) -> int | None:
    """The type's cap, with its row locked until the transaction ends.

    Taking a ticket of any type updates its row (holds.take_seats), so on PostgreSQL `FOR UPDATE` waits
    for holds under way to commit and keeps new ones waiting: the count of what is sold or held that
    follows, in a statement of its own, is complete and stays true. SQLite's write transaction already
    keeps every other writer out.
    """
    sql = "SELECT cap FROM ticket_type WHERE id = {}"
    if not isinstance(current_engine(), SQLiteEngine):
        sql += " FOR UPDATE"
    rows = await TicketType.raw(sql, ticket_type_id)
    if not rows:
        raise LookupError(ticket_type_id)
    return rows[0]["cap"]


async def change_cap(ticket_type_id: int, cap_before: int | None, cap: int | None) -> None:
    """A ticket type's cap from `cap_before` to `cap` (None: no cap of its own), each change one
    conditional UPDATE that checks the cap it started from and leaves `available` at zero or more."""
    if cap is None:
        changed = await TicketType.raw(REMOVE_CAP_SQL, ticket_type_id, cap_before)
    elif cap_before is None:
        taken_args = taken_of_type_args(ticket_type_id)
        changed = await TicketType.raw(
            CAP_UNCAPPED_TYPE_SQL, cap, cap, *taken_args, ticket_type_id, cap, *taken_args
        )
    else:
        difference = cap - cap_before
        changed = await TicketType.raw(
            CHANGE_CAP_SQL, cap, difference, ticket_type_id, cap_before, difference
        )
    if changed:
        return
    row = (
        await TicketType.select(TicketType.cap, TicketType.available)
        .where(TicketType.id == ticket_type_id)
        .first()
    )
    if row is None:
        raise LookupError(ticket_type_id)
    if row["cap"] != cap_before:
        raise CatalogChangeRefused(
            "Someone else changed this ticket type’s cap just now. Check it and try again.", "cap"
        )
    if cap_before is None:
        taken = await tickets_taken_of_type(ticket_type_id)
    else:
        taken = row["cap"] - row["available"]
    raise CatalogChangeRefused(
        f"{counted(taken, 'ticket')} of this type {are(taken)} sold or held; "
        f"its cap cannot go below {taken:,}.",
        "cap",
    )
