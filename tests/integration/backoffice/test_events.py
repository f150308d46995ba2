"""Events admin through HTTP with the real app: venues, events, performances and ticket types as staff set
them up, the input they refuse, the capacity rule, and who may."""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from boxoffice.auth.tables import AuditEntry
from boxoffice.sales import performance_editing
from boxoffice.sales.catalogue_forms import CatalogChangeRefused
from boxoffice.sales.holds import take_seats
from boxoffice.sales.tables import (
    Event,
    EventStatus,
    Hold,
    Order,
    OrderChannel,
    OrderLine,
    OrderStatus,
    Performance,
    TicketType,
    Venue,
)
from tests.support import staff as support
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.staff import make_staff, post_form, sign_in

# Saturday 6 July 2030 is in British Summer Time (UTC+1); Thursday 5 December 2030 is in GMT.
SUMMER_EVENING = datetime(2030, 7, 6, 18, 30, tzinfo=UTC)


@pytest.fixture
async def manager(client: httpx.AsyncClient) -> support.TestStaff:
    staff = await make_staff("box_office_manager", name="Max Manager")
    await sign_in(client, staff)
    return staff


@pytest.fixture
async def hall(database: None) -> Venue:
    return await make_venue()


@pytest.fixture
async def tempest(hall: Venue) -> Event:
    return await make_event(hall, "the-tempest", "The Tempest", status=EventStatus.DRAFT)


@pytest.fixture
async def performance(tempest: Event) -> Performance:
    return await make_performance(tempest, SUMMER_EVENING, {"Adult": 2400}, capacity=100)


CATALOG_OBJECTS = ["venue", "event", "performance", "ticket_type"]


async def actions_by(staff: support.TestStaff) -> list[str]:
    """The catalog changes the staff member made, oldest first (their sign-in is audited too)."""
    rows = (
        await AuditEntry.select(AuditEntry.action)
        .where((AuditEntry.actor == staff.id) & AuditEntry.object_type.is_in(CATALOG_OBJECTS))
        .order_by(AuditEntry.id)
    )
    return [row["action"] for row in rows]


async def performance_row(performance_id: int) -> dict:
    row = await Performance.select().where(Performance.id == performance_id).first()
    assert row is not None
    return row


async def ticket_type_row(ticket_type_id: int) -> dict:
    row = await TicketType.select().where(TicketType.id == ticket_type_id).first()
    assert row is not None
    return row


async def hold_seats(performance_id: int, ticket_type_id: int, quantity: int) -> None:
    """Hold seats as a basket does: a Hold row, and the seats taken by conditional UPDATEs."""
    assert await take_seats(performance_id, ticket_type_id, quantity)
    await Hold.insert(
        Hold(
            basket="b" * 64,
            performance=performance_id,
            ticket_type=ticket_type_id,
            quantity=quantity,
            expires_at=datetime.now(UTC) + timedelta(minutes=15),
        )
    )


async def place_order(performance_id: int, ticket_type_id: int, quantity: int, status: OrderStatus) -> None:
    [order] = await Order.insert(
        Order(
            reference=f"REF{status.value[:6].upper()}{quantity}",
            channel=OrderChannel.BOX_OFFICE,
            status=status,
            currency="GBP",
            total=0,
        )
    ).returning(Order.id)
    await OrderLine.insert(
        OrderLine(
            order=order["id"],
            performance=performance_id,
            ticket_type=ticket_type_id,
            description="Adult",
            quantity=quantity,
            unit_price=0,
        )
    )


def performance_form(**changes: str) -> dict[str, str]:
    form = {"starts_at": "2030-07-06T19:30", "capacity": "100", "sales_start": "", "sales_end": ""}
    return {**form, **changes}


# Setting up a show


async def test_a_manager_sets_up_a_venue_event_performances_and_prices_that_go_on_sale(client, manager):
    response = await post_form(
        client,
        "/backoffice/venues/new",
        {
            "name": "Town Hall",
            "slug": "",
            "address": "1 High Street",
            "locale": "en_GB",
            "timezone": "Europe/London",
            "currency": "gbp",
        },
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/backoffice/venues?done=created"
    venue = await Venue.select().where(Venue.name == "Town Hall").first()
    assert venue is not None
    assert (venue["slug"], venue["locale"], venue["timezone"], venue["currency"]) == (
        "town-hall",
        "en_GB",
        "Europe/London",
        "GBP",
    )
    assert "Town Hall</a>" in (await client.get("/backoffice/venues")).text

    response = await post_form(
        client,
        "/backoffice/events/new",
        {
            "title": "The Tempest",
            "slug": "",
            "description": "Shakespeare in the round.",
            "status": "draft",
            "venue": str(venue["id"]),
        },
    )
    assert response.status_code == 303, response.text
    event = await Event.select().where(Event.title == "The Tempest").first()
    assert event is not None
    assert response.headers["location"] == f"/backoffice/events/{event['id']}?done=created"
    assert (event["slug"], event["status"], event["venue"]) == ("the-tempest", "draft", venue["id"])

    summer = await post_form(
        client,
        f"/backoffice/events/{event['id']}/performances/new",
        performance_form(starts_at="2030-07-06T19:30", capacity="200"),
    )
    assert summer.status_code == 303, summer.text
    winter = await post_form(
        client,
        f"/backoffice/events/{event['id']}/performances/new",
        performance_form(
            starts_at="2030-12-05T19:30",
            capacity="150",
            sales_start="2030-11-01T09:00",
            sales_end="2030-12-05T18:00",
        ),
    )
    assert winter.status_code == 303, winter.text
    rows = await Performance.select().where(Performance.event == event["id"]).order_by(Performance.starts_at)
    assert [(row["starts_at"], row["capacity"], row["available"]) for row in rows] == [
        (datetime(2030, 7, 6, 18, 30, tzinfo=UTC), 200, 200),  # 19:30 BST
        (datetime(2030, 12, 5, 19, 30, tzinfo=UTC), 150, 150),  # 19:30 GMT
    ]
    assert rows[1]["sales_start"] == datetime(2030, 11, 1, 9, 0, tzinfo=UTC)
    assert rows[1]["sales_end"] == datetime(2030, 12, 5, 18, 0, tzinfo=UTC)
    assert summer.headers["location"] == f"/backoffice/performances/{rows[0]['id']}?done=created"

    path = f"/backoffice/performances/{rows[0]['id']}/ticket-types"
    form_page = f"/backoffice/performances/{rows[0]['id']}"
    adult = await post_form(client, path, {"name": "Adult", "price": "24.50", "cap": ""}, form_page=form_page)
    assert adult.status_code == 303, adult.text
    assert adult.headers["location"] == f"{form_page}?done=ticket_type_created"
    concession = await post_form(
        client, path, {"name": "Concession", "price": "18", "cap": "50"}, form_page=form_page
    )
    assert concession.status_code == 303, concession.text
    types = await TicketType.select().where(TicketType.performance == rows[0]["id"]).order_by(TicketType.id)
    assert [
        (t["name"], t["price"], t["currency"], t["cap"], t["available"], t["position"]) for t in types
    ] == [
        ("Adult", 2450, "GBP", None, None, 0),
        ("Concession", 1800, "GBP", 50, 50, 1),
    ]
    page = (await client.get(form_page)).text
    assert re.search(r"Adult</a></td>\s*<td>£24.50</td>\s*<td>None</td>", page)
    assert re.search(r"Concession</a></td>\s*<td>£18.00</td>\s*<td>50</td>\s*<td>0</td>", page)
    assert 'value="2030-07-06T19:30"' in page  # shown again on the venue's clocks

    assert "The Tempest" not in (await client.get("/")).text  # a draft stays off the website
    update = await post_form(
        client,
        f"/backoffice/events/{event['id']}",
        {
            "title": "The Tempest",
            "slug": "the-tempest",
            "description": "Shakespeare in the round.",
            "status": "on_sale",
            "venue": str(venue["id"]),
        },
    )
    assert update.status_code == 303, update.text
    home = (await client.get("/")).text
    assert '<a href="/events/the-tempest">The Tempest</a>' in home
    assert "From £18.00" in home
    assert "Sat, 6 Jul 2030" in home

    listing = (await client.get("/backoffice/events")).text
    assert re.search(
        r"The Tempest</a></td>\s*<td>Town Hall</td>\s*<td>On sale</td>\s*"
        r'<td><time datetime="2030-07-06T19:30\+01:00">Sat, 6 Jul 2030, 19:30</time></td>\s*<td>2</td>',
        listing,
    )
    event_page = (await client.get(f"/backoffice/events/{event['id']}")).text
    assert re.search(r"Sat, 6 Jul 2030, 19:30</time></a></td>\s*<td>200</td>\s*<td>0</td>", event_page)

    assert await actions_by(manager) == [
        "venue.created",
        "event.created",
        "performance.created",
        "performance.created",
        "ticket_type.created",
        "ticket_type.created",
        "event.updated",
    ]
    audit = await AuditEntry.select().where(AuditEntry.action == "event.updated").first()
    assert audit["object_type"] == "event" and audit["object_id"] == str(event["id"])
    assert '"status": "on_sale"' in audit["detail"]


async def test_generated_web_addresses_are_unique(client, manager, hall):
    for _ in range(3):
        response = await post_form(
            client,
            "/backoffice/events/new",
            {"title": "Twelfth Night — Matinée!", "slug": "", "status": "draft", "venue": str(hall.id)},
        )
        assert response.status_code == 303, response.text
    slugs = [row["slug"] for row in await Event.select(Event.slug).order_by(Event.id)]
    assert slugs == ["twelfth-night-matinee", "twelfth-night-matinee-2", "twelfth-night-matinee-3"]


async def test_an_event_without_a_venue_cannot_be_added_yet(client, manager):
    page = await client.get("/backoffice/events/new")
    assert page.status_code == 200
    assert "Add a venue</a> first" in page.text
    assert 'name="title"' not in page.text


# Refusals: a message, a 400, and nothing changed


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "   "}, "Enter the event’s title."),
        ({"slug": "Bad Slug!"}, "Use only lower-case letters a–z, digits and hyphens"),
        ({"slug": "the-tempest"}, "Another event already uses the web address “the-tempest”."),
        ({"status": "sold_out"}, "Choose draft, on sale or off sale."),
        ({"venue": "999999"}, "Choose the venue."),
        ({"venue": "nonsense"}, "Choose the venue."),
    ],
)
async def test_a_refused_event_re_renders_with_the_reason_and_changes_nothing(
    client, manager, tempest, changes, message
):
    events_before = await Event.select().order_by(Event.id)
    form = {
        "title": "Hamlet",
        "slug": "hamlet",
        "description": "",
        "status": "draft",
        "venue": str(tempest.venue),
    }
    response = await post_form(client, "/backoffice/events/new", {**form, **changes})
    assert response.status_code == 400
    assert message in response.text
    assert 'name="title"' in response.text  # the form is shown again

    if "slug" not in changes or changes["slug"] != "the-tempest":
        update = await post_form(
            client, f"/backoffice/events/{tempest.id}", {**form, "slug": "the-tempest", **changes}
        )
        assert update.status_code == 400
        assert message in update.text
    assert await Event.select().order_by(Event.id) == events_before
    assert not {"event.created", "event.updated"} & set(await actions_by(manager))


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("abc", "Enter the price as a number, such as 24.50."),
        ("-1", "Enter a price of zero or more, such as 24.50."),
        ("1.234", "Prices in GBP have at most 2 decimal places, such as 24.50."),
        ("", "Enter the price as a number, such as 24.50."),
        ("99999999999", "That price is too high."),
    ],
)
async def test_a_refused_price_re_renders_with_the_reason_and_adds_nothing(
    client, manager, performance, price, message
):
    types_before = await TicketType.select().order_by(TicketType.id)
    page = f"/backoffice/performances/{performance.id}"
    response = await post_form(
        client, f"{page}/ticket-types", {"name": "Concession", "price": price, "cap": ""}, form_page=page
    )
    assert response.status_code == 400
    assert message in response.text
    assert re.search(r'name="price" type="text" value="[^"]*"[^>]*aria-invalid="true"', response.text)

    [adult] = types_before
    edit = await post_form(
        client, f"/backoffice/ticket-types/{adult['id']}", {"name": "Adult", "price": price, "cap": ""}
    )
    assert edit.status_code == 400
    assert message in edit.text
    assert await TicketType.select().order_by(TicketType.id) == types_before
    assert not {"ticket_type.created", "ticket_type.updated"} & set(await actions_by(manager))


async def test_a_price_follows_its_currencys_decimals(client, manager):
    theatre = await make_venue("tokyo", locale="ja_JP", timezone="Asia/Tokyo", currency="JPY", name="Tokyo")
    show = await make_event(theatre, "kabuki", "Kabuki")
    performance = await make_performance(show, SUMMER_EVENING, {"A": 9000}, currency="JPY")
    page = f"/backoffice/performances/{performance.id}"
    refused = await post_form(
        client, f"{page}/ticket-types", {"name": "S", "price": "1500.5", "cap": ""}, form_page=page
    )
    assert refused.status_code == 400
    assert "Prices in JPY have no decimal places, such as 2450." in refused.text
    accepted = await post_form(
        client, f"{page}/ticket-types", {"name": "S", "price": "1500", "cap": ""}, form_page=page
    )
    assert accepted.status_code == 303, accepted.text
    row = await TicketType.select(TicketType.price, TicketType.currency).where(TicketType.name == "S").first()
    assert (row["price"], row["currency"]) == (1500, "JPY")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"capacity": "0"}, "The capacity must be between 1 and 100,000."),
        ({"capacity": "-5"}, "The capacity must be between 1 and 100,000."),
        ({"capacity": "100001"}, "The capacity must be between 1 and 100,000."),
        ({"capacity": "abc"}, "Enter the capacity as a whole number, such as 250."),
        ({"starts_at": ""}, "Enter the start date and time, such as 2026-12-05 19:30."),
        ({"starts_at": "next Tuesday"}, "Enter the start date and time as a date and time"),
        (
            {"sales_start": "2030-07-01T10:00", "sales_end": "2030-06-01T10:00"},
            "Sales must end after they start.",
        ),
        (
            {"sales_start": "2030-07-01T10:00", "sales_end": "2030-07-01T10:00"},
            "Sales must end after they start.",
        ),
        (
            {"starts_at": "2030-03-31T01:30"},
            "01:30 on 2030-03-31 does not exist in Europe/London: the clocks go forward then.",
        ),
    ],
)
async def test_a_refused_performance_re_renders_with_the_reason_and_changes_nothing(
    client, manager, performance, changes, message
):
    before = await Performance.select().order_by(Performance.id)
    new_path = f"/backoffice/events/{performance.event}/performances/new"
    response = await post_form(client, new_path, performance_form(**changes))
    assert response.status_code == 400
    assert message in response.text
    assert 'name="capacity"' in response.text

    edit = await post_form(client, f"/backoffice/performances/{performance.id}", performance_form(**changes))
    assert edit.status_code == 400
    assert message in edit.text
    assert await Performance.select().order_by(Performance.id) == before
    assert not {"performance.created", "performance.updated"} & set(await actions_by(manager))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the venue’s name."),
        ({"slug": "Town Hall"}, "Use only lower-case letters a–z, digits and hyphens"),
        ({"locale": "xx_NOPE"}, "Enter a locale that exists, such as en_GB or de_DE."),
        ({"locale": ""}, "Enter a locale that exists, such as en_GB or de_DE."),
        ({"timezone": "Mars/Olympus_Mons"}, "Enter a time zone by its IANA name"),
        ({"timezone": "../../etc/passwd"}, "Enter a time zone by its IANA name"),
        ({"currency": "XYZ"}, "Enter a currency by its ISO 4217 code, such as GBP, EUR or USD."),
        ({"currency": "pounds"}, "Enter a currency by its ISO 4217 code, such as GBP, EUR or USD."),
    ],
)
async def test_a_refused_venue_re_renders_with_the_reason_and_changes_nothing(
    client, manager, hall, changes, message
):
    before = await Venue.select().order_by(Venue.id)
    form = {
        "name": "Arts Centre",
        "slug": "arts-centre",
        "address": "",
        "locale": "en_GB",
        "timezone": "Europe/London",
        "currency": "GBP",
    }
    response = await post_form(client, "/backoffice/venues/new", {**form, **changes})
    assert response.status_code == 400
    assert message in response.text
    assert 'name="timezone"' in response.text
    edit = await post_form(client, f"/backoffice/venues/{hall.id}", {**form, **changes})
    assert edit.status_code == 400
    assert message in edit.text
    assert await Venue.select().order_by(Venue.id) == before
    assert not {"venue.created", "venue.updated"} & set(await actions_by(manager))


async def test_a_venue_accepts_locale_and_time_zone_as_people_write_them(client, manager, hall):
    form = {
        "name": "Kulturhaus",
        "slug": "",
        "address": "",
        "locale": "de-DE",
        "timezone": "Europe/Berlin",
        "currency": "eur",
    }
    response = await post_form(client, f"/backoffice/venues/{hall.id}", form)
    assert response.status_code == 303, response.text
    row = await Venue.select().where(Venue.id == hall.id).first()
    assert (row["name"], row["slug"], row["locale"], row["timezone"], row["currency"]) == (
        "Kulturhaus",
        "kulturhaus",
        "de_DE",
        "Europe/Berlin",
        "EUR",
    )
    assert "venue.updated" in await actions_by(manager)


async def test_a_venue_with_priced_tickets_keeps_its_currency(client, manager, hall, performance):
    form = {
        "name": "Town Hall",
        "slug": "hall",
        "address": "1 High Street",
        "locale": "en_GB",
        "timezone": "Europe/London",
        "currency": "EUR",
    }
    response = await post_form(client, f"/backoffice/venues/{hall.id}", form)
    assert response.status_code == 400
    assert "This venue has tickets priced in GBP, so its currency cannot change." in response.text
    assert (await Venue.select(Venue.currency).where(Venue.id == hall.id).first())["currency"] == "GBP"


async def test_an_event_with_performances_keeps_its_venue(client, manager, tempest, performance):
    other = await make_venue("arts-centre", name="Arts Centre")
    form = {"title": "The Tempest", "slug": "the-tempest", "status": "draft", "venue": str(other.id)}
    response = await post_form(client, f"/backoffice/events/{tempest.id}", form)
    assert response.status_code == 400
    assert "This event has performances, so its venue cannot change." in response.text
    assert (await Event.select(Event.venue).where(Event.id == tempest.id).first())["venue"] == tempest.venue


# The capacity rule


async def test_capacity_cannot_drop_below_what_is_sold_or_held(client, manager, performance):
    [adult] = await TicketType.select(TicketType.id).where(TicketType.performance == performance.id)
    await hold_seats(performance.id, adult["id"], 30)
    path = f"/backoffice/performances/{performance.id}"

    refused = await post_form(client, path, performance_form(capacity="29"))
    assert refused.status_code == 400
    assert "30 seats are sold or held; capacity cannot go below 30." in refused.text
    row = await performance_row(performance.id)
    assert (row["capacity"], row["available"]) == (100, 70)

    exact = await post_form(client, path, performance_form(capacity="30"))
    assert exact.status_code == 303, exact.text
    row = await performance_row(performance.id)
    assert (row["capacity"], row["available"]) == (30, 0)

    raised = await post_form(client, path, performance_form(capacity="150"))
    assert raised.status_code == 303, raised.text
    row = await performance_row(performance.id)
    assert (row["capacity"], row["available"]) == (150, 120)

    lowered = await post_form(client, path, performance_form(capacity="40"))
    assert lowered.status_code == 303, lowered.text
    row = await performance_row(performance.id)
    assert (row["capacity"], row["available"]) == (40, 10)

    page = (await client.get(path)).text
    assert re.search(r"<dt>Sold or held</dt><dd>30</dd>\s*<dt>Available</dt><dd>10</dd>", page)
    assert await actions_by(manager) == ["performance.updated"] * 3
    details = [
        row["detail"]
        for row in await AuditEntry.select(AuditEntry.detail)
        .where(AuditEntry.action == "performance.updated")
        .order_by(AuditEntry.id)
    ]
    assert '"capacity": [150, 40]' in details[-1]


async def test_a_refused_capacity_leaves_the_other_changes_unmade(client, manager, performance):
    [adult] = await TicketType.select(TicketType.id).where(TicketType.performance == performance.id)
    await hold_seats(performance.id, adult["id"], 1)
    await Performance.update({Performance.available: 0}).where(Performance.id == performance.id)
    before = await performance_row(performance.id)

    refused = await post_form(
        client,
        f"/backoffice/performances/{performance.id}",
        performance_form(starts_at="2030-08-01T20:00", capacity="99"),
    )
    assert refused.status_code == 400
    assert "100 seats are sold or held; capacity cannot go below 100." in refused.text
    assert await performance_row(performance.id) == before


async def test_changing_only_the_time_keeps_the_seats(client, manager, performance):
    [adult] = await TicketType.select(TicketType.id).where(TicketType.performance == performance.id)
    await hold_seats(performance.id, adult["id"], 5)
    response = await post_form(
        client, f"/backoffice/performances/{performance.id}", performance_form(starts_at="2030-07-06T20:00")
    )
    assert response.status_code == 303, response.text
    row = await performance_row(performance.id)
    assert row["starts_at"] == datetime(2030, 7, 6, 19, 0, tzinfo=UTC)
    assert (row["capacity"], row["available"]) == (100, 95)


async def test_a_ticket_types_cap_cannot_drop_below_what_is_sold_or_held(client, manager, performance):
    [adult] = await TicketType.select(TicketType.id).where(TicketType.performance == performance.id)
    path = f"/backoffice/ticket-types/{adult['id']}"

    capped = await post_form(client, path, {"name": "Adult", "price": "24.00", "cap": "20"})
    assert capped.status_code == 303, capped.text
    assert capped.headers["location"] == f"/backoffice/performances/{performance.id}?done=ticket_type_updated"
    row = await ticket_type_row(adult["id"])
    assert (row["cap"], row["available"]) == (20, 20)

    await hold_seats(performance.id, adult["id"], 15)
    refused = await post_form(client, path, {"name": "Adult", "price": "24.00", "cap": "14"})
    assert refused.status_code == 400
    assert "15 tickets of this type are sold or held; its cap cannot go below 15." in refused.text
    row = await ticket_type_row(adult["id"])
    assert (row["cap"], row["available"]) == (20, 5)
    assert "<dd>20, of which 15 sold or held</dd>" in (await client.get(path)).text

    lowered = await post_form(client, path, {"name": "Adult", "price": "26.00", "cap": "16"})
    assert lowered.status_code == 303, lowered.text
    row = await ticket_type_row(adult["id"])
    assert (row["cap"], row["available"], row["price"]) == (16, 1, 2600)

    uncapped = await post_form(client, path, {"name": "Adult", "price": "26.00", "cap": ""})
    assert uncapped.status_code == 303, uncapped.text
    row = await ticket_type_row(adult["id"])
    assert (row["cap"], row["available"]) == (None, None)

    # Capping it again counts what is sold or held: holds, and orders that still have their seats.
    await place_order(performance.id, adult["id"], 4, OrderStatus.PAID)
    await place_order(performance.id, adult["id"], 10, OrderStatus.EXPIRED)
    await place_order(performance.id, adult["id"], 7, OrderStatus.CANCELLED)
    refused = await post_form(client, path, {"name": "Adult", "price": "26.00", "cap": "18"})
    assert refused.status_code == 400
    assert "19 tickets of this type are sold or held; its cap cannot go below 19." in refused.text
    assert (await ticket_type_row(adult["id"]))["cap"] is None

    recapped = await post_form(client, path, {"name": "Adult", "price": "26.00", "cap": "25"})
    assert recapped.status_code == 303, recapped.text
    row = await ticket_type_row(adult["id"])
    assert (row["cap"], row["available"]) == (25, 6)

    assert await actions_by(manager) == ["ticket_type.updated"] * 4
    last = await AuditEntry.select(AuditEntry.detail).order_by(AuditEntry.id, ascending=False).first()
    assert '"cap": [null, 25]' in last["detail"]


async def test_capacity_changes_racing_holds_never_lose_or_oversell_a_seat(client, performance):
    """Holds and capacity changes at the same moment, each on its own connection: however they
    interleave, the seats taken plus those available always make the capacity."""

    ticket_type = (
        await TicketType.select(TicketType.id).where(TicketType.performance == performance.id).first()
    )

    async def take(quantity: int) -> int:
        return quantity if await take_seats(performance.id, ticket_type["id"], quantity) else 0

    async def set_capacity(capacity: int) -> None:
        form = performance_editing.PerformanceInput(starts_at="2030-07-06T19:30", capacity=str(capacity))
        with contextlib.suppress(CatalogChangeRefused):
            await performance_editing.update_performance(performance.id, form, actor_id=None, ip="test")

    capacities = [60, 130, 40, 100, 75, 20, 90] * 3
    takes = [take(3) for _ in range(len(capacities) * 2)]
    changes = [set_capacity(capacity) for capacity in capacities]
    outcomes = await asyncio.gather(
        *(item for pair in zip(takes[::2], changes, strict=True) for item in pair), *takes[1::2]
    )

    taken = sum(outcome for outcome in outcomes if isinstance(outcome, int))
    row = await performance_row(performance.id)
    assert row["available"] >= 0
    assert row["capacity"] - row["available"] == taken
    assert taken > 0


async def test_a_new_capped_ticket_type_starts_with_its_whole_cap(client, manager, performance):
    page = f"/backoffice/performances/{performance.id}"
    response = await post_form(
        client, f"{page}/ticket-types", {"name": "Under 26", "price": "10", "cap": "40"}, form_page=page
    )
    assert response.status_code == 303, response.text
    row = await TicketType.select().where(TicketType.name == "Under 26").first()
    assert (row["cap"], row["available"], row["price"]) == (40, 40, 1000)
    for cap in ("0", "-3", "many"):
        refused = await post_form(
            client, f"{page}/ticket-types", {"name": "Student", "price": "10", "cap": cap}, form_page=page
        )
        assert refused.status_code == 400
    assert not await TicketType.exists().where(TicketType.name == "Student")


# Who may


@pytest.mark.parametrize("role", ["door_staff", "marketing", "box_office_operator"])
async def test_staff_without_the_events_permission_are_refused(client, role, performance):
    staff = await make_staff(role, enrolled=True)
    await sign_in(client, staff)
    [adult] = await TicketType.select(TicketType.id).where(TicketType.performance == performance.id)
    for path in (
        "/backoffice/events",
        "/backoffice/events/new",
        f"/backoffice/events/{performance.event}",
        f"/backoffice/events/{performance.event}/performances/new",
        f"/backoffice/performances/{performance.id}",
        f"/backoffice/ticket-types/{adult['id']}",
        "/backoffice/venues",
        "/backoffice/venues/new",
        f"/backoffice/venues/{(await Venue.select(Venue.id).first())['id']}",
    ):
        assert (await client.get(path)).status_code == 403, path

    venues_before = await Venue.count()
    response = await post_form(
        client,
        "/backoffice/venues/new",
        {"name": "Pirate Hall", "locale": "en_GB", "timezone": "Europe/London", "currency": "GBP"},
        form_page="/backoffice/",
    )
    assert response.status_code == 403
    refused = await post_form(
        client,
        f"/backoffice/performances/{performance.id}",
        performance_form(capacity="5"),
        form_page="/backoffice/",
    )
    assert refused.status_code == 403
    assert await Venue.count() == venues_before
    assert (await performance_row(performance.id))["capacity"] == 100
    assert "Events" not in re.search(
        r'<nav aria-label="Staff"[^>]*>(.*?)</nav>', (await client.get("/backoffice/")).text, re.S
    ).group(1)


async def test_the_events_menu_leads_to_the_events_list(client, manager):
    page = (await client.get("/backoffice/")).text
    menu = re.search(r'<nav aria-label="Staff"[^>]*>(.*?)</nav>', page, re.S).group(1)
    assert '<a href="/backoffice/events">Events</a>' in menu


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client, manager, performance):
    venues_before = await Venue.count()
    form = {"name": "Arts Centre", "locale": "en_GB", "timezone": "Europe/London", "currency": "GBP"}
    assert (await client.post("/backoffice/venues/new", data=form)).status_code == 403
    forged = await client.post("/backoffice/venues/new", data={**form, "_csrf_token": "forged"})
    assert forged.status_code == 403
    assert await Venue.count() == venues_before

    refused = await client.post(
        f"/backoffice/performances/{performance.id}", data=performance_form(capacity="5")
    )
    assert refused.status_code == 403
    assert (await performance_row(performance.id))["capacity"] == 100
    assert await actions_by(manager) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/backoffice/events/999"),
        ("GET", "/backoffice/events/99999999999"),
        ("POST", "/backoffice/events/999"),
        ("GET", "/backoffice/events/999/performances/new"),
        ("POST", "/backoffice/events/999/performances/new"),
        ("GET", "/backoffice/performances/999"),
        ("GET", "/backoffice/performances/99999999999"),
        ("POST", "/backoffice/performances/999"),
        ("POST", "/backoffice/performances/999/ticket-types"),
        ("GET", "/backoffice/ticket-types/999"),
        ("POST", "/backoffice/ticket-types/999"),
        ("GET", "/backoffice/venues/999"),
        ("POST", "/backoffice/venues/999"),
    ],
)
async def test_unknown_ids_answer_not_found(client, manager, method, path):
    if method == "GET":
        response = await client.get(path)
    else:
        response = await post_form(client, path, {"name": "X", "title": "X"}, form_page="/backoffice/events")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert await actions_by(manager) == []
