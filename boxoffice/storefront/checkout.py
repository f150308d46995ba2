"""Buying online: choose tickets and hold them, then give details and place the order (`sales.checkout`).

On the checkout page the buyer can change the basket (`holds.change_line`) and, warned two minutes before
the hold lapses, ask once for more time (`holds.extend_hold`); every form there works without script and,
with htmx, swaps the page's `#checkout` in place, bringing what was typed with it. When the hold has lapsed,
what was typed is kept on the server (`sales.checkout_drafts`) and fills the form in after the next choice."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from boxoffice.crm.contacts import ContactDetails, details_from_form
from boxoffice.db import parse_id
from boxoffice.marketing.questions import question_asked
from boxoffice.marketing.tables import QuestionKind
from boxoffice.sales import catalog, holds, orders
from boxoffice.sales.checkout import CheckoutAnswers, CheckoutRefused, Shop, place_online_order
from boxoffice.sales.checkout_drafts import KeptDetails, keep_details, kept_details
from boxoffice.sales.seating.maps import seat_map
from boxoffice.storefront.baskets import BASKET_COOKIE, hold_for_buyer
from boxoffice.storefront.seats import seated_page
from boxoffice.venue.policies import current_policy
from boxoffice.venue.settings import storefront_settings
from boxoffice.web.dependencies import AppSettings, ClientAddress, Gateway
from boxoffice.web.forms import parse_quantities
from boxoffice.web.holding import HoldRefusal


async def performance_page(
    performance_id: int,
    *,
    error: str = "",
    chosen: dict[int, int] | None = None,
    status_code: int = 200,
) -> Template:
    now = datetime.now(UTC)
    performance = await catalog.performance_detail(performance_id, now)
    if performance is None:
        raise NotFoundException()
    settings = await storefront_settings()
    return Template(
        "storefront/performance.html",
        context={
            "performance": performance,
            "error": error,
            "chosen": chosen or {},
            "max_per_order": settings.max_tickets_per_order,
        },
        status_code=status_code,
    )


@get("/performances/{performance_id:int}", name="storefront.performance")
async def show_performance(request: Request, performance_id: FromPath[int]) -> Template:
    """Tickets by number for general admission; a seated performance's seats on its map."""
    map_ = await seat_map(performance_id)
    if map_ is not None:
        return await seated_page(request, performance_id, map_)
    return await performance_page(performance_id)


@post("/performances/{performance_id:int}/hold", name="storefront.hold")
async def hold(request: Request, settings: AppSettings, performance_id: FromPath[int]) -> Template | Redirect:
    form = {key: str(value) for key, value in (await request.form()).items()}
    venue = await storefront_settings()
    chosen, error = parse_quantities(form, most=venue.max_tickets_per_order)
    if error:
        return await performance_page(performance_id, error=error, status_code=400)
    held = await hold_for_buyer(request, settings, venue, performance_id, chosen)
    if isinstance(held, HoldRefusal):
        return await performance_page(
            performance_id, error=held.message, chosen=chosen, status_code=held.status_code
        )
    return held


@dataclass
class CheckoutForm:
    """The checkout form as typed, kept to show it again beside its problems, after a change to the basket
    or more time, and (`sales.checkout_drafts`) after the hold lapsed."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    postcode: str = ""
    marketing: bool = False
    accept_terms: bool = False

    @classmethod
    def from_form(cls, form: dict[str, str]) -> CheckoutForm:
        return cls.from_kept(
            KeptDetails(details_from_form(form), marketing=form.get("marketing") == "yes"),
            accept_terms=form.get("accept_terms") == "yes",
        )

    @classmethod
    def from_kept(cls, kept: KeptDetails, *, accept_terms: bool = False) -> CheckoutForm:
        return cls(**asdict(kept.details), marketing=kept.marketing, accept_terms=accept_terms)

    def kept(self) -> KeptDetails:
        details = ContactDetails(self.first_name, self.last_name, self.email, self.phone, self.postcode)
        return KeptDetails(details, self.marketing)

    def typed_anything(self) -> bool:
        return any((self.first_name, self.last_name, self.email, self.phone, self.postcode))

    def answers(self) -> CheckoutAnswers:
        return CheckoutAnswers(
            self.kept().details, marketing=self.marketing, accepted_terms=self.accept_terms
        )


WARN_SECONDS = 120  # the warning, and its offer of more time, come this long before the hold lapses


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    ok: bool = False


async def checkout_page(
    request: Request,
    gateway: Gateway,
    *,
    form: CheckoutForm | None = None,
    problems: dict[str, str] | None = None,
    notice: Notice | None = None,
    choose_again: int | None = None,
    status_code: int = 200,
) -> Template:
    """The checkout; with no `form`, the details kept from a lapsed hold fill it in. `choose_again` is the
    performance whose page the buyer is sent back to when their basket is empty."""
    now = datetime.now(UTC)
    token = request.cookies.get(BASKET_COOKIE)
    basket = await holds.basket_contents(token, now) if token else holds.Basket([], None)
    kept = await kept_details(token, now) if token else None
    if form is None:
        form = CheckoutForm.from_kept(kept) if kept else CheckoutForm()
    venue = await storefront_settings()
    seconds_left = math.ceil((basket.expires_at - now).total_seconds()) if basket.expires_at else 0
    if is_htmx(request) and status_code >= 400:
        status_code = 200  # htmx swaps only what succeeded; the page itself says what was refused
    return Template(
        "storefront/checkout.html",
        context={
            "basket": basket,
            "form": form,
            "problems": problems or {},
            "notice": notice.text if notice else "",
            "notice_ok": notice.ok if notice else False,
            "details_kept": kept is not None,
            "choose_again": f"/performances/{choose_again}" if choose_again else "",
            "question": await question_asked(QuestionKind.ONLINE),
            "card_payments": gateway is not None,
            "pay_at_box_office": venue.pay_at_box_office,
            "terms": await current_policy("terms"),
            "max_per_order": venue.max_tickets_per_order,
            "hold_minutes": venue.hold_minutes,
            "seconds_left": max(seconds_left, 0),
            "warn_seconds": WARN_SECONDS,
            "now": now,
        },
        status_code=status_code,
    )


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def posted(request: Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.form()).items()}


async def lapsed_page(request: Request, gateway: Gateway, form: CheckoutForm, performance: str) -> Template:
    """The basket lapsed under the buyer: keep what they typed, and send them back to choose again."""
    token = request.cookies.get(BASKET_COOKIE, "")
    if token and form.typed_anything():
        await keep_details(token, form.kept(), datetime.now(UTC))
    return await checkout_page(
        request, gateway, form=form, choose_again=parse_id(performance), status_code=409
    )


@get("/checkout", name="storefront.checkout")
async def show_checkout(request: Request, gateway: Gateway) -> Template:
    return await checkout_page(request, gateway)


@post("/checkout", name="storefront.checkout.submit")
async def submit_checkout(
    request: Request, gateway: Gateway, settings: AppSettings, address: ClientAddress
) -> Template | Redirect:
    fields = await posted(request)
    form = CheckoutForm.from_form(fields)
    shop = Shop(gateway, base_url=settings.base_url, booking_key=settings.secret_key.encode())
    try:
        placed = await place_online_order(
            request.cookies.get(BASKET_COOKIE, ""), form.answers(), shop, ip=address, now=datetime.now(UTC)
        )
    except CheckoutRefused as refusal:
        return await checkout_page(request, gateway, form=form, problems=refusal.problems, status_code=400)
    except orders.BasketLapsed:
        return await lapsed_page(request, gateway, form, fields.get("choose_again", ""))
    return Redirect(path=placed.next_url, status_code=303)


@post("/checkout/more-time", name="storefront.checkout.more_time")
async def more_time(request: Request, gateway: Gateway) -> Template:
    """The one extension of the hold that the warning offers; what was typed comes with it and stays."""
    fields = await posted(request)
    form = CheckoutForm.from_form(fields)
    venue = await storefront_settings()
    try:
        await holds.extend_hold(
            request.cookies.get(BASKET_COOKIE, ""), hold_minutes=venue.hold_minutes, now=datetime.now(UTC)
        )
    except holds.HoldRefused as refusal:
        if (await holds.basket_contents(request.cookies.get(BASKET_COOKIE, ""), datetime.now(UTC))).lines:
            return await checkout_page(
                request, gateway, form=form, notice=Notice(str(refusal)), status_code=409
            )
        return await lapsed_page(request, gateway, form, fields.get("choose_again", ""))
    notice = Notice(f"Done: we hold your tickets for {venue.hold_minutes} more minutes.", ok=True)
    return await checkout_page(request, gateway, form=form, notice=notice)


@post("/checkout/start-again", name="storefront.checkout.start_again")
async def start_again(request: Request, gateway: Gateway) -> Template:
    """Offered when the time is up: keep what was typed and send the buyer back to choose."""
    fields = await posted(request)
    token = request.cookies.get(BASKET_COOKIE, "")
    if token:
        await holds.release_basket(token)
    return await lapsed_page(request, gateway, CheckoutForm.from_form(fields), fields.get("choose_again", ""))


@post("/checkout/basket", name="storefront.checkout.basket")
async def change_basket(request: Request, gateway: Gateway) -> Template:
    """A line's quantity changed, or the line removed (which gives its tickets back at once). With htmx the
    details form comes too (`hx-include`), so what was typed is shown again."""
    fields = await posted(request)
    form = CheckoutForm.from_form(fields)
    performance_id, type_id = parse_id(fields.get("performance")), parse_id(fields.get("ticket_type"))
    venue = await storefront_settings()
    most = venue.max_tickets_per_order
    chosen, error = parse_quantities({f"quantity_{type_id}": fields.get("quantity", "")}, most=most)
    if fields.get("remove") == "yes":
        chosen, error = {}, ""
    if performance_id is None or type_id is None:
        error = holds.LINE_GONE
    if error:
        return await checkout_page(request, gateway, form=form, notice=Notice(error), status_code=400)
    quantity = chosen.get(type_id, 0)
    try:
        await holds.change_line(
            request.cookies.get(BASKET_COOKIE, ""),
            performance_id,
            type_id,
            quantity,
            zone=fields.get("zone", "")[:40],
            max_per_order=most,
            now=datetime.now(UTC),
        )
    except holds.HoldRefused as refusal:
        return await checkout_page(request, gateway, form=form, notice=Notice(str(refusal)), status_code=409)
    done = "Removed: those tickets are free for others now." if not quantity else "Your basket is updated."
    return await checkout_page(request, gateway, form=form, notice=Notice(done, ok=True))


ROUTES = [show_performance, hold, show_checkout, submit_checkout, more_time, start_again, change_basket]
