"""Buying online: choose tickets, hold them, give details, pay with Stripe (or reserve), see the booking."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from boxoffice.config import Settings
from boxoffice.marketing.questions import question_asked
from boxoffice.marketing.tables import QuestionKind
from boxoffice.payments.stripe_gateway import PaymentProviderError, StripeGateway, WebhookRejected
from boxoffice.sales import catalog, holds, orders
from boxoffice.sales.bookings import Booking, booking_path, find_booking
from boxoffice.sales.online_payment import (
    CheckoutAddresses,
    apply_stripe_event,
    settle_paid_session,
    start_checkout,
)
from boxoffice.sales.tables import OrderStatus
from boxoffice.tickets.pdf import venue_tickets_pdf
from boxoffice.venue.policies import current_policy
from boxoffice.venue.settings import storefront_settings
from boxoffice.web.downloads import pdf_download
from boxoffice.web.forms import parse_quantities
from boxoffice.web.guards import client_ip

logger = logging.getLogger("boxoffice.storefront")

BASKET_COOKIE = "boxoffice_basket"
MAX_FIELD = {"first_name": 100, "last_name": 100, "email": 254, "phone": 40, "postcode": 16}


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def gateway_of(request: Request) -> StripeGateway | None:
    return request.app.state.stripe


def basket_cookie(request: Request, token: str) -> Cookie:
    return Cookie(
        key=BASKET_COOKIE,
        value=token,
        httponly=True,
        samesite="lax",
        secure=settings_of(request).secure_cookies,
        max_age=24 * 3600,
        path="/",
    )


async def performance_page(
    request: Request,
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
    return await performance_page(request, performance_id)


@post("/performances/{performance_id:int}/hold", name="storefront.hold")
async def hold(request: Request, performance_id: FromPath[int]) -> Template | Redirect:
    form = {key: str(value) for key, value in (await request.form()).items()}
    settings = await storefront_settings()
    chosen, error = parse_quantities(form, most=settings.max_tickets_per_order)
    if error:
        return await performance_page(request, performance_id, error=error, status_code=400)
    token = request.cookies.get(BASKET_COOKIE) or secrets.token_urlsafe(32)
    try:
        await holds.hold_tickets(
            token,
            performance_id,
            chosen,
            hold_minutes=settings.hold_minutes,
            max_per_order=settings.max_tickets_per_order,
            now=datetime.now(UTC),
        )
    except holds.SoldOut as refusal:
        return await performance_page(
            request, performance_id, error=str(refusal), chosen=chosen, status_code=409
        )
    except holds.HoldRefused as refusal:
        return await performance_page(
            request, performance_id, error=str(refusal), chosen=chosen, status_code=400
        )
    return Redirect(path="/checkout", status_code=303, cookies=[basket_cookie(request, token)])


@dataclass
class CheckoutForm:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    postcode: str = ""
    marketing: bool = False
    accept_terms: bool = False

    @classmethod
    def from_form(cls, form: dict[str, str]) -> CheckoutForm:
        fields = {name: " ".join(form.get(name, "").split())[:limit] for name, limit in MAX_FIELD.items()}
        fields["email"] = fields["email"].lower()
        return cls(
            **fields,
            marketing=form.get("marketing") == "yes",
            accept_terms=form.get("accept_terms") == "yes",
        )

    def problems(self) -> dict[str, str]:
        found = {}
        if not self.first_name:
            found["first_name"] = "Enter your first name."
        if not self.last_name:
            found["last_name"] = "Enter your last name."
        local, at, domain = self.email.partition("@")
        if not (local and at and "." in domain.strip(".")) or " " in self.email:
            found["email"] = "Enter an e-mail address such as name@example.org, for your tickets."
        if self.phone and not all(character.isdigit() or character in "+ ()-" for character in self.phone):
            found["phone"] = "Enter a phone number using digits, spaces and + ( ) - only."
        if not self.accept_terms:
            found["accept_terms"] = "Please read and accept the terms and conditions to continue."
        return found


async def checkout_page(
    request: Request,
    *,
    form: CheckoutForm | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    now = datetime.now(UTC)
    token = request.cookies.get(BASKET_COOKIE)
    basket = await holds.basket_contents(token, now) if token else holds.Basket([], None)
    settings = await storefront_settings()
    return Template(
        "storefront/checkout.html",
        context={
            "basket": basket,
            "form": form or CheckoutForm(),
            "problems": problems or {},
            "question": await question_asked(QuestionKind.ONLINE),
            "card_payments": gateway_of(request) is not None,
            "pay_at_box_office": settings.pay_at_box_office,
            "terms": await current_policy("terms"),
            "now": now,
        },
        status_code=status_code,
    )


@get("/checkout", name="storefront.checkout")
async def show_checkout(request: Request) -> Template:
    return await checkout_page(request)


@post("/checkout", name="storefront.checkout.submit")
async def submit_checkout(request: Request) -> Template | Redirect:
    form = CheckoutForm.from_form({key: str(value) for key, value in (await request.form()).items()})
    problems = form.problems()
    if problems:
        return await checkout_page(request, form=form, problems=problems, status_code=400)
    token = request.cookies.get(BASKET_COOKIE, "")
    settings = await storefront_settings()
    gateway = gateway_of(request)
    if gateway is None and not settings.pay_at_box_office:
        return await checkout_page(
            request,
            form=form,
            problems={"payment": "Online payment is not available just now."},
            status_code=400,
        )
    now = datetime.now(UTC)
    basket = await holds.basket_contents(token, now) if token else holds.Basket([], None)
    if not basket.lines:
        return await checkout_page(request, status_code=409)
    if gateway is None:
        first_start = min(line.starts_at for line in basket.lines)
        status, expires_at = (
            OrderStatus.RESERVED,
            first_start - timedelta(hours=settings.reservation_lapse_hours),
        )
        if expires_at <= now:
            return await checkout_page(
                request,
                form=form,
                status_code=400,
                problems={
                    "payment": "It is too late to reserve for this performance; please buy at the box office."
                },
            )
    else:
        status, expires_at = OrderStatus.PENDING_PAYMENT, orders.payment_window(now, settings.hold_minutes)
    question = await question_asked(QuestionKind.ONLINE)
    try:
        placed = await orders.place_order(
            token,
            orders.Buyer(
                form.first_name, form.last_name, form.email, form.phone, form.postcode, client_ip(request)
            ),
            status=status,
            expires_at=expires_at,
            terms_version=(await current_policy("terms")).version,
            privacy_version=(await current_policy("privacy")).version,
            marketing_opt_in=form.marketing and question is not None,
            consent_question=question.id if question else None,
            now=now,
        )
    except orders.BasketLapsed:
        return await checkout_page(request, status_code=409)
    key = settings_of(request).secret_key.encode()
    booking = booking_path(placed.reference, key)
    if gateway is None:
        return Redirect(path=booking, status_code=303)
    base = settings_of(request).base_url
    try:
        url = await start_checkout(
            gateway,
            placed,
            form.email,
            CheckoutAddresses(
                success_url=f"{base}{booking}/paid?session_id={{CHECKOUT_SESSION_ID}}",
                cancel_url=f"{base}{booking}",
            ),
        )
    except PaymentProviderError:
        logger.exception("could not open a Stripe Checkout Session for order %s", placed.id)
        return Redirect(path=booking, status_code=303)
    return Redirect(path=url, status_code=303)


async def booking_or_404(request: Request, reference: str, token: str) -> Booking:
    booking = await find_booking(reference, token, settings_of(request).secret_key.encode())
    if booking is None:
        raise NotFoundException()
    return booking


@get("/booking/{reference:str}/{token:str}", name="storefront.booking")
async def show_booking(request: Request, reference: FromPath[str], token: FromPath[str]) -> Template:
    booking = await booking_or_404(request, reference, token)
    return Template(
        "storefront/booking.html",
        context={"booking": booking, "card_payments": gateway_of(request) is not None},
        headers={"Cache-Control": "no-store"},
    )


@get("/booking/{reference:str}/{token:str}/tickets.pdf", name="storefront.booking.pdf")
async def booking_tickets_pdf(request: Request, reference: FromPath[str], token: FromPath[str]) -> Response:
    """The tickets of a paid booking as a PDF, one page each; nothing for a booking not (yet) paid."""
    booking = await booking_or_404(request, reference, token)
    if booking.status is not OrderStatus.PAID:
        raise NotFoundException()
    return pdf_download(await venue_tickets_pdf(booking), f"tickets-{booking.reference}.pdf")


# Stripe's events are a few kilobytes; the body is read before its signature is checked.
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024


@get("/booking/{reference:str}/{token:str}/paid", name="storefront.booking.paid")
async def return_from_stripe(
    request: Request, reference: FromPath[str], token: FromPath[str], session_id: FromQuery[str] = ""
) -> Redirect:
    """Where Stripe sends the buyer after paying: fulfil now if the webhook has not done so yet."""
    booking = await booking_or_404(request, reference, token)
    gateway = gateway_of(request)
    if gateway is not None and session_id and booking.status is not OrderStatus.PAID:
        try:
            session = await gateway.retrieve_checkout_session(session_id[:255])
        except PaymentProviderError:
            logger.warning("could not read back Checkout Session for order %s", booking.id)
        else:
            await settle_paid_session(gateway, session, event_id=None, now=datetime.now(UTC))
    return Redirect(path=booking_path(reference, settings_of(request).secret_key.encode()), status_code=303)


@post(
    "/webhooks/stripe",
    name="webhooks.stripe",
    opt={"exclude_from_csrf": True},
    status_code=200,
    request_max_body_size=WEBHOOK_MAX_BODY_BYTES,
)
async def stripe_webhook(request: Request) -> Response:
    """Stripe's calls cannot carry our CSRF token; Stripe's signature on the raw body stands in for it.

    A body that is no event answers 400; a genuine event we cannot use answers 200 and changes nothing,
    since Stripe would otherwise send the same body again for days."""
    gateway = gateway_of(request)
    if gateway is None:
        raise NotFoundException()
    try:
        event = gateway.parse_webhook(await request.body(), request.headers.get("stripe-signature"))
    except WebhookRejected:
        raise HTTPException(status_code=400, detail="invalid signature") from None
    await apply_stripe_event(gateway, event, now=datetime.now(UTC))
    return Response(content={"received": True})


ROUTES = [
    show_performance,
    hold,
    show_checkout,
    submit_checkout,
    show_booking,
    booking_tickets_pdf,
    return_from_stripe,
    stripe_webhook,
]
