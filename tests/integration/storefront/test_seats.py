"""Buying seats of a seated performance: the map and its list, best available, holding, checkout and
payment, and the seats on what the buyer gets."""

from __future__ import annotations

import re

import pytest

from boxoffice.config import get_settings
from boxoffice.mail.tables import OutboxMessage
from boxoffice.sales.bookings import load_booking
from boxoffice.sales.tables import (
    Event,
    Hold,
    Order,
    OrderLine,
    Performance,
    PerformanceSeat,
    PlanSeat,
    SeatingPlan,
    SeatState,
    Ticket,
    ZonePrice,
)
from boxoffice.tickets.pdf import tickets_to_print
from boxoffice.tickets.signing import ticket_signer
from tests.support.catalog import make_seated_performance
from tests.support.seated_shop import choose_seats, form_data, make_seated_show, seat_form_token, seat_states
from tests.support.shop import SHOW_TIME, check_out


@pytest.fixture
async def seated(database):
    return await make_seated_show(SHOW_TIME)


async def test_the_seat_page_draws_every_seat_as_a_labelled_control_and_lists_them_without_script(
    shop, seated
):
    await PerformanceSeat.update({PerformanceSeat.state: SeatState.SOLD}).where(
        PerformanceSeat.id == seated.seats["A1"]
    )
    page = (await shop.get(f"/performances/{seated.performance_id}")).text

    assert page.count('role="checkbox"') == 31  # every free seat on the map
    assert 'aria-label="Stalls, row A, seat 2, zone A, from £28.00"' in page
    assert 'aria-label="Stalls, row A, seat 1, taken"' in page
    assert 'aria-label="Stalls, row D, seat 8, zone B, from £20.00"' in page
    assert page.count('type="checkbox" name="seat"') == 32 and "<legend>Row C</legend>" in page
    assert re.search(rf'value="{seated.seats["A1"]}" disabled', page)
    assert "No seats chosen yet." in page


async def test_chosen_seats_show_their_prices_by_zone_and_hold_with_the_chosen_types(shop, seated):
    a3, c4 = seated.seats["A3"], seated.seats["C4"]
    page = (await shop.get(f"/performances/{seated.performance_id}?seat={a3}&seat={c4}")).text

    assert re.search(rf'value="{a3}" checked', page) and 'aria-checked="true"' in page
    assert "Adult, £32.00" in page and "Concession, £20.00" in page

    response = await choose_seats(
        shop, seated.performance_id, [(a3, seated.types["Adult"]), (c4, seated.types["Concession"])]
    )
    assert response.status_code == 303 and response.headers["location"] == "/checkout"
    states = await seat_states(seated.performance_id)
    assert states[a3] == states[c4] == SeatState.HELD
    checkout = (await shop.get("/checkout")).text
    assert "Stalls, row A, seat 3" in checkout and "Stalls, row C, seat 4" in checkout
    assert "£52.00" in checkout


async def test_best_available_offers_seats_together_in_the_zone_asked_for(shop, seated):
    page = (await shop.get(f"/performances/{seated.performance_id}?best=3&zone=B")).text

    chosen = re.findall(r'<input type="hidden" name="seat" value="(\d+)">', page)
    names = {str(seat): name for name, seat in seated.seats.items()}
    assert len(chosen) == 3 and {names[seat][0] for seat in chosen} == {"C"}
    assert "Adult, £24.00" in page

    refused = await shop.get(f"/performances/{seated.performance_id}?best=9")
    assert refused.status_code == 400 and "There are not 9 seats together" in refused.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([], "Choose at least one seat."),
        ([("seat", "A1"), ("type_A1", "Adult"), ("seat", "A1"), ("type_A1", "Adult")], "same seat twice"),
        ([("seat", "nonsense")], "not one we know"),
        ([("seat", "A1")], "Choose a ticket type for each seat."),
        ([("seat", "A1"), ("type_A1", "999999")], "not sold for this performance"),
        ([("seat", "999999"), ("type_999999", "Adult")], "not a seat of this performance"),
        ([("seat", "B1"), ("type_B1", "Adult")], "is not on sale"),
        ([(name, value) for n in range(11) for name, value in (("seat", f"C{n % 8 + 1}"),)], "at most 10"),
    ],
)
async def test_bad_seat_choices_are_refused_with_a_message_and_hold_nothing(shop, seated, fields, message):
    await PerformanceSeat.update({PerformanceSeat.state: SeatState.KILLED}).where(
        PerformanceSeat.id == seated.seats["B1"]
    )
    by_name = {**seated.seats, **seated.types}
    resolved = []
    for name, value in fields:
        if name == "seat":
            resolved.append(("seat", str(by_name.get(value, value))))
        else:
            seat = name.removeprefix("type_")
            resolved.append((f"type_{by_name.get(seat, seat)}", str(by_name.get(value, value))))
    token = await seat_form_token(shop, seated.performance_id)
    response = await shop.post(
        f"/performances/{seated.performance_id}/seats", data=form_data([("_csrf_token", token), *resolved])
    )

    assert response.status_code == 400 and message in response.text
    assert await Hold.count() == 0
    assert SeatState.HELD not in (await seat_states(seated.performance_id)).values()


async def test_a_seat_someone_else_holds_is_refused_and_the_map_shows_it_taken(shop, seated, fake_stripe):
    a5 = seated.seats["A5"]
    await choose_seats(shop, seated.performance_id, [(a5, seated.types["Adult"])])
    shop.cookies.delete("boxoffice_basket")

    response = await choose_seats(shop, seated.performance_id, [(a5, seated.types["Adult"])])

    assert response.status_code == 409 and "Stalls, row A, seat 5 has just been taken" in response.text
    assert 'aria-label="Stalls, row A, seat 5, taken"' in response.text
    assert await Hold.count() == 1


async def test_paid_seats_are_on_the_tickets_and_order_lines(shop, seated, fake_stripe):
    a4, a5 = seated.seats["A4"], seated.seats["A5"]
    await choose_seats(
        shop, seated.performance_id, [(a4, seated.types["Adult"]), (a5, seated.types["Adult"])]
    )
    await check_out(shop)
    order = await Order.select().first()
    payload, signature = fake_stripe.webhook_event(
        "checkout.session.completed", fake_stripe.complete_session(order["stripe_session"])
    )
    assert (
        await shop.post("/webhooks/stripe", content=payload, headers={"stripe-signature": signature})
    ).status_code == 200

    assert sorted(row["seat"] for row in await Ticket.select(Ticket.seat)) == sorted([a4, a5])
    assert [(row["zone"], row["quantity"], row["unit_price"]) for row in await OrderLine.select()] == [
        ("A", 2, 3200)
    ]
    states = await seat_states(seated.performance_id)
    assert states[a4] == states[a5] == SeatState.SOLD

    [message] = await OutboxMessage.select().where(OutboxMessage.kind == "order_confirmation")
    assert "Adult, Stalls, row A, seat 4: ticket code" in message["text_body"]
    assert "Stalls, row A, seat 5" in message["html_body"]
    booking = await load_booking(order["id"])
    both = ["Stalls, row A, seat 4", "Stalls, row A, seat 5"]
    assert sorted(ticket.seat for ticket in booking.performances[0].tickets) == both
    manage = re.search(r"https?://[^/\s]+(/booking/\S+)", message["text_body"]).group(1)
    assert "Stalls, row A, seat 4" in (await shop.get(manage)).text
    printed = tickets_to_print(booking, layout="a4", signer=ticket_signer(get_settings().ticket_key_file))
    assert sorted(ticket.seat for ticket in printed.tickets) == both


async def test_a_kept_map_shows_each_change_of_state_and_prices_and_a_new_copy_of_an_edited_plan(
    shop, seated
):
    page = f"/performances/{seated.performance_id}"
    assert 'aria-label="Stalls, row A, seat 2, zone A, from £28.00"' in (await shop.get(page)).text

    await PerformanceSeat.update({PerformanceSeat.state: SeatState.HELD}).where(
        PerformanceSeat.id == seated.seats["A2"]
    )
    await ZonePrice.update({ZonePrice.price: ZonePrice.price + 100}).where(ZonePrice.zone == "B")
    again = (await shop.get(page)).text
    assert 'aria-label="Stalls, row A, seat 2, taken"' in again and again.count('role="checkbox"') == 31
    assert 'aria-label="Stalls, row D, seat 8, zone B, from £21.00"' in again

    # the plan is edited, and another performance takes a copy of it: each map draws its own copy
    first = await Performance.objects().where(Performance.id == seated.performance_id).first()
    await PlanSeat.update({PlanSeat.label: "1A"}).where(
        (PlanSeat.plan == first.seating_plan) & (PlanSeat.row == "A") & (PlanSeat.label == "1")
    )
    event = await Event.objects().where(Event.id == first.event).first()
    plan = await SeatingPlan.objects().where(SeatingPlan.id == first.seating_plan).first()
    later = await make_seated_performance(event, SHOW_TIME.replace(day=20), plan, {"Adult": {"A": 3200}})
    assert later.seating_key and later.seating_key != first.seating_key
    assert "Stalls, row A, seat 1A," in (await shop.get(f"/performances/{later.id}")).text
    kept = (await shop.get(page)).text
    assert "seat 1A" not in kept and 'aria-label="Stalls, row A, seat 1, zone A' in kept
