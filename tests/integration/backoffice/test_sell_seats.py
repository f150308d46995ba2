"""Selling seats of a seated performance at the counter: the map on the sell screen, best available, a
block of seats, and the sale that issues a ticket for each seat."""

from __future__ import annotations

import re

import pytest

from boxoffice.config import get_settings
from boxoffice.sales.tables import OrderLine, SeatState, Ticket
from boxoffice.tickets.checkin import scan
from boxoffice.tickets.signing import ticket_signer
from tests.support.counter import NOW, complete_sale
from tests.support.seated_shop import add_seats, make_seated_show, seat_states
from tests.support.shop import SHOW_TIME
from tests.support.staff import make_staff, sign_in


@pytest.fixture
async def seated(database):
    return await make_seated_show(SHOW_TIME)


@pytest.fixture
async def operator(client):
    staff = await make_staff("box_office_operator", name="Olive Operator", enrolled=False)
    await sign_in(client, staff)
    return staff


async def test_the_sell_screen_shows_the_map_and_best_available_picks_a_block(client, operator, seated):
    page = await client.get(f"/backoffice/sell?performance={seated.performance_id}")
    assert page.status_code == 200 and page.text.count('role="checkbox"') == 32
    assert "Find the best seats" in page.text and "No seats chosen yet." in page.text

    best = (await client.get(f"/backoffice/sell?performance={seated.performance_id}&best=6&zone=A")).text
    chosen = re.findall(r'<input type="hidden" name="seat" value="(\d+)">', best)
    rows = {name[0] for name, seat in seated.seats.items() if str(seat) in chosen}
    assert len(chosen) == 6 and len(rows) == 1 and rows <= {"A", "B"}
    assert "Add these seats to the basket" in best


async def test_a_block_of_seats_is_sold_with_a_ticket_for_each_seat(client, operator, seated):
    block = [seated.seats[f"C{n}"] for n in range(2, 6)]
    adult, concession = seated.types["Adult"], seated.types["Concession"]

    response = await add_seats(
        client,
        seated.performance_id,
        [(block[0], adult), (block[1], adult), (block[2], concession), (block[3], adult)],
    )
    assert response.status_code == 303, response.text
    page = (await client.get("/backoffice/sell")).text
    assert "Stalls, row C, seat 2" in page and "£92.00" in page
    sold = await complete_sale(client)

    assert sold.status_code == 303, sold.text
    assert sorted(row["seat"] for row in await Ticket.select(Ticket.seat)) == sorted(block)
    assert {(row["zone"], row["quantity"], row["unit_price"]) for row in await OrderLine.select()} == {
        ("B", 3, 2400),
        ("B", 1, 2000),
    }
    states = await seat_states(seated.performance_id)
    assert {states[seat] for seat in block} == {SeatState.SOLD}

    ticket = await Ticket.select(Ticket.code).where(Ticket.seat == block[0]).first()
    signer = ticket_signer(get_settings().ticket_key_file)
    result = await scan(seated.performance_id, ticket["code"], staff_id=operator.id, signer=signer, now=NOW)
    assert result.ticket_name.endswith("Adult · zone B · Stalls, row C, seat 2")


async def test_a_taken_seat_at_the_counter_is_refused_and_nothing_is_held(client, operator, seated):
    adult = seated.types["Adult"]
    assert (await add_seats(client, seated.performance_id, [(seated.seats["A1"], adult)])).status_code == 303
    await complete_sale(client)

    response = await add_seats(
        client, seated.performance_id, [(seated.seats["A2"], adult), (seated.seats["A1"], adult)]
    )

    assert response.status_code == 409 and "Stalls, row A, seat 1 has just been taken" in response.text
    assert (await seat_states(seated.performance_id))[seated.seats["A2"]] == SeatState.AVAILABLE
