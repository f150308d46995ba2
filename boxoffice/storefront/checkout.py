"""Buying online: choose tickets and hold them, then give details and place the order (`sales.checkout`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from boxoffice.crm.contacts import details_from_form
from boxoffice.marketing.questions import question_asked
from boxoffice.marketing.tables import QuestionKind
from boxoffice.sales import catalog, holds, orders
from boxoffice.sales.checkout import CheckoutAnswers, CheckoutRefused, Shop, place_online_order
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
    """The checkout form as typed, kept to show it again beside its problems."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    postcode: str = ""
    marketing: bool = False
    accept_terms: bool = False

    @classmethod
    def from_form(cls, form: dict[str, str]) -> CheckoutForm:
        details = details_from_form(form)
        return cls(
            first_name=details.first_name,
            last_name=details.last_name,
            email=details.email,
            phone=details.phone,
            postcode=details.postcode,
            marketing=form.get("marketing") == "yes",
            accept_terms=form.get("accept_terms") == "yes",
        )

    def answers(self) -> CheckoutAnswers:
        details = details_from_form(
            {
                "first_name": self.first_name,
                "last_name": self.last_name,
                "email": self.email,
                "phone": self.phone,
                "postcode": self.postcode,
            }
        )
        return CheckoutAnswers(details, marketing=self.marketing, accepted_terms=self.accept_terms)


async def checkout_page(
    request: Request,
    gateway: Gateway,
    *,
    form: CheckoutForm | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    now = datetime.now(UTC)
    token = request.cookies.get(BASKET_COOKIE)
    basket = await holds.basket_contents(token, now) if token else holds.Basket([], None)
    return Template(
        "storefront/checkout.html",
        context={
            "basket": basket,
            "form": form or CheckoutForm(),
            "problems": problems or {},
            "question": await question_asked(QuestionKind.ONLINE),
            "card_payments": gateway is not None,
            "pay_at_box_office": (await storefront_settings()).pay_at_box_office,
            "terms": await current_policy("terms"),
            "now": now,
        },
        status_code=status_code,
    )


@get("/checkout", name="storefront.checkout")
async def show_checkout(request: Request, gateway: Gateway) -> Template:
    return await checkout_page(request, gateway)


@post("/checkout", name="storefront.checkout.submit")
async def submit_checkout(
    request: Request, gateway: Gateway, settings: AppSettings, address: ClientAddress
) -> Template | Redirect:
    form = CheckoutForm.from_form({key: str(value) for key, value in (await request.form()).items()})
    shop = Shop(gateway, base_url=settings.base_url, booking_key=settings.secret_key.encode())
    try:
        placed = await place_online_order(
            request.cookies.get(BASKET_COOKIE, ""), form.answers(), shop, ip=address, now=datetime.now(UTC)
        )
    except CheckoutRefused as refusal:
        return await checkout_page(request, gateway, form=form, problems=refusal.problems, status_code=400)
    except orders.BasketLapsed:
        return await checkout_page(request, gateway, status_code=409)
    return Redirect(path=placed.next_url, status_code=303)


ROUTES = [show_performance, hold, show_checkout, submit_checkout]
