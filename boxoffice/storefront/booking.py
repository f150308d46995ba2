"""A buyer's booking, at the signed address their confirmation links to: what they bought, their tickets
as a PDF and as QR codes once paid, the performances for their calendar, the venue on a map, the
confirmation e-mail sent again on request, and the page Stripe sends them back to after paying.

Everything here answers only to the booking's signed token, and nothing is cached: the page carries the
tickets' signed codes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import urlsplit

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from boxoffice.config import Settings
from boxoffice.payments.stripe_gateway import PaymentProviderError
from boxoffice.sales.booking_calendar import booking_calendar
from boxoffice.sales.bookings import Booking, booking_path, find_booking
from boxoffice.sales.confirmation import ResendRefused, ResendTooSoon, resend_confirmation
from boxoffice.sales.online_payment import settle_paid_session
from boxoffice.sales.tables import OrderStatus
from boxoffice.tickets.on_screen import ticket_qr_codes
from boxoffice.tickets.pdf import venue_tickets_pdf
from boxoffice.tickets.signing import ticket_signer
from boxoffice.web.dependencies import AppSettings, Gateway
from boxoffice.web.downloads import pdf_download

logger = logging.getLogger("boxoffice.storefront")
NO_STORE = {"Cache-Control": "no-store"}
RESENT = "We have sent the confirmation e-mail again. It can take a few minutes to arrive."


async def booking_or_404(settings: Settings, reference: str, token: str) -> Booking:
    booking = await find_booking(reference, token, settings.secret_key.encode())
    if booking is None:
        raise NotFoundException()
    return booking


def booking_page(
    settings: Settings, booking: Booking, *, notice: str = "", error: str = "", status_code: int = 200
) -> Template:
    paid = booking.status is OrderStatus.PAID
    return Template(
        "storefront/booking.html",
        context={
            "booking": booking,
            "address": booking_path(booking.reference, settings.secret_key.encode()),
            "qr_codes": ticket_qr_codes(booking, ticket_signer(settings.ticket_key_file)) if paid else {},
            "notice": notice,
            "errors": {"resend": error} if error else {},
        },
        status_code=status_code,
        headers=NO_STORE,
    )


@get("/booking/{reference:str}/{token:str}", name="storefront.booking")
async def show_booking(
    settings: AppSettings, reference: FromPath[str], token: FromPath[str], resent: FromQuery[str] = ""
) -> Template:
    booking = await booking_or_404(settings, reference, token)
    return booking_page(settings, booking, notice=RESENT if resent else "")


@get("/booking/{reference:str}/{token:str}/calendar.ics", name="storefront.booking.calendar")
async def booking_calendar_file(
    settings: AppSettings, reference: FromPath[str], token: FromPath[str]
) -> Response:
    """The booking's performances for the buyer's calendar app."""
    booking = await booking_or_404(settings, reference, token)
    host = urlsplit(settings.base_url).hostname or "localhost"
    return Response(
        booking_calendar(booking, host=host, now=datetime.now(UTC)),
        media_type="text/calendar; charset=utf-8",
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="booking-{booking.reference}.ics"',
        },
    )


@post("/booking/{reference:str}/{token:str}/resend", name="storefront.booking.resend")
async def resend_booking_email(
    request: Request, settings: AppSettings, reference: FromPath[str], token: FromPath[str]
) -> Template | Redirect:
    """Send the confirmation again, at most once every few minutes (`sales.confirmation`)."""
    booking = await booking_or_404(settings, reference, token)
    try:
        await resend_confirmation(booking.id, now=datetime.now(UTC))
    except ResendRefused as refusal:
        status = 429 if isinstance(refusal, ResendTooSoon) else 409
        return booking_page(settings, booking, error=str(refusal), status_code=status)
    path = booking_path(reference, settings.secret_key.encode())
    return Redirect(path=f"{path}?resent=1", status_code=303)


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


ROUTES = [show_booking, booking_tickets_pdf, booking_calendar_file, resend_booking_email, return_from_stripe]
