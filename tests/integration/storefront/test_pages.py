"""The public pages show what is on sale, as the venue's visitors read dates and prices."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from boxoffice.app import create_app
from boxoffice.config import get_settings
from boxoffice.db import close_database, open_database
from boxoffice.sales import listings
from boxoffice.sales.tables import Event, EventStatus
from tests.support.app import app_client
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.staff import make_staff, sign_in

# Thursday 14 March 2030, 19:30 in London (GMT) and the Saturday after.
THURSDAY = datetime(2030, 3, 14, 19, 30, tzinfo=UTC)
SATURDAY = datetime(2030, 3, 16, 14, 0, tzinfo=UTC)


@pytest.fixture
async def catalog_rows(database):
    hall = await make_venue()
    tempest = await make_event(hall, "the-tempest", "The Tempest", description="Shakespeare <in the round>")
    await make_performance(tempest, THURSDAY, {"Adult": 2400, "Concession": 1800})
    await make_performance(
        tempest, SATURDAY, {"Adult": 2600, "Under 26": 1000}, sales_end=SATURDAY - timedelta(hours=1)
    )
    await make_performance(tempest, datetime(2020, 1, 1, 19, 30, tzinfo=UTC), {"Adult": 500})  # long past
    await make_event(hall, "unannounced", "Unannounced Show", status=EventStatus.DRAFT)
    withdrawn = await make_event(hall, "withdrawn", "Withdrawn Show", status=EventStatus.OFF_SALE)
    await make_performance(withdrawn, THURSDAY, {"Adult": 900})
    berlin = await make_venue(
        "kulturhaus", locale="de_DE", timezone="Europe/Berlin", currency="EUR", name="Kulturhaus"
    )
    lieder = await make_event(berlin, "liederabend", "Liederabend")
    await make_performance(lieder, datetime(2030, 7, 1, 18, 0, tzinfo=UTC), {"Normal": 1950}, currency="EUR")


async def test_home_lists_events_on_sale_with_dates_and_from_prices(client, catalog_rows):
    response = await client.get("/")

    assert response.status_code == 200
    page = response.text
    assert '<a href="/events/the-tempest">The Tempest</a>' in page
    assert "Thu, 14 Mar 2030 – Sat, 16 Mar 2030" in page
    assert "From £10.00" in page
    assert '<a href="/events/liederabend">Liederabend</a>' in page
    assert "Mo., 1. Juli 2030" in page  # a German venue's date, in its own zone and words
    assert "From 19,50\xa0€" in page
    assert "Unannounced Show" not in page and "Withdrawn Show" not in page
    assert page.index("The Tempest") < page.index("Liederabend")  # soonest first


async def test_event_page_lists_performances_to_come(client, catalog_rows):
    response = await client.get("/events/the-tempest")

    assert response.status_code == 200
    page = response.text
    assert "<h1>The Tempest</h1>" in page
    assert "Shakespeare &lt;in the round&gt;" in page  # autoescaped
    assert "Town Hall, 1 High Street" in page
    assert "Thu, 14 Mar 2030, 19:30" in page and "From £18.00" in page
    assert "Sat, 16 Mar 2030, 14:00" in page and "From £10.00" in page
    assert "Online sales closed" not in page  # the Saturday window closes later, in 2030
    assert "2020" not in page and "£5.00" not in page  # the past performance is gone


async def test_off_sale_event_page_says_tickets_are_not_on_sale(client, catalog_rows):
    response = await client.get("/events/withdrawn")
    assert response.status_code == 200
    assert "Tickets for this event are not on sale." in response.text


@pytest.mark.parametrize("path", ["/events/no-such-show", "/events/unannounced", "/no/such/page"])
async def test_unknown_and_draft_events_give_the_not_found_page(client, catalog_rows, path):
    response = await client.get(path)

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["hx-push-url"] == "false"  # never put in the history by a swap


async def test_an_unexpected_error_shows_a_plain_page_without_details(client, catalog_rows, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("secret internals at line 42")

    monkeypatch.setattr(listings, "events_listed", broken)
    response = await client.get("/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text


@pytest.mark.parametrize(
    "path",
    ["/", "/events/the-tempest", "/events/missing", "/healthz", "/assets/css/boxoffice.css", "/backoffice/"],
)
async def test_every_response_carries_the_security_headers(client, catalog_rows, path):
    headers = (await client.get(path)).headers

    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


async def test_pages_load_no_script_or_style_from_elsewhere(client, catalog_rows):
    page = (await client.get("/")).text
    assert 'src="/assets/vendor/htmx-2.0.11.min.js"' in page
    assert "http://" not in page and "https://" not in page and "<style" not in page


async def test_healthz_reports_the_database_answering(client, database):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.headers["cache-control"] == "no-store"


async def test_staff_dashboard_lists_next_performances_and_is_never_cached(client, catalog_rows):
    await sign_in(client, await make_staff("door_staff", enrolled=False))
    response = await client.get("/backoffice/")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "Unannounced Show" not in response.text  # it has no performances
    assert "Withdrawn Show" in response.text and "Off sale" in response.text


async def test_listing_pages_are_kept_briefly_when_the_cache_is_on(database, catalog_rows):
    settings = replace(get_settings(), catalog_cache_seconds=60)
    async with app_client(settings) as client:
        before = (await client.get("/events/the-tempest")).text
        await Event.update({Event.title: "The Tempest, renamed"}).where(Event.slug == "the-tempest")
        assert (await client.get("/events/the-tempest")).text == before
    async with app_client(replace(settings, catalog_cache_seconds=0)) as client:
        assert "The Tempest, renamed" in (await client.get("/events/the-tempest")).text


@pytest.mark.parametrize("path", ["/", "/events/the-tempest"])
async def test_a_kept_page_carries_nothing_of_the_visitor_it_was_rendered_for(database, catalog_rows, path):
    app = create_app(replace(get_settings(), catalog_cache_seconds=60))
    await open_database(get_settings())
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    try:
        async with (
            httpx.AsyncClient(transport=transport, base_url="https://testserver") as first,
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as second,
        ):
            rendered = await first.get(path)
            kept = await second.get(path)
            again = await second.get(path)
    finally:
        await close_database()

    assert rendered.text == kept.text == again.text
    assert "strict-transport-security" in rendered.headers  # rendered for a visitor on https
    for response in (rendered, kept, again):
        names = [name.lower() for name, _ in response.headers.raw if name.lower() != b"set-cookie"]
        assert len(names) == len(set(names)), names  # each header once
    assert "strict-transport-security" not in kept.headers  # kept for one on plain http
    first_cookies = rendered.headers.get_list("set-cookie")
    assert not set(first_cookies) & set(kept.headers.get_list("set-cookie"))
    assert not set(first_cookies) & set(again.headers.get_list("set-cookie"))
