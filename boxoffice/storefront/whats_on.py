"""What's on: the listing of events on sale (paged, by date and venue), the calendar of the days that have
performances, and each event's page with its performances.

Filters are plain query parameters, so every view works without script and can be shared as a link:
`/?when=week|month&venue=<slug>`, `/?day=2026-12-05`, `/calendar?month=2026-12&venue=<slug>`, with
`after=`/`before=` (a performance id) for the next and previous page. They are read from the query string
as text and checked here: anything unreadable (a day that does not exist, a venue no one has) is dropped,
said so on the page, and the rest is shown, never a server error. Days are calendar days in each venue's
own time zone; "today" and "this week" are the chosen venue's, or the house's (the first venue's).

The pages are kept for a moment in each worker (`BOXOFFICE_CATALOG_CACHE_SECONDS`; see `web.page_cache`
for why that is safe and what is kept), under a key made of the filters as read, so two addresses that
mean the same share one copy, and a kept page is served without reading the database. A page that says
a filter was dropped is never kept: it is as cheap to make as any other, and keeping it would let made-up
addresses push the real pages out.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import MediaType, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from boxoffice.db import parse_id
from boxoffice.documents.formatting import LocalFormat, local_format
from boxoffice.sales import catalog, listings, pictures
from boxoffice.sales.listings import Days, ListingQuery, VenueChoice
from boxoffice.web.forms import EARLIEST_DAY, LATEST_DAY, parse_day
from boxoffice.web.page_cache import PageCache
from boxoffice.web.templating import render_page

LONGEST_VALUE = 100  # characters of a query value worth reading; no day, month, slug or id is longer
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
WHEN = {"": "Any date", "week": "This week", "month": "This month", "day": "On a day"}

UNKNOWN_WHEN = "We could not tell which dates you meant; showing every date."
BAD_DAY = "The day must be a real date, written like 2026-12-05; showing every date."
NO_DAY = "Choose a day to see what is on that day; showing every date."
UNKNOWN_VENUE = "We have no venue by that name; showing every venue."
BAD_CURSOR = "That page of the listing is no longer there; showing the first page."
BAD_MONTH = "The month must be written like 2026-12; showing this month."


def current_time() -> datetime:
    """Now; what "today" and "this week" mean, and which performances are still to come."""
    return datetime.now(UTC)


def kept_pages(request: Request) -> PageCache:
    return request.app.state.page_cache


def query_value(request: Request, name: str) -> str:
    """A query parameter as text: the first if it is given twice, cut to a length worth reading."""
    return (request.query_params.get(name) or "")[:LONGEST_VALUE].strip()


class UnknownVenue(Exception):
    """The address names a venue we do not have. Raised while a kept page is made, so that nothing is
    kept under that address (see `PageCache.page`); the page is then made again, saying so."""


def venue_named(slug: str, venues: list[VenueChoice], problems: list[str] | None) -> VenueChoice | None:
    """The venue with the slug, or None for none. A slug no venue has is said among `problems`, or
    raises UnknownVenue when there is no one to say it to (None)."""
    if not slug:
        return None
    chosen = next((venue for venue in venues if venue.slug == slug), None)
    if chosen is None:
        if problems is None:
            raise UnknownVenue(slug)
        problems.append(UNKNOWN_VENUE)
    return chosen


def format_for(venue: VenueChoice | None) -> LocalFormat:
    """How the venue (None: a catalogue with no venue yet) writes dates."""
    return local_format(venue.locale, venue.timezone) if venue else local_format("en_GB", "UTC")


def today_for(now: datetime, venue: VenueChoice | None) -> date:
    return now.astimezone(ZoneInfo(venue.timezone)).date() if venue else now.date()


@dataclass(frozen=True, slots=True)
class WhatsOnFilter:
    """The listing's filters as read from the address, and what could not be read. Whether a venue of
    that name exists is known only once the venues are read (`listing_context`)."""

    when: str = ""  # a key of WHEN
    day: date | None = None
    venue: str = ""  # a venue's slug
    after: int | None = None
    before: int | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple:
        """What the page depends on: the same for every address that means the same."""
        day = self.day.isoformat() if self.day else ""
        return (self.when, day, self.venue, self.after, self.before)

    def query(self, **changes: object) -> str:
        """The query string of this filter with `changes` (after=, before=), for a link."""
        chosen = replace(self, **{"after": None, "before": None, **changes})
        parameters = {
            "when": chosen.when if chosen.when in ("week", "month") else "",
            "day": chosen.day.isoformat() if chosen.when == "day" and chosen.day else "",
            "venue": chosen.venue,
            "after": chosen.after or "",
            "before": chosen.before or "",
        }
        text = urlencode({name: value for name, value in parameters.items() if value})
        return f"?{text}" if text else ""


def read_filter(request: Request) -> WhatsOnFilter:
    problems: list[str] = []
    venue = query_value(request, "venue")
    when, day_text = query_value(request, "when"), query_value(request, "day")
    day = None
    if when not in WHEN:
        problems.append(UNKNOWN_WHEN)
        when = ""
    if when in ("", "day") and day_text:
        try:
            day, when = parse_day(day_text), "day"
        except ValueError:
            problems.append(BAD_DAY)
            when = ""
    elif when == "day":
        problems.append(NO_DAY)
        when = ""
    after, before = (query_value(request, name) for name in ("after", "before"))
    after_id, before_id = parse_id(after), parse_id(before) if not after else None
    if (after and after_id is None) or (before and not after and before_id is None):
        problems.append(BAD_CURSOR)
    return WhatsOnFilter(when, day, venue, after_id, before_id, tuple(problems))


def days_of(chosen: WhatsOnFilter, today: date, first_week_day: int) -> Days | None:
    if chosen.when == "week":
        return listings.week_of(today, first_week_day)
    if chosen.when == "month":
        return listings.month_of(today)
    if chosen.when == "day" and chosen.day:
        return Days(chosen.day, chosen.day)
    return None


async def listing_context(request: Request, chosen: WhatsOnFilter, *, kept: bool) -> dict:
    """What home.html shows. A page to be `kept` raises UnknownVenue for a venue we do not have."""
    now = current_time()
    venues = await listings.venue_choices()
    problems = list(chosen.problems)
    venue = venue_named(chosen.venue, venues, None if kept else problems)
    if venue is None:
        chosen = replace(chosen, venue="")
    reference = venue or listings.house_venue(venues)
    fmt = format_for(reference)
    today = today_for(now, reference)
    days = days_of(chosen, today, fmt.first_week_day)
    page = await listings.events_listed(now, venues, ListingQuery(days, venue, chosen.after, chosen.before))
    if not page.events and (chosen.after or chosen.before):
        problems.append(BAD_CURSOR)
        chosen = replace(chosen, after=None, before=None)
        page = await listings.events_listed(now, venues, ListingQuery(days, venue))
    described = describe(chosen, days, venue, fmt)
    event_pictures = await pictures.pictures_of_events([event.slug for event in page.events])
    return {
        "page": page,
        "cards": event_cards(request, page.events, event_pictures),
        "filter": chosen,
        "days": days,
        "today": today,
        "venues": venues,
        "problems": problems,
        "when_choices": WHEN,
        "described": described,
        "status": status_of(page, described),
        "calendar_query": calendar_query(chosen, days),
    }


@dataclass(frozen=True, slots=True)
class EventCard:
    """An event of the listing as its card reads, in its venue's words: formatted here rather than in the
    template, where each call costs several times as much and a page has twenty cards."""

    href: str
    title: str
    starts_iso: str  # the first performance, for <time datetime>
    dates: str  # the first and last days ('Thu, 14 Mar 2030 to ...'), or the day and time of the only one
    venue: str
    from_price: str
    picture: pictures.PictureRef | None = None


def event_cards(
    request: Request, events: list[listings.EventListing], event_pictures: dict[str, pictures.PictureRef]
) -> list[EventCard]:
    # Every event's address is this one with its slug: asking the router for each costs more than the rest
    # of the card. Slugs are made of a-z, 0-9 and hyphens (`catalogue_forms`), so they need no quoting.
    events_path = request.app.route_reverse("storefront.event", slug="-").removesuffix("-")
    cards = []
    for event in events:
        fmt = local_format(event.venue.locale, event.venue.timezone)
        first, last = event.first_starts_at, event.last_starts_at
        dates = f"{fmt.date(first)}, {fmt.time(first)}" if first == last else fmt.date_range(first, last)
        cards.append(
            EventCard(
                href=events_path + event.slug,
                title=event.title,
                starts_iso=fmt.iso(first),
                dates=dates,
                venue=event.venue.name,
                from_price=fmt.money(event.from_price),
                picture=event_pictures.get(event.slug),
            )
        )
    return cards


def describe(chosen: WhatsOnFilter, days: Days | None, venue: VenueChoice | None, fmt: LocalFormat) -> str:
    """The filter in words: 'this week (Fri, 4 Dec 2026 to Sun, 6 Dec 2026) at every venue'."""
    if days is None:
        dates = "on every date"
    elif chosen.when == "day":
        dates = f"on {fmt.day(days.first, 'full')}"
    else:
        dates = f"{WHEN[chosen.when].lower()} ({fmt.day(days.first)} to {fmt.day(days.last)})"
    return f"{dates} at {venue.name if venue else 'every venue'}"


def status_of(page: listings.ListingPage, described: str) -> str:
    """What the listing shows, announced to screen readers when it changes."""
    count = len(page.events)
    shown = f"{count} event{'' if count == 1 else 's'} {described}"
    if page.previous_before or page.next_after:
        return f"Showing {shown}, soonest first; there are more on other pages."
    return f"Showing {shown}, soonest first." if count else f"No events {described}."


def calendar_query(chosen: WhatsOnFilter, days: Days | None) -> str:
    """The calendar for the month of the listing's first day, at its venue."""
    parameters = {"month": days.first.strftime("%Y-%m") if days else ""}
    parameters["venue"] = chosen.venue
    text = urlencode({name: value for name, value in parameters.items() if value})
    return f"?{text}" if text else ""


@get("/", name="storefront.home")
async def home(request: Request) -> Response[bytes]:
    chosen = read_filter(request)

    async def render(*, kept: bool = True) -> bytes:
        context = await listing_context(request, chosen, kept=kept)
        return render_page(request, "storefront/home.html", context)

    if not chosen.problems:
        with contextlib.suppress(UnknownVenue):
            body = await kept_pages(request).page(("home", chosen.key), render)
            return Response(body, media_type=MediaType.HTML)
    return Response(await render(kept=False), media_type=MediaType.HTML)


def parse_month(text: str) -> date:
    """The first day of a month written YYYY-MM; ValueError for anything else."""
    match = MONTH.fullmatch(text)
    if not match:
        raise ValueError(text)
    first = date(int(match[1]), int(match[2]), 1)  # ValueError for month 13
    if not EARLIEST_DAY <= first <= LATEST_DAY:
        raise ValueError(text)
    return first


def neighbour_months(month: date) -> tuple[date, date | None]:
    previous = (month - timedelta(days=1)).replace(day=1)
    following = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    return previous, following if following <= LATEST_DAY else None


@get("/calendar", name="storefront.calendar")
async def month_calendar(request: Request) -> Response[bytes]:
    problems: list[str] = []
    venue_slug, month_text = query_value(request, "venue"), query_value(request, "month")
    chosen_month = None
    if month_text:
        try:
            chosen_month = parse_month(month_text)
        except ValueError:
            problems.append(BAD_MONTH)

    async def render(*, kept: bool = True) -> bytes:
        now = current_time()
        venues = await listings.venue_choices()
        venue = venue_named(venue_slug, venues, None if kept else problems)
        reference = venue or listings.house_venue(venues)
        fmt = format_for(reference)
        this_month = today_for(now, reference).replace(day=1)
        month = chosen_month or this_month
        previous, following = neighbour_months(month)
        context = {
            "month": month,
            "weeks": listings.month_weeks(month, fmt.first_week_day),
            "open_days": await listings.days_with_performances(now, venues, month, venue=venue),
            "today": today_for(now, reference),
            "previous": previous if previous >= this_month else None,
            "following": following,
            "venue": venue,
            "venues": venues,
            "fmt": fmt,
            "problems": problems,
        }
        return render_page(request, "storefront/calendar.html", context)

    if not problems:
        key = ("calendar", chosen_month.isoformat() if chosen_month else "", venue_slug)
        with contextlib.suppress(UnknownVenue):
            return Response(await kept_pages(request).page(key, render), media_type=MediaType.HTML)
    return Response(await render(kept=False), media_type=MediaType.HTML)


@get("/events/{slug:str}", name="storefront.event")
async def event_page(request: Request, slug: FromPath[str]) -> Response[bytes]:
    after_text = query_value(request, "after")
    after = parse_id(after_text)

    async def render() -> bytes:
        event = await catalog.event_detail(slug, current_time(), after=after)
        if event is None:
            raise NotFoundException()
        picture = (await pictures.pictures_of_events([event.slug])).get(event.slug)
        return render_page(
            request, "storefront/event.html", {"event": event, "after": after, "picture": picture}
        )

    if after_text and after is None:
        return Response(await render(), media_type=MediaType.HTML)
    return Response(await kept_pages(request).page(("event", slug, after), render), media_type=MediaType.HTML)


ROUTES = [home, month_calendar, event_page]
