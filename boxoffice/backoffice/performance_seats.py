"""A performance's seating, on its page under Events: seat it from one of its venue's plans, price its
zones for each ticket type, and (Events > Seat kills) kill and release its seats. The rules live in
`boxoffice.sales.seating` (`performance_plans`, `zone_prices`, `kills`)."""

from __future__ import annotations

from litestar import Request, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.backoffice.events import EVENTS, performance_or_404, performance_page, see
from boxoffice.db import parse_id
from boxoffice.errors import Refused
from boxoffice.sales.seating import kills, performance_plans, zone_prices
from boxoffice.web.dependencies import Acting

SEAT_KILLS = {"permission": Perm.EVENTS_SEAT_KILLS}


@post(
    "/backoffice/performances/{performance_id:int}/seating",
    name="backoffice.events.performance.seating",
    opt=EVENTS,
)
async def seat_performance(
    request: Request, acting: Acting, performance_id: FromPath[int]
) -> Template | Redirect:
    performance = await performance_or_404(performance_id)
    form = await request.form()
    try:
        await performance_plans.seat_performance_from_plan(
            performance_id, parse_id(str(form.get("plan") or "")), actor_id=acting.staff_id, ip=acting.ip
        )
    except Refused as refusal:
        return await performance_page(
            performance, seating_form="plan", seating_refusal=refusal, status_code=400
        )
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(request, "backoffice.events.performance", "seated", performance_id=performance_id)


@post(
    "/backoffice/performances/{performance_id:int}/zone-prices",
    name="backoffice.events.performance.zone_prices",
    opt=EVENTS,
)
async def set_zone_prices(
    request: Request, acting: Acting, performance_id: FromPath[int]
) -> Template | Redirect:
    performance = await performance_or_404(performance_id)
    form = {key: str(value) for key, value in (await request.form()).items() if key.startswith("price-")}
    try:
        await zone_prices.set_zone_prices(performance_id, form, actor_id=acting.staff_id, ip=acting.ip)
    except Refused as refusal:
        return await performance_page(
            performance,
            seating_form="zone_prices",
            seating_refusal=refusal,
            zone_price_values=form,
            status_code=400,
        )
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(request, "backoffice.events.performance", "zone_prices", performance_id=performance_id)


@post(
    "/backoffice/performances/{performance_id:int}/seat-kills",
    name="backoffice.events.performance.seat_kills",
    opt=SEAT_KILLS,
)
async def kill_or_release(
    request: Request, acting: Acting, performance_id: FromPath[int]
) -> Template | Redirect:
    performance = await performance_or_404(performance_id)
    form = await request.form()
    seat_ids = [seat_id for value in form.getall("seat", []) if (seat_id := parse_id(str(value)))]
    releasing = form.get("change") == "release"
    try:
        if releasing:
            await kills.release_seats(performance_id, seat_ids, actor_id=acting.staff_id, ip=acting.ip)
        else:
            await kills.kill_seats(
                performance_id,
                seat_ids,
                str(form.get("reason") or ""),
                actor_id=acting.staff_id,
                ip=acting.ip,
            )
    except Refused as refusal:
        return await performance_page(
            performance, seating_form="kills", seating_refusal=refusal, status_code=400
        )
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(
        request,
        "backoffice.events.performance",
        "released" if releasing else "killed",
        performance_id=performance_id,
    )


ROUTES = [seat_performance, set_zone_prices, kill_or_release]
