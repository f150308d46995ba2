"""Events admin: events, their performances and ticket types, for staff holding the Events permission.

The rules (capacity never below what is sold or held, prices in the venue's currency, times on the
venue's clocks, auditing) live in `boxoffice.sales.venue_editing`, `event_editing`, `performance_editing`
and `ticket_type_editing`; these routes read the forms, call them and show what they answer: a 303 to
the changed page, or the form again with the reason and a 400.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.db import LARGEST_ID
from boxoffice.documents.pictures import PictureRefused
from boxoffice.errors import Refused
from boxoffice.sales import event_editing, performance_editing, pictures, ticket_type_editing, venue_editing
from boxoffice.sales.catalogue_forms import CatalogChangeRefused
from boxoffice.sales.event_editing import EventInput, EventRecord
from boxoffice.sales.performance_editing import PerformanceInput, PerformanceRecord
from boxoffice.sales.seating import performance_plans, plans, zone_prices
from boxoffice.sales.tables import EventStatus
from boxoffice.sales.ticket_type_editing import TicketTypeInput, TicketTypeRecord
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM
from boxoffice.web.pictures import MOST_PICTURE_FORM_BYTES, posted_picture, posted_text

EVENTS = {"permission": Perm.EVENTS}


STATUS_LABELS = {
    EventStatus.DRAFT.value: "Draft",
    EventStatus.ON_SALE.value: "On sale",
    EventStatus.OFF_SALE.value: "Off sale",
}


EVENT_NOTICES = {
    "created": "The event has been created. Add its performances below.",
    "updated": "The event has been saved.",
    "picture": "The event’s picture has been saved.",
    "picture_removed": "The event’s picture has been removed.",
}


PERFORMANCE_NOTICES = {
    "created": "The performance has been added. Add its ticket types below.",
    "updated": "The performance has been saved.",
    "ticket_type_created": "The ticket type has been added.",
    "ticket_type_updated": "The ticket type has been saved.",
    "seated": "The performance is now seated: it has its own copy of the plan.",
    "zone_prices": "The zone prices have been saved.",
}


def problems(refusal: CatalogChangeRefused | None) -> dict[str, Any]:
    """The error summary and the message next to its field, for a template."""
    if refusal is None:
        return {"errors": [], "field_errors": {}}
    return {"errors": [str(refusal)], "field_errors": {refusal.field: str(refusal)} if refusal.field else {}}


def refused_problems(refusal: Refused) -> dict[str, Any]:
    """Every problem of a refusal, for a form that shows several at once."""
    return {"errors": list(refusal.problems.values()), "field_errors": refusal.problems}


def see(request: Request, route: str, done: str, **path: int) -> Redirect:
    return Redirect(
        path=request.app.route_reverse(route, **path), query_params={"done": done}, status_code=303
    )


def known(object_id: int) -> bool:
    return 1 <= object_id <= LARGEST_ID


async def event_or_404(event_id: int) -> EventRecord:
    event = await event_editing.get_event(event_id) if known(event_id) else None
    if event is None:
        raise NotFoundException()
    return event


async def performance_or_404(performance_id: int) -> PerformanceRecord:
    performance = await performance_editing.get_performance(performance_id) if known(performance_id) else None
    if performance is None:
        raise NotFoundException()
    return performance


async def ticket_type_or_404(ticket_type_id: int) -> TicketTypeRecord:
    ticket_type = await ticket_type_editing.get_ticket_type(ticket_type_id) if known(ticket_type_id) else None
    if ticket_type is None:
        raise NotFoundException()
    return ticket_type


@get("/backoffice/events", name="backoffice.events", opt=EVENTS)
async def events(done: FromQuery[str] = "") -> Template:
    return Template(
        "backoffice/events/events.html",
        context={
            "events": await event_editing.list_events(datetime.now(UTC)),
            "status_labels": STATUS_LABELS,
            "notice": EVENT_NOTICES.get(done, ""),
        },
    )


async def event_form_page(
    *,
    event: EventRecord | None,
    values: EventInput,
    refusal: CatalogChangeRefused | None = None,
    picture_refusal: Refused | None = None,
    picture_alt: str | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Template:
    picture = await pictures.event_picture(event.id) if event else None
    return Template(
        "backoffice/events/event_form.html",
        context={
            "event": event,
            "values": values,
            "picture": picture,
            "picture_alt": picture_alt if picture_alt is not None else (picture.alt if picture else ""),
            "picture_problems": refused_problems(picture_refusal) if picture_refusal else problems(None),
            "venues": await venue_editing.list_venues(),
            "status_labels": STATUS_LABELS,
            "performances": await performance_editing.event_performances(event.id) if event else [],
            "notice": notice,
            **problems(refusal),
        },
        status_code=status_code,
    )


@get("/backoffice/events/new", name="backoffice.events.new", opt=EVENTS)
async def new_event() -> Template:
    venues = await venue_editing.list_venues()
    values = EventInput(venue=str(venues[0].id) if len(venues) == 1 else "")
    return await event_form_page(event=None, values=values)


@post("/backoffice/events/new", name="backoffice.events.create", opt=EVENTS)
async def create_event(
    request: Request, acting: Acting, data: Annotated[EventInput, FORM]
) -> Template | Redirect:
    try:
        event_id = await event_editing.create_event(data, actor_id=acting.staff_id, ip=acting.ip)
    except CatalogChangeRefused as refusal:
        return await event_form_page(event=None, values=data, refusal=refusal, status_code=400)
    return see(request, "backoffice.events.edit", "created", event_id=event_id)


@get("/backoffice/events/{event_id:int}", name="backoffice.events.edit", opt=EVENTS)
async def edit_event(event_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    event = await event_or_404(event_id)
    return await event_form_page(event=event, values=event.as_input(), notice=EVENT_NOTICES.get(done, ""))


@post("/backoffice/events/{event_id:int}", name="backoffice.events.update", opt=EVENTS)
async def update_event(
    request: Request, acting: Acting, event_id: FromPath[int], data: Annotated[EventInput, FORM]
) -> Template | Redirect:
    event = await event_or_404(event_id)
    try:
        await event_editing.update_event(event_id, data, actor_id=acting.staff_id, ip=acting.ip)
    except CatalogChangeRefused as refusal:
        return await event_form_page(event=event, values=data, refusal=refusal, status_code=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(request, "backoffice.events.edit", "updated", event_id=event_id)


@post(
    "/backoffice/events/{event_id:int}/picture",
    name="backoffice.events.picture",
    opt=EVENTS,
    request_max_body_size=MOST_PICTURE_FORM_BYTES,
)
async def set_event_picture(request: Request, acting: Acting, event_id: FromPath[int]) -> Template | Redirect:
    """Upload the picture the storefront shows for the event, or change the words that describe it."""
    event = await event_or_404(event_id)
    form = await request.form()
    alt = posted_text(form, "picture_alt")
    try:
        prepared = await posted_picture(form, "picture")
        await pictures.set_event_picture(event_id, prepared, alt, actor_id=acting.staff_id, ip=acting.ip)
    except PictureRefused as refusal:
        return await event_form_page(
            event=event, values=event.as_input(), picture_refusal=refusal, picture_alt=alt, status_code=400
        )
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(request, "backoffice.events.edit", "picture", event_id=event_id)


@post("/backoffice/events/{event_id:int}/picture/remove", name="backoffice.events.picture.remove", opt=EVENTS)
async def remove_event_picture(request: Request, acting: Acting, event_id: FromPath[int]) -> Redirect:
    await event_or_404(event_id)
    try:
        await pictures.remove_event_picture(event_id, actor_id=acting.staff_id, ip=acting.ip)
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(request, "backoffice.events.edit", "picture_removed", event_id=event_id)


def new_performance_page(
    event: EventRecord,
    values: PerformanceInput,
    refusal: CatalogChangeRefused | None = None,
    status_code: int = 200,
) -> Template:
    return Template(
        "backoffice/events/performance_new.html",
        context={"event": event, "values": values, **problems(refusal)},
        status_code=status_code,
    )


@get(
    "/backoffice/events/{event_id:int}/performances/new",
    name="backoffice.events.performances.new",
    opt=EVENTS,
)
async def new_performance(event_id: FromPath[int]) -> Template:
    return new_performance_page(await event_or_404(event_id), PerformanceInput())


@post(
    "/backoffice/events/{event_id:int}/performances/new",
    name="backoffice.events.performances.create",
    opt=EVENTS,
)
async def create_performance(
    request: Request, acting: Acting, event_id: FromPath[int], data: Annotated[PerformanceInput, FORM]
) -> Template | Redirect:
    event = await event_or_404(event_id)
    try:
        performance_id = await performance_editing.create_performance(
            event_id, data, actor_id=acting.staff_id, ip=acting.ip
        )
    except CatalogChangeRefused as refusal:
        return new_performance_page(event, data, refusal, status_code=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(request, "backoffice.events.performance", "created", performance_id=performance_id)


async def performance_page(
    performance: PerformanceRecord,
    *,
    values: PerformanceInput | None = None,
    refusal: CatalogChangeRefused | None = None,
    ticket_type_values: TicketTypeInput | None = None,
    ticket_type_refusal: CatalogChangeRefused | None = None,
    seating_form: str = "",
    seating_refusal: Refused | None = None,
    zone_price_values: dict[str, str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Template:
    """The performance's own form, its ticket types, and the form that adds one; for seating, the plan
    to seat it from, or its seat map, zone prices and a link to its seat kills. Any form may be shown
    again with the reason it was refused (`seating_form` names which of the seating forms)."""
    seating = await performance_plans.seating_overview(performance.id)
    return Template(
        "backoffice/events/performance.html",
        context={
            "performance": performance,
            "values": values or performance.as_input(),
            "ticket_types": await ticket_type_editing.performance_ticket_types(performance.id),
            "ticket_type_values": ticket_type_values or TicketTypeInput(),
            "ticket_type_problems": problems(ticket_type_refusal),
            "seating": seating,
            "venue_plans": [] if seating else await plans.list_plans(performance.venue.id),
            "zone_prices": await zone_prices.zone_price_table(performance.id) if seating else None,
            "zone_price_values": zone_price_values,
            "seating_problems": {seating_form: refused_problems(seating_refusal)} if seating_refusal else {},
            "kill_permission": Perm.EVENTS_SEAT_KILLS,
            "notice": notice,
            **problems(refusal),
        },
        status_code=status_code,
    )


@get("/backoffice/performances/{performance_id:int}", name="backoffice.events.performance", opt=EVENTS)
async def edit_performance(performance_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    performance = await performance_or_404(performance_id)
    return await performance_page(performance, notice=PERFORMANCE_NOTICES.get(done, ""))


@post(
    "/backoffice/performances/{performance_id:int}",
    name="backoffice.events.performance.update",
    opt=EVENTS,
)
async def update_performance(
    request: Request, acting: Acting, performance_id: FromPath[int], data: Annotated[PerformanceInput, FORM]
) -> Template | Redirect:
    performance = await performance_or_404(performance_id)
    try:
        await performance_editing.update_performance(
            performance_id, data, actor_id=acting.staff_id, ip=acting.ip
        )
    except CatalogChangeRefused as refusal:
        return await performance_page(performance, values=data, refusal=refusal, status_code=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(request, "backoffice.events.performance", "updated", performance_id=performance_id)


@post(
    "/backoffice/performances/{performance_id:int}/ticket-types",
    name="backoffice.events.ticket_types.create",
    opt=EVENTS,
)
async def create_ticket_type(
    request: Request, acting: Acting, performance_id: FromPath[int], data: Annotated[TicketTypeInput, FORM]
) -> Template | Redirect:
    performance = await performance_or_404(performance_id)
    try:
        await ticket_type_editing.create_ticket_type(
            performance_id, data, actor_id=acting.staff_id, ip=acting.ip
        )
    except CatalogChangeRefused as refusal:
        return await performance_page(
            performance, ticket_type_values=data, ticket_type_refusal=refusal, status_code=400
        )
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(request, "backoffice.events.performance", "ticket_type_created", performance_id=performance_id)


async def ticket_type_page(
    ticket_type: TicketTypeRecord,
    *,
    values: TicketTypeInput | None = None,
    refusal: CatalogChangeRefused | None = None,
    status_code: int = 200,
) -> Template:
    performance = await performance_or_404(ticket_type.performance_id)
    return Template(
        "backoffice/events/ticket_type.html",
        context={
            "ticket_type": ticket_type,
            "performance": performance,
            "values": values or ticket_type.as_input(),
            **problems(refusal),
        },
        status_code=status_code,
    )


@get("/backoffice/ticket-types/{ticket_type_id:int}", name="backoffice.events.ticket_type", opt=EVENTS)
async def edit_ticket_type(ticket_type_id: FromPath[int]) -> Template:
    return await ticket_type_page(await ticket_type_or_404(ticket_type_id))


@post(
    "/backoffice/ticket-types/{ticket_type_id:int}",
    name="backoffice.events.ticket_type.update",
    opt=EVENTS,
)
async def update_ticket_type(
    request: Request, acting: Acting, ticket_type_id: FromPath[int], data: Annotated[TicketTypeInput, FORM]
) -> Template | Redirect:
    ticket_type = await ticket_type_or_404(ticket_type_id)
    try:
        await ticket_type_editing.update_ticket_type(
            ticket_type_id, data, actor_id=acting.staff_id, ip=acting.ip
        )
    except CatalogChangeRefused as refusal:
        return await ticket_type_page(ticket_type, values=data, refusal=refusal, status_code=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(
        request,
        "backoffice.events.performance",
        "ticket_type_updated",
        performance_id=ticket_type.performance_id,
    )


ROUTES = [
    events,
    new_event,
    create_event,
    edit_event,
    update_event,
    set_event_picture,
    remove_event_picture,
    new_performance,
    create_performance,
    edit_performance,
    update_performance,
    create_ticket_type,
    edit_ticket_type,
    update_ticket_type,
]
