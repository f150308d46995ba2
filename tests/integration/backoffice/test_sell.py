"""The sell screen: a performance, tickets, the customer (or a walk-in), the marketing question and
payment, through HTTP as an operator works."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.records import lifetime_spend
from boxoffice.crm.tables import Contact, ContactNote
from boxoffice.mail.tables import OutboxMessage
from boxoffice.marketing.questions import current_question
from boxoffice.marketing.tables import ConsentRecord, QuestionKind
from boxoffice.money import Money
from boxoffice.sales.holds import HoldRefused, hold_tickets
from boxoffice.sales.tables import Hold, Order, OrderLine, Payment, Performance, Ticket, TicketType
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.counter import (
    NOW,
    add_to_basket,
    complete_sale,
    make_contact,
    sell,
    switch_off_box_office_question,
)
from tests.support.shop import SHOW_TIME, seats_left
from tests.support.staff import csrf_token, make_staff, post_form, sign_in


@pytest.fixture
async def big_show(database) -> tuple[int, dict[str, int]]:
    """A performance with 100 seats: its id, and its ticket types' ids by name."""
    event = await make_event(await make_venue(), "the-crucible", "The Crucible")
    performance = await make_performance(event, SHOW_TIME, {"Adult": 2400, "Concession": 1800}, capacity=100)
    types = await TicketType.select(TicketType.id, TicketType.name).where(
        TicketType.performance == performance.id
    )
    return performance.id, {row["name"]: row["id"] for row in types}


@pytest.fixture
async def operator(client):
    staff = await make_staff("box_office_operator", name="Olive Operator", enrolled=False)
    await sign_in(client, staff)
    return staff


async def test_a_walk_in_pays_cash_and_gets_change_with_no_personal_data_kept(client, operator, show):
    performance_id, types = show

    order = await sell(
        client, performance_id, {types["Adult"]: "2", types["Concession"]: "1"}, tendered="£70"
    )

    assert (order["channel"], order["status"], order["total"]) == ("box_office", "paid", 6600)
    assert (order["contact"], order["first_name"], order["email"], order["phone"]) == (None, "", "", "")
    payment = await Payment.select().where(Payment.order == order["id"]).first()
    assert (payment["method"], payment["amount"], payment["tendered"], payment["staff"]) == (
        "cash",
        6600,
        7000,
        operator.id,
    )
    assert await Ticket.count().where(Ticket.order == order["id"]) == 3
    assert await seats_left(performance_id) == 7
    assert not await Hold.exists()
    page = (await client.get(f"/backoffice/orders/{order['id']}?done=sold")).text
    assert "Sale complete" in page and 'Change due: <strong id="change-due">£4.00</strong>' in page
    assert f"/backoffice/orders/{order['id']}/tickets.pdf" in page
    assert await AuditEntry.exists().where(
        (AuditEntry.action == "order.sold") & (AuditEntry.object_id == str(order["id"]))
    )


async def test_the_basket_holds_seats_like_an_online_hold_and_can_be_emptied(client, operator, show):
    performance_id, types = show

    response = await add_to_basket(client, performance_id, {types["Adult"]: "4"})

    assert response.status_code == 303
    assert await seats_left(performance_id) == 6
    page = (await client.get(response.headers["location"])).text
    assert 'id="basket-total">£96.00' in page
    await post_form(client, "/backoffice/sell/empty", {}, form_page="/backoffice/sell")
    assert await seats_left(performance_id) == 10


async def test_more_tickets_than_are_left_are_refused_and_nothing_is_held(client, operator, show):
    performance_id, types = show

    response = await add_to_basket(client, performance_id, {types["Adult"]: "11"}, confirm_large="11")

    assert response.status_code == 409
    assert "not enough tickets left" in response.text
    assert await seats_left(performance_id) == 10
    for bad in ("-1", "two"):
        refused = await add_to_basket(client, performance_id, {types["Adult"]: bad})
        assert refused.status_code == 400 and "as a number" in refused.text


async def test_more_than_ten_at_once_are_held_only_once_the_operator_confirms_the_number(
    client, operator, big_show
):
    performance_id, types = big_show

    asked = await add_to_basket(client, performance_id, {types["Adult"]: "20"})

    assert asked.status_code == 200
    assert "That is 20 tickets in one go. Is that right?" in asked.text
    assert 'value="20"' in asked.text  # the number typed is kept for the answer
    assert await seats_left(performance_id) == 100
    stale = await add_to_basket(client, performance_id, {types["Adult"]: "30"}, confirm_large="20")
    assert "That is 30 tickets in one go." in stale.text and await seats_left(performance_id) == 100

    confirmed = await add_to_basket(client, performance_id, {types["Adult"]: "20"}, confirm_large="20")

    assert confirmed.status_code == 303
    assert await seats_left(performance_id) == 80


async def test_ten_or_fewer_and_empty_fields_need_no_confirmation(client, operator, big_show):
    performance_id, types = big_show

    response = await add_to_basket(client, performance_id, {types["Adult"]: "10", types["Concession"]: ""})

    assert response.status_code == 303
    assert await seats_left(performance_id) == 90


async def test_a_quantity_past_the_counters_limit_says_what_the_limit_is(client, operator, big_show):
    performance_id, types = big_show

    response = await add_to_basket(client, performance_id, {types["Adult"]: "1000000000"})

    assert response.status_code == 400
    assert "You can buy at most 200 tickets in one order." in response.text
    assert await seats_left(performance_id) == 100


async def test_the_sell_screen_shows_live_availability_and_today_first(client, operator, show):
    performance_id, types = show
    page = (await client.get("/backoffice/sell")).text
    assert "The Tempest" in page and f"/backoffice/sell?performance={performance_id}" in page
    assert 'id="field-find"' in page and "autofocus" in page

    await add_to_basket(client, performance_id, {types["Adult"]: "3"})
    page = (await client.get(f"/backoffice/sell?performance={performance_id}")).text

    left = re.search(rf'id="left-{types["Adult"]}" class="seats-left">(\d+)<', page).group(1)
    assert left == "7"
    assert 'hx-trigger="every 5s"' in page
    assert (await client.get("/backoffice/sell?find=nothing-like-it")).text.count(
        "No performances on sale"
    ) == 1


@pytest.mark.parametrize(
    ("tendered", "message"),
    [
        ("10", "The cash tendered is less than the amount due."),
        ("-30", "Enter an amount of zero or more."),
        ("lots", "Enter an amount such as 20.00."),
        ("20.505", "at most 2 decimals"),
    ],
)
async def test_bad_cash_is_refused_and_the_basket_is_kept(client, operator, show, tendered, message):
    performance_id, types = show
    await add_to_basket(client, performance_id, {types["Adult"]: "1"})

    response = await complete_sale(client, tendered=tendered)

    assert response.status_code == 400
    assert message in response.text
    assert await Order.count() == 0 and await Payment.count() == 0
    assert await Hold.exists() and await seats_left(performance_id) == 9


async def test_card_terminal_payments_need_the_receipt_reference(client, operator, show):
    performance_id, types = show
    await add_to_basket(client, performance_id, {types["Adult"]: "1"})

    refused = await complete_sale(client, method="card_terminal")
    assert refused.status_code == 400 and "reference on the card terminal" in refused.text

    response = await complete_sale(client, method="card_terminal", terminal_reference="AUTH 0042")
    assert response.status_code == 303
    payment = await Payment.select().first()
    assert (payment["method"], payment["provider_reference"], payment["amount"]) == (
        "card_terminal",
        "AUTH 0042",
        2400,
    )


async def test_complimentary_tickets_need_their_own_permission_and_a_reason(client, operator, show):
    performance_id, types = show
    await add_to_basket(client, performance_id, {types["Adult"]: "2"})

    refused = await complete_sale(client, method="complimentary", reason="Press night")
    assert refused.status_code == 400 and "You may not give complimentary tickets" in refused.text
    assert 'value="complimentary"' not in (await client.get("/backoffice/sell")).text
    assert await Order.count() == 0

    client.cookies.clear()
    await sign_in(client, await make_staff("box_office_manager", email="manager@venue.example"))
    await add_to_basket(client, performance_id, {types["Adult"]: "2"})
    no_reason = await complete_sale(client, method="complimentary")
    assert no_reason.status_code == 400 and "Say why these tickets are complimentary" in no_reason.text

    response = await complete_sale(client, method="complimentary", reason="Press night")
    assert response.status_code == 303
    payment = await Payment.select().first()
    assert (payment["method"], payment["amount"], payment["reason"]) == ("complimentary", 0, "Press night")


async def test_complimentary_tickets_are_worth_nothing_and_keep_their_face_value(client, show):
    performance_id, types = show
    await sign_in(client, await make_staff("admin"))
    grace = await make_contact()
    paid = await sell(client, performance_id, {types["Adult"]: "1"}, contact=str(grace))
    assert await lifetime_spend(grace) == [Money("GBP", 2400)]

    comp = await sell(
        client,
        performance_id,
        {types["Adult"]: "2"},
        contact=str(grace),
        method="complimentary",
        reason="Critic",
    )

    assert (paid["total"], comp["total"]) == (2400, 0)
    [line] = await OrderLine.select(OrderLine.quantity, OrderLine.unit_price, OrderLine.face_value).where(
        OrderLine.order == comp["id"]
    )
    assert line == {"quantity": 2, "unit_price": 0, "face_value": 2400}
    [payment] = await Payment.select(Payment.amount).where(Payment.order == comp["id"])
    assert payment["amount"] == 0
    assert await lifetime_spend(grace) == [Money("GBP", 2400)]
    record = (await client.get(f"/crm/contacts/{grace}")).text
    assert "<dt>Lifetime spend</dt><dd>£24.00</dd>" in record


async def test_the_customer_search_finds_contacts_by_name_e_mail_phone_or_postcode(client, operator, show):
    grace = await make_contact(phone="0117 496 0123", postcode="BS1 5TR")
    await make_contact("Ada", "Lovelace", "ada@example.org")

    for query in ("hopper", "GRACE@example", "01174960123", "bs15tr"):
        page = (await client.get(f"/backoffice/sell?who={query}")).text
        results = re.search(r'<div id="customer-results".*?</div>', page, re.S).group(0)
        assert f"contact={grace}" in results and "Lovelace" not in results, query
        assert "0117 496 0123" in results and "BS1 5TR" in results

    page = (await client.get(f"/backoffice/sell?contact={grace}")).text
    assert "Venue marketing: <strong>Opt out</strong>" in page
    assert "Grace Hopper" in page


async def test_a_new_customer_is_added_inline_and_a_known_e_mail_offers_that_contact(client, operator, show):
    response = await post_form(
        client,
        "/backoffice/sell/contacts",
        {"first_name": "Alan", "last_name": "Turing", "email": "", "phone": "", "postcode": ""},
        form_page="/backoffice/sell",
    )
    assert response.status_code == 303
    alan = await Contact.select().where(Contact.last_name == "Turing").first()
    assert alan["email"] == "" and f"contact={alan['id']}" in response.headers["location"]
    assert await AuditEntry.exists().where(AuditEntry.action == "contact.created")

    grace = await make_contact()
    taken = await post_form(
        client,
        "/backoffice/sell/contacts",
        {"first_name": "G", "last_name": "H", "email": "Grace@Example.org"},
        form_page="/backoffice/sell",
    )
    assert taken.status_code == 409
    assert "already belongs to a customer" in taken.text and f"?contact={grace}" in taken.text
    assert await Contact.count() == 2

    nameless = await post_form(
        client, "/backoffice/sell/contacts", {"email": "x@example.org"}, form_page="/backoffice/sell"
    )
    assert nameless.status_code == 400 and "Enter the customer&#39;s name." in nameless.text


async def test_a_contact_who_says_yes_is_opted_in_with_the_note_in_the_sales_transaction(
    client, operator, show
):
    performance_id, types = show
    grace = await make_contact()
    question = await current_question(QuestionKind.BOX_OFFICE)

    order = await sell(
        client,
        performance_id,
        {types["Adult"]: "1"},
        contact=str(grace),
        marketing="yes",
        marketing_note="Agreed in person at the box office",
        email_tickets="yes",
    )

    assert (order["contact"], order["first_name"], order["email"]) == (grace, "Grace", "grace@example.org")
    record = await ConsentRecord.select().where(ConsentRecord.contact == grace).first()
    assert (record["channel"], record["granted"], record["source"], record["actor"]) == (
        "email",
        True,
        "box_office",
        operator.id,
    )
    assert (record["question"], record["wording"], record["wording_version"]) == (
        question.id,
        question.text,
        question.version,
    )
    assert record["note"] == "Agreed in person at the box office" and record["ip"] == "127.0.0.1"
    note = await ContactNote.select().where(ContactNote.contact == grace).first()
    assert (note["text"], note["author"]) == ("Agreed in person at the box office", operator.id)
    assert await OutboxMessage.count() == 1
    page = (await client.get(f"/backoffice/sell?contact={grace}")).text
    assert "Venue marketing: <strong>Opt in</strong>" in page
    assert "Agreed in person at the box office" in page and "Olive Operator" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"marketing": "yes", "marketing_note": "  "}, "Add a note saying how the customer agreed."),
        (
            {"marketing": "yes", "marketing_note": "Said yes", "contact": ""},
            "A walk-in customer cannot be opted in",
        ),
    ],
)
async def test_an_opt_in_without_a_note_or_for_a_walk_in_is_refused_and_nothing_is_sold(
    client, operator, show, fields, message
):
    performance_id, types = show
    grace = await make_contact()
    await add_to_basket(client, performance_id, {types["Adult"]: "1"})

    response = await complete_sale(client, **{"contact": str(grace), **fields})

    assert response.status_code == 400 and message in response.text
    assert await Order.count() == 0 and await ConsentRecord.count() == 0 and await ContactNote.count() == 0
    assert await Hold.exists()


async def test_with_the_question_switched_off_nobody_can_be_opted_in(client, operator, show):
    performance_id, types = show
    grace = await make_contact()
    await switch_off_box_office_question()
    page = (await client.get(f"/backoffice/sell?contact={grace}")).text
    assert "Marketing question" not in page
    await add_to_basket(client, performance_id, {types["Adult"]: "1"}, contact=str(grace))

    response = await complete_sale(client, contact=str(grace), marketing="yes", marketing_note="Said yes")
    alone = await post_form(
        client,
        "/backoffice/sell/marketing",
        {"contact": str(grace), "marketing": "yes", "marketing_note": "Said yes"},
        form_page="/backoffice/sell",
    )

    assert response.status_code == 400 and "switched off" in response.text
    assert alone.status_code == 400 and "switched off" in alone.text
    assert await ConsentRecord.count() == 0 and await Order.count() == 0


async def test_consent_can_be_recorded_for_a_chosen_contact_without_a_sale(client, operator, show):
    grace = await make_contact()

    response = await post_form(
        client,
        "/backoffice/sell/marketing",
        {"contact": str(grace), "marketing": "yes", "marketing_note": "Asked on the phone"},
        form_page=f"/backoffice/sell?contact={grace}",
    )

    assert response.status_code == 303
    assert await ConsentRecord.count() == 1
    assert await AuditEntry.exists().where(
        (AuditEntry.action == "consent.box_office_opt_in") & (AuditEntry.object_id == str(grace))
    )


async def test_selling_needs_the_sell_permission(client, show):
    performance_id, types = show
    await sign_in(client, await make_staff("door_staff", enrolled=False))
    token = await csrf_token(client, "/backoffice/checkin")

    assert (await client.get("/backoffice/sell")).status_code == 403
    response = await client.post(
        "/backoffice/sell/hold",
        data={"performance": str(performance_id), f"quantity_{types['Adult']}": "1", "_csrf_token": token},
    )
    assert response.status_code == 403
    assert await seats_left(performance_id) == 10


async def test_a_contact_with_restricted_processing_cannot_be_opted_in(client, operator, show):
    grace = await make_contact()
    await Contact.update({Contact.restricted: True}).where(Contact.id == grace)

    page = (await client.get(f"/backoffice/sell?contact={grace}")).text
    response = await post_form(
        client,
        "/backoffice/sell/marketing",
        {"contact": str(grace), "marketing": "yes", "marketing_note": "Said yes"},
        form_page="/backoffice/sell",
    )

    assert "Restricted processing" in page and "Marketing question" not in page
    assert response.status_code == 400 and "cannot be opted in" in response.text
    assert await ConsentRecord.count() == 0 and await ContactNote.count() == 0


async def test_the_box_office_sells_on_the_door_after_online_sales_close(client, operator, show):
    performance_id, types = show
    await Performance.update({Performance.sales_end: NOW - timedelta(hours=1)}).where(
        Performance.id == performance_id
    )

    page = (await client.get(f"/backoffice/sell?performance={performance_id}")).text
    order = await sell(client, performance_id, {types["Adult"]: "1"})

    assert "Online sales are closed; the box office can still sell" in page
    assert order["status"] == "paid" and await seats_left(performance_id) == 9
    with pytest.raises(HoldRefused, match="not on sale"):
        await hold_tickets(
            "a buyer", performance_id, {types["Adult"]: 1}, hold_minutes=15, max_per_order=9, now=NOW
        )
    assert await seats_left(performance_id) == 9


async def test_a_sale_submitted_twice_sells_once_and_shows_the_same_order(client, operator, show):
    performance_id, types = show
    await add_to_basket(client, performance_id, {types["Adult"]: "2"})
    page = (await client.get("/backoffice/sell")).text
    fields = {
        "method": "cash",
        "tendered": "50",
        "sale_key": re.search(r'name="sale_key" value="([0-9a-f]{32})"', page).group(1),
        "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1),
    }

    first = await client.post("/backoffice/sell/complete", data=fields)
    second = await client.post("/backoffice/sell/complete", data=fields)
    stale = await client.post("/backoffice/sell/complete", data={**fields, "sale_key": "0" * 32})

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await Order.count() == 1 and await Payment.count() == 1 and await seats_left(performance_id) == 8
    assert stale.status_code == 400 and "The basket is empty" in stale.text

    await add_to_basket(client, performance_id, {types["Adult"]: "1"})  # the next customer's basket
    replayed = await client.post("/backoffice/sell/complete", data=fields)  # the old form, sent from history

    assert replayed.status_code == 303 and replayed.headers["location"] == first.headers["location"]
    assert await Order.count() == 1 and await seats_left(performance_id) == 7  # the new basket still holds


def focused(page: str) -> list[str]:
    """The ids (or classes) of the elements that take focus as the page opens."""
    tags = re.findall(r"<[a-z]+\b[^>]*\sautofocus\b[^>]*>", page)
    return [
        (re.search(r'\bid="([^"]+)"', tag) or re.search(r'\bclass="([^"]+)"', tag)).group(1) for tag in tags
    ]


async def test_enter_in_a_search_picks_its_first_result_and_keeps_the_rest_of_the_sale(
    client, operator, show
):
    performance_id, types = show
    grace = await make_contact()
    await make_contact("Grace", "Zephyr", "zephyr@example.org")

    performance = await client.get(f"/backoffice/sell?find=tempest&pick=find&contact={grace}")
    customer = await client.get(f"/backoffice/sell?who=grace&pick=who&performance={performance_id}")
    nothing = await client.get("/backoffice/sell?find=nothing-like-it&pick=find")
    no_customer = await client.get(f"/backoffice/sell?who=&pick=who&performance={performance_id}")
    listed = await client.get("/backoffice/sell?find=tempest")

    assert performance.status_code == customer.status_code == 303
    assert performance.headers["location"] == f"/backoffice/sell?performance={performance_id}&contact={grace}"
    assert customer.headers["location"] == f"/backoffice/sell?performance={performance_id}&contact={grace}"
    assert nothing.status_code == 200 and "No performances on sale match" in nothing.text
    assert focused(nothing.text) == ["field-find"]
    assert focused(no_customer.text) == [f"quantity-{types['Adult']}"]  # the performance kept, nobody picked
    assert listed.status_code == 200 and 'data-query="tempest"' in listed.text


async def test_each_step_of_a_sale_puts_the_cursor_on_the_next(client, operator, show):
    performance_id, types = show
    grace = await make_contact()
    adult = f"quantity-{types['Adult']}"

    assert focused((await client.get("/backoffice/sell")).text) == ["field-find"]
    assert focused((await client.get(f"/backoffice/sell?performance={performance_id}")).text) == [adult]
    await add_to_basket(client, performance_id, {types["Adult"]: "2"})
    assert focused((await client.get(f"/backoffice/sell?performance={performance_id}")).text) == ["field-who"]
    with_customer = (await client.get(f"/backoffice/sell?performance={performance_id}&contact={grace}")).text
    assert focused(with_customer) == ["field-marketing"]
    assert re.search(r'<input type="radio" id="field-marketing" name="marketing" value="no"\s', with_customer)
    assert not re.search(r'name="marketing" value="[a-z]+" checked', with_customer)  # unanswered
    await switch_off_box_office_question()
    no_question = (await client.get(f"/backoffice/sell?performance={performance_id}&contact={grace}")).text
    assert focused(no_question) == ["field-tendered"]


async def test_a_refused_form_puts_the_cursor_in_the_field_in_error_and_a_no_opts_nobody_in(
    client, operator, show
):
    performance_id, types = show
    grace = await make_contact()
    await add_to_basket(client, performance_id, {types["Adult"]: "2"})

    cash = await complete_sale(client, contact=str(grace), marketing="no", tendered="10")
    note = await complete_sale(client, contact=str(grace), marketing="yes", method="card_terminal",
                               terminal_reference="AUTH 1")  # fmt: skip
    expired = await complete_sale(client, sale_key="")

    assert cash.status_code == note.status_code == expired.status_code == 400
    assert focused(cash.text) == ["field-tendered"] and cash.headers["hx-push-url"] == "false"
    assert 'value="no" checked' in cash.text
    assert focused(note.text) == ["field-marketing_note"]
    assert 'value="card_terminal" checked' in note.text  # the chosen method, whose fields show
    assert focused(expired.text) == ["error-summary"]
    assert await Order.count() == 0

    sold = await complete_sale(client, contact=str(grace), marketing="no", marketing_note="Left in the box")

    assert sold.status_code == 303  # a no (with a stray note) opts nobody in
    assert await ConsentRecord.count() == 0 and await ContactNote.count() == 0


async def test_the_hold_shows_the_seconds_it_has_left_for_the_countdown(client, operator, show):
    performance_id, types = show
    await add_to_basket(client, performance_id, {types["Adult"]: "1"})

    page = (await client.get("/backoffice/sell")).text

    held = re.search(r'<time data-countdown="(\d+)" datetime="([^"]+)">until (\d\d:\d\d)</time>', page)
    assert held and 30 * 60 - 60 <= int(held.group(1)) <= 30 * 60
    assert held.group(2).startswith(NOW.date().isoformat()[:4])
