"""Events as staff set them up: title, web address, description, status and venue, and the staff list of
them with each one's next performance. An event's venue is fixed once it has performances, as their times
and prices are the venue's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.auth import audit
from boxoffice.db import optional_utc, parse_id, write_transaction
from boxoffice.sales.catalogue_forms import (
    MAX_NAME_LENGTH,
    CatalogChangeRefused,
    changed_fields,
    free_text,
    required_line,
    settle_slug,
    slug_kept_unique,
)
from boxoffice.sales.tables import Event, EventStatus, Performance, Venue
from boxoffice.sales.venue_editing import VenueRecord, venue_record

MAX_DESCRIPTION_LENGTH = 10_000


@dataclass
class EventInput:
    title: str = ""
    slug: str = ""
    description: str = ""
    status: str = EventStatus.DRAFT.value
    venue: str = ""


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
