"""Buying through the storefront in tests, as a buyer's browser does."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from boxoffice.sales.tables import Performance
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
