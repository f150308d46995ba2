"""A performance's seating: on its page under Events, seat it from one of its venue's plans and price
its zones for each ticket type; under Events > Seat kills, a page of its seats on which to kill and
release them. Seat kills have a permission and pages of their own so that a house manager can keep
seats off sale without the right to change events, prices or plans. The rules live in
`boxoffice.sales.seating` (`performance_plans`, `zone_prices`, `kills`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.backoffice.events import EVENTS, performance_or_404, performance_page, refused_problems, see
from boxoffice.db import parse_id
from boxoffice.errors import Refused
from boxoffice.sales.performance_editing import PerformanceRecord
from boxoffice.sales.seating import kills, performance_plans, zone_prices
from boxoffice.web.dependencies import Acting

SEAT_KILLS = {"permission": Perm.EVENTS_SEAT_KILLS}
RECENTLY = timedelta(hours=12)  # a performance that began this evening is still listed
KILL_NOTICES = {
    "killed": "The seats have been killed: they are off sale.",
    "released": "The seats have been released: they are on sale again.",
}


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


@get("/backoffice/seat-kills", name="backoffice.seat_kills", opt=SEAT_KILLS)
async def seat_kills() -> Template:
    return Template(
        "backoffice/events/seat_kills.html",
        context={"performances": await performance_plans.seated_performances(datetime.now(UTC) - RECENTLY)},
    )


async def seats_page(
    performance: PerformanceRecord,
    *,
    notice: str = "",
    refusal: Refused | None = None,
    status_code: int = 200,
) -> Template:
    return Template(
        "backoffice/events/performance_seats.html",
        context={
            "performance": performance,
            "seating": await performance_plans.seating_overview(performance.id),
            "events_permission": Perm.EVENTS,
            "notice": notice,
            **(refused_problems(refusal) if refusal else {"errors": [], "field_errors": {}}),
        },
        status_code=status_code,
    )


@get(
    "/backoffice/performances/{performance_id:int}/seats",
    name="backoffice.seat_kills.performance",
    opt=SEAT_KILLS,
)
async def performance_seats(performance_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    return await seats_page(await performance_or_404(performance_id), notice=KILL_NOTICES.get(done, ""))


@post(
    "/backoffice/performances/{performance_id:int}/seats",
    name="backoffice.seat_kills.change",
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
            reason = str(form.get("reason") or "")
            await kills.kill_seats(performance_id, seat_ids, reason, actor_id=acting.staff_id, ip=acting.ip)
    except Refused as refusal:
        return await seats_page(performance, refusal=refusal, status_code=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(
        request,
        "backoffice.seat_kills.performance",
        "released" if releasing else "killed",
        performance_id=performance_id,
    )


ROUTES = [seat_performance, set_zone_prices, seat_kills, performance_seats, kill_or_release]
