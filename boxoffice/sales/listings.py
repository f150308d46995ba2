"""What's on: the events on sale, a page at a time, by date and venue, and the days of a month that have
performances.

Every query here costs the same however large the catalogue grows, because none of them reads more than
its page needs:

- a page of events walks the index on `performance.starts_at` from where the page begins and keeps each
  performance that is the first of its event in the dates asked for (checked on the index on
  `performance (event, starts_at)`), until it has a page's worth: events are listed by their first
  performance, and pages follow each other by a cursor (the last event's first performance), never by
  an OFFSET that would read every page before. Each event's last date and cheapest ticket are then
  read for the page's events alone. What a page reads grows with how many performances an event has,
  not with how many events there are;
- the calendar asks, for each day of one month, whether one listed performance starts that day: at most
  31 probes of the same index, each stopping at the first performance it finds.

A day is a day where the performance happens: each venue's performances are read on the calendar of the
venue's own time zone, so "5 December" means 5 December in London for a London hall and in Berlin for a
Berlin one. The SQL is portable: Piccolo's `raw()` turns each `{}` into the engine's own placeholder.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from boxoffice.db import as_utc
from boxoffice.money import Money
from boxoffice.sales.catalog import VenueSummary
from boxoffice.sales.tables import EventStatus, Performance, Venue

PAGE_SIZE = 12  # events on one page of what's on: rows of 2, 3 or 4 cards come out even
NO_END = datetime(3000, 1, 1, tzinfo=UTC)  # the end of "every date from now on"


@dataclass(frozen=True, slots=True)
class VenueChoice:
    """A venue as the filter offers it, with the zone its days are read in."""

    id: int
    slug: str
    name: str
    address: str
    locale: str
    timezone: str


async def venue_choices() -> list[VenueChoice]:
    """Every venue, by name: the filter offers them all, and the listing names each event's from them.
    A box office has a handful; unlike events and performances, they do not grow with what is sold."""
    rows = await Venue.raw("SELECT id, slug, name, address, locale, timezone FROM venue ORDER BY name, id")
    return [VenueChoice(**row) for row in rows]


def house_venue(venues: list[VenueChoice]) -> VenueChoice | None:
    """The venue whose calendar pages about every venue go by (today, the week): the first one made,
    as `catalog.house_locale` says for staff pages."""
    return min(venues, key=lambda venue: venue.id, default=None)


@dataclass(frozen=True, slots=True)
class Days:
    """Calendar days, `first` to `last` inclusive, each read in its own venue's time zone."""

    first: date
    last: date


def week_of(today: date, first_week_day: int) -> Days:
    """The rest of the week `today` is in, as a locale counts weeks (0: from Monday, 6: from Sunday)."""
    days_gone = (today.weekday() - first_week_day) % 7
    return Days(today, today + timedelta(days=6 - days_gone))


def month_of(today: date) -> Days:
    """The rest of the month `today` is in."""
    return Days(today, today.replace(day=calendar.monthrange(today.year, today.month)[1]))


@dataclass(frozen=True, slots=True)
class Window:
    """Where the start of a performance to list may fall, for the venues in `zone` (None: any venue):
    from `start` (inclusive) until `end` (exclusive)."""

    zone: str | None
    start: datetime
    end: datetime


def windows_for(now: datetime, zones: set[str], days: Days | None) -> list[Window]:
    """The windows of the performances to come on `days` (None: every day from now on) at venues in
    `zones`; none when those days are over everywhere."""
    now = now.replace(second=0, microsecond=0)  # see `moment_sql`
    if days is None:
        return [Window(None, now, NO_END)]
    windows = []
    for zone in sorted(zones):
        local = ZoneInfo(zone)
        start = datetime.combine(days.first, time.min, local).astimezone(UTC)
        end = datetime.combine(days.last + timedelta(days=1), time.min, local).astimezone(UTC)
        if end > now:
            windows.append(Window(zone, max(start, now), end))
    if len({(window.start, window.end) for window in windows}) == 1:
        return [Window(None, windows[0].start, windows[0].end)]  # one zone, or zones that agree
    return windows


def moment_sql(moment: datetime) -> str:
    """A window's bound written into the SQL rather than passed as an argument.

    PostgreSQL plans a prepared statement afresh for its first few runs and then, if that looks no
    dearer, once for any arguments. Planned for any arguments, a range on starts_at looks a few rows
    long, and the plan it picks for a page of what's on then sorts every performance to come instead of
    walking the index and stopping at the page's end (0.5 ms became 40 ms with 10,000 performances).
    Written into the SQL, the range is known to the plan that is kept. Each minute ("now", floored to
    the minute by `windows_for`) and each filter makes another statement, planned a few times and kept.
    Only moments made here are written so, never a visitor's text; the form is the one Piccolo's SQLite
    adapter stores ('2030-03-13 12:00:00+00:00'), which PostgreSQL reads as a timestamptz."""
    return f"'{moment.astimezone(UTC)}'"


def within(column: str, windows: list[Window]) -> tuple[str, list]:
    """SQL that holds when `column` falls in one of `windows` (whose zones are read from `v.timezone`),
    and its arguments. The first condition, on the earliest start and latest end of them all, is the
    range the index is read over."""
    start, end = min(window.start for window in windows), max(window.end for window in windows)
    sql, args = f"{column} >= {moment_sql(start)} AND {column} < {moment_sql(end)}", []
    if len(windows) > 1:
        zoned = []
        for window in windows:
            bounds = f"{column} >= {moment_sql(window.start)} AND {column} < {moment_sql(window.end)}"
            zoned.append(f"(v.timezone = {{}} AND {bounds})")
            args.append(window.zone)
        sql = f"{sql} AND ({' OR '.join(zoned)})"
    return sql, args


def zones_of(venues: list[VenueChoice], venue: VenueChoice | None) -> set[str]:
    return {venue.timezone} if venue else {choice.timezone for choice in venues}


@dataclass(frozen=True, slots=True)
class EventListing:
    """An event on what's on: its performances in the dates asked for, and its cheapest ticket among them."""

    slug: str
    title: str
    venue: VenueSummary
    first_performance_id: int
    first_starts_at: datetime
    last_starts_at: datetime
    from_price: Money


@dataclass(frozen=True, slots=True)
class ListingPage:
    events: list[EventListing]
    next_after: int | None  # the cursor of the page after this one (None: this is the last)
    previous_before: int | None  # the cursor of the page before (None: this is the first)


# One row per event of the page, found as the first listed performance of its event inside the windows
# (`{where}` holds the windows and filters, `{earlier}` the windows again, for the event's first one). That
# test is a subquery with a LIMIT rather than a NOT EXISTS because PostgreSQL may turn an anti-join into a
# scan of every performance in the windows when it plans once for any arguments; this one it can only
# answer from the event's own index entries. Then its last performance and its cheapest ticket in the windows,
# each read from the event's own index entries, in the currency of its first performance's tickets. The
# venue comes from the venues the caller has already read, so the page joins no more tables than it must.
# CROSS JOIN keeps SQLite's planner walking the starts_at index (PostgreSQL reads it as a plain join):
# without statistics, SQLite would rather walk every event on sale and sort all their performances.
EVENTS_PAGE_SQL = """
    WITH firsts AS (
        SELECT p.id, p.event, p.starts_at, e.slug, e.title, e.venue,
               (SELECT MIN(t.currency) FROM ticket_type t WHERE t.performance = p.id) AS currency
        FROM performance p
        CROSS JOIN event e
        {venue_join}
        WHERE e.id = p.event AND e.status = {{}} AND {where}
          AND p.id = (
              SELECT q.id FROM performance q
              WHERE q.event = p.event AND {earlier}
                AND EXISTS (SELECT 1 FROM ticket_type t WHERE t.performance = q.id)
              ORDER BY q.starts_at, q.id
              LIMIT 1)
        ORDER BY p.starts_at {order}, p.id {order}
        LIMIT {{}}
    )
    SELECT f.id, f.starts_at, f.slug, f.title, f.venue, f.currency,
           (SELECT p.starts_at FROM performance p
            WHERE p.event = f.event AND {window}
              AND EXISTS (SELECT 1 FROM ticket_type t WHERE t.performance = p.id)
            ORDER BY p.starts_at DESC LIMIT 1) AS last_starts_at,
           (SELECT MIN(t.price) FROM performance p JOIN ticket_type t ON t.performance = p.id
            WHERE p.event = f.event AND {window} AND t.currency = f.currency) AS from_price
    FROM firsts f
    {outer_venue_join}
    ORDER BY f.starts_at, f.id
"""

CURSOR_SQL = """p.starts_at {than}= (SELECT c.starts_at FROM performance c WHERE c.id = {{}})
    AND (p.starts_at {than} (SELECT c.starts_at FROM performance c WHERE c.id = {{}}) OR p.id {than} {{}})"""


@dataclass(frozen=True, slots=True)
class ListingQuery:
    """Which page of what's on to read: see `events_listed`."""

    days: Days | None = None
    venue: VenueChoice | None = None
    after: int | None = None
    before: int | None = None  # ignored when `after` is given
    size: int = PAGE_SIZE

    @property
    def backwards(self) -> bool:
        return self.before is not None and self.after is None


def events_page_sql(now: datetime, venues: list[VenueChoice], query: ListingQuery) -> tuple[str, list] | None:
    """The SQL of a page of what's on and its arguments; None when its days are over everywhere."""
    windows = windows_for(now, zones_of(venues, query.venue), query.days)
    if not windows:
        return None
    window_sql, window_args = within("p.starts_at", windows)
    earlier_sql, earlier_args = within("q.starts_at", windows)
    where, args = [window_sql], [EventStatus.ON_SALE.value, *window_args]
    if query.venue is not None:
        where.append("e.venue = {}")
        args.append(query.venue.id)
    cursor = query.before if query.backwards else query.after
    if cursor is not None:
        where.append(CURSOR_SQL.format(than="<" if query.backwards else ">"))
        args += [cursor, cursor, cursor]
    sql = EVENTS_PAGE_SQL.format(
        venue_join="JOIN venue v ON v.id = e.venue" if len(windows) > 1 else "",
        outer_venue_join="JOIN venue v ON v.id = f.venue" if len(windows) > 1 else "",
        where=" AND ".join(where),
        earlier=earlier_sql,
        order="DESC" if query.backwards else "ASC",
        window=window_sql,
    )
    return sql, [*args, *earlier_args, query.size + 1, *window_args * 2]


async def events_listed(now: datetime, venues: list[VenueChoice], query: ListingQuery) -> ListingPage:
    """A page of the events on sale with a performance to come on `query.days` (None: any day) at
    `query.venue` (None: any of `venues`), soonest first: the first page, the one after the event whose
    first performance is `query.after`, or the one before the event whose first performance is
    `query.before`. A cursor naming no performance gives an empty page."""
    statement = events_page_sql(now, venues, query)
    if statement is None:
        return ListingPage([], None, None)
    sql, args = statement
    events = listed_events(await Performance.raw(sql, *args), venues)
    more = len(events) > query.size  # the query reads one event past the page to tell
    if query.backwards:
        events = events[1:] if more else events
        has_previous, has_next = more, True
    else:
        events = events[: query.size]
        has_previous, has_next = query.after is not None, more
    if not events:
        return ListingPage([], None, None)
    return ListingPage(
        events,
        events[-1].first_performance_id if has_next else None,
        events[0].first_performance_id if has_previous else None,
    )


def listed_events(rows: list[dict], venues: list[VenueChoice]) -> list[EventListing]:
    by_id = {venue.id: venue for venue in venues}
    events = []
    for row in rows:
        venue = by_id[row["venue"]]
        events.append(
            EventListing(
                slug=row["slug"],
                title=row["title"],
                venue=VenueSummary(venue.name, venue.address, venue.locale, venue.timezone),
                first_performance_id=row["id"],
                first_starts_at=as_utc(row["starts_at"]),
                last_starts_at=as_utc(row["last_starts_at"]),
                from_price=Money(row["currency"], row["from_price"]),
            )
        )
    return events


# Whether one listed performance starts in a day's windows; one such probe per day, joined by UNION ALL.
# CROSS JOIN keeps SQLite's planner on the starts_at index (as in EVENTS_PAGE_SQL): without statistics it
# would rather walk every event on sale.
DAY_PROBE_SQL = """
    SELECT {day} AS day WHERE EXISTS (
        SELECT 1 FROM performance p
        CROSS JOIN event e
        {venue_join}
        WHERE e.id = p.event AND e.status = {{}} AND {where}
          AND EXISTS (SELECT 1 FROM ticket_type t WHERE t.performance = p.id))
"""


def month_weeks(month: date, first_week_day: int) -> list[list[date]]:
    """The month `month` is in as whole weeks of seven days from `first_week_day` (0: Monday), the first
    and last with days of the months before and after."""
    return calendar.Calendar(first_week_day).monthdatescalendar(month.year, month.month)


def month_days(month: date) -> list[date]:
    """Every day of the month `month` is in."""
    first = month.replace(day=1)
    return [first + timedelta(days=n) for n in range(calendar.monthrange(first.year, first.month)[1])]


async def days_with_performances(
    now: datetime, venues: list[VenueChoice], month: date, *, venue: VenueChoice | None = None
) -> set[date]:
    """The days of `month` on which a performance still to come of an event on sale starts, at `venue`
    (None: any of `venues`)."""
    zones = zones_of(venues, venue)
    probes, args = [], []
    for day in month_days(month):
        windows = windows_for(now, zones, Days(day, day))
        if not windows:
            continue
        where, where_args = within("p.starts_at", windows)
        if venue is not None:
            where, where_args = f"{where} AND e.venue = {{}}", [*where_args, venue.id]
        probes.append(
            DAY_PROBE_SQL.format(
                day=day.day,  # an int we made, never text from a visitor
                venue_join="JOIN venue v ON v.id = e.venue" if len(windows) > 1 else "",
                where=where,
            )
        )
        args += [EventStatus.ON_SALE.value, *where_args]
    if not probes:
        return set()
    rows = await Performance.raw(" UNION ALL ".join(probes), *args)
    return {month.replace(day=row["day"]) for row in rows}
