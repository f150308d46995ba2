"""The sell screen: performance, tickets, customer, marketing answer and payment on one page.

Operators work with a queue in front of them, so everything happens on `/backoffice/sell` and its state
lives in the address (`performance`, `contact`) and in the operator's basket of holds. Without JavaScript
every search is an ordinary GET and every action a POST that comes back to the page; with htmx the
performance and customer searches update as the operator types and the ticket availability refreshes by
itself, each by swapping one part of the same page. The rules live in `sales.counter`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.datastructures import MultiDict
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.crm.contacts import (
    ContactExists,
    Note,
    contact_notes,
    detail_problems,
    details_from_form,
    search_contacts,
)
from boxoffice.db import parse_id
from boxoffice.documents.formatting import local_format
from boxoffice.marketing.consent import consent_status
from boxoffice.marketing.questions import current_question
from boxoffice.marketing.tables import QuestionKind
from boxoffice.paging import PageRequest
from boxoffice.sales import catalog, holds
from boxoffice.sales.counter import (
    COUNTER_HOLD_MINUTES,
    COUNTER_MAX_TICKETS,
    SALE_KEY,
    CounterSale,
    MarketingAnswer,
    SaleRefused,
    add_counter_contact,
    counter_basket_token,
    counter_performances,
    live_contact,
    record_counter_opt_in,
    sell_basket,
)
from boxoffice.sales.counter_payments import CounterPayment, PaymentRefused
from boxoffice.sales.seating.claims import SeatChoice
from boxoffice.sales.seating.maps import seat_map
from boxoffice.web.dependencies import Acting, AppSettings
from boxoffice.web.forms import parse_quantities, seat_choices, seats_in_address
from boxoffice.web.guards import Staff
from boxoffice.web.holding import HoldLimits, hold_asked
from boxoffice.web.seat_drawing import draw_seats

SELL = {"permission": Perm.BOX_OFFICE_SELL}
COUNTER_LIMITS = HoldLimits(COUNTER_HOLD_MINUTES, COUNTER_MAX_TICKETS, counter=True)
CUSTOMER_RESULTS = 8
# More tickets than this added at once are held only once the operator confirms the number: a slip of
# the finger (20 for 2) would otherwise take seats from everyone else without a word.
CONFIRM_ABOVE = 10
COUNTER_BEST_MOST = 30  # best available offers up to this many seats together; a larger group is picked
# on the map, a block at a time
NOTES_SHOWN = 3
NOTICES = {
    "consent": "Their marketing consent has been recorded, with your note.",
    "contact": "The customer has been added.",
    "held": "Added to the basket.",
    "emptied": "The basket is empty.",
}


def basket_token(settings: AppSettings, acting: Acting) -> str:
    return counter_basket_token(acting.staff_id, settings.secret_key.encode())


def sell_address(performance_id: int | None, contact_id: int | None, **extra: str) -> str:
    """The sell screen with its state in the address."""
    query = {"performance": performance_id, "contact": contact_id, **extra}
    kept = {key: value for key, value in query.items() if value}
    return "/backoffice/sell" + (f"?{urlencode(kept)}" if kept else "")


@dataclass(frozen=True, slots=True)
class ChosenContact:
    """The customer being served, with what the operator should know before asking the question."""

    id: int
    name: str
    email: str
    phone: str
    postcode: str
    email_marketing: bool
    restricted: bool  # restricted processing: no marketing
    notes: list[Note]  # the latest few


async def chosen_contact(contact_id: int | None) -> ChosenContact | None:
    contact = await live_contact(contact_id) if contact_id else None
    if contact is None:
        return None
    return ChosenContact(
        id=contact["id"],
        name=" ".join(part for part in (contact["first_name"], contact["last_name"]) if part),
        email=contact["email"],
        phone=contact["phone"],
        postcode=contact["postcode"],
        email_marketing=(await consent_status(contact["id"]))["email"],
        restricted=bool(contact["restricted"]),
        notes=(await contact_notes(contact["id"]))[:NOTES_SHOWN],
    )


def sale_form_key(values: dict[str, str]) -> str:
    """The payment form's key: the one it was sent with when it comes back with a problem (nothing was
    sold under it), else a new one."""
    sent = values.get("sale_key", "")
    return sent if SALE_KEY.fullmatch(sent) else secrets.token_hex(16)


async def counter_sells(performance_id: int, now: datetime) -> bool:
    """Whether the box office may sell the performance now (online sales may be closed)."""
    try:
        await holds.on_sale_types(performance_id, now, counter=True)
    except holds.HoldRefused:
        return False
    return True


async def sell_page(
    settings: AppSettings,
    acting: Acting,
    *,
    performance_id: int | None,
    contact_id: int | None,
    find: str = "",
    who: str = "",
    notice: str = "",
    problems: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    existing_contact: int | None = None,
    typed: dict[int, int] | None = None,
    confirm_count: int | None = None,
    seats_asked: MultiDict | None = None,
    status_code: int = 200,
) -> Template:
    """The sell screen. On a seated performance it shows the seat map, with the seats `seats_asked`
    (the address's `seat=` and `best=`) chosen."""
    staff: Staff = acting.staff
    now = datetime.now(UTC)
    performance = await catalog.performance_detail(performance_id, now) if performance_id else None
    sellable = performance is not None and await counter_sells(performance.id, now)
    map_ = await seat_map(performance.id) if performance and sellable else None
    seating = None
    if map_ is not None and performance is not None:
        chosen, error = seats_in_address(seats_asked or MultiDict(), map_, most=COUNTER_MAX_TICKETS)
        if error:
            problems = {**(problems or {}), "seat": error}
            status_code = max(status_code, 400)
        fmt = local_format(performance.venue.locale, performance.venue.timezone)
        seating = {
            "map": map_,
            "drawing": draw_seats(map_, chosen, fmt),
            "picked": map_.seats_named(chosen),
            "best": (seats_asked or MultiDict()).get("best", "")[:10],
            "best_zone": (seats_asked or MultiDict()).get("zone", "")[:40],
        }
    basket = await holds.basket_contents(basket_token(settings, acting), now)
    customers = []
    if who.strip():
        customers = (await search_contacts(who, page=PageRequest(1, CUSTOMER_RESULTS))).items
    return Template(
        "backoffice/sell.html",
        context={
            "performance": performance,
            "sellable": sellable,
            "performances": await counter_performances(find, now),
            "find": find,
            "who": who,
            "customers": customers,
            "contact": await chosen_contact(contact_id),
            "basket": basket,
            "question": (await current_question(QuestionKind.BOX_OFFICE)),
            "may_comp": staff.may(Perm.BOX_OFFICE_COMPS),
            "notice": NOTICES.get(notice, ""),
            "problems": problems or {},
            "values": values or {},
            "existing_contact": existing_contact,
            "sale_key": sale_form_key(values or {}),
            "max_tickets": COUNTER_MAX_TICKETS,
            "typed": typed or {},
            "confirm_count": confirm_count,
            "seating": seating,
            "best_most": COUNTER_BEST_MOST,
        },
        status_code=status_code,
    )


@get("/backoffice/sell", name="backoffice.sell", opt=SELL)
async def sell(
    request: Request,
    settings: AppSettings,
    acting: Acting,
    performance: FromQuery[str] = "",
    contact: FromQuery[str] = "",
    find: FromQuery[str] = "",
    who: FromQuery[str] = "",
    done: FromQuery[str] = "",
) -> Template:
    return await sell_page(
        settings,
        acting,
        performance_id=parse_id(performance),
        contact_id=parse_id(contact),
        find=find[:100],
        who=who[:200],
        notice=done,
        seats_asked=request.query_params,
    )


async def form_fields(request: Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.form()).items()}


@post("/backoffice/sell/hold", name="backoffice.sell.hold", opt=SELL)
async def hold(request: Request, settings: AppSettings, acting: Acting) -> Template | Redirect:
    """Add tickets of a general-admission performance to the basket, by number of each type."""
    form = await form_fields(request)
    performance_id, contact_id = parse_id(form.get("performance")), parse_id(form.get("contact"))
    chosen, error = parse_quantities(form, most=COUNTER_MAX_TICKETS)
    count = sum(chosen.values())
    if not error and performance_id and count > CONFIRM_ABOVE and form.get("confirm_large") != str(count):
        return await sell_page(
            settings,
            acting,
            performance_id=performance_id,
            contact_id=contact_id,
            typed=chosen,
            confirm_count=count,
        )
    return await hold_at_counter(settings, acting, performance_id, contact_id, chosen, "quantity", error)


@post("/backoffice/sell/seats", name="backoffice.sell.seats", opt=SELL)
async def hold_seats_at_counter(
    request: Request, settings: AppSettings, acting: Acting
) -> Template | Redirect:
    """Add the chosen seats of a seated performance to the basket, each with its ticket type."""
    form_data = await request.form()
    performance_id, contact_id = parse_id(form_data.get("performance")), parse_id(form_data.get("contact"))
    choices, error = seat_choices(form_data, most=COUNTER_MAX_TICKETS)
    return await hold_at_counter(settings, acting, performance_id, contact_id, choices, "seat", error)


async def hold_at_counter(
    settings: AppSettings,
    acting: Acting,
    performance_id: int | None,
    contact_id: int | None,
    asked: dict[int, int] | list[SeatChoice],
    field: str,
    error: str,
) -> Template | Redirect:
    """Hold what the operator asked for (unless their form was wrong: `error`) and come back to the sell
    screen; or show it again saying, at `field`, why nothing was held."""
    status = 400
    if not error and performance_id is None:
        error = "Choose a performance first."
    if not error and performance_id is not None:
        refusal = await hold_asked(
            basket_token(settings, acting), performance_id, asked, COUNTER_LIMITS, datetime.now(UTC)
        )
        if refusal is None:
            return Redirect(path=sell_address(performance_id, contact_id, done="held"), status_code=303)
        error, status = refusal.message, refusal.status_code
    return await sell_page(
        settings,
        acting,
        performance_id=performance_id,
        contact_id=contact_id,
        problems={field: error},
        typed=asked if isinstance(asked, dict) else None,
        status_code=status,
    )


@post("/backoffice/sell/empty", name="backoffice.sell.empty", opt=SELL)
async def empty_basket(request: Request, settings: AppSettings, acting: Acting) -> Redirect:
    form = await form_fields(request)
    await holds.release_basket(basket_token(settings, acting))
    return Redirect(
        path=sell_address(parse_id(form.get("performance")), parse_id(form.get("contact")), done="emptied"),
        status_code=303,
    )


@post("/backoffice/sell/contacts", name="backoffice.sell.contact", opt=SELL)
async def add_contact(request: Request, settings: AppSettings, acting: Acting) -> Template | Redirect:
    """Add the customer at the counter; an e-mail address already on file offers that contact instead."""
    form = await form_fields(request)
    performance_id = parse_id(form.get("performance"))
    details = details_from_form(form)
    problems = detail_problems(details)
    existing = None
    if not problems:
        staff: Staff = acting.staff
        try:
            contact_id = await add_counter_contact(
                details, staff_id=staff.id, ip=acting.ip, now=datetime.now(UTC)
            )
        except ContactExists as taken:
            existing = taken.contact_id
            problems = {"email": "That e-mail address already belongs to a customer: choose them below."}
        else:
            return Redirect(path=sell_address(performance_id, contact_id, done="contact"), status_code=303)
    return await sell_page(
        settings,
        acting,
        performance_id=performance_id,
        contact_id=None,
        problems=problems,
        values=form,
        existing_contact=existing,
        status_code=409 if existing else 400,
    )


async def refused_page(
    settings: AppSettings, acting: Acting, form: dict[str, str], problems: dict[str, str]
) -> Template:
    """The sell screen again, with what was typed and what was wrong with it; nothing was done."""
    return await sell_page(
        settings,
        acting,
        performance_id=parse_id(form.get("performance")),
        contact_id=parse_id(form.get("contact")),
        problems=problems,
        values=form,
        status_code=400,
    )


def marketing_answer(form: dict[str, str]) -> MarketingAnswer:
    return MarketingAnswer(
        opted_in=form.get("marketing") == "yes", note=form.get("marketing_note", "")[:2000]
    )


@post("/backoffice/sell/marketing", name="backoffice.sell.marketing", opt=SELL)
async def record_marketing(request: Request, settings: AppSettings, acting: Acting) -> Template | Redirect:
    """Record the customer's yes to the marketing question without a sale."""
    form = await form_fields(request)
    performance_id, contact_id = parse_id(form.get("performance")), parse_id(form.get("contact"))
    staff: Staff = acting.staff
    answer = marketing_answer(form)
    try:
        if not answer.opted_in:
            raise SaleRefused({"marketing": "Tick the box only if the customer said yes."})
        await record_counter_opt_in(
            contact_id, answer, staff_id=staff.id, ip=acting.ip, now=datetime.now(UTC)
        )
    except SaleRefused as refusal:
        return await refused_page(settings, acting, form, refusal.problems)
    return Redirect(path=sell_address(performance_id, contact_id, done="consent"), status_code=303)


@post("/backoffice/sell/complete", name="backoffice.sell.complete", opt=SELL)
async def complete_sale(request: Request, settings: AppSettings, acting: Acting) -> Template | Redirect:
    form = await form_fields(request)
    staff: Staff = acting.staff
    try:
        sale = CounterSale(
            contact_id=parse_id(form.get("contact")),
            marketing=marketing_answer(form),
            payment=CounterPayment.from_form(form),
            email_tickets=form.get("email_tickets") == "yes",
            sale_key=form.get("sale_key", ""),
        )
        sold = await sell_basket(
            basket_token(settings, acting),
            sale,
            staff_id=staff.id,
            may_comp=staff.may(Perm.BOX_OFFICE_COMPS),
            ip=acting.ip,
            now=datetime.now(UTC),
        )
    except (SaleRefused, PaymentRefused) as refusal:
        return await refused_page(settings, acting, form, refusal.problems)
    return Redirect(
        path=request.app.route_reverse("backoffice.orders.order", order_id=sold.id),
        query_params={"done": "sold"},
        status_code=303,
    )


ROUTES = [sell, hold, hold_seats_at_counter, empty_basket, add_contact, record_marketing, complete_sale]
