"""Performances as staff set them up: when each starts, its capacity, and when its sales open and close.
Times are typed on the venue's clocks and stored in UTC; a wall-clock time that happens twice means the
first, one that never happens is refused. A performance's capacity never drops below the seats sold or
held: a change from C to C' moves `available` by C' - C in ONE conditional UPDATE that also checks the
capacity it started from and that `available` stays at zero or more, so it is atomic against holds
taken at the same moment, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from boxoffice.auth import audit
from boxoffice.db import as_utc, optional_utc, write_transaction
from boxoffice.sales.catalogue_forms import (
    CatalogChangeRefused,
    are,
    changed_fields,
    counted,
    parse_whole_number,
)
from boxoffice.sales.event_editing import get_event
from boxoffice.sales.tables import Performance
from boxoffice.sales.venue_editing import VenueRecord, venue_record

MIN_CAPACITY, MAX_CAPACITY = 1, 100_000
LOCAL_MOMENT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")
MOMENT_EXAMPLE = "2026-12-05 19:30"


@dataclass
class PerformanceInput:
    starts_at: str = ""
    capacity: str = ""
    sales_start: str = ""
    sales_end: str = ""


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
        row = (
            await Performance.select(Performance.capacity, Performance.seating_plan)
            .where(Performance.id == performance_id)
            .first()
        )
        if row is None:
            raise LookupError(performance_id)
        capacity_before = row["capacity"]
        if row["seating_plan"] is not None and fields.capacity != capacity_before:
            raise CatalogChangeRefused(
                f"This performance is seated: its capacity is its {capacity_before:,} seats. Kill seats to "
                "keep some off sale.",
                "capacity",
            )
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
