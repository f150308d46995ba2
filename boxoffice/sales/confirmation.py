"""The order confirmation e-mail, queued in the same transaction that fulfils the order."""

from __future__ import annotations

from boxoffice.config import get_settings
from boxoffice.mail.outbox import Attachment, Email, queue_email
from boxoffice.mail.templates import render_email
from boxoffice.sales.bookings import booking_path, load_booking
from boxoffice.sales.tables import OrderStatus
from boxoffice.tickets.pdf import venue_tickets_pdf


async def queue_confirmation(order_id: int) -> None:
    settings = get_settings()
    booking = await load_booking(order_id)
    if booking is None or not booking.email:
        return
    manage_url = settings.base_url + booking_path(booking.reference, settings.secret_key.encode())
    text, html = render_email("order_confirmation", {"booking": booking, "manage_url": manage_url})
    attachments: tuple[Attachment, ...] = ()
    if booking.status is OrderStatus.PAID:
        pdf = await venue_tickets_pdf(booking)
        attachments = (Attachment(f"tickets-{booking.reference}.pdf", "application/pdf", pdf),)
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
