"""Fixtures for buying: a show with two ticket types, and the app wired to a fake Stripe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from boxoffice.config import get_settings
from boxoffice.sales.tables import TicketType
from tests.integration.conftest import app_client
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.fake_stripe import FakeStripe, fake_stripe_fixture  # noqa: F401 - the fake_stripe fixture
from tests.support.shop import SHOW_TIME


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
