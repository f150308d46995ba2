"""Checkout: a basket of held tickets and the buyer's answers become an order, reserved or awaiting payment.

The rules, in the order they are applied:
- The buyer gives both names and an e-mail address for their tickets (`crm.contacts.detail_problems`, the
  one rule every form with contact details follows), and accepts the T&Cs in effect; the versions of the
  T&Cs and privacy policy they were shown are kept on the order.
- With card payments on, the order awaits payment for the hold time and the buyer is sent to Stripe; a
  buyer Stripe cannot be reached for is sent to their booking, where they can pay again.
- With them off, the order is reserved to pay at the box office, if the venue allows that, until
  `reservation_lapse_hours` before the first of its performances starts; later, nothing can be reserved.
- A marketing opt-in counts only when the question was on the page: an answer to a question that was
  not asked is no consent, whatever the form said.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from boxoffice.crash_points import crash_point
from boxoffice.crm.contacts import ContactDetails, detail_problems
from boxoffice.errors import Refused
from boxoffice.marketing.questions import question_asked
from boxoffice.marketing.tables import QuestionKind
from boxoffice.payments.stripe_gateway import PaymentProviderError, StripeGateway
from boxoffice.sales import holds, orders
from boxoffice.sales.bookings import booking_path
from boxoffice.sales.checkout_drafts import forget_details
from boxoffice.sales.online_payment import CheckoutAddresses, start_checkout
from boxoffice.sales.tables import OrderStatus
from boxoffice.venue.policies import current_policy
from boxoffice.venue.settings import storefront_settings

logger = logging.getLogger("boxoffice.sales")

NO_PAYMENT = "Online payment is not available just now."
TOO_LATE_TO_RESERVE = "It is too late to reserve for this performance; please buy at the box office."
ACCEPT_TERMS = "Please read and accept the terms and conditions to continue."


class CheckoutRefused(Refused):
    """No order was placed; the basket is held as it was."""


@dataclass(frozen=True, slots=True)
class CheckoutAnswers:
    """What the buyer typed and ticked on the checkout page."""

    details: ContactDetails
    marketing: bool
    accepted_terms: bool

    def problems(self) -> dict[str, str]:
        found = detail_problems(self.details, buyer=True)
        if not self.accepted_terms:
            found["accept_terms"] = ACCEPT_TERMS
        return found


@dataclass(frozen=True, slots=True)
class Shop:
    """What the checkout needs of the venue's set-up: Stripe (None when card payments are off) and the
    addresses and key that make a booking's link."""

    gateway: StripeGateway | None
    base_url: str
    booking_key: bytes


@dataclass(frozen=True, slots=True)
class Checkout:
    order: orders.PlacedOrder
    next_url: str  # Stripe's payment page, or the booking's own page


async def place_online_order(
    basket_token: str, answers: CheckoutAnswers, shop: Shop, *, ip: str, now: datetime
) -> Checkout:
    """Place the basket's order (see the module's docstring) and say where to send the buyer next.
    Raises CheckoutRefused with the problems by form field, and orders.BasketLapsed when the basket
    holds nothing any more."""
    if problems := answers.problems():
        raise CheckoutRefused(problems)
    settings = await storefront_settings()
    if shop.gateway is None and not settings.pay_at_box_office:
        raise CheckoutRefused(NO_PAYMENT, field="payment")
    basket = await holds.basket_contents(basket_token, now) if basket_token else holds.Basket([], None)
    if not basket.lines:
        raise orders.BasketLapsed()
    if shop.gateway is None:
        status = OrderStatus.RESERVED
        expires_at = min(line.starts_at for line in basket.lines) - timedelta(
            hours=settings.reservation_lapse_hours
        )
        if expires_at <= now:
            raise CheckoutRefused(TOO_LATE_TO_RESERVE, field="payment")
    else:
        status, expires_at = OrderStatus.PENDING_PAYMENT, orders.payment_window(now, settings.hold_minutes)
    question = await question_asked(QuestionKind.ONLINE)
    details = answers.details
    placed = await orders.place_order(
        basket_token,
        orders.Buyer(
            details.first_name, details.last_name, details.email, details.phone, details.postcode, ip
        ),
        status=status,
        expires_at=expires_at,
        terms_version=(await current_policy("terms")).version,
        privacy_version=(await current_policy("privacy")).version,
        marketing_opt_in=answers.marketing and question is not None,
        consent_question=question.id if question else None,
        now=now,
    )
    await forget_details(basket_token)
    booking = booking_path(placed.reference, shop.booking_key)
    if shop.gateway is None:
        return Checkout(placed, booking)
    addresses = CheckoutAddresses(
        success_url=f"{shop.base_url}{booking}/paid?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{shop.base_url}{booking}",
    )
    crash_point("checkout.order_placed")
    try:
        return Checkout(placed, await start_checkout(shop.gateway, placed, details.email, addresses))
    except PaymentProviderError:
        logger.exception("could not open a Stripe Checkout Session for order %s", placed.id)
        return Checkout(placed, booking)
