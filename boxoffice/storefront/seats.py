"""Choosing seats of a seated performance: on its map, from a list without script, or best available.

The choice lives in the address (`?seat=12&seat=13`, or `?best=2&zone=A`, which chooses for the buyer),
so every step is an ordinary GET that works without script and can be reloaded; with script the map
toggles the list's boxes and htmx swaps in the chosen seats' prices as the buyer clicks. Holding the
seats is a POST (`sales.seating.claims`), then checkout goes on as for any basket.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from litestar import Request, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from boxoffice.sales import catalog, holds
from boxoffice.sales.seating.claims import SeatChoice, hold_seats
from boxoffice.sales.seating.maps import SeatMap, offer_best, seat_map
from boxoffice.storefront.baskets import BASKET_COOKIE, basket_cookie
from boxoffice.venue.settings import storefront_settings
from boxoffice.web.dependencies import AppSettings
from boxoffice.web.forms import parse_seat_ids, parse_seat_types

NO_SEATS_TOGETHER = "There are not {} seats together{}; try fewer, or another zone, or choose on the map."


def best_choice(map_: SeatMap, count_text: str, zone: str, most: int) -> tuple[list[int], str]:
    """The seats best available offers for `?best=N&zone=Z`, or why none."""
    count = int(count_text) if count_text.isascii() and count_text.isdigit() and len(count_text) < 4 else 0
    if not 1 <= count <= most:
        return [], f"Choose from 1 to {most} seats."
    if zone and zone not in map_.zones:
        return [], "Choose one of the zones listed."
    chosen = offer_best(map_.seats, count, {zone} if zone else None)
    if chosen is None:
        return [], NO_SEATS_TOGETHER.format(count, f" in zone {zone}" if zone else "")
    return chosen, ""


async def seated_page(
    request: Request,
    performance_id: int,
    map_: SeatMap,
    *,
    error: str = "",
    chosen: list[int] | None = None,
    status_code: int = 200,
) -> Template:
    performance = await catalog.performance_detail(performance_id, datetime.now(UTC))
    if performance is None:
        raise NotFoundException()
    most = (await storefront_settings()).max_tickets_per_order
    query = request.query_params
    best = query.get("best", "")[:10]
    if chosen is None:
        chosen, error = parse_seat_ids(query.getall("seat", []), most=most)
        if best and not error:
            chosen, error = best_choice(map_, best.strip(), query.get("zone", "")[:40], most)
    return Template(
        "storefront/seats.html",
        context={
            "performance": performance,
            "map": map_,
            "chosen": list(dict.fromkeys(chosen)),
            "error": error,
            "max_per_order": most,
            "best": best,
            "best_zone": query.get("zone", "")[:40],
        },
        status_code=status_code if not error else max(status_code, 400),
    )


@post("/performances/{performance_id:int}/seats", name="storefront.hold_seats")
async def hold_chosen_seats(
    request: Request, settings: AppSettings, performance_id: FromPath[int]
) -> Template | Redirect:
    map_ = await seat_map(performance_id)
    if map_ is None:
        raise NotFoundException()
    form_data = await request.form()
    form = {key: str(value) for key, value in form_data.items()}
    venue = await storefront_settings()
    seats, error = parse_seat_ids(
        [str(value) for value in form_data.getall("seat", [])], most=venue.max_tickets_per_order
    )
    types, error = parse_seat_types(form, seats) if not error else ({}, error)
    if error:
        return await seated_page(request, performance_id, map_, error=error, chosen=[], status_code=400)
    token = request.cookies.get(BASKET_COOKIE) or secrets.token_urlsafe(32)
    try:
        await hold_seats(
            token,
            performance_id,
            [SeatChoice(seat, types[seat]) for seat in seats],
            hold_minutes=venue.hold_minutes,
            max_per_order=venue.max_tickets_per_order,
            now=datetime.now(UTC),
        )
    except holds.HoldRefused as refusal:
        fresh = await seat_map(performance_id)
        status = 409 if isinstance(refusal, holds.SoldOut) else 400
        return await seated_page(
            request, performance_id, fresh or map_, error=str(refusal), chosen=[], status_code=status
        )
    return Redirect(path="/checkout", status_code=303, cookies=[basket_cookie(settings, token)])


ROUTES = [hold_chosen_seats]
