"""The order confirmation e-mail, queued in the same transaction that fulfils the order.

The tickets PDF is queued as a recipe, `TICKETS_PDF`, that the worker makes when it sends the e-mail
(`tickets.pdf.ATTACHMENT_MAKERS`): rendering takes milliseconds a ticket, which the fulfilling transaction
(and, on SQLite, every other writer) should not wait for. Made at sending, it also carries the codes
current then, should a ticket be reprinted first.
"""

from __future__ import annotations

from boxoffice.config import get_settings
from boxoffice.mail.outbox import AttachmentRecipe, Email, queue_email
from boxoffice.mail.templates import PRIVACY_CENTRE_PATH, render_email
from boxoffice.sales.bookings import booking_path, load_booking
from boxoffice.sales.tables import OrderStatus

TICKETS_PDF = "order_tickets"  # the worker's name for `tickets.pdf.order_tickets_pdf`


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
