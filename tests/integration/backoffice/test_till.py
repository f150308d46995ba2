"""The till summary: each operator's takings and refunds on a day, by payment method, for cashing up."""

from __future__ import annotations

import re
from datetime import timedelta

from boxoffice.sales.tables import Payment
from tests.support.counter import NOW, sell
from tests.support.shop import paid_order
from tests.support.staff import make_staff, post_form, sign_in


def till_rows(page: str, operator: str) -> dict[str, list[str]]:
    """The operator's table as {method: [payments, taken, refunds, refunded, net]}."""
    table = re.search(rf"<h2>{operator}</h2>\s*<table.*?</table>", page, re.S).group(0)
    rows = re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', table, re.S)
    return {method: re.findall(r"<td>([^<]*)</td>", cells) for method, cells in rows}


async def test_the_till_shows_each_operators_sales_and_refunds_by_method(shop, show, fake_stripe):
    performance_id, types = show
    await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)  # online: not in the till
    shop.cookies.clear()
    olive = await make_staff("box_office_operator", name="Olive Operator", enrolled=False)
    await sign_in(shop, olive)
    await sell(shop, performance_id, {types["Adult"]: "2"}, tendered="50")
    await sell(shop, performance_id, {types["Concession"]: "1"})
    await sell(shop, performance_id, {types["Adult"]: "1"}, method="card_terminal", terminal_reference="A1")
    shop.cookies.clear()
    mo = await make_staff("box_office_manager", name="Mo Manager")
    await sign_in(shop, mo)
    comp = await sell(shop, performance_id, {types["Adult"]: "1"}, method="complimentary", reason="Critic")
    cash = await Payment.select().where(Payment.method == "cash").order_by(Payment.id).first()
    await post_form(
        shop,
        f"/backoffice/orders/{cash['order']}/refund",
        {"payment": str(cash["id"]), "amount": "5", "request_key": "a" * 32},
        form_page=f"/backoffice/orders/{cash['order']}",
    )

    page = (await shop.get("/backoffice/till")).text

    assert till_rows(page, "Olive Operator") == {
        "Cash": ["2", "£66.00", "0", "£0.00", "£66.00"],
        "Card terminal": ["1", "£24.00", "0", "£0.00", "£24.00"],
    }
    assert till_rows(page, "Mo Manager") == {
        "Cash": ["0", "£0.00", "1", "£5.00", "-£5.00"],
        "Complimentary": ["1", "£0.00", "0", "£0.00", "£0.00"],
    }
    assert '<th scope="row">Online (Stripe)</th>' not in page and comp["total"] == 0
    only_olive = (await shop.get(f"/backoffice/till?operator={olive.id}")).text
    assert "Olive Operator</h2>" in only_olive and "Mo Manager</h2>" not in only_olive
    yesterday = (await shop.get(f"/backoffice/till?day={(NOW - timedelta(days=1)).date().isoformat()}")).text
    assert "No money was taken or refunded" in yesterday
    bad_day = await shop.get("/backoffice/till?day=soon")
    assert bad_day.status_code == 200 and "not a date" in bad_day.text


async def test_the_till_needs_its_permission(client):
    await sign_in(client, await make_staff("door_staff", enrolled=False))
    assert (await client.get("/backoffice/till")).status_code == 403


async def test_an_online_payment_refunded_by_staff_is_its_own_line_and_the_page_says_so(
    shop, show, fake_stripe
):
    performance_id, types = show
    order = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)
    shop.cookies.clear()
    mo = await make_staff("box_office_manager", name="Mo Manager")
    await sign_in(shop, mo)
    online = await Payment.select().where(Payment.order == order["id"]).first()
    refunded = await post_form(
        shop,
        f"/backoffice/orders/{order['id']}/refund",
        {"payment": str(online["id"]), "amount": "10", "request_key": "b" * 32},
        form_page=f"/backoffice/orders/{order['id']}",
    )
    assert refunded.status_code == 303

    page = (await shop.get("/backoffice/till")).text

    assert till_rows(page, "Mo Manager") == {"Online (Stripe)": ["0", "£0.00", "1", "£10.00", "-£10.00"]}
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Payments buyers made online are settled by Stripe and are not counted;" in text
    assert "refunds of them made by staff are, on the Online (Stripe) line" in text
