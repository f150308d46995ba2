"""A seated show to buy from in tests, and choosing seats as a buyer's browser does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx

from boxoffice.sales.tables import PerformanceSeat, TicketType
from tests.support.catalog import make_event, make_seated_performance, make_seating_plan, make_venue
from tests.support.staff import csrf_token


@dataclass(frozen=True, slots=True)
class SeatedShow:
    performance_id: int
    seats: dict[str, int]  # "A5" (row and seat) -> id, in the plan's first section
    types: dict[str, int]  # ticket type name -> id


async def make_seated_show(
    starts_at: datetime, sections: dict[str, tuple[int, int]] | None = None, *, slug: str = "hamlet"
) -> SeatedShow:
    """Stalls of 4 rows of 8 by default (rows A-B zone A, C-D zone B); Adult £32/£24, Concession
    £28/£20. `seats` names the first section's seats."""
    sections = sections or {"Stalls": (4, 8)}
    venue = await make_venue(slug)
    plan = await make_seating_plan(venue, sections)
    event = await make_event(venue, slug, slug.title())
    performance = await make_seated_performance(
        event, starts_at, plan, {"Adult": {"A": 3200, "B": 2400}, "Concession": {"A": 2800, "B": 2000}}
    )
    first = next(iter(sections))
    seats = {
        f"{row['row']}{row['label']}": row["id"]
        for row in await PerformanceSeat.select(
            PerformanceSeat.id, PerformanceSeat.row, PerformanceSeat.label
        ).where((PerformanceSeat.performance == performance.id) & (PerformanceSeat.section == first))
    }
    types = {
        row["name"]: row["id"]
        for row in await TicketType.select(TicketType.id, TicketType.name).where(
            TicketType.performance == performance.id
        )
    }
    return SeatedShow(performance.id, seats, types)


async def choose_seats(
    client: httpx.AsyncClient, performance_id: int, seat_types: list[tuple[int, int]]
) -> httpx.Response:
    """Post the chosen seats, each with its ticket type, as the seat page's form does."""
    token = await seat_form_token(client, performance_id)
    fields = [("_csrf_token", token)]
    for seat, type_id in seat_types:
        fields += [("seat", str(seat)), (f"type_{seat}", str(type_id))]
    return await client.post(f"/performances/{performance_id}/seats", data=form_data(fields))


async def add_seats(client: httpx.AsyncClient, performance_id: int, seat_types: list[tuple[int, int]]):
    """Add seats, each with its ticket type, to the counter's basket as the sell screen's form does."""
    page = f"/backoffice/sell?performance={performance_id}&seat={seat_types[0][0]}"
    token = await csrf_token(client, page)
    fields = [("_csrf_token", token), ("performance", str(performance_id))]
    for seat, type_id in seat_types:
        fields += [("seat", str(seat)), (f"type_{seat}", str(type_id))]
    return await client.post("/backoffice/sell/seats", data=form_data(fields))


def form_data(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Fields in order, some named more than once, as httpx posts them."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data


async def seat_form_token(client: httpx.AsyncClient, performance_id: int) -> str:
    """The CSRF token of the seat page's form, which is there once a seat is chosen."""
    return await csrf_token(client, f"/performances/{performance_id}?best=1")


async def seat_states(performance_id: int) -> dict[int, str]:
    return {
        row["id"]: row["state"]
        for row in await PerformanceSeat.select(PerformanceSeat.id, PerformanceSeat.state).where(
            PerformanceSeat.performance == performance_id
        )
    }
