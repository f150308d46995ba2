"""What's on through HTTP: filtered by date and venue with plain query parameters, paged, with a month
calendar; bad parameters are said to be bad and the rest is shown; the kept copies follow the filters."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from boxoffice.app import create_app
from boxoffice.config import get_settings
from boxoffice.db import close_database, open_database
from boxoffice.sales import listings
from boxoffice.sales.listings import PAGE_SIZE
from boxoffice.sales.tables import Event
from boxoffice.storefront import whats_on
from boxoffice.web.page_cache import PAGES_KEPT
from tests.support.catalog import make_event, make_performance, make_venue

NOW = datetime(2030, 3, 13, 12, 0, tzinfo=UTC)  # Wednesday 13 March 2030, noon in London
LATE = datetime(2030, 3, 20, 23, 30, tzinfo=UTC)  # the 20th in London, 00:30 on the 21st in Berlin
PRICES = {"Adult": 2000, "Concession": 1500}


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr(whats_on, "current_time", lambda: NOW)


@pytest.fixture
async def programme(database):
    hall = await make_venue("hall", name="Town Hall")
    haus = await make_venue("haus", locale="de_DE", timezone="Europe/Berlin", currency="EUR", name="Haus")
    for venue, slug, title, starts_at in [
        (hall, "thursday-play", "Thursday Play", datetime(2030, 3, 14, 19, 30, tzinfo=UTC)),
        (hall, "next-week-play", "Next Week Play", datetime(2030, 3, 19, 19, 30, tzinfo=UTC)),
        (hall, "london-late", "London Late", LATE),
        (hall, "april-show", "April Show", datetime(2030, 4, 10, 19, 30, tzinfo=UTC)),
    ]:
        await make_performance(await make_event(venue, slug, title), starts_at, PRICES)
    berlin = await make_event(haus, "berlin-late", "Berlin Late")
    await make_performance(berlin, LATE, {"Normal": 1900}, currency="EUR")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def listed(html: str) -> list[str]:
    """The titles of the event cards, in order."""
    return re.findall(r'<h2><a href="/events/[^"]+">([^<]+)</a></h2>', html)


def status(html: str) -> str:
    return text_of(re.search(r'<p id="listing-status"[^>]*role="status">(.*?)</p>', html, re.S)[1])


ALL = ["Thursday Play", "Next Week Play", "London Late", "Berlin Late", "April Show"]


async def test_home_lists_every_event_to_come_and_announces_it(client, programme):
    page = (await client.get("/")).text

    assert listed(page) == ALL
    assert status(page) == "Showing 5 events on every date at every venue, soonest first."
    assert "<title>What’s on on every date at every venue · Box office</title>" in page


async def test_every_filter_field_has_a_label(client, programme):
    page = (await client.get("/")).text
    form = re.search(r'<form class="filters whats-on-filters".*?</form>', page, re.S)[0]

    ids = re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', form)
    assert {"when-any", "when-week", "when-month", "when-day", "filter-day", "filter-venue"} <= set(ids)
    for field_id in ids:
        assert f'<label for="{field_id}"' in form, field_id
    assert 'method="get"' in form and "<legend>When</legend>" in form
    assert '<button class="button" type="submit">Show events</button>' in form


@pytest.mark.parametrize(
    ("query", "titles", "announced"),
    [
        (
            "when=week",
            ["Thursday Play"],
            "Showing 1 event this week (Wed, 13 Mar 2030 to Sun, 17 Mar 2030) at every venue, soonest first.",
        ),
        (
            "when=month",
            ["Thursday Play", "Next Week Play", "London Late", "Berlin Late"],
            "Showing 4 events this month (Wed, 13 Mar 2030 to Sun, 31 Mar 2030) at every venue",
        ),
        ("day=2030-03-20", ["London Late"], "Showing 1 event on Wednesday, 20 March 2030 at every venue"),
        (
            "when=day&day=2030-03-21",
            ["Berlin Late"],
            "Showing 1 event on Thursday, 21 March 2030 at every venue",
        ),
        ("venue=haus", ["Berlin Late"], "Showing 1 event on every date at Haus, soonest first."),
        ("when=month&venue=hall", ["Thursday Play", "Next Week Play", "London Late"], "at Town Hall"),
        ("day=2030-03-15", [], "No events on Friday, 15 March 2030 at every venue."),
    ],
)
async def test_each_filter_lists_its_events_and_says_which(client, programme, query, titles, announced):
    response = await client.get(f"/?{query}")

    assert response.status_code == 200
    assert listed(response.text) == titles
    assert announced in status(response.text)


async def test_the_form_shows_the_filter_in_force(client, programme):
    page = (await client.get("/?day=2030-03-21&venue=haus")).text

    assert re.search(r'id="when-day" name="when" value="day" checked', page)
    assert 'name="day" value="2030-03-21"' in page
    assert '<option value="haus" selected>Haus</option>' in page


async def test_a_day_in_a_venues_calendar_is_its_own_day(client, programme):
    """23:30 UTC on the 20th is the 20th in London and already the 21st in Berlin."""
    assert "Berlin Late" not in listed((await client.get("/?day=2030-03-20")).text)
    assert "London Late" not in listed((await client.get("/?day=2030-03-21")).text)


async def test_pages_link_to_the_next_and_previous_with_the_filter_kept(client, database):
    hall = await make_venue()
    for n in range(PAGE_SIZE + 5):
        event = await make_event(hall, f"show-{n:02d}", f"Show {n:02d}")
        await make_performance(event, NOW + timedelta(hours=n + 1), PRICES)

    first = (await client.get("/?when=month")).text
    later = re.search(r'<a rel="next" href="([^"]+)">Later events</a>', first)[1].replace("&amp;", "&")
    second = (await client.get(later)).text
    earlier = re.search(r'<a rel="prev" href="([^"]+)">Earlier events</a>', second)[1].replace("&amp;", "&")
    back = (await client.get(earlier)).text

    assert listed(first) == [f"Show {n:02d}" for n in range(PAGE_SIZE)]
    assert later.startswith("/?when=month&after=")
    assert listed(second) == [f"Show {n:02d}" for n in range(PAGE_SIZE, PAGE_SIZE + 5)]
    assert 'rel="next"' not in second
    assert "there are more on other pages" in status(second)
    assert earlier.startswith("/?when=month&before=")
    assert listed(back) == listed(first)


async def test_the_calendar_is_a_table_whose_days_with_performances_link_to_their_listing(client, programme):
    page = (await client.get("/calendar?month=2030-03")).text
    table = re.search(r'<table class="calendar">.*?</table>', page, re.S)[0]

    assert re.search(r"<caption>March 2030<span", table)
    headers = re.findall(r'<th scope="col"><abbr title="([^"]+)">', table)
    assert headers == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    linked = re.findall(r'<a href="/\?day=([0-9-]+)">', table)
    assert linked == ["2030-03-14", "2030-03-19", "2030-03-20", "2030-03-21"]
    assert '<td aria-current="date"><span aria-hidden="true">13</span>' in table
    assert (
        "Thursday, 14 March 2030: performances" in table and "Friday, 15 March 2030: no performances" in table
    )
    assert 'href="/calendar?month=2030-04"' in page  # the next month
    assert 'rel="prev"' not in page  # nothing to come before this month


async def test_the_calendar_of_one_venue_keeps_it_in_every_link(client, programme):
    page = (await client.get("/calendar?month=2030-03&venue=haus")).text

    assert re.findall(r'<a href="(/\?day=[^"]+)">', page) == ["/?day=2030-03-21&amp;venue=haus"]
    assert 'href="/calendar?month=2030-04&amp;venue=haus"' in page
    assert "<caption>März 2030 at Haus" in page  # in the venue's own words
    april = (await client.get("/calendar?month=2030-04&venue=haus")).text
    assert 'href="/calendar?month=2030-03&amp;venue=haus"' in april
    assert "No performances to come this month." in april


async def test_the_listing_links_to_the_calendar_of_its_month_and_venue(client, programme):
    page = (await client.get("/?day=2030-04-10&venue=hall")).text

    assert 'href="/calendar?month=2030-04&amp;venue=hall"' in page


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("venue=no-such-hall", whats_on.UNKNOWN_VENUE),
        ("venue=" + "x" * 3000, whats_on.UNKNOWN_VENUE),
        ("venue=%00", whats_on.UNKNOWN_VENUE),
        ("day=2030-02-30", whats_on.BAD_DAY),
        ("day=99999-01-01", whats_on.BAD_DAY),
        ("day=9999-12-31", whats_on.BAD_DAY),
        ("day=%D9%A2%D9%A0%D9%A3%D9%A0-%D9%A0%D9%A3-%D9%A2%D9%A1", whats_on.BAD_DAY),  # Arabic-Indic digits
        ("day=%EF%BC%92%EF%BC%90%EF%BC%93%EF%BC%90-03-21", whats_on.BAD_DAY),  # full-width digits
        ("day=" + "2" * 3000, whats_on.BAD_DAY),
        ("day=%FF%FE", whats_on.BAD_DAY),
        ("when=yesterday", whats_on.UNKNOWN_WHEN),
        ("when=day", whats_on.NO_DAY),
        ("after=abc", whats_on.BAD_CURSOR),
        (f"after={HUGE}", whats_on.BAD_CURSOR),
        ("after=0", whats_on.BAD_CURSOR),
        ("before=-1", whats_on.BAD_CURSOR),
        ("after=%D9%A1", whats_on.BAD_CURSOR),
        ("after=2147483647", whats_on.BAD_CURSOR),  # names no performance
        ("venue=no-such-hall&venue=hall", whats_on.UNKNOWN_VENUE),  # the first one counts
    ],
)
async def test_bad_parameters_are_said_to_be_bad_and_the_rest_is_shown(client, programme, query, message):
    response = await client.get(f"/?{query}")

    assert response.status_code == 200
    assert message in text_of(response.text)
    assert listed(response.text) == ALL


@pytest.mark.parametrize(
    "month", ["2030-13", "2030-00", "99999-01", "0000-01", "%EF%BC%92030-03", "2030-3", "x" * 3000, "%00"]
)
async def test_a_bad_month_shows_this_month_with_a_message(client, programme, month):
    response = await client.get(f"/calendar?month={month}")

    assert response.status_code == 200
    assert whats_on.BAD_MONTH in text_of(response.text)
    assert "<caption>March 2030<span" in response.text


@pytest.mark.parametrize("after", ["abc", HUGE, "-1", "%00"])
async def test_an_event_page_with_a_bad_cursor_shows_its_first_performances(client, programme, after):
    response = await client.get(f"/events/thursday-play?after={after}")

    assert response.status_code == 200
    assert "Thu, 14 Mar 2030, 19:30" in response.text


async def test_an_event_page_links_to_its_later_performances(client, database):
    event = await make_event(await make_venue(), "long-run", "Long Run")
    for n in range(53):
        await make_performance(event, NOW + timedelta(days=n + 1), PRICES)

    first = (await client.get("/events/long-run")).text
    later = re.search(r'<a rel="next" href="([^"]+)">Later performances</a>', first)[1]
    rest = (await client.get(later)).text

    assert first.count('class="visually-hidden"> for ') == 50
    assert rest.count('class="visually-hidden"> for ') == 3
    assert "Fri, 3 May 2030" in rest  # the 53rd day after 13 March
    assert 'rel="next"' not in rest and '<a href="/events/long-run">The next performances</a>' in rest


@pytest.fixture
async def kept_app(programme):
    """The app with its page cache on, and the cache itself to look into."""
    app = create_app(replace(get_settings(), catalog_cache_seconds=60))
    await open_database(get_settings())
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, app.state.page_cache
    finally:
        await close_database()


async def rename_everything() -> None:
    await Event.update({Event.title: Event.title + " (renamed)"}, force=True)


async def test_each_filter_is_kept_apart_and_addresses_that_mean_the_same_share_a_copy(kept_app):
    client, _ = kept_app
    every_date = (await client.get("/")).text
    this_week = (await client.get("/?when=week")).text
    await rename_everything()

    assert listed(every_date) == ALL and listed(this_week) == ["Thursday Play"]
    assert listed((await client.get("/?when=week&utm_source=mail")).text) == ["Thursday Play"]  # kept
    assert listed((await client.get("/?venue=&when=week")).text) == ["Thursday Play"]  # kept
    assert listed((await client.get("/?when=month")).text)[0] == "Thursday Play (renamed)"  # not kept yet


async def test_pages_with_a_bad_parameter_are_not_kept(kept_app):
    client, cache = kept_app
    await client.get("/?venue=no-such-hall")
    kept = cache.size
    await rename_everything()

    assert listed((await client.get("/?venue=no-such-hall")).text)[0] == "Thursday Play (renamed)"
    assert cache.size == kept == (0, 0)


async def test_the_kept_pages_stay_bounded_however_many_filters_are_tried(kept_app):
    client, cache = kept_app
    for n in range(PAGES_KEPT + 40):
        day = (NOW + timedelta(days=n)).date().isoformat()
        assert (await client.get(f"/?day={day}")).status_code == 200

    pages, _ = cache.size
    assert pages == PAGES_KEPT


async def test_a_kept_page_is_served_without_reading_the_database(kept_app, monkeypatch):
    client, _ = kept_app
    first = (await client.get("/?when=month&venue=hall")).text
    calendar = (await client.get("/calendar?month=2030-03")).text

    async def unreachable(*args, **kwargs):
        raise AssertionError("the database was read")

    monkeypatch.setattr(listings, "venue_choices", unreachable)
    monkeypatch.setattr(listings, "events_listed", unreachable)
    monkeypatch.setattr(listings, "days_with_performances", unreachable)

    assert (await client.get("/?venue=hall&when=month")).text == first
    assert (await client.get("/calendar?month=2030-03")).text == calendar
