"""Selling at the counter in tests, as an operator's browser does."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from boxoffice.crm.contacts import ContactDetails, upsert_contact
from boxoffice.marketing.questions import current_question
from boxoffice.marketing.tables import ConsentQuestion, QuestionKind
from boxoffice.sales.tables import Order
from tests.support.staff import post_form

NOW = datetime.now(UTC)
SALE_KEY_INPUT = re.compile(r'name="sale_key" value="([0-9a-f]{32})"')


async def add_to_basket(
    client: httpx.AsyncClient, performance_id: int, quantities: dict[int, str], **state: str
) -> httpx.Response:
    fields = {f"quantity_{type_id}": count for type_id, count in quantities.items()}
    return await post_form(
        client,
        "/backoffice/sell/hold",
        {"performance": str(performance_id), **fields, **state},
        form_page=f"/backoffice/sell?performance={performance_id}",
    )


async def complete_sale(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    """Submit the payment form of the sell screen (cash for the exact amount unless told otherwise)."""
    page = (await client.get("/backoffice/sell")).text
    sale_key = SALE_KEY_INPUT.search(page).group(1) if SALE_KEY_INPUT.search(page) else ""
    return await post_form(
        client,
        "/backoffice/sell/complete",
        {"method": "cash", "sale_key": sale_key, **fields},
        form_page="/backoffice/sell",
    )


async def sell(
    client: httpx.AsyncClient, performance_id: int, quantities: dict[int, str], **fields: str
) -> dict:
    """A whole counter sale; returns the order it made."""
    assert (await add_to_basket(client, performance_id, quantities)).status_code == 303
    response = await complete_sale(client, **fields)
    assert response.status_code == 303, response.text
    order_id = int(re.search(r"/backoffice/orders/(\d+)", response.headers["location"]).group(1))
    return await Order.select().where(Order.id == order_id).first()


async def make_contact(
    first_name: str = "Grace", last_name: str = "Hopper", email: str = "grace@example.org", **more: str
) -> int:
    return await upsert_contact(ContactDetails(first_name, last_name, email, **more), NOW)


async def switch_off_box_office_question() -> None:
    """A new version of the back-office question, switched off (as the storefront settings page saves it)."""
    current = await current_question(QuestionKind.BOX_OFFICE)
    await ConsentQuestion.insert(
        ConsentQuestion(
            kind=QuestionKind.BOX_OFFICE, version=current.version + 1, text=current.text, enabled=False
        )
    )
