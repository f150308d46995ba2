"""Orders in the back office: search, the order page, and its actions (notes, resend, take payment for a
reservation, cancel, refund, exchange), each gated by its permission and audited."""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import timedelta

import pytest

from boxoffice.auth.tables import AuditEntry
from boxoffice.config import get_settings
from boxoffice.mail.tables import OutboxMessage
from boxoffice.payments.stripe_gateway import StripeGateway
from boxoffice.sales.refunds import (
    RefundDone,
    RefundRefused,
    RefundRequest,
    finish_pending_refunds,
    refund_payment,
)
from boxoffice.sales.tables import Event, Order, OrderLine, OrderNote, Payment, Performance, Refund, Ticket
from boxoffice.tickets import checkin
from boxoffice.tickets.signing import ticket_signer
from tests.support.catalog import make_performance
from tests.support.counter import NOW, make_contact, sell
from tests.support.pager import read_pager
from tests.support.shop import SHOW_TIME, check_out, choose, paid_order, seats_left
from tests.support.staff import csrf_token, make_staff, sign_in

REQUEST_KEY = re.compile(r'name="request_key" value="([0-9a-f]{32})"')


@pytest.fixture
async def manager(client):
    staff = await make_staff("box_office_manager", name="Mo Manager")
    await sign_in(client, staff)
    return staff


async def order_form(client, order_id: int, action: str, fields: dict) -> tuple[object, str]:
    """Post one of the order page's forms with the request key the page gave it; returns the answer
    and the key, for a second submission of the same form."""
    page = (await client.get(f"/backoffice/orders/{order_id}")).text
    key = REQUEST_KEY.search(page).group(1) if REQUEST_KEY.search(page) else ""
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    response = await client.post(
        f"/backoffice/orders/{order_id}/{action}", data={"request_key": key, **fields, "_csrf_token": token}
    )
    return response, key


async def online_order_at_the_box_office(
    shop, performance_id: int, quantities: dict, fake_stripe
) -> tuple[dict, dict]:
    """An order bought and paid online, and its payment, with a box office manager signed in to look at it."""
    order = await paid_order(shop, performance_id, quantities, fake_stripe)
    shop.cookies.clear()
    await sign_in(shop, await make_staff("box_office_manager"))
    return order, await Payment.select().where(Payment.order == order["id"]).first()


async def test_orders_are_found_by_reference_name_or_e_mail(client, manager, show):
    performance_id, types = show
    grace = await make_contact()
    mine = await sell(client, performance_id, {types["Adult"]: "1"}, contact=str(grace))
    walk_in = await sell(client, performance_id, {types["Adult"]: "1"})

    for query in (mine["reference"].lower(), "hopper", "grace@EXAMPLE"):
        results = (await client.get(f"/backoffice/orders?q={query}")).text
        assert f'/backoffice/orders/{mine["id"]}"' in results, query
        assert walk_in["reference"] not in results
    everything = (await client.get("/backoffice/orders")).text
    assert mine["reference"] in everything and walk_in["reference"] in everything and "Walk-in" in everything
    assert "No orders" in (await client.get("/backoffice/orders?status=reserved")).text
    assert mine["reference"] in (await client.get("/backoffice/orders?status=paid&q=hopper")).text


async def test_a_cash_payment_is_refunded_in_part_never_beyond_what_was_paid_and_never_twice(
    client, manager, show
):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "2"})
    payment = await Payment.select().where(Payment.order == order["id"]).first()

    response, key = await order_form(
        client, order["id"], "refund", {"payment": str(payment["id"]), "amount": "10.00"}
    )
    assert response.status_code == 303
    again = await client.post(
        f"/backoffice/orders/{order['id']}/refund",
        data={
            "payment": str(payment["id"]),
            "amount": "10.00",
            "request_key": key,
            "_csrf_token": await csrf_token(client, f"/backoffice/orders/{order['id']}"),
        },
    )
    assert again.status_code == 303 and again.headers["location"].endswith("done=refund_repeated")
    too_much, _ = await order_form(
        client, order["id"], "refund", {"payment": str(payment["id"]), "amount": "38.01"}
    )

    assert too_much.status_code == 400 and "more than is left to refund" in too_much.text
    refunds = await Refund.select(Refund.amount, Refund.staff).where(Refund.order == order["id"])
    assert refunds == [{"amount": 1000, "staff": manager.id}]
    assert (await Payment.select(Payment.refunded).where(Payment.id == payment["id"]).first())[
        "refunded"
    ] == 1000
    rest, _ = await order_form(client, order["id"], "refund", {"payment": str(payment["id"]), "amount": "38"})
    assert rest.status_code == 303
    assert sum(row["amount"] for row in await Refund.select(Refund.amount)) == 4800
    page = (await client.get(f"/backoffice/orders/{order['id']}")).text
    assert "Make a refund" not in page
    assert await AuditEntry.count().where(AuditEntry.action == "order.refunded") == 2


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-5", "zero or more"), ("abc", "Enter an amount such as"), ("0", "more than zero")],
)
async def test_bad_refund_amounts_are_refused_and_change_nothing(client, manager, show, amount, message):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "1"})
    payment = await Payment.select().first()

    response, _ = await order_form(
        client, order["id"], "refund", {"payment": str(payment["id"]), "amount": amount}
    )

    assert response.status_code == 400 and message in response.text
    assert await Refund.count() == 0


async def test_complimentary_tickets_have_nothing_to_refund(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "1"}, method="complimentary", reason="Critic")
    payment = await Payment.select().first()

    response, _ = await order_form(
        client, order["id"], "refund", {"payment": str(payment["id"]), "amount": "1"}
    )

    assert response.status_code == 400 and "nothing to refund" in response.text
    assert await Refund.count() == 0


async def test_an_online_payment_is_refunded_through_stripe_with_an_idempotency_key(shop, show, fake_stripe):
    performance_id, types = show
    order, payment = await online_order_at_the_box_office(
        shop, performance_id, {types["Adult"]: "2"}, fake_stripe
    )

    response, key = await order_form(
        shop, order["id"], "refund", {"payment": str(payment["id"]), "amount": "12.50"}
    )
    assert response.status_code == 303
    token = await csrf_token(shop, f"/backoffice/orders/{order['id']}")
    again = await shop.post(
        f"/backoffice/orders/{order['id']}/refund",
        data={"payment": str(payment["id"]), "amount": "12.50", "request_key": key, "_csrf_token": token},
    )

    [sent] = fake_stripe.requests_to("POST", "/v1/refunds")
    assert sent.form["amount"] == "1250" and sent.form["payment_intent"] == payment["provider_reference"]
    assert sent.idempotency_key == f"order-{order['id']}-refund-{key}"
    assert again.status_code == 303 and again.headers["location"].endswith("done=refund_repeated")
    [refund] = await Refund.select().where(Refund.order == order["id"])
    assert refund["amount"] == 1250 and refund["provider_reference"] in fake_stripe.refunds
    assert len(fake_stripe.refunds) == 1

    too_much, _ = await order_form(
        shop, order["id"], "refund", {"payment": str(payment["id"]), "amount": "36"}
    )
    assert too_much.status_code == 400 and len(fake_stripe.requests_to("POST", "/v1/refunds")) == 1


async def test_a_full_stripe_refund_confirmed_by_webhook_cancels_the_tickets_and_frees_the_seats(
    shop, show, fake_stripe
):
    performance_id, types = show
    order, payment = await online_order_at_the_box_office(
        shop, performance_id, {types["Adult"]: "2"}, fake_stripe
    )
    await order_form(shop, order["id"], "refund", {"payment": str(payment["id"]), "amount": "48"})
    assert await seats_left(performance_id) == 8
    charge_id = fake_stripe.payment_intents[payment["provider_reference"]]["latest_charge"]

    payload, signature = fake_stripe.webhook_event("charge.refunded", fake_stripe.charges[charge_id])
    response = await shop.post("/webhooks/stripe", content=payload, headers={"stripe-signature": signature})

    assert response.status_code == 200
    assert (await Order.select(Order.status).where(Order.id == order["id"]).first())["status"] == "refunded"
    assert await Ticket.count().where(Ticket.status == "valid") == 0
    assert await seats_left(performance_id) == 10
    assert await Refund.count() == 1


async def test_a_refused_stripe_refund_leaves_nothing_recorded(shop, show, fake_stripe):
    performance_id, types = show
    order, payment = await online_order_at_the_box_office(
        shop, performance_id, {types["Adult"]: "1"}, fake_stripe
    )
    fake_stripe.fail_next(1, status=400)

    response, _ = await order_form(
        shop, order["id"], "refund", {"payment": str(payment["id"]), "amount": "5"}
    )

    assert response.status_code == 400 and "Stripe refused the refund" in response.text
    assert await Refund.count() == 0
    assert (await Payment.select(Payment.refunded).where(Payment.id == payment["id"]).first())[
        "refunded"
    ] == 0


async def test_cancelled_tickets_give_their_seats_back_and_stop_scanning(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "2"})
    first, second = (
        await Ticket.select(Ticket.id, Ticket.code).where(Ticket.order == order["id"]).order_by(Ticket.id)
    )
    assert await seats_left(performance_id) == 8

    response, _ = await order_form(
        client, order["id"], "cancel", {"ticket": str(first["id"]), "confirm": "cancel"}
    )
    twice, _ = await order_form(
        client, order["id"], "cancel", {"ticket": str(first["id"]), "confirm": "cancel"}
    )

    assert response.status_code == 303
    page = (await client.get(response.headers["location"])).text
    assert 'name="amount" type="text" value="24.00"' in page  # the refund form offers the ticket's price
    assert twice.status_code == 409 and "Nothing was cancelled" in twice.text
    assert await seats_left(performance_id) == 9
    signer = ticket_signer(get_settings().ticket_key_file)
    scanned = await checkin.scan(performance_id, first["code"], staff_id=manager.id, signer=signer, now=NOW)
    assert scanned.outcome is checkin.Outcome.CANCELLED
    assert (await Order.select(Order.status).where(Order.id == order["id"]).first())["status"] == "paid"

    await order_form(client, order["id"], "cancel", {"ticket": str(second["id"]), "confirm": "cancel"})
    assert (await Order.select(Order.status).where(Order.id == order["id"]).first())["status"] == "cancelled"
    assert await seats_left(performance_id) == 10
    assert await AuditEntry.count().where(AuditEntry.action == "order.tickets_cancelled") == 2


async def another_performance(performance_id: int, prices: dict[str, int], capacity: int = 10) -> int:
    event = (await Performance.select(Performance.event).where(Performance.id == performance_id).first())[
        "event"
    ]
    later = await make_performance(
        await Event.objects().get(Event.id == event), SHOW_TIME.replace(day=15), prices, capacity=capacity
    )
    return later.id


async def test_an_exchange_moves_the_seats_and_takes_the_price_difference(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "2"})
    later = await another_performance(performance_id, {"Adult": 3000, "Concession": 1800})
    tickets = [row["id"] for row in await Ticket.select(Ticket.id).where(Ticket.order == order["id"])]

    unpaid, _ = await order_form(
        client,
        order["id"],
        "exchange",
        {"ticket": str(tickets[0]), "performance": str(later), "method": "cash", "tendered": "5"},
    )
    assert unpaid.status_code == 400 and "less than the amount due" in unpaid.text
    assert await seats_left(later) == 10 and await seats_left(performance_id) == 8

    response, _ = await order_form(
        client,
        order["id"],
        "exchange",
        {"ticket": str(tickets[0]), "performance": str(later), "method": "cash", "tendered": "10"},
    )

    assert response.status_code == 303
    assert await seats_left(later) == 9 and await seats_left(performance_id) == 9
    new_ticket = (
        await Ticket.select().where((Ticket.order == order["id"]) & (Ticket.performance == later)).first()
    )
    assert new_ticket["status"] == "valid"
    assert (await Ticket.select(Ticket.status).where(Ticket.id == tickets[0]).first())[
        "status"
    ] == "cancelled"
    difference = (
        await Payment.select()
        .where(Payment.order == order["id"])
        .order_by(Payment.id, ascending=False)
        .first()
    )
    assert (difference["amount"], difference["tendered"], difference["staff"]) == (600, 1000, manager.id)
    assert (await Order.select(Order.total).where(Order.id == order["id"]).first())["total"] == 5400


async def test_an_exchange_to_a_cheaper_performance_refunds_the_difference(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "1"})
    later = await another_performance(performance_id, {"Adult": 2000})
    ticket = await Ticket.select(Ticket.id).where(Ticket.order == order["id"]).first()

    response, _ = await order_form(
        client, order["id"], "exchange", {"ticket": str(ticket["id"]), "performance": str(later)}
    )

    assert response.status_code == 303
    [refund] = await Refund.select(Refund.amount, Refund.reason)
    assert refund == {"amount": 400, "reason": "exchange"}


async def test_an_exchange_into_a_sold_out_performance_changes_nothing(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "2"})
    later = await another_performance(performance_id, {"Adult": 2400}, capacity=1)
    tickets = [str(row["id"]) for row in await Ticket.select(Ticket.id).where(Ticket.order == order["id"])]

    response, _ = await order_form(
        client, order["id"], "exchange", {"ticket": tickets, "performance": str(later)}
    )

    assert response.status_code == 400 and "too few seats left" in response.text
    assert await seats_left(later) == 1 and await seats_left(performance_id) == 8
    assert await Ticket.count().where(Ticket.status == "valid") == 2


async def test_a_reservation_is_paid_at_the_counter_and_its_tickets_issued(client, show):
    performance_id, types = show
    await choose(client, performance_id, {types["Adult"]: "2"})
    await check_out(client)
    order = await Order.select().first()
    assert order["status"] == "reserved"
    client.cookies.clear()
    operator = await make_staff("box_office_operator", enrolled=False)
    await sign_in(client, operator)
    assert order["reference"] in (await client.get("/backoffice/orders?status=reserved")).text

    short, _ = await order_form(client, order["id"], "pay", {"method": "cash", "tendered": "40"})
    assert short.status_code == 400 and await Ticket.count() == 0
    response, _ = await order_form(
        client, order["id"], "pay", {"method": "card_terminal", "terminal_reference": "T-991"}
    )

    assert response.status_code == 303
    paid = await Order.select(Order.status, Order.contact).where(Order.id == order["id"]).first()
    assert paid["status"] == "paid" and paid["contact"] is not None
    payment = await Payment.select().first()
    assert (payment["method"], payment["amount"], payment["provider_reference"], payment["staff"]) == (
        "card_terminal",
        4800,
        "T-991",
        operator.id,
    )
    assert await Ticket.count().where(Ticket.order == order["id"]) == 2
    twice, _ = await order_form(client, order["id"], "pay", {"method": "cash"})
    assert twice.status_code == 400 and await Payment.count() == 1


async def test_an_order_paying_online_cannot_be_called_off_as_a_reservation(shop, show, fake_stripe):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2"})
    await check_out(shop)
    order = await Order.select().first()
    assert order["status"] == "pending_payment"
    shop.cookies.clear()
    await sign_in(shop, await make_staff("box_office_manager"))

    refused, _ = await order_form(shop, order["id"], "cancel-reservation", {})

    assert refused.status_code == 409 and "Only an unpaid reservation" in refused.text
    assert (await Order.select(Order.status).where(Order.id == order["id"]).first())[
        "status"
    ] == "pending_payment"


async def test_notes_resending_and_the_history_on_the_order_page(client, manager, show):
    performance_id, types = show
    grace = await make_contact()
    order = await sell(client, performance_id, {types["Adult"]: "1"}, contact=str(grace))

    await order_form(client, order["id"], "notes", {"note": "Collected by her son"})
    empty, _ = await order_form(client, order["id"], "notes", {"note": "   "})
    resent, _ = await order_form(client, order["id"], "resend", {})

    assert empty.status_code == 400
    assert resent.status_code == 303 and await OutboxMessage.count() == 1
    assert (await OrderNote.select(OrderNote.text, OrderNote.author).first()) == {
        "text": "Collected by her son",
        "author": manager.id,
    }
    page = (await client.get(f"/backoffice/orders/{order['id']}")).text
    assert (
        "Collected by her son" in page
        and "email resent by Mo Manager" in page
        and "sold by Mo Manager" in page
    )


async def test_operators_without_the_refund_permission_cannot_refund_or_cancel(client, show):
    performance_id, types = show
    await sign_in(client, await make_staff("box_office_operator", enrolled=False))
    order = await sell(client, performance_id, {types["Adult"]: "1"})
    payment = await Payment.select().first()
    page = (await client.get(f"/backoffice/orders/{order['id']}")).text
    assert "Make a refund" not in page and "Cancel the chosen tickets" not in page

    refund, _ = await order_form(
        client, order["id"], "refund", {"payment": str(payment["id"]), "amount": "1"}
    )
    cancel, _ = await order_form(client, order["id"], "cancel", {"ticket": "1", "confirm": "cancel"})

    assert refund.status_code == 403 and cancel.status_code == 403
    assert await Refund.count() == 0 and await Ticket.count().where(Ticket.status == "valid") == 1


async def test_racing_refunds_of_one_payment_never_exceed_it(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "2"})
    payment = await Payment.select().first()

    outcomes = await asyncio.gather(
        *[
            refund_payment(
                None,
                order["id"],
                RefundRequest(payment["id"], 3000, "", secrets.token_hex(16)),
                staff_id=manager.id,
                ip="",
                now=NOW,
            )
            for _ in range(4)
        ],
        return_exceptions=True,
    )

    assert sum(isinstance(outcome, RefundDone) for outcome in outcomes) == 1
    assert all(isinstance(outcome, (RefundDone, RefundRefused)) for outcome in outcomes)
    assert [row["amount"] for row in await Refund.select(Refund.amount)] == [3000]
    assert (await Payment.select(Payment.refunded).first())["refunded"] == 3000


async def test_an_operator_who_may_not_refund_cannot_exchange_into_cheaper_tickets(client, show):
    performance_id, types = show
    await sign_in(client, await make_staff("box_office_operator", enrolled=False))
    order = await sell(client, performance_id, {types["Adult"]: "1"})
    later = await another_performance(performance_id, {"Adult": 2000})
    ticket = await Ticket.select(Ticket.id).where(Ticket.order == order["id"]).first()

    response, _ = await order_form(
        client, order["id"], "exchange", {"ticket": str(ticket["id"]), "performance": str(later)}
    )

    assert response.status_code == 400 and "you may not give refunds" in response.text
    assert await seats_left(later) == 10 and await seats_left(performance_id) == 9
    assert await Ticket.count() == 1 and await Refund.count() == 0


async def test_a_failed_refund_after_an_exchange_keeps_the_exchange_and_says_so(shop, show, fake_stripe):
    performance_id, types = show
    order = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)
    shop.cookies.clear()
    await sign_in(shop, await make_staff("box_office_manager"))
    later = await another_performance(performance_id, {"Adult": 2000})
    ticket = await Ticket.select(Ticket.id).where(Ticket.order == order["id"]).first()
    fake_stripe.fail_next(1, status=402)

    response, _ = await order_form(
        shop, order["id"], "exchange", {"ticket": str(ticket["id"]), "performance": str(later)}
    )

    assert response.status_code == 502
    assert "exchanged" in response.text and "could not be refunded" in response.text
    assert await seats_left(later) == 9 and await Refund.count() == 0
    retry, _ = await order_form(shop, order["id"], "refund", {"payment": "0", "amount": "4"})
    payment = await Payment.select().where(Payment.order == order["id"]).first()
    made, _ = await order_form(shop, order["id"], "refund", {"payment": str(payment["id"]), "amount": "4"})
    assert retry.status_code == 400 and made.status_code == 303
    [refund] = fake_stripe.refunds.values()
    assert refund["amount"] == 400


async def test_an_exchange_refund_stripe_did_not_answer_is_left_to_finish_not_to_be_made_again(
    shop, show, fake_stripe
):
    performance_id, types = show
    order = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)
    shop.cookies.clear()
    await sign_in(shop, await make_staff("box_office_manager"))
    later = await another_performance(performance_id, {"Adult": 2000})
    ticket = await Ticket.select(Ticket.id).where(Ticket.order == order["id"]).first()
    fake_stripe.fail_next(3, status=503)  # the first try and both of the SDK's retries

    response, _ = await order_form(
        shop, order["id"], "exchange", {"ticket": str(ticket["id"]), "performance": str(later)}
    )

    assert response.status_code == 502 and "do not refund it again" in response.text
    assert "Make the refund below" not in response.text
    [filed] = await Refund.select()
    assert filed["amount"] == 400 and filed["provider_reference"] is None  # waiting for the worker


async def test_a_refund_stripe_did_not_answer_is_finished_by_sending_the_form_again(shop, show, fake_stripe):
    performance_id, types = show
    order, payment = await online_order_at_the_box_office(
        shop, performance_id, {types["Adult"]: "1"}, fake_stripe
    )
    fake_stripe.fail_next(3, status=503)  # the first try and both of the SDK's retries

    response, key = await order_form(
        shop, order["id"], "refund", {"payment": str(payment["id"]), "amount": "10"}
    )

    assert response.status_code == 400 and "could not be reached" in response.text
    assert REQUEST_KEY.search(response.text).group(1) == key  # the form comes back with its own key
    assert "waiting for Stripe" in response.text and not fake_stripe.refunds
    token = re.search(r'name="_csrf_token" value="([^"]+)"', response.text).group(1)
    again = await shop.post(
        f"/backoffice/orders/{order['id']}/refund",
        data={"payment": str(payment["id"]), "amount": "10", "request_key": key, "_csrf_token": token},
    )
    assert again.status_code == 303
    [refund] = await Refund.select()
    assert refund["provider_reference"] in fake_stripe.refunds and len(fake_stripe.refunds) == 1
    keys = {request.idempotency_key for request in fake_stripe.requests_to("POST", "/v1/refunds")}
    assert keys == {f"order-{order['id']}-refund-{key}"}
    assert (await Payment.select(Payment.refunded).where(Payment.id == payment["id"]).first())[
        "refunded"
    ] == 1000


async def test_the_worker_makes_a_refund_left_waiting_for_stripe(shop, show, fake_stripe):
    performance_id, types = show
    order, payment = await online_order_at_the_box_office(
        shop, performance_id, {types["Adult"]: "1"}, fake_stripe
    )
    fake_stripe.fail_next(3, status=503)
    _, key = await order_form(shop, order["id"], "refund", {"payment": str(payment["id"]), "amount": "7"})
    await Refund.update({Refund.created_at: NOW - timedelta(minutes=5)}).where(Refund.request_key == key)
    gateway = StripeGateway(
        secret_key=fake_stripe.secret_key, api_base=fake_stripe.url, webhook_secret=fake_stripe.webhook_secret
    )
    try:
        finished = await finish_pending_refunds(gateway, NOW)
        again = await finish_pending_refunds(gateway, NOW)
    finally:
        await gateway.aclose()

    assert (finished, again) == (1, 0)
    [refund] = await Refund.select()
    assert refund["provider_reference"] in fake_stripe.refunds and len(fake_stripe.refunds) == 1
    assert (
        fake_stripe.requests_to("POST", "/v1/refunds")[-1].idempotency_key
        == f"order-{order['id']}-refund-{key}"
    )


async def test_a_full_refund_clicked_twice_at_once_is_made_once_and_the_second_says_so(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "2"})
    payment = await Payment.select().first()
    one_form = RefundRequest(payment["id"], payment["amount"], "", secrets.token_hex(16))

    outcomes = await asyncio.gather(
        *[refund_payment(None, order["id"], one_form, staff_id=manager.id, ip="", now=NOW) for _ in range(2)],
        return_exceptions=True,
    )

    assert sorted(outcome.repeated for outcome in outcomes) == [False, True], outcomes
    assert [row["amount"] for row in await Refund.select(Refund.amount)] == [payment["amount"]]


async def test_a_complimentary_order_is_cancelled_without_refunding_anything(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "1"}, method="complimentary", reason="Critic")
    ticket = await Ticket.select(Ticket.id).where(Ticket.order == order["id"]).first()

    response, _ = await order_form(
        client, order["id"], "cancel", {"ticket": str(ticket["id"]), "confirm": "cancel"}
    )

    assert response.status_code == 303 and response.headers["location"].endswith("refund=0")  # nothing owed
    page = (await client.get(response.headers["location"])).text
    assert 'name="amount"' not in page  # and no refund form
    assert (await Order.select(Order.status).where(Order.id == order["id"]).first())["status"] == "cancelled"
    assert await Refund.count() == 0 and await seats_left(performance_id) == 10


async def test_exchanging_complimentary_tickets_costs_and_refunds_nothing(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "2"}, method="complimentary", reason="Critic")
    dearer = await another_performance(performance_id, {"Adult": 3000})
    cheaper = await another_performance(performance_id, {"Adult": 2000})
    first, second = await Ticket.select(Ticket.id).where(Ticket.order == order["id"]).order_by(Ticket.id)

    up, _ = await order_form(
        client, order["id"], "exchange", {"ticket": str(first["id"]), "performance": str(dearer)}
    )
    down, _ = await order_form(
        client, order["id"], "exchange", {"ticket": str(second["id"]), "performance": str(cheaper)}
    )

    assert (up.status_code, down.status_code) == (303, 303)
    assert await Refund.count() == 0 and await Payment.count() == 1
    assert (await Order.select(Order.total).where(Order.id == order["id"]).first())["total"] == 0
    lines = await OrderLine.select(OrderLine.performance, OrderLine.unit_price, OrderLine.face_value).where(
        (OrderLine.order == order["id"]) & (OrderLine.performance != performance_id)
    )
    assert sorted(lines, key=lambda line: line["face_value"]) == [
        {"performance": cheaper, "unit_price": 0, "face_value": 2000},
        {"performance": dearer, "unit_price": 0, "face_value": 3000},
    ]


async def test_a_dearer_exchange_given_away_leaves_what_was_paid(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "1"})
    dearer = await another_performance(performance_id, {"Adult": 3000})
    ticket = await Ticket.select(Ticket.id).where(Ticket.order == order["id"]).first()

    response, _ = await order_form(
        client,
        order["id"],
        "exchange",
        {
            "ticket": str(ticket["id"]),
            "performance": str(dearer),
            "method": "complimentary",
            "reason": "Upgrade",
        },
    )

    assert response.status_code == 303
    payments = await Payment.select(Payment.method, Payment.amount).where(Payment.order == order["id"])
    assert sorted(payments, key=lambda payment: payment["method"]) == [
        {"method": "cash", "amount": 2400},
        {"method": "complimentary", "amount": 0},
    ]
    assert (await Order.select(Order.total).where(Order.id == order["id"]).first())["total"] == 2400
    new_line = await OrderLine.select(OrderLine.unit_price, OrderLine.face_value).where(
        OrderLine.performance == dearer
    )
    assert new_line == [{"unit_price": 2400, "face_value": 3000}]


async def test_a_reservation_given_away_at_the_counter_is_worth_nothing(client, show):
    performance_id, types = show
    await choose(client, performance_id, {types["Adult"]: "2"})
    await check_out(client)
    order = await Order.select().first()
    client.cookies.clear()
    await sign_in(client, await make_staff("box_office_manager"))

    response, _ = await order_form(
        client, order["id"], "pay", {"method": "complimentary", "reason": "Competition winner"}
    )

    assert response.status_code == 303
    paid = await Order.select(Order.status, Order.total).where(Order.id == order["id"]).first()
    assert paid == {"status": "paid", "total": 0}
    assert await OrderLine.select(OrderLine.unit_price, OrderLine.face_value) == [
        {"unit_price": 0, "face_value": 2400}
    ]
    assert (await Payment.select(Payment.method, Payment.amount).first()) == {
        "method": "complimentary",
        "amount": 0,
    }
    assert await Ticket.count().where(Ticket.order == order["id"]) == 2


async def test_the_order_search_says_how_many_match_and_its_pages_keep_the_search_and_status(client, manager):
    for number in range(40):
        await Order(
            reference=f"PAGE{number:04}",
            channel="online",
            status="reserved" if number % 4 == 0 else "paid",  # 30 paid
            first_name="Grace",
            last_name="Hopper" if number < 36 else "Other",  # 27 of the paid ones are Hopper's
            currency="GBP",
            total=1000,
        ).save()

    first = await client.get("/backoffice/orders", params={"q": "hopper", "status": "paid"})
    pager = read_pager(first.text)
    second = await client.get(pager.links["Next"])
    past_the_end = await client.get(
        "/backoffice/orders", params={"q": "hopper", "status": "paid", "page": "7"}
    )

    assert "27 orders match." in first.text
    assert pager.summary == "Showing 1–25 of 27" and pager.label == "Pages of orders"
    assert pager.links["Next"] == "/backoffice/orders?q=hopper&status=paid&page=2"
    assert read_pager(second.text).summary == "Showing 26–27 of 27"
    assert read_pager(second.text).current == "2"
    shown = re.findall(r">(PAGE\d{4})</a>", second.text)
    assert shown == ["PAGE0002", "PAGE0001"]  # newest first: the two oldest paid ones of Hopper's
    assert read_pager(past_the_end.text).summary == "Showing 26–27 of 27"


async def test_cancelling_asks_first_and_can_refund_in_the_same_step(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "2"})
    first, second = (
        await Ticket.select(Ticket.id, Ticket.code).where(Ticket.order == order["id"]).order_by(Ticket.id)
    )

    asked, _ = await order_form(client, order["id"], "cancel", {"ticket": str(first["id"])})
    nothing_chosen, _ = await order_form(client, order["id"], "cancel", {})

    assert asked.status_code == 200
    assert (
        "Cancel 1 ticket of order" in asked.text
        and first["code"] in asked.text
        and second["code"] not in asked.text
    )
    assert ">Cancel and refund £24.00</button>" in asked.text and "Cancel without a refund" in asked.text
    assert nothing_chosen.status_code == 400 and "Choose the tickets to cancel." in nothing_chosen.text
    assert await Ticket.count().where(Ticket.status == "valid") == 2 and await seats_left(performance_id) == 8

    form_key = re.search(r'name="request_key" value="([0-9a-f]{32})"', asked.text).group(1)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', asked.text).group(1)
    confirm = {
        "ticket": str(first["id"]),
        "confirm": "cancel_and_refund",
        "request_key": form_key,
        "_csrf_token": token,
    }
    done = await client.post(f"/backoffice/orders/{order['id']}/cancel", data=confirm)
    again = await client.post(f"/backoffice/orders/{order['id']}/cancel", data=confirm)

    assert done.status_code == 303 and done.headers["location"].endswith("done=cancelled_refunded")
    assert again.status_code == 409 and "Nothing was cancelled" in again.text
    refunds = await Refund.select(Refund.amount, Refund.reason)
    assert refunds == [{"amount": 2400, "reason": "cancellation"}]
    assert await seats_left(performance_id) == 9
    assert (await Ticket.select(Ticket.status).where(Ticket.id == first["id"]).first())[
        "status"
    ] == "cancelled"
    assert await AuditEntry.count().where(AuditEntry.action == "order.tickets_cancelled") == 1


async def test_the_order_page_links_the_buyer_and_tells_the_change_only_at_the_sale(client, manager, show):
    performance_id, types = show
    grace = await make_contact()
    order = await sell(client, performance_id, {types["Adult"]: "1"}, contact=str(grace), tendered="30.00")

    at_sale = (await client.get(f"/backoffice/orders/{order['id']}?done=sold")).text
    noted, _ = await order_form(client, order["id"], "notes", {"note": "Collected by her son"})
    after_note = (await client.get(noted.headers["location"])).text

    assert 'id="change-due">£6.00</strong>' in at_sale
    assert "The note has been added." in after_note and "change-due" not in after_note
    assert f'<a href="/crm/contacts/{grace}">Grace Hopper</a>' in at_sale
