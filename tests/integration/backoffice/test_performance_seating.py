"""A performance's seating through HTTP with the real app: seating it from a plan (a copy that later plan
edits leave alone), zone prices, killing and releasing seats with the capacity counts kept true, the
input refused, and who may."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from boxoffice.auth.tables import AuditEntry, Role
from boxoffice.sales.tables import (
    Performance,
    PerformanceSeat,
    PlanSeat,
    SeatState,
    TicketType,
    Venue,
    ZonePrice,
)
from tests.support.catalog import (
    make_event,
    make_performance,
    make_seated_performance,
    make_seating_plan,
    make_venue,
)
from tests.support.staff import csrf_token, make_staff, make_staff_on, post_form, sign_in

LATER = datetime.now(UTC) + timedelta(days=30)


@pytest.fixture
async def manager(client: httpx.AsyncClient):
    staff = await make_staff("box_office_manager", name="Max Manager")
    await sign_in(client, staff)
    return staff


@pytest.fixture
async def hall(database: None) -> Venue:
    return await make_venue()


def page_text(response: httpx.Response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.text).split())


async def counts(performance_id: int) -> tuple[int, int]:
    row = (
        await Performance.select(Performance.capacity, Performance.available)
        .where(Performance.id == performance_id)
        .first()
    )
    return row["capacity"], row["available"]


async def seat_ids(performance_id: int, *labels: str, row: str = "A") -> list[int]:
    rows = await PerformanceSeat.select(PerformanceSeat.id, PerformanceSeat.label).where(
        (PerformanceSeat.performance == performance_id) & (PerformanceSeat.row == row)
    )
    by_label = {seat["label"]: seat["id"] for seat in rows}
    return [by_label[label] for label in labels]


async def states(performance_id: int) -> dict[str, int]:
    rows = await PerformanceSeat.select(PerformanceSeat.state).where(
        PerformanceSeat.performance == performance_id
    )
    found: dict[str, int] = {}
    for row in rows:
        found[row["state"]] = found.get(row["state"], 0) + 1
    return found


async def post_seats(client, performance_id: int, path: str, data: dict) -> httpx.Response:
    token = await csrf_token(client, "/backoffice/")
    return await client.post(
        f"/backoffice/performances/{performance_id}/{path}", data={"_csrf_token": token, **data}
    )


async def test_choosing_a_plan_seats_the_performance_with_its_own_copy(client, manager, hall):
    plan = await make_seating_plan(hall, {"Stalls": (3, 4)})
    event = await make_event(hall, "hamlet", "Hamlet")
    performance = await make_performance(event, LATER, {"Adult": 2000}, capacity=50)
    page = f"/backoffice/performances/{performance.id}"

    response = await post_form(client, f"{page}/seating", {"plan": str(plan.id)}, form_page=page)

    assert response.status_code == 303
    assert await counts(performance.id) == (12, 12)
    assert await PerformanceSeat.count().where(PerformanceSeat.performance == performance.id) == 12
    # The plan is edited afterwards, through its editor: the performance keeps its seats.
    plan_page = f"/backoffice/seating-plans/{plan.id}"
    token = await csrf_token(client, plan_page)
    removed = await client.post(
        f"{plan_page}/seats", data={"_csrf_token": token, "row": ["Stalls|A"], "change": "remove"}
    )
    assert removed.status_code == 303
    assert await PlanSeat.count().where(PlanSeat.plan == plan.id) == 8
    assert await PerformanceSeat.count().where(PerformanceSeat.performance == performance.id) == 12
    assert await counts(performance.id) == (12, 12)
    shown = await client.get(page)
    assert "Seated from the plan “Main house”" in page_text(shown)
    assert 'aria-label="Stalls, row A, seat 1, zone A, available"' in shown.text
    assert "performance.seated" in [row["action"] for row in await AuditEntry.select(AuditEntry.action)]


async def test_a_plan_of_another_venue_or_none_is_refused(client, manager, hall):
    elsewhere = await make_venue(name="Elsewhere", slug="elsewhere")
    foreign = await make_seating_plan(elsewhere, {"Stalls": (1, 4)})
    await make_seating_plan(hall, {"Stalls": (1, 4)})
    event = await make_event(hall, "hamlet", "Hamlet")
    performance = await make_performance(event, LATER, {"Adult": 2000}, capacity=50)
    page = f"/backoffice/performances/{performance.id}"

    for plan in (str(foreign.id), "", "abc", "99999999999"):
        response = await post_form(client, f"{page}/seating", {"plan": plan}, form_page=page)
        assert response.status_code == 400
        assert "Choose one of this venue’s seating plans." in page_text(response)
    assert await counts(performance.id) == (50, 50)
    assert await PerformanceSeat.count() == 0


async def test_a_seated_performance_keeps_its_capacity_to_its_seats(client, manager, hall):
    plan = await make_seating_plan(hall, {"Stalls": (2, 5)})
    performance = await make_seated_performance(
        await make_event(hall, "hamlet", "Hamlet"), LATER, plan, {"Adult": {"A": 3200, "B": 2400}}
    )
    page = f"/backoffice/performances/{performance.id}"
    values = {"starts_at": "2031-01-01T19:30", "capacity": "20", "sales_start": "", "sales_end": ""}

    response = await post_form(client, page, values, form_page=page)

    assert response.status_code == 400
    assert "This performance is seated: its capacity is its 10 seats." in page_text(response)
    assert await counts(performance.id) == (10, 10)


async def test_zone_prices_map_each_ticket_type_to_a_price_in_each_zone(client, manager, hall):
    plan = await make_seating_plan(hall, {"Stalls": (2, 5)})
    performance = await make_seated_performance(
        await make_event(hall, "hamlet", "Hamlet"),
        LATER,
        plan,
        {"Adult": {"A": 3000}, "Concession": {"A": 2000}},
    )
    types = {row["name"]: row["id"] for row in await TicketType.select(TicketType.id, TicketType.name)}
    page = f"/backoffice/performances/{performance.id}"
    form = await client.get(page)
    assert f'name="price-{types["Adult"]}-0" inputmode="decimal" size="8"' in form.text
    assert 'value="30.00"' in form.text

    response = await post_seats(
        client,
        performance.id,
        "zone-prices",
        {
            f"price-{types['Adult']}-0": "32",
            f"price-{types['Adult']}-1": "24.50",
            f"price-{types['Concession']}-0": "28.00",
            f"price-{types['Concession']}-1": "",
        },
    )

    assert response.status_code == 303
    prices = {
        (row["ticket_type"], row["zone"]): row["price"]
        for row in await ZonePrice.select(ZonePrice.ticket_type, ZonePrice.zone, ZonePrice.price)
    }
    assert prices == {
        (types["Adult"], "A"): 3200,
        (types["Adult"], "B"): 2450,
        (types["Concession"], "A"): 2800,
    }


async def test_a_bad_zone_price_is_refused_and_changes_nothing(client, manager, hall):
    plan = await make_seating_plan(hall, {"Stalls": (2, 5)})
    performance = await make_seated_performance(
        await make_event(hall, "hamlet", "Hamlet"), LATER, plan, {"Adult": {"A": 3000, "B": 2000}}
    )
    adult = (await TicketType.select(TicketType.id).first())["id"]
    before = await ZonePrice.select().order_by(ZonePrice.id)

    response = await post_seats(
        client, performance.id, "zone-prices", {f"price-{adult}-0": "lots", f"price-{adult}-1": "-3"}
    )

    assert response.status_code == 400
    text = page_text(response)
    assert "Adult in zone A: Enter the price as a number, such as 24.50." in text
    assert "Adult in zone B: Enter a price of zero or more" in text
    assert 'value="lots"' in response.text
    assert await ZonePrice.select().order_by(ZonePrice.id) == before


async def test_zone_prices_for_a_general_admission_performance_are_refused(client, manager, hall):
    performance = await make_performance(
        await make_event(hall, "hamlet", "Hamlet"), LATER, {"Adult": 2000}, capacity=50
    )
    adult = (await TicketType.select(TicketType.id).first())["id"]

    response = await post_seats(client, performance.id, "zone-prices", {f"price-{adult}-0": "30"})

    assert response.status_code == 400
    assert "This performance is general admission, so it has no price zones." in page_text(response)
    assert await ZonePrice.count() == 0


@pytest.fixture
async def seated(hall: Venue) -> Performance:
    plan = await make_seating_plan(hall, {"Stalls": (2, 5)})
    return await make_seated_performance(
        await make_event(hall, "hamlet", "Hamlet"), LATER, plan, {"Adult": {"A": 3000, "B": 2000}}
    )


async def test_killing_seats_takes_them_off_sale_with_a_reason_and_releasing_puts_them_back(
    client, manager, seated
):
    chosen = await seat_ids(seated.id, "1", "2")

    killed = await post_seats(
        client,
        seated.id,
        "seats",
        {"seat": [str(i) for i in chosen], "reason": "House seats", "change": "kill"},
    )

    assert killed.status_code == 303
    assert await counts(seated.id) == (10, 8)
    rows = await PerformanceSeat.select().where(PerformanceSeat.id.is_in(chosen))
    assert {(row["state"], row["kill_reason"], row["killed_by"]) for row in rows} == {
        ("killed", "House seats", manager.id)
    }
    page = await client.get(killed.headers["location"])
    assert "The seats have been killed: they are off sale." in page.text
    assert "(killed: House seats)" in page.text
    assert 'aria-label="Stalls, row A, seat 1, zone A, killed"' in page.text

    released = await post_seats(client, seated.id, "seats", {"seat": [str(chosen[0])], "change": "release"})

    assert released.status_code == 303
    assert await counts(seated.id) == (10, 9)
    assert await states(seated.id) == {"available": 9, "killed": 1}
    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]
    assert actions[-2:] == ["performance.seats_killed", "performance.seats_released"]


async def test_a_sold_or_held_seat_cannot_be_killed_and_nothing_changes(client, manager, seated):
    sold, held, free = await seat_ids(seated.id, "1", "2", "3")
    await PerformanceSeat.update({PerformanceSeat.state: SeatState.SOLD}).where(PerformanceSeat.id == sold)
    await PerformanceSeat.update({PerformanceSeat.state: SeatState.HELD}).where(PerformanceSeat.id == held)
    await Performance.update({Performance.available: 8}).where(Performance.id == seated.id)

    response = await post_seats(
        client,
        seated.id,
        "seats",
        {"seat": [str(free), str(sold), str(held)], "reason": "Technical", "change": "kill"},
    )

    assert response.status_code == 400
    text = page_text(response)
    assert (
        "Only available seats can be killed: Stalls row A seat 1 is sold; Stalls row A seat 2 is held" in text
    )
    assert "Nothing was changed." in text
    assert await states(seated.id) == {"available": 8, "sold": 1, "held": 1}
    assert await counts(seated.id) == (10, 8)


async def test_releasing_a_seat_that_is_not_killed_is_refused(client, manager, seated):
    [free] = await seat_ids(seated.id, "1")

    response = await post_seats(client, seated.id, "seats", {"seat": [str(free)], "change": "release"})

    assert response.status_code == 400
    assert "Only killed seats can be released: Stalls row A seat 1 is available." in page_text(response)
    assert await counts(seated.id) == (10, 10)


async def test_a_seat_of_another_performance_cannot_be_killed_here(client, manager, hall, seated):
    plan = await make_seating_plan(hall, {"Stalls": (1, 3)}, name="Small")
    other = await make_seated_performance(
        await make_event(hall, "lear", "King Lear"), LATER, plan, {"Adult": {"A": 1000, "B": 800}}
    )
    [stranger] = await seat_ids(other.id, "1")
    [own] = await seat_ids(seated.id, "1")

    response = await post_seats(
        client,
        seated.id,
        "seats",
        {"seat": [str(own), str(stranger)], "reason": "House", "change": "kill"},
    )

    assert response.status_code == 400
    assert "1 chosen seat is not a seat of this performance. Nothing was changed." in page_text(response)
    assert await states(seated.id) == {"available": 10}
    assert await states(other.id) == {"available": 3}
    assert await counts(other.id) == (3, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "House seats", "change": "kill"}, "Choose at least one seat."),
        ({"seat": ["SEAT"], "reason": "House seats", "change": "kill"}, "Choose at least one seat."),
        (
            {"seat": ["FIRST"], "reason": "  ", "change": "kill"},
            "Give the reason the seats are kept off sale",
        ),
        (
            {"seat": ["FIRST"], "reason": "x" * 201, "change": "kill"},
            "Use at most 200 characters for the reason.",
        ),
    ],
)
async def test_a_kill_without_seats_or_reason_is_refused(client, manager, seated, data, message):
    [first] = await seat_ids(seated.id, "1")
    data = {
        key: [str(first) if item == "FIRST" else item for item in value] if isinstance(value, list) else value
        for key, value in data.items()
    }

    response = await post_seats(client, seated.id, "seats", data)

    assert response.status_code == 400
    assert message in page_text(response)
    assert await counts(seated.id) == (10, 10)


async def test_killing_seats_of_a_general_admission_performance_is_refused(client, manager, hall):
    performance = await make_performance(
        await make_event(hall, "hamlet", "Hamlet"), LATER, {"Adult": 2000}, capacity=50
    )

    response = await post_seats(
        client, performance.id, "seats", {"seat": ["1"], "reason": "House", "change": "kill"}
    )

    assert response.status_code == 400
    assert "This performance is general admission: it has no seats to kill." in page_text(response)
    assert await counts(performance.id) == (50, 50)


async def test_seat_kills_have_their_own_permission_and_pages(client, seated):
    house_role = Role(name="House managers", permissions="events.seat_kills", requires_totp=False)
    await house_role.save()
    house = await make_staff_on(house_role.id, email="house@venue.example", enrolled=False)
    await sign_in(client, house)
    [first] = await seat_ids(seated.id, "1")

    listing = await client.get("/backoffice/seat-kills")
    assert listing.status_code == 200
    assert f'href="/backoffice/performances/{seated.id}/seats">Hamlet</a>' in listing.text
    assert (await client.get(f"/backoffice/performances/{seated.id}")).status_code == 403
    response = await post_seats(
        client, seated.id, "seats", {"seat": [str(first)], "reason": "Technical", "change": "kill"}
    )

    assert response.status_code == 303
    assert await states(seated.id) == {"available": 9, "killed": 1}


async def test_a_plan_editor_cannot_kill_seats(client, seated):
    planner_role = Role(name="Planners", permissions="events.seating_plans", requires_totp=False)
    await planner_role.save()
    planner = await make_staff_on(planner_role.id, email="planner@venue.example", enrolled=False)
    await sign_in(client, planner)
    [first] = await seat_ids(seated.id, "1")

    assert (await client.get("/backoffice/seating-plans")).status_code == 200
    assert (await client.get(f"/backoffice/performances/{seated.id}/seats")).status_code == 403
    token = await csrf_token(client, "/backoffice/seating-plans")
    response = await client.post(
        f"/backoffice/performances/{seated.id}/seats",
        data={"_csrf_token": token, "seat": [str(first)], "reason": "House", "change": "kill"},
    )

    assert response.status_code == 403
    assert await states(seated.id) == {"available": 10}
