"""The sell screen: performance, tickets, customer, marketing answer and payment on one page.

Operators work with a queue in front of them, so everything happens on `/backoffice/sell` and its state
lives in the address (`performance`, `contact`) and in the operator's basket of holds. Without JavaScript
every search is an ordinary GET and every action a POST that comes back to the page; with htmx the
performance and customer searches update as the operator types, the ticket availability refreshes by
itself, and every link and form swaps the page's content in place instead of loading a new page. Each
rendering puts the cursor where the operator goes next (`cursor_field`): the first field in error, else
the next step of the sale, so a sale is a few keys from an empty screen. The rules live in
`sales.counter`.
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


def error_anchors(performance: catalog.PerformanceDetail | None) -> dict[str, str]:
    """The id of the field each problem names, where it is not `field-NAME`."""
    types = performance.ticket_types if performance else []
    return {"method": "method-cash", "quantity": f"quantity-{types[0].id}" if types else "error-quantity"}


@dataclass(frozen=True, slots=True)
class SellState:
    """What the sell screen shows, as far as where the cursor goes depends on it."""

    problems: dict[str, str]
    values: dict[str, str]
    performance: catalog.PerformanceDetail | None
    quantities_shown: bool  # a performance on sale without seats: its quantity fields
    basket_lines: int
    contact: ChosenContact | None
    ask_question: bool
    may_comp: bool
    confirm_count: int | None


METHOD_FIELDS = {
    "cash": "field-tendered",
    "card_terminal": "field-terminal_reference",
    "complimentary": "field-reason",
}


def cursor_field(state: SellState) -> str:
    """The id of the field the cursor goes to: the first field in error that the page shows (or "", for
    the error summary, when none is shown), else the next step: a performance, how many tickets, the
    customer, their marketing answer, then the chosen payment method's field."""
    if state.problems:
        shown = set()
        if state.quantities_shown:
            shown.add("quantity")
        if state.contact is None:
            shown.update({"first_name", "last_name", "email", "phone", "postcode"})
        if state.ask_question:
            shown.update({"marketing", "marketing_note"})
        if state.basket_lines:
            shown.update(
                {"method", "tendered", "terminal_reference"} | ({"reason"} if state.may_comp else set())
            )
        anchors = error_anchors(state.performance)
        for name in state.problems:
            if name in shown:
                return anchors.get(name, f"field-{name}")
        return ""
    if state.confirm_count:
        return "confirm-large-button"
    if state.basket_lines:
        if state.contact is None:
            return "field-who"
        if state.ask_question:
            return "field-marketing"
        return METHOD_FIELDS.get(state.values.get("method", "cash"), "field-tendered")
    if state.performance is None:
        return "field-find"
    if state.quantities_shown:
        return error_anchors(state.performance)["quantity"]
    return ""


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
    address_is_page: bool = False,
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
    contact = await chosen_contact(contact_id)
    question = await current_question(QuestionKind.BOX_OFFICE)
    ask_question = bool(
        contact and question.enabled and not contact.email_marketing and not contact.restricted
    )
    may_comp = staff.may(Perm.BOX_OFFICE_COMPS)
    problems, values = problems or {}, values or {}
    # The hold's time left as the server counts it, for the page's countdown (a wrong clock on the
    # operator's device changes nothing).
    hold_seconds = max(0, int((basket.expires_at - now).total_seconds())) if basket.expires_at else 0
    cursor = cursor_field(
        SellState(
            problems=problems,
            values=values,
            performance=performance,
            quantities_shown=bool(performance and sellable and not seating and performance.ticket_types),
            basket_lines=len(basket.lines),
            contact=contact,
            ask_question=ask_question,
            may_comp=may_comp,
            confirm_count=confirm_count,
        )
    )
    return Template(
        "backoffice/sell.html",
        context={
            "performance": performance,
            "sellable": sellable,
            "performances": await counter_performances(find, now),
            "find": find,
            "who": who,
            "customers": customers,
            "contact": contact,
            "basket": basket,
            "hold_seconds": hold_seconds,
            "question": question,
            "ask_question": ask_question,
            "may_comp": may_comp,
            "notice": NOTICES.get(notice, ""),
            "problems": problems,
            "anchors": error_anchors(performance),
            "cursor": cursor,
            "values": values,
            "existing_contact": existing_contact,
            "sale_key": sale_form_key(values),
            "max_tickets": COUNTER_MAX_TICKETS,
            "typed": typed or {},
            "confirm_count": confirm_count,
            "seating": seating,
            "best_most": COUNTER_BEST_MOST,
        },
        status_code=status_code,
        # A page answering a form keeps the address the operator came from (htmx would otherwise put
        # the form's address, which cannot be opened, in the history).
        headers={} if address_is_page else {"HX-Push-Url": "false"},
    )


async def first_result(pick: str, find: str, who: str, now: datetime) -> dict[str, int]:
    """What Enter in a search box picks, as the address's state it changes: `pick=find`, the first
    performance listed for `find`; `pick=who`, the first customer found for `who`; nothing when the
    search finds nothing."""
    if pick == "who":
        customers = (await search_contacts(who, page=PageRequest(1, 1))).items if who.strip() else []
        return {"contact": customers[0].id} if customers else {}
    if pick == "find":
        performances = await counter_performances(find, now)
        listed = performances.today + performances.later
        return {"performance": listed[0].id} if listed else {}
    return {}


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
    pick: FromQuery[str] = "",
) -> Template | Redirect:
    performance_id, contact_id = parse_id(performance), parse_id(contact)
    picked = await first_result(pick, find[:100], who[:200], datetime.now(UTC))
    if picked:
        chosen = {"performance": performance_id, "contact": contact_id, **picked}
        return Redirect(path=sell_address(chosen["performance"], chosen["contact"]), status_code=303)
    return await sell_page(
        settings,
        acting,
        performance_id=performance_id,
        contact_id=contact_id,
        find=find[:100],
        who=who[:200],
        notice=done,
        seats_asked=request.query_params,
        address_is_page=True,
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
            raise SaleRefused({"marketing": "Choose yes only if the customer said yes."})
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
