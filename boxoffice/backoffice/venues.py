"""Events → Venues: the places performances happen, with the currency, language and clock each sells in."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from boxoffice.backoffice.events import EVENTS, known, problems, see
from boxoffice.sales import venue_editing
from boxoffice.sales.catalogue_forms import CatalogChangeRefused
from boxoffice.sales.venue_editing import VenueInput, VenueRecord
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM

VENUE_NOTICES = {"created": "The venue has been added.", "updated": "The venue has been saved."}


async def venue_or_404(venue_id: int) -> VenueRecord:
    venue = await venue_editing.get_venue(venue_id) if known(venue_id) else None
    if venue is None:
        raise NotFoundException()
    return venue


@get("/backoffice/venues", name="backoffice.events.venues", opt=EVENTS)
async def venues(done: FromQuery[str] = "") -> Template:
    return Template(
        "backoffice/events/venues.html",
        context={"venues": await venue_editing.list_venues(), "notice": VENUE_NOTICES.get(done, "")},
    )


def venue_form_page(
    *,
    venue: VenueRecord | None,
    values: VenueInput,
    refusal: CatalogChangeRefused | None = None,
    status_code: int = 200,
) -> Template:
    return Template(
        "backoffice/events/venue_form.html",
        context={"venue": venue, "values": values, **problems(refusal)},
        status_code=status_code,
    )


@get("/backoffice/venues/new", name="backoffice.events.venues.new", opt=EVENTS)
async def new_venue() -> Template:
    return venue_form_page(venue=None, values=VenueInput())


@post("/backoffice/venues/new", name="backoffice.events.venues.create", opt=EVENTS)
async def create_venue(
    request: Request, acting: Acting, data: Annotated[VenueInput, FORM]
) -> Template | Redirect:
    try:
        await venue_editing.create_venue(data, actor_id=acting.staff_id, ip=acting.ip)
    except CatalogChangeRefused as refusal:
        return venue_form_page(venue=None, values=data, refusal=refusal, status_code=400)
    return see(request, "backoffice.events.venues", "created")


@get("/backoffice/venues/{venue_id:int}", name="backoffice.events.venues.edit", opt=EVENTS)
async def edit_venue(venue_id: FromPath[int]) -> Template:
    venue = await venue_or_404(venue_id)
    return venue_form_page(venue=venue, values=venue.as_input())


@post("/backoffice/venues/{venue_id:int}", name="backoffice.events.venues.update", opt=EVENTS)
async def update_venue(
    request: Request, acting: Acting, venue_id: FromPath[int], data: Annotated[VenueInput, FORM]
) -> Template | Redirect:
    venue = await venue_or_404(venue_id)
    try:
        await venue_editing.update_venue(venue_id, data, actor_id=acting.staff_id, ip=acting.ip)
    except CatalogChangeRefused as refusal:
        return venue_form_page(venue=venue, values=data, refusal=refusal, status_code=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(request, "backoffice.events.venues", "updated")


ROUTES = [venues, new_venue, create_venue, edit_venue, update_venue]
