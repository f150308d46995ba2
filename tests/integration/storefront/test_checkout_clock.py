"""The checkout's clock and basket: one "more time" for a hold still held, details kept when a hold lapses,
and the basket changed before paying, by the same rules as choosing tickets."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import UTC, datetime, timedelta

import httpx

from boxoffice.db import as_utc
from boxoffice.sales import holds
from boxoffice.sales.checkout_drafts import forget_old_drafts
from boxoffice.sales.maintenance import tidy_sales
from boxoffice.sales.tables import CheckoutDraft, Hold, Order, SeatState
from tests.support.seated_shop import choose_seats, make_seated_show, seat_states
from tests.support.shop import BUYER, SHOW_TIME, check_out, choose, seats_left


async def post_on_checkout(
    client: httpx.AsyncClient, path: str, data: dict, **headers: str
) -> httpx.Response:
    await client.get("/checkout")
    return await client.post(
        path, data={**data, "_csrf_token": client.cookies["boxoffice_csrf"]}, headers=headers
    )


async def hold_expiries() -> list[datetime]:
    return [as_utc(row["expires_at"]) for row in await Hold.select(Hold.expires_at)]


async def lapse_holds() -> None:
    await Hold.update({Hold.expires_at: datetime.now(UTC) - timedelta(seconds=1)}, force=True)


async def test_more_time_holds_the_tickets_longer_once_and_keeps_what_was_typed(shop, show):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2"})
    await Hold.update({Hold.expires_at: datetime.now(UTC) + timedelta(seconds=90)}, force=True)
    page = (await shop.get("/checkout")).text
    assert 'data-countdown-warn="120"' in page and "Hold them 15 more minutes" in page
    assert (
        '<dialog class="hold-warning" id="hold-warning"' in page
        and 'aria-describedby="hold-warning-text" open>' in page
    )

    response = await post_on_checkout(shop, "/checkout/more-time", {**BUYER, "accept_terms": ""})

    assert response.status_code == 200 and "we hold your tickets for 15 more minutes" in response.text
    assert 'value="Lovelace"' in response.text and 'value="+44 117 496 0000"' in response.text
    [expires_at] = await hold_expiries()
    assert timedelta(minutes=14) < expires_at - datetime.now(UTC) <= timedelta(minutes=15)
    assert "Hold them 15 more minutes" not in response.text and "already had more time once" in response.text
    assert await seats_left(performance_id) == 8

    again = await post_on_checkout(shop, "/checkout/more-time", BUYER)

    assert again.status_code == 409 and "You have already had more time once" in again.text
    assert await hold_expiries() == [expires_at]


async def test_more_time_is_refused_once_the_hold_lapsed_and_the_details_are_kept(shop, show):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2"})
    await lapse_holds()

    response = await post_on_checkout(
        shop, "/checkout/more-time", {**BUYER, "marketing": "yes", "choose_again": str(performance_id)}
    )

    assert response.status_code == 409 and "their time ran out" in response.text
    assert "We kept the details you typed" in response.text
    assert f'href="/performances/{performance_id}">Choose tickets again' in response.text
    assert await Hold.count() == 0 and await seats_left(performance_id) == 10
    await choose(shop, performance_id, {types["Concession"]: "1"})
    page = (await shop.get("/checkout")).text
    assert 'value="Ada"' in page and 'value="Lovelace"' in page and 'value="ada@example.org"' in page
    assert 'value="BS1 4DJ"' in page and re.search(
        r'name="marketing" type="checkbox" value="yes" checked', page
    )


async def test_a_lapsed_hold_is_never_extended_even_before_it_is_released(show):
    performance_id, types = show
    now = datetime.now(UTC)
    await holds.hold_tickets(
        "basket", performance_id, {types["Adult"]: 1}, hold_minutes=5, max_per_order=9, now=now
    )

    later = now + timedelta(minutes=5, seconds=1)
    try:
        await holds.extend_hold("basket", hold_minutes=5, now=later)
    except holds.HoldRefused as refusal:
        assert str(refusal) == holds.NOTHING_TO_EXTEND
    else:
        raise AssertionError("a lapsed hold was extended")
    assert await hold_expiries() == [now + timedelta(minutes=5)]
    assert await Hold.count().where(Hold.extended_at.is_not_null()) == 0


async def test_two_presses_of_more_time_extend_once(show):
    performance_id, types = show
    now = datetime.now(UTC)
    await holds.hold_tickets(
        "basket", performance_id, {types["Adult"]: 1}, hold_minutes=5, max_per_order=9, now=now
    )
    await holds.hold_tickets(
        "basket", performance_id, {types["Concession"]: 1}, hold_minutes=5, max_per_order=9, now=now
    )

    first = await holds.extend_hold("basket", hold_minutes=5, now=now + timedelta(minutes=4))
    try:
        await holds.extend_hold("basket", hold_minutes=5, now=now + timedelta(minutes=8))
    except holds.HoldRefused as refusal:
        assert str(refusal) == holds.ALREADY_EXTENDED
    else:
        raise AssertionError("extended twice")
    assert await hold_expiries() == [first, first]


async def test_paying_after_the_hold_lapsed_keeps_the_details_for_choosing_again(shop, show):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2"})
    await lapse_holds()

    response = await check_out(shop, choose_again=str(performance_id))

    assert response.status_code == 409 and "We kept the details you typed" in response.text
    assert await Order.count() == 0 and await CheckoutDraft.count() == 1
    await choose(shop, performance_id, {types["Adult"]: "1"})
    assert 'value="Ada"' in (await shop.get("/checkout")).text
    assert (await check_out(shop)).status_code == 303
    assert await CheckoutDraft.count() == 0  # the order has the details now


async def test_choosing_again_when_the_time_is_up_keeps_the_details_and_gives_the_tickets_back(shop, show):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "3"})

    response = await post_on_checkout(
        shop, "/checkout/start-again", {"first_name": "Ada", "email": "ada@example.org", "choose_again": "x"}
    )

    assert response.status_code == 409 and "We kept the details you typed" in response.text
    assert 'href="/">Choose tickets again' in response.text  # no performance named: what's on
    assert await seats_left(performance_id) == 10 and await Hold.count() == 0
    draft = await CheckoutDraft.select().first()
    assert (draft["first_name"], draft["email"], draft["last_name"]) == ("Ada", "ada@example.org", "")


async def test_kept_details_are_deleted_after_a_day(show):
    now = datetime.now(UTC)
    for basket, saved_at in (("old", now - timedelta(days=1, seconds=1)), ("new", now)):
        await CheckoutDraft.insert(CheckoutDraft(basket=basket, first_name="Ada", saved_at=saved_at))

    await tidy_sales(None, now)

    assert [row["basket"] for row in await CheckoutDraft.select(CheckoutDraft.basket)] == ["new"]
    assert await forget_old_drafts(now + timedelta(days=2)) == 1


async def change(shop, performance_id: int, type_id: int, **fields: str) -> httpx.Response:
    data = {"performance": str(performance_id), "ticket_type": str(type_id), **fields}
    return await post_on_checkout(shop, "/checkout/basket", data)


async def test_the_basket_quantities_change_through_holds_and_keep_their_time(shop, show):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2", types["Concession"]: "1"})
    expiries = sorted(await hold_expiries())

    more = await change(shop, performance_id, types["Adult"], quantity="5", first_name="Ada")

    assert more.status_code == 200 and "Your basket is updated." in more.text and 'value="Ada"' in more.text
    assert await seats_left(performance_id) == 4 and "£138.00" in more.text
    assert sorted(await hold_expiries()) == expiries  # changing the basket buys no time
    fewer = await change(shop, performance_id, types["Adult"], quantity="1")
    assert fewer.status_code == 200 and await seats_left(performance_id) == 8
    removed = await change(shop, performance_id, types["Concession"], remove="yes", quantity="1")
    assert removed.status_code == 200 and "free for others now" in removed.text
    assert await seats_left(performance_id) == 9
    zero = await change(shop, performance_id, types["Adult"], quantity="0")
    assert zero.status_code == 200 and await seats_left(performance_id) == 10 and await Hold.count() == 0
    assert "Your basket is empty" in zero.text


async def test_asking_for_more_than_are_left_keeps_what_the_basket_held(shop, show):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2"})
    await holds.hold_tickets(
        "another buyer",
        performance_id,
        {types["Adult"]: 7},
        hold_minutes=15,
        max_per_order=10,
        now=datetime.now(UTC),
    )

    response = await change(shop, performance_id, types["Adult"], quantity="4")

    assert response.status_code == 409 and "not enough tickets left for 4; you still have 2" in response.text
    assert await seats_left(performance_id) == 1
    assert sum(row["quantity"] for row in await Hold.select(Hold.quantity)) == 9


async def test_impossible_basket_changes_are_refused_and_change_nothing(shop, show):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2"})

    for fields, message in (
        ({"quantity": "11"}, "at most 10 tickets"),
        ({"quantity": "lots"}, "as a number"),
        ({"quantity": "-1"}, "as a number"),
    ):
        response = await change(shop, performance_id, types["Adult"], **fields)
        assert response.status_code == 400 and message in html.unescape(response.text)
    other_line = await change(shop, performance_id, types["Concession"], quantity="1")
    assert other_line.status_code == 409 and "no longer in your basket" in other_line.text
    nonsense = await post_on_checkout(shop, "/checkout/basket", {"performance": "x", "quantity": "1"})
    assert nonsense.status_code == 400
    assert await seats_left(performance_id) == 8 and await Hold.count() == 1
    await lapse_holds()
    lapsed = await change(shop, performance_id, types["Adult"], quantity="3")
    assert lapsed.status_code == 409 and await seats_left(performance_id) == 10


async def test_htmx_is_answered_with_the_page_to_swap_in_even_when_refused(shop, show):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2"})

    response = await change(shop, performance_id, types["Adult"], quantity="11")
    swapped = await post_on_checkout(
        shop,
        "/checkout/basket",
        {"performance": str(performance_id), "ticket_type": str(types["Adult"]), "quantity": "11"},
        **{"HX-Request": "true"},
    )

    assert response.status_code == 400 and swapped.status_code == 200
    assert 'id="checkout"' in swapped.text and "at most 10 tickets" in swapped.text


async def test_a_line_of_seats_is_removed_by_its_zone_and_its_seats_freed_at_once(shop, database):
    seated = await make_seated_show(SHOW_TIME)
    a3, c4 = seated.seats["A3"], seated.seats["C4"]
    adult = seated.types["Adult"]
    await choose_seats(shop, seated.performance_id, [(a3, adult), (c4, adult)])

    more = await change(shop, seated.performance_id, adult, quantity="2", zone="B")
    assert more.status_code == 409 and "choose your seats again" in more.text
    removed = await change(shop, seated.performance_id, adult, remove="yes", zone="A")

    assert removed.status_code == 200 and "free for others now" in removed.text
    states = await seat_states(seated.performance_id)
    assert states[a3] == SeatState.AVAILABLE and states[c4] == SeatState.HELD
    assert "Stalls, row C, seat 4" in removed.text and "Stalls, row A, seat 3" not in removed.text


async def test_more_time_asked_twice_at_once_is_given_once(show):
    performance_id, types = show
    now = datetime.now(UTC)
    await holds.hold_tickets(
        "basket", performance_id, {types["Adult"]: 2}, hold_minutes=5, max_per_order=9, now=now
    )

    results = await asyncio.gather(
        *[holds.extend_hold("basket", hold_minutes=5, now=now + timedelta(minutes=4)) for _ in range(2)],
        return_exceptions=True,
    )

    assert sorted(type(result).__name__ for result in results) == ["HoldRefused", "datetime"]
    assert await hold_expiries() == [now + timedelta(minutes=9)]
