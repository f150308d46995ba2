"""The order confirmation e-mail, queued in the same transaction that fulfils the order.

The tickets PDF is queued as a recipe, `TICKETS_PDF`, that the worker makes when it sends the e-mail
(`tickets.pdf.ATTACHMENT_MAKERS`): rendering takes milliseconds a ticket, which the fulfilling transaction
(and, on SQLite, every other writer) should not wait for. Made at sending, it also carries the codes
current then, should a ticket be reprinted first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from boxoffice.config import get_settings
from boxoffice.db import write_transaction
from boxoffice.errors import Refused
from boxoffice.mail.outbox import AttachmentRecipe, Email, queue_email
from boxoffice.mail.templates import PRIVACY_CENTRE_PATH, render_email
from boxoffice.sales.bookings import booking_path, load_booking
from boxoffice.sales.tables import Order, OrderStatus

TICKETS_PDF = "order_tickets"  # the worker's name for `tickets.pdf.order_tickets_pdf`
# A buyer may have the confirmation sent again this often: enough for a lost e-mail, too rarely for the
# booking page's button to be a way of flooding someone's inbox.
RESEND_INTERVAL = timedelta(minutes=5)
RESENDABLE = (OrderStatus.PAID, OrderStatus.RESERVED)


class ResendRefused(Refused):
    """The confirmation was not sent again: the order has none to send (cancelled, lapsed, no e-mail)."""


class ResendTooSoon(ResendRefused):
    """The confirmation was sent again less than RESEND_INTERVAL ago; the message says when to ask."""


async def queue_confirmation(order_id: int) -> None:
    settings = get_settings()
    booking = await load_booking(order_id)
    if booking is None or not booking.email:
        return
    manage_url = settings.base_url + booking_path(booking.reference, settings.secret_key.encode())
    text, html = render_email(
        "order_confirmation",
        {
            "booking": booking,
            "manage_url": manage_url,
            "privacy_centre_url": settings.base_url + PRIVACY_CENTRE_PATH,
        },
    )
    attachments = ()
    if booking.status is OrderStatus.PAID:
        attachments = (
            AttachmentRecipe(f"tickets-{booking.reference}.pdf", "application/pdf", TICKETS_PDF, order_id),
        )
    await queue_email(
        Email(
            recipient=booking.email,
            subject=f"Your tickets: order {booking.reference}",
            text=text,
            html=html,
            attachments=attachments,
            kind="order_confirmation",
        )
    )


async def resend_confirmation(order_id: int, *, now: datetime) -> None:
    """Queue the order's confirmation again, at most once per RESEND_INTERVAL, or raise ResendRefused.

    The interval is claimed by one conditional UPDATE, in the transaction that queues the e-mail, so two
    clicks at once (or two workers) send it once."""
    async with write_transaction():
        claimed = (
            await Order.update({Order.confirmation_resent_at: now})
            .where(
                (Order.id == order_id)
                & Order.status.is_in([status.value for status in RESENDABLE])
                & (Order.email != "")
                & (
                    Order.confirmation_resent_at.is_null()
                    | (Order.confirmation_resent_at <= now - RESEND_INTERVAL)
                )
            )
            .returning(Order.id)
        )
        if not claimed:
            order = await Order.select(Order.status, Order.email).where(Order.id == order_id).first()
            if order is None or order["status"] not in RESENDABLE or not order["email"]:
                raise ResendRefused("This booking has no confirmation to send again.")
            raise ResendTooSoon(
                "We sent this e-mail again a few minutes ago. Please check your spam folder, or ask "
                f"again in {RESEND_INTERVAL.seconds // 60} minutes."
            )
        await queue_confirmation(order_id)
