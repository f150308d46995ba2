"""A buyer's booking, at the signed address their confirmation links to: what they bought, their tickets
as a PDF once paid, and the page Stripe sends them back to after paying."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from litestar import get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from boxoffice.config import Settings
from boxoffice.payments.stripe_gateway import PaymentProviderError
from boxoffice.sales.bookings import Booking, booking_path, find_booking
from boxoffice.sales.online_payment import settle_paid_session
from boxoffice.sales.tables import OrderStatus
from boxoffice.tickets.pdf import venue_tickets_pdf
from boxoffice.web.dependencies import AppSettings, Gateway
from boxoffice.web.downloads import pdf_download

logger = logging.getLogger("boxoffice.storefront")


async def booking_or_404(settings: Settings, reference: str, token: str) -> Booking:
    booking = await find_booking(reference, token, settings.secret_key.encode())
    if booking is None:
        raise NotFoundException()
    return booking


@get("/booking/{reference:str}/{token:str}", name="storefront.booking")
async def show_booking(
    settings: AppSettings, gateway: Gateway, reference: FromPath[str], token: FromPath[str]
) -> Template:
    booking = await booking_or_404(settings, reference, token)
    return Template(
        "storefront/booking.html",
        context={"booking": booking, "card_payments": gateway is not None},
        headers={"Cache-Control": "no-store"},
    )


@get("/booking/{reference:str}/{token:str}/tickets.pdf", name="storefront.booking.pdf")
async def booking_tickets_pdf(
    settings: AppSettings, reference: FromPath[str], token: FromPath[str]
) -> Response:
    """The tickets of a paid booking as a PDF, one page each; nothing for a booking not (yet) paid."""
    booking = await booking_or_404(settings, reference, token)
    if booking.status is not OrderStatus.PAID:
        raise NotFoundException()
    return pdf_download(await venue_tickets_pdf(booking), f"tickets-{booking.reference}.pdf")


@get("/booking/{reference:str}/{token:str}/paid", name="storefront.booking.paid")
async def return_from_stripe(
    settings: AppSettings,
    gateway: Gateway,
    reference: FromPath[str],
    token: FromPath[str],
    session_id: FromQuery[str] = "",
) -> Redirect:
    """Where Stripe sends the buyer after paying: fulfil now if the webhook has not done so yet."""
    booking = await booking_or_404(settings, reference, token)
    if gateway is not None and session_id and booking.status is not OrderStatus.PAID:
        try:
            session = await gateway.retrieve_checkout_session(session_id[:255])
        except PaymentProviderError:
            logger.warning("could not read back Checkout Session for order %s", booking.id)
        else:
            await settle_paid_session(gateway, session, event_id=None, now=datetime.now(UTC))
    return Redirect(path=booking_path(reference, settings.secret_key.encode()), status_code=303)


ROUTES = [show_booking, booking_tickets_pdf, return_from_stripe]
