"""Buying through the storefront in tests, as a buyer's browser does, and the fixtures for it: a show
with two ticket types, and the app wired to a fake Stripe. Registered as a plugin in tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from boxoffice.config import get_settings
from boxoffice.sales.tables import Order, Performance, TicketType
from tests.support.app import app_client
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.fake_stripe import FakeStripe
from tests.support.staff import csrf_token

SHOW_TIME = datetime(2030, 3, 14, 19, 30, tzinfo=UTC)
BUYER = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "Ada@Example.org",
    "phone": "+44 117 496 0000",
    "postcode": "BS1 4DJ",
    "accept_terms": "yes",
}


async def choose(
    client: httpx.AsyncClient, performance_id: int, quantities: dict[int, str]
) -> httpx.Response:
    token = await csrf_token(client, f"/performances/{performance_id}")
    fields = {f"quantity_{type_id}": count for type_id, count in quantities.items()}
    return await client.post(f"/performances/{performance_id}/hold", data={**fields, "_csrf_token": token})


async def check_out(client: httpx.AsyncClient, **overrides: str) -> httpx.Response:
    """Submit the checkout form; a page without the form (an empty basket) still carries the token in its
    cookie, as a buyer's browser would from their earlier visit."""
    await client.get("/checkout")
    token = client.cookies["boxoffice_csrf"]
    return await client.post("/checkout", data={**BUYER, **overrides, "_csrf_token": token})


async def seats_left(performance_id: int) -> int:
    row = await Performance.select(Performance.available).where(Performance.id == performance_id).first()
    return row["available"]


async def paid_order(
    client: httpx.AsyncClient,
    performance_id: int,
    quantities: dict[int, str],
    stripe: FakeStripe,
    **buyer: str,
) -> dict:
    """Choose, check out (as BUYER, with `buyer`'s fields instead where given) and pay through the fake
    Stripe, whose signed webhook fulfils the order."""
    await choose(client, performance_id, quantities)
    await check_out(client, **buyer)
    order = await Order.select().order_by(Order.id, ascending=False).first()
    payload, signature = stripe.webhook_event(
        "checkout.session.completed", stripe.complete_session(order["stripe_session"])
    )
    response = await client.post("/webhooks/stripe", content=payload, headers={"stripe-signature": signature})
    assert response.status_code == 200
    return order


@pytest.fixture
async def show(database) -> tuple[int, dict[str, int]]:
    """A performance with 10 seats: its id, and its ticket types' ids by name."""
    hall = await make_venue()
    event = await make_event(hall, "the-tempest", "The Tempest")
    performance = await make_performance(event, SHOW_TIME, {"Adult": 2400, "Concession": 1800}, capacity=10)
    types = {row["name"]: row["id"] for row in await TicketType.select(TicketType.id, TicketType.name)}
    return performance.id, types


@pytest.fixture
async def shop(database, fake_stripe: FakeStripe) -> AsyncIterator[httpx.AsyncClient]:
    settings = replace(
        get_settings(),
        stripe_secret_key=fake_stripe.secret_key,
        stripe_webhook_secret=fake_stripe.webhook_secret,
        stripe_api_base=fake_stripe.url,
    )
    async with app_client(settings) as client:
        yield client
