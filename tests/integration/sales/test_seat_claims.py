"""Seats held, sold, given back and refused: the rules of `sales.seating.claims` and of the holds and
orders they join, on the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.sales.cancellations import cancel_reservation, cancel_tickets
from boxoffice.sales.holds import HoldRefused, basket_contents, hold_tickets, release_basket, release_lapsed
from boxoffice.sales.orders import (
    Buyer,
    Fulfilment,
    PaymentReceived,
    fulfil_or_report_no_seats,
    fulfil_order,
    place_order,
)
from boxoffice.sales.seating.claims import SeatChoice, hold_seats
from boxoffice.sales.tables import (
    Hold,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Performance,
    PerformanceSeat,
    SeatState,
    Ticket,
    TicketType,
)
from tests.support.catalog import make_event, make_seated_performance, make_seating_plan, make_venue
from tests.support.staff import make_staff

LATER = datetime.now(UTC) + timedelta(days=30)
BUYER = Buyer("Ada", "Lovelace", "ada@example.org", "", "", "127.0.0.1")


@pytest.fixture
async def seated(database):
    """A 2-row by 5-seat stalls (row A zone A, row B zone B), Adult £32/£24, Concession £28/£20."""
    venue = await make_venue()
    plan = await make_seating_plan(venue, {"Stalls": (2, 5)})
    event = await make_event(venue, "hamlet", "Hamlet")
    performance = await make_seated_performance(
        event, LATER, plan, {"Adult": {"A": 3200, "B": 2400}, "Concession": {"A": 2800, "B": 2000}}
    )
    seats = {
        f"{row['row']}{row['label']}": row["id"]
        for row in await PerformanceSeat.select(
            PerformanceSeat.id, PerformanceSeat.row, PerformanceSeat.label
        ).where(PerformanceSeat.performance == performance.id)
    }
    types = {
        row["name"]: row["id"]
        for row in await TicketType.select(TicketType.id, TicketType.name).where(
            TicketType.performance == performance.id
        )
    }
    return performance.id, seats, types


async def hold(token, performance_id, picks, *, now=None, minutes=15, most=10):
    return await hold_seats(
        token,
        performance_id,
        [SeatChoice(seat, ticket_type) for seat, ticket_type in picks],
        hold_minutes=minutes,
        max_per_order=most,
        now=now or datetime.now(UTC),
    )


async def states(seats: dict[str, int]) -> dict[str, str]:
    by_id = {
        row["id"]: row["state"]
        for row in await PerformanceSeat.select(PerformanceSeat.id, PerformanceSeat.state)
    }
    return {name: by_id[seat] for name, seat in seats.items()}


async def available(performance_id: int) -> int:
    return (await Performance.select(Performance.available).where(Performance.id == performance_id).first())[
        "available"
    ]


async def place(token, status=OrderStatus.PENDING_PAYMENT, now=None):
    now = now or datetime.now(UTC)
    return await place_order(
        token,
        BUYER,
        status=status,
        expires_at=now + timedelta(minutes=15),
        terms_version=1,
        privacy_version=1,
        marketing_opt_in=False,
        consent_question=None,
        now=now,
    )


def cash(amount: int) -> PaymentReceived:
    return PaymentReceived(method=PaymentMethod.CASH, amount=amount, currency="GBP")


async def test_held_seats_are_priced_by_zone_sold_with_their_tickets_and_cancelled_back(seated):
    performance_id, seats, types = seated
    await hold("basket", performance_id, [(seats["A3"], types["Adult"]), (seats["B3"], types["Concession"])])

    assert (await states(seats))["A3"] == SeatState.HELD and await available(performance_id) == 8
    basket = await basket_contents("basket", datetime.now(UTC))
    assert [(line.ticket_name, line.zone, line.seats, line.unit_price.amount) for line in basket.lines] == [
        ("Adult", "A", ("Stalls, row A, seat 3",), 3200),
        ("Concession", "B", ("Stalls, row B, seat 3",), 2000),
    ]
    placed = await place("basket")
    assert placed.total.amount == 5200
    assert {(row["zone"], row["unit_price"]) for row in await OrderLine.select()} == {
        ("A", 3200),
        ("B", 2000),
    }
    assert (await states(seats))["A3"] == SeatState.HELD and await Hold.count() == 0

    assert await fulfil_order(placed.id, cash(5200), now=datetime.now(UTC)) is Fulfilment.FULFILLED
    tickets = await Ticket.select(Ticket.id, Ticket.seat).order_by(Ticket.seat)
    assert sorted(row["seat"] for row in tickets) == sorted([seats["A3"], seats["B3"]])
    assert (await states(seats))["A3"] == SeatState.SOLD == (await states(seats))["B3"]

    staff = await make_staff()
    await cancel_tickets(placed.id, [tickets[0]["id"]], staff_id=staff.id, ip="127.0.0.1")
    after = await states(seats)
    assert sorted([after["A3"], after["B3"]]) == [SeatState.AVAILABLE, SeatState.SOLD]
    assert await available(performance_id) == 9


@pytest.mark.parametrize(
    ("picks", "message"),
    [
        ([], "Choose at least one seat."),
        ([("A1", "Adult"), ("A1", "Adult")], "the same seat twice"),
        ([("A1", "Adult"), ("A2", "Adult"), ("A3", "Adult")], "at most 2 tickets"),
        ([("A1", "Adult"), ("A2", "Nobody")], "not sold for this performance"),
        ([("A1", "Adult"), ("Z9", "Adult")], "not a seat of this performance"),
        ([("A1", "Adult"), ("A5", "Adult")], "Stalls, row A, seat 5 is not on sale."),
        ([("A1", "Adult"), ("B1", "Adult")], "Stalls, row B, seat 1 has just been taken"),
        ([("A1", "Adult"), ("B2", "Adult")], "Stalls, row B, seat 2 has just been taken"),
    ],
)
async def test_bad_choices_are_refused_and_hold_nothing(seated, picks, message):
    performance_id, seats, types = seated
    await PerformanceSeat.update({PerformanceSeat.state: SeatState.KILLED}).where(
        PerformanceSeat.id == seats["A5"]
    )
    await Performance.update({Performance.available: Performance.available - 1}).where(
        Performance.id == performance_id
    )
    await hold("other", performance_id, [(seats["B1"], types["Adult"])])  # held by another basket
    await hold("sold", performance_id, [(seats["B2"], types["Adult"])])
    placed = await place("sold")
    await fulfil_order(placed.id, cash(2400), now=datetime.now(UTC))
    seats = {**seats, "Z9": 10**6}
    types = {**types, "Nobody": 10**6}
    known = {name: seat for name, seat in seats.items() if name != "Z9"}
    before = await states(known)

    with pytest.raises(HoldRefused, match=message):
        await hold("basket", performance_id, [(seats[s], types[t]) for s, t in picks], most=2)

    assert await Hold.count() == 1  # the other basket's only
    assert await available(performance_id) == 7
    assert await states(known) == before


async def test_seats_beyond_what_their_type_has_left_are_refused_and_nothing_is_taken(seated):
    """The seats are taken before the counts: when a count then falls short, the seats go back with it."""
    performance_id, seats, types = seated
    await TicketType.update({TicketType.cap: 1, TicketType.available: 1}).where(
        TicketType.id == types["Concession"]
    )

    picks = [
        (seats["A1"], types["Adult"]),
        (seats["A2"], types["Concession"]),
        (seats["B2"], types["Concession"]),
    ]

    with pytest.raises(HoldRefused):
        await hold("basket", performance_id, picks)

    assert set((await states(seats)).values()) == {SeatState.AVAILABLE.value}
    assert await Hold.count() == 0
    assert await available(performance_id) == 10
    assert await TicketType.select(TicketType.available).where(
        TicketType.id == types["Concession"]
    ).first() == {"available": 1}
    await hold("basket", performance_id, [(seats["A2"], types["Concession"])])
    assert (await states(seats))["A2"] == SeatState.HELD.value
    assert await available(performance_id) == 9


async def test_a_general_admission_hold_of_a_seated_performance_is_refused(seated):
    performance_id, _, types = seated
    with pytest.raises(HoldRefused, match="choose your seats"):
        await hold_tickets(
            "basket",
            performance_id,
            {types["Adult"]: 2},
            hold_minutes=15,
            max_per_order=10,
            now=datetime.now(UTC),
        )


async def test_lapsed_holds_and_orders_give_their_seats_back_once_and_a_late_payment_retakes_them(seated):
    performance_id, seats, types = seated
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    await hold("lapsed", performance_id, [(seats["A1"], types["Adult"])], now=long_ago)
    await hold("emptied", performance_id, [(seats["A2"], types["Adult"])])
    await hold(
        "ordered", performance_id, [(seats["A3"], types["Adult"])], now=long_ago - timedelta(minutes=1)
    )
    placed = await place("ordered", now=long_ago)

    await release_basket("emptied")
    assert await release_lapsed(datetime.now(UTC)) == 2
    assert await release_lapsed(datetime.now(UTC)) == 0
    now_states = await states(seats)
    assert now_states["A1"] == now_states["A2"] == now_states["A3"] == SeatState.AVAILABLE
    assert await available(performance_id) == 10

    outcome = await fulfil_or_report_no_seats(placed.id, cash(3200), now=datetime.now(UTC))
    assert outcome is Fulfilment.FULFILLED
    assert (await states(seats))["A3"] == SeatState.SOLD
    assert [row["seat"] for row in await Ticket.select(Ticket.seat)] == [seats["A3"]]


async def test_a_late_payment_whose_seat_was_resold_takes_nothing(seated):
    performance_id, seats, types = seated
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    await hold("ordered", performance_id, [(seats["A3"], types["Adult"])], now=long_ago)
    placed = await place("ordered", now=long_ago)
    await release_lapsed(datetime.now(UTC))
    await hold("someone", performance_id, [(seats["A3"], types["Adult"])])

    outcome = await fulfil_or_report_no_seats(placed.id, cash(3200), now=datetime.now(UTC))

    assert outcome is Fulfilment.NO_SEATS and await Ticket.count() == 0
    assert await available(performance_id) == 9


async def test_a_called_off_reservation_gives_its_seats_back(seated):
    performance_id, seats, types = seated
    await hold("basket", performance_id, [(seats["A1"], types["Adult"]), (seats["A2"], types["Adult"])])
    placed = await place("basket", status=OrderStatus.RESERVED)

    staff = await make_staff()
    await cancel_reservation(placed.id, staff_id=staff.id, ip="127.0.0.1")

    assert (await states(seats))["A1"] == SeatState.AVAILABLE and await available(performance_id) == 10
