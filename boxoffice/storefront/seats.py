"""Choosing seats of a seated performance: on its map, from a list without script, or best available.

The choice lives in the address (`?seat=12&seat=13`, or `?best=2&zone=A`, which chooses for the buyer),
so every step is an ordinary GET that works without script and can be reloaded; with script the map
toggles the list's boxes and htmx swaps in the chosen seats' prices as the buyer clicks. Holding the
seats is a POST (`sales.seating.claims`), then checkout goes on as for any basket.
"""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Request, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from boxoffice.documents.formatting import local_format
from boxoffice.sales import catalog
from boxoffice.sales.seating.maps import SeatMap, seat_map
from boxoffice.storefront.baskets import hold_for_buyer
from boxoffice.venue.settings import storefront_settings
from boxoffice.web.dependencies import AppSettings
from boxoffice.web.forms import seat_choices, seats_in_address
from boxoffice.web.holding import HoldRefusal
from boxoffice.web.seat_drawing import draw_seats


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
    if chosen is None:
        chosen, error = seats_in_address(query, map_, most=most)
    fmt = local_format(performance.venue.locale, performance.venue.timezone)
    return Template(
        "storefront/seats.html",
        context={
            "performance": performance,
            "map": map_,
            "drawing": draw_seats(map_, chosen, fmt),
            "picked": map_.seats_named(chosen),
            "error": error,
            "max_per_order": most,
            "best": query.get("best", "")[:10],
            "best_zone": query.get("zone", "")[:40],
        },
        status_code=status_code if not error else max(status_code, 400),
    )


@post("/performances/{performance_id:int}/seats", name="storefront.hold_seats")
async def hold_chosen_seats(
    request: Request, settings: AppSettings, performance_id: FromPath[int]
) -> Template | Redirect:
    venue = await storefront_settings()
    choices, error = seat_choices(await request.form(), most=venue.max_tickets_per_order)
    if error:
        return await refused_page(request, performance_id, error, 400)
    held = await hold_for_buyer(request, settings, venue, performance_id, choices)
    if isinstance(held, HoldRefusal):
        return await refused_page(request, performance_id, held.message, held.status_code)
    return held


async def refused_page(request: Request, performance_id: int, error: str, status_code: int) -> Template:
    """The seat page again, as it is now, saying why nothing was held."""
    map_ = await seat_map(performance_id)
    if map_ is None:
        raise NotFoundException()
    return await seated_page(request, performance_id, map_, error=error, chosen=[], status_code=status_code)


ROUTES = [hold_chosen_seats]
