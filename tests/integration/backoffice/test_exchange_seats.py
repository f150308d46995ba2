"""Exchanging tickets into a seated performance: the operator chooses the new seats on its map, and the
old tickets and seats are given back and the new seats sold in one transaction, never a seat twice."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest

from boxoffice.sales.exchanges import ExchangeRefused, exchange_tickets
from boxoffice.sales.seating.claims import SeatChoice, hold_seats
from boxoffice.sales.tables import (
    Event,
    Order,
    OrderLine,
    Payment,
    Performance,
    PerformanceSeat,
    SeatingPlan,
    SeatState,
    Ticket,
    TicketType,
)
from tests.support.catalog import make_performance, make_seated_performance
from tests.support.counter import NOW, complete_sale
from tests.support.seated_shop import SeatedShow, add_seats, form_data, make_seated_show, seat_states
from tests.support.shop import SHOW_TIME
from tests.support.staff import make_staff, sign_in

REQUEST_KEY = re.compile(r'name="request_key" value="([0-9a-f]{32})"')
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
async def seated(database) -> SeatedShow:
    return await make_seated_show(SHOW_TIME)


@pytest.fixture
async def later(seated) -> SeatedShow:
    """Another performance of the same show, a day on, seated from the same plan: Adult £36 in zone A
    (rows A-B) and £24 in zone B (rows C-D)."""
    first = await Performance.objects().where(Performance.id == seated.performance_id).first()
    performance = await make_seated_performance(
        await Event.objects().where(Event.id == first.event).first(),
        SHOW_TIME + timedelta(days=1),
        await SeatingPlan.objects().where(SeatingPlan.id == first.seating_plan).first(),
        {"Adult": {"A": 3600, "B": 2400}, "Concession": {"A": 3000, "B": 2000}},
    )
    seats = {
        f"{row['row']}{row['label']}": row["id"]
        for row in await PerformanceSeat.select(
            PerformanceSeat.id, PerformanceSeat.row, PerformanceSeat.label
        ).where(PerformanceSeat.performance == performance.id)
    }
    return SeatedShow(performance.id, seats, {})


@pytest.fixture
async def manager(client):
    staff = await make_staff("box_office_manager", name="Mo Manager")
    await sign_in(client, staff)
    return staff


async def sell_seats(client, show: SeatedShow, names: list[str]) -> tuple[int, list[int]]:
    """A paid counter sale of Adult tickets for the named seats; the order and its ticket ids."""
    response = await add_seats(
        client, show.performance_id, [(show.seats[n], show.types["Adult"]) for n in names]
    )
    assert response.status_code == 303, response.text
    sold = await complete_sale(client)
    assert sold.status_code == 303, sold.text
    order_id = int(re.search(r"/backoffice/orders/(\d+)", sold.headers["location"]).group(1))
    tickets = [
        row["id"]
        for row in await Ticket.select(Ticket.id).where(Ticket.order == order_id).order_by(Ticket.id)
    ]
    return order_id, tickets


async def post_exchange(client, order_id: int, page: str, fields: list[tuple[str, str]]):
    """Send the exchange form as the page at `page` gives it (its CSRF token and request key)."""
    text = (await client.get(page)).text
    key = REQUEST_KEY.search(text).group(1)
    return await client.post(
        f"/backoffice/orders/{order_id}/exchange",
        data=form_data([("_csrf_token", CSRF.search(text).group(1)), ("request_key", key), *fields]),
    )


async def exchange_into(
    staff_id: int, order_id: int, tickets: list[int], performance_id: int, seats: list[int]
):
    """The exchange service as an operator who may refund calls it, with no payment."""
    return await exchange_tickets(
        order_id,
        tickets,
        performance_id,
        None,
        staff_id=staff_id,
        may_comp=False,
        may_refund=True,
        ip="127.0.0.1",
        now=NOW,
        seat_ids=seats,
    )


def seat_page(order_id: int, performance_id: int, tickets: list[int], seats: list[int]) -> str:
    query = "&".join(
        [f"performance={performance_id}"] + [f"ticket={t}" for t in tickets] + [f"seat={s}" for s in seats]
    )
    return f"/backoffice/orders/{order_id}/exchange/seats?{query}"


async def test_an_exchange_into_a_seated_performance_moves_each_ticket_to_a_chosen_seat(
    client, manager, seated, later
):
    order_id, tickets = await sell_seats(client, seated, ["A1", "C1"])  # £32 + £24

    asked = await post_exchange(
        client,
        order_id,
        f"/backoffice/orders/{order_id}",
        [
            ("performance", str(later.performance_id)),
            ("ticket", str(tickets[0])),
            ("ticket", str(tickets[1])),
        ],
    )
    assert asked.status_code == 303
    assert asked.headers["location"] == seat_page(order_id, later.performance_id, tickets, [])
    page = (await client.get(asked.headers["location"])).text
    assert page.count('role="checkbox"') == 32 and page.count("Not chosen yet") == 2
    assert "Exchange into these seats" not in page

    chosen = [later.seats["B3"], later.seats["B4"]]
    page_with_seats = seat_page(order_id, later.performance_id, tickets, chosen)
    shown = (await client.get(page_with_seats)).text
    assert "Stalls, row B, seat 3" in shown and "Exchange into these seats" in shown
    fields = [("performance", str(later.performance_id))]
    fields += [("ticket", str(t)) for t in tickets] + [("seat", str(s)) for s in chosen]
    response = await post_exchange(
        client, order_id, page_with_seats, [*fields, ("method", "cash"), ("tendered", "20")]
    )

    assert response.status_code == 303, response.text
    old = await seat_states(seated.performance_id)
    assert old[seated.seats["A1"]] == old[seated.seats["C1"]] == SeatState.AVAILABLE
    new = await seat_states(later.performance_id)
    assert {new[seat] for seat in chosen} == {SeatState.SOLD}
    assert sum(1 for state in new.values() if state != SeatState.AVAILABLE) == 2
    assert {row["status"] for row in await Ticket.select(Ticket.status).where(Ticket.id.is_in(tickets))} == {
        "cancelled"
    }
    issued = await Ticket.select(Ticket.seat, Ticket.status).where(Ticket.performance == later.performance_id)
    assert sorted(row["seat"] for row in issued) == sorted(chosen) and {r["status"] for r in issued} == {
        "valid"
    }
    [line] = await OrderLine.select(OrderLine.zone, OrderLine.quantity, OrderLine.unit_price).where(
        OrderLine.performance == later.performance_id
    )
    assert line == {"zone": "A", "quantity": 2, "unit_price": 3600}
    assert (await Order.select(Order.total).where(Order.id == order_id).first())["total"] == 7200
    paid = await Payment.select(Payment.amount).where(Payment.order == order_id).order_by(Payment.id)
    assert [row["amount"] for row in paid] == [5600, 1600]
    counts = {
        row["id"]: row["available"] for row in await Performance.select(Performance.id, Performance.available)
    }
    assert counts == {seated.performance_id: 32, later.performance_id: 30}


async def test_a_seat_taken_while_the_operator_chooses_refuses_the_exchange_and_changes_nothing(
    client, manager, seated, later
):
    order_id, tickets = await sell_seats(client, seated, ["C1", "C2"])
    chosen = [later.seats["C3"], later.seats["C4"]]
    page = seat_page(order_id, later.performance_id, tickets, chosen)
    text = (await client.get(page)).text
    assert "Exchange into these seats" in text

    # a buyer online holds one of the seats before the operator sends the form
    await hold_seats(
        "a-buyer-basket",
        later.performance_id,
        [SeatChoice(later.seats["C4"], (await adult_type(later.performance_id)))],
        hold_minutes=10,
        max_per_order=10,
        now=NOW,
    )
    fields = [("performance", str(later.performance_id))]
    fields += [("ticket", str(t)) for t in tickets] + [("seat", str(s)) for s in chosen]
    response = await post_exchange(client, order_id, page, fields)

    assert response.status_code == 400
    assert "Stalls, row C, seat 4 has just been taken" in response.text
    assert "Choose the new seats" in response.text  # the map again, to choose another seat
    assert {row["status"] for row in await Ticket.select(Ticket.status).where(Ticket.id.is_in(tickets))} == {
        "valid"
    }
    old = await seat_states(seated.performance_id)
    assert old[seated.seats["C1"]] == old[seated.seats["C2"]] == SeatState.SOLD
    new = await seat_states(later.performance_id)
    assert new[later.seats["C3"]] == SeatState.AVAILABLE and new[later.seats["C4"]] == SeatState.HELD
    assert await Ticket.count().where(Ticket.performance == later.performance_id) == 0
    assert await OrderLine.count().where(OrderLine.performance == later.performance_id) == 0
    counts = {
        row["id"]: row["available"] for row in await Performance.select(Performance.id, Performance.available)
    }
    assert counts == {seated.performance_id: 30, later.performance_id: 31}


async def adult_type(performance_id: int) -> int:
    row = (
        await TicketType.select(TicketType.id)
        .where((TicketType.performance == performance_id) & (TicketType.name == "Adult"))
        .first()
    )
    return row["id"]


async def test_two_exchanges_racing_for_one_seat_sell_it_once(client, manager, seated, later):
    first_order, [first] = await sell_seats(client, seated, ["C1"])
    second_order, [second] = await sell_seats(client, seated, ["C2"])
    seat = later.seats["C5"]

    async def exchange(order_id: int, ticket_id: int):
        try:
            return await exchange_into(manager.id, order_id, [ticket_id], later.performance_id, [seat])
        except ExchangeRefused as refusal:
            return refusal

    results = await asyncio.gather(exchange(first_order, first), exchange(second_order, second))

    refused = [result for result in results if isinstance(result, ExchangeRefused)]
    assert len(refused) == 1 and "has just been taken" in str(refused[0].problems)
    assert await Ticket.count().where((Ticket.seat == seat) & (Ticket.status == "valid")) == 1
    assert (await seat_states(later.performance_id))[seat] == SeatState.SOLD
    assert await Ticket.count().where(Ticket.status == "valid") == 2
    states = await seat_states(seated.performance_id)
    assert sorted(states[s] for s in (seated.seats["C1"], seated.seats["C2"])) == ["available", "sold"]


@pytest.mark.parametrize(
    ("seats", "message"),
    [
        ([], "Choose 2 seats, one for each ticket exchanged."),
        (["A1"], "Choose 2 seats, one for each ticket exchanged."),
        (["A1", "A1"], "You chose the same seat twice"),
        (["A1", "first:A2"], "is not a seat of this performance"),
        (["A1", "killed:A2"], "Stalls, row A, seat 2 is not on sale."),
    ],
)
async def test_bad_seats_for_an_exchange_are_refused_and_change_nothing(
    client, manager, seated, later, seats, message
):
    order_id, tickets = await sell_seats(client, seated, ["D1", "D2"])
    await PerformanceSeat.update({PerformanceSeat.state: SeatState.KILLED}).where(
        PerformanceSeat.id == later.seats["A2"]
    )
    seat_ids = []
    for name in seats:
        where, _, seat = name.rpartition(":")
        seat_ids.append(seated.seats[seat] if where == "first" else later.seats[seat])

    with pytest.raises(ExchangeRefused) as refused:
        await exchange_into(manager.id, order_id, tickets, later.performance_id, seat_ids)

    assert message in refused.value.problems["seat"]
    assert await Ticket.count().where(Ticket.status == "valid") == 2
    assert await Ticket.count().where(Ticket.performance == later.performance_id) == 0
    new = await seat_states(later.performance_id)
    assert sum(1 for state in new.values() if state != SeatState.AVAILABLE) == 1  # the killed one


async def test_seats_named_for_a_general_admission_performance_are_refused(client, manager, seated, later):
    first = await Performance.objects().where(Performance.id == seated.performance_id).first()
    open_floor = await make_performance(
        await Event.objects().where(Event.id == first.event).first(),
        SHOW_TIME + timedelta(days=2),
        {"Adult": 2400},
    )
    order_id, tickets = await sell_seats(client, seated, ["C1"])

    with pytest.raises(ExchangeRefused) as refused:
        await exchange_into(manager.id, order_id, tickets, open_floor.id, [later.seats["C1"]])

    assert refused.value.problems == {"performance": "That performance has no numbered seats to choose."}
    assert await Ticket.count().where(Ticket.status == "valid") == 1
