"""What a report covers: a range of days in the venue's time zone, and optionally one venue, event or
performance. Every report takes the same `Scope`, parsed once from the filter form, so the filters read
and behave alike everywhere; a value that cannot be used is named in `problems` and left out.

The few SQL expressions that differ between SQLite (timestamps kept as ISO text in UTC) and PostgreSQL
live here too: reports group by the UTC hour in the database and fold hours into the venue's days,
weeks and months in Python, which keeps time zones out of SQL on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from piccolo.engine.postgres import PostgresEngine

from boxoffice.auth import audit
from boxoffice.db import current_engine, parse_id
from boxoffice.sales.tables import Event, Performance, Venue

DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years: a venue's whole history, still one indexed range read


def hour_of(column: str) -> str:
    """SQL for the UTC hour ("2026-11-21 19") of a timestamp column."""
    if isinstance(current_engine(), PostgresEngine):
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"
    return f"substr({column}, 1, 13)"


def local_day(hour: str, zone: ZoneInfo) -> date:
    """The venue's day of a UTC hour as `hour_of` gives it."""
    return datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(zone).date()


PERIODS = {
    "day": lambda day: day,
    "week": lambda day: day - timedelta(days=day.weekday()),  # weeks start on Monday
    "month": lambda day: day.replace(day=1),
}


@dataclass(frozen=True, slots=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True, slots=True)
class Scope:
    first_day: date
    last_day: date  # inclusive
    zone: ZoneInfo
    currency: str = "GBP"
    locale: str = "en_GB"
    venue: int | None = None
    event: int | None = None
    performance: int | None = None
    problems: tuple[str, ...] = field(default=())

    def bounds(self) -> tuple[datetime, datetime]:
        """The range as UTC instants, end excluded."""
        start = datetime.combine(self.first_day, time.min, self.zone)
        end = datetime.combine(self.last_day + timedelta(days=1), time.min, self.zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]

    def performance_clause(self, performance: str = "p", event: str = "e") -> tuple[str, list[object]]:
        """SQL narrowing performances (aliases `performance`, `event`) to the venue, event and performance
        chosen, with its values."""
        clauses, values = [], []
        for chosen, column in (
            (self.venue, f"{event}.venue"),
            (self.event, f"{event}.id"),
            (self.performance, f"{performance}.id"),
        ):
            if chosen is not None:
                clauses.append(f"{column} = {{}}")
                values.append(chosen)
        return "".join(f" AND {clause}" for clause in clauses), values

    @property
    def narrowed(self) -> bool:
        return any(chosen is not None for chosen in (self.venue, self.event, self.performance))

    def query(self) -> dict[str, str]:
        """The filters as the form sends them, for download links."""
        chosen = {
            "start": self.first_day.isoformat(),
            "end": self.last_day.isoformat(),
            "venue": self.venue,
            "event": self.event,
            "performance": self.performance,
        }
        return {key: str(value) for key, value in chosen.items() if value is not None}

    async def record_download(
        self, report: str, grouping: str | None, file_format: str, *, actor_id: int, ip: str
    ) -> None:
        """Audit a report leaving the system as a file: who took which report, with which filters. The
        filters are dates and identifiers only, so the entry holds no personal data."""
        await audit.record(
            "reports.downloaded",
            actor_id=actor_id,
            ip=ip,
            object_type="report",
            object_id=report,
            detail={
                "format": file_format,
                **self.query(),
                **({"by": grouping} if grouping else {}),
            },
        )


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


async def parse_scope(
    today: date, from_day: str = "", to_day: str = "", venue: str = "", event: str = "", performance: str = ""
) -> Scope:
    """The scope the filter form asks for: the last 30 days by default; anything unusable is named in
    `problems` and ignored. `today` is the venue's."""
    problems = []
    last = parse_day(to_day) if to_day else today
    if last is None:
        problems.append("The end date is not a date such as 2026-11-21; the range ends today.")
        last = today
    first = parse_day(from_day) if from_day else last - timedelta(days=DEFAULT_DAYS - 1)
    if first is None:
        problems.append("The start date is not a date such as 2026-11-21; showing 30 days.")
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        problems.append("The start date was after the end date; they have been swapped.")
        first, last = last, first
    if (last - first).days >= MAX_DAYS:
        problems.append("A report covers ten years at most; the start date has been moved.")
        first = last - timedelta(days=MAX_DAYS - 1)
    venue_id = await known(Venue, venue, problems, "That venue is not on the list; showing every venue.")
    event_id = await known(Event, event, problems, "That event is not on the list; showing every event.")
    performance_id = await known(
        Performance, performance, problems, "That performance is not on the list; showing all of them."
    )
    timezone, currency, locale = await venue_settings(venue_id)
    return Scope(
        first, last, ZoneInfo(timezone), currency, locale, venue_id, event_id, performance_id, tuple(problems)
    )


async def known(table: type, text: str, problems: list[str], problem: str) -> int | None:
    if not text:
        return None
    chosen = parse_id(text)
    if chosen is None or not await table.exists().where(table.id == chosen):
        problems.append(problem)
        return None
    return chosen


async def venue_settings(venue_id: int | None = None) -> tuple[str, str, str]:
    """The (time zone, currency, locale) of the chosen venue, or of the first (as the till reads it)."""
    query = Venue.select(Venue.timezone, Venue.currency, Venue.locale).order_by(Venue.id)
    if venue_id is not None:
        query = query.where(Venue.id == venue_id)
    row = await query.first()
    if row is None:
        return Venue.timezone.default, Venue.currency.default, Venue.locale.default
    return row["timezone"], row["currency"], row["locale"]


async def today_scope(now: datetime) -> Scope:
    """Today, at the first venue, as the dashboard and the till count it."""
    timezone, currency, locale = await venue_settings()
    today = now.astimezone(ZoneInfo(timezone)).date()
    return Scope(today, today, ZoneInfo(timezone), currency, locale)


async def filter_choices(scope: Scope) -> dict[str, list[Choice]]:
    """The venues and events to choose from, and the chosen event's performances."""
    venues = await Venue.select(Venue.id, Venue.name).order_by(Venue.name)
    events = Event.select(Event.id, Event.title).order_by(Event.title)
    if scope.venue is not None:
        events = events.where(Event.venue == scope.venue)
    performances = []
    if scope.event is not None:
        performances = [
            Choice(row["id"], row["starts_at"].astimezone(scope.zone).strftime("%a %-d %b %Y %H:%M"))
            for row in await Performance.select(Performance.id, Performance.starts_at)
            .where(Performance.event == scope.event)
            .order_by(Performance.starts_at)
        ]
    return {
        "venues": [Choice(row["id"], row["name"]) for row in venues],
        "events": [Choice(row["id"], row["title"]) for row in await events],
        "performances": performances,
    }
