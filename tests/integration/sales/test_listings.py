"""What's on, as the services read it: pages that follow each other by a cursor, events listed once by
their first performance in the days asked for, days read on each venue's own calendar, and the days of
a month that have performances."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from boxoffice.db import PooledSQLiteEngine, current_engine
from boxoffice.sales import catalog, listings
from boxoffice.sales.listings import Days, ListingQuery
from boxoffice.sales.tables import EventStatus, Performance
from tests.support.catalog import make_event, make_performance, make_venue

NOW = datetime(2030, 3, 13, 12, 0, tzinfo=UTC)  # a Wednesday
PRICES = {"Adult": 2000, "Concession": 1500}


def titles(page: listings.ListingPage) -> list[str]:
    return [event.title for event in page.events]


async def test_pages_follow_each_other_without_repeating_or_missing_an_event(database):
    hall = await make_venue()
    for n in range(45):
        event = await make_event(hall, f"show-{n:02d}", f"Show {n:02d}")
        await make_performance(event, NOW + timedelta(hours=n + 1), PRICES)
    venues = await listings.venue_choices()

    first = await listings.events_listed(NOW, venues, ListingQuery(size=20))
    second = await listings.events_listed(NOW, venues, ListingQuery(after=first.next_after, size=20))
    third = await listings.events_listed(NOW, venues, ListingQuery(after=second.next_after, size=20))
    back = await listings.events_listed(NOW, venues, ListingQuery(before=third.previous_before, size=20))

    assert titles(first) + titles(second) + titles(third) == [f"Show {n:02d}" for n in range(45)]
    assert [len(first.events), len(second.events), len(third.events)] == [20, 20, 5]
    assert first.previous_before is None and third.next_after is None
    assert titles(back) == titles(second)
    assert (back.next_after, back.previous_before) == (second.next_after, second.previous_before)


async def test_an_event_is_listed_once_by_its_first_performance_in_the_days_asked_for(database):
    hall = await make_venue()
    long_run = await make_event(hall, "long-run", "Long Run")
    await make_performance(long_run, NOW + timedelta(days=1), {"Adult": 3000})
    await make_performance(long_run, NOW + timedelta(days=10), {"Adult": 2500, "Child": 900})
    one_night = await make_event(hall, "one-night", "One Night")
    await make_performance(one_night, NOW + timedelta(days=5), {"Adult": 1200})
    venues = await listings.venue_choices()

    every_day = await listings.events_listed(NOW, venues, ListingQuery())
    later = Days(date(2030, 3, 18), date(2030, 3, 25))
    some_days = await listings.events_listed(NOW, venues, ListingQuery(days=later))

    assert titles(every_day) == ["Long Run", "One Night"]
    run = every_day.events[0]
    assert (run.first_starts_at, run.last_starts_at) == (NOW + timedelta(days=1), NOW + timedelta(days=10))
    assert run.from_price.amount == 900
    assert titles(some_days) == ["One Night", "Long Run"]  # the run's first in those days is the later one
    assert (
        some_days.events[1].first_starts_at == some_days.events[1].last_starts_at == NOW + timedelta(days=10)
    )


async def test_only_events_on_sale_with_tickets_and_a_performance_to_come_are_listed(database):
    hall = await make_venue()
    for slug, status in [
        ("listed", EventStatus.ON_SALE),
        ("draft", EventStatus.DRAFT),
        ("off", EventStatus.OFF_SALE),
    ]:
        await make_performance(
            await make_event(hall, slug, slug.title(), status), NOW + timedelta(days=1), PRICES
        )
    await make_performance(await make_event(hall, "over", "Over"), NOW - timedelta(hours=1), PRICES)
    no_tickets = await make_event(hall, "no-tickets", "No Tickets")
    tomorrow = NOW + timedelta(days=1)
    await Performance(event=no_tickets.id, starts_at=tomorrow, capacity=10, available=10).save()

    page = await listings.events_listed(NOW, await listings.venue_choices(), ListingQuery())

    assert titles(page) == ["Listed"]


@pytest.fixture
async def two_cities(database):
    """A London hall and a Berlin one, each with a show starting at 23:30 UTC on 20 March 2030: the 20th in
    London, the 21st (00:30) in Berlin."""
    late = datetime(2030, 3, 20, 23, 30, tzinfo=UTC)
    london = await make_venue("hall", name="Town Hall")
    berlin = await make_venue("haus", locale="de_DE", timezone="Europe/Berlin", currency="EUR", name="Haus")
    await make_performance(await make_event(london, "london-late", "London Late"), late, PRICES)
    await make_performance(
        await make_event(berlin, "berlin-late", "Berlin Late"), late, {"Normal": 1900}, currency="EUR"
    )
    await make_performance(
        await make_event(berlin, "berlin-later", "Berlin Later"),
        late + timedelta(days=9),
        {"Normal": 900},
        currency="EUR",
    )
    return await listings.venue_choices()


async def test_a_day_is_the_day_at_the_venue(two_cities):
    on_the_20th = await listings.events_listed(
        NOW, two_cities, ListingQuery(days=Days(date(2030, 3, 20), date(2030, 3, 20)))
    )
    on_the_21st = await listings.events_listed(
        NOW, two_cities, ListingQuery(days=Days(date(2030, 3, 21), date(2030, 3, 21)))
    )

    assert titles(on_the_20th) == ["London Late"]
    assert titles(on_the_21st) == ["Berlin Late"]
    assert on_the_21st.events[0].from_price.currency == "EUR"


async def test_a_venue_lists_its_own_events_alone(two_cities):
    haus = next(venue for venue in two_cities if venue.slug == "haus")

    page = await listings.events_listed(NOW, two_cities, ListingQuery(venue=haus))

    assert titles(page) == ["Berlin Late", "Berlin Later"]


async def test_the_calendar_marks_the_days_with_performances_to_come_at_each_venue(two_cities):
    haus = next(venue for venue in two_cities if venue.slug == "haus")

    every_venue = await listings.days_with_performances(NOW, two_cities, date(2030, 3, 1))
    in_berlin = await listings.days_with_performances(NOW, two_cities, date(2030, 3, 1), venue=haus)
    after_they_began = await listings.days_with_performances(
        datetime(2030, 3, 21, 0, 0, tzinfo=UTC), two_cities, date(2030, 3, 1)
    )
    april = await listings.days_with_performances(NOW, two_cities, date(2030, 4, 1))

    assert every_venue == {date(2030, 3, 20), date(2030, 3, 21), date(2030, 3, 30)}
    assert in_berlin == {date(2030, 3, 21), date(2030, 3, 30)}
    assert after_they_began == {date(2030, 3, 30)}
    assert april == set()


async def test_an_event_page_shows_its_performances_a_page_at_a_time(database):
    hall = await make_venue()
    event = await make_event(hall, "long-run", "Long Run")
    for n in range(55):
        await make_performance(event, NOW + timedelta(days=n + 1), PRICES)
    await make_performance(event, NOW - timedelta(days=1), PRICES)  # over

    first = await catalog.event_detail("long-run", NOW)
    rest = await catalog.event_detail("long-run", NOW, after=first.later_after)

    assert len(first.performances) == catalog.PERFORMANCES_SHOWN == 50
    assert first.performances[0].starts_at == NOW + timedelta(days=1)
    assert [p.starts_at for p in rest.performances] == [NOW + timedelta(days=n + 1) for n in range(50, 55)]
    assert rest.later_after is None


async def test_a_page_reads_performances_in_time_order_through_the_index(database):
    """On SQLite, without statistics the planner would rather walk every event on sale and sort all
    their performances; the query is written so that it walks the starts_at index and stops."""
    if not isinstance(current_engine(), PooledSQLiteEngine):
        pytest.skip("the plan asserted is SQLite's")
    await make_venue()
    venues = await listings.venue_choices()

    for query in [
        ListingQuery(),
        ListingQuery(after=1),
        ListingQuery(days=Days(date(2030, 3, 20), date(2030, 3, 20))),
    ]:
        sql, args = listings.events_page_sql(NOW, venues, query)
        plan = " | ".join(row["detail"] for row in await Performance.raw("EXPLAIN QUERY PLAN " + sql, *args))

        assert "SEARCH p USING INDEX performance_starts_at" in plan, plan
        assert "SCAN p" not in plan and "SCAN e" not in plan, plan
