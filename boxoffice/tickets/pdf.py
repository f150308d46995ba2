"""Tickets as a PDF: one page per valid ticket, with its signed QR code and the short code beside it.

Here, in the process that asks (a web worker, `boxoffice worker`), a booking becomes `TicketsToPrint`:
its valid tickets with dates and prices as the venue writes them and codes signed. A renderer process
makes the PDF of that (`printing.tickets_pdf`, through `documents.pdf`), so no web worker loads
WeasyPrint; and the PDF made for an order is kept and handed out again until something it shows changes
(`pdf_copies`). A renderer that dies raises `documents.pdf.RendererFailed`, which pages answer with an
error page (`web.errors`) and the mail worker with a later try.
"""

from __future__ import annotations

from boxoffice.config import get_settings
from boxoffice.documents.formatting import local_format
from boxoffice.documents.pdf import run_in_renderer
from boxoffice.sales.bookings import Booking, load_booking
from boxoffice.sales.confirmation import TICKETS_PDF
from boxoffice.tickets import printing
from boxoffice.tickets.pdf_copies import keep_copy, kept_copy
from boxoffice.tickets.printing import PrintedTicket, TicketsToPrint, fingerprint
from boxoffice.tickets.signing import TicketSigner, readable_code, ticket_signer
from boxoffice.venue.settings import storefront_settings

NO_BUYER_NAME = "Box office sale"


def buyer_name(booking: Booking) -> str:
    return " ".join(f"{booking.first_name} {booking.last_name}".split()) or NO_BUYER_NAME


def tickets_to_print(booking: Booking, *, layout: str, signer: TicketSigner) -> TicketsToPrint:
    """The booking's valid tickets, as they are printed; ValueError for a layout we do not have."""
    printed = []
    for performance in booking.performances:
        fmt = local_format(performance.venue_locale, performance.venue_timezone)
        date, time = fmt.date(performance.starts_at), fmt.time(performance.starts_at)
        printed += [
            PrintedTicket(
                event_title=performance.event_title,
                date=date,
                time=time,
                venue_name=performance.venue_name,
                venue_address=performance.venue_address,
                ticket_name=ticket.ticket_name,
                price=fmt.money(ticket.price) if ticket.price is not None else "",
                readable_code=readable_code(ticket.code),
                qr_payload=signer.qr_payload(ticket.code),
                seat=ticket.seat,
            )
            for ticket in performance.tickets
            if ticket.status == "valid"
        ]
    return TicketsToPrint(booking.reference, buyer_name(booking), layout, tuple(printed))


async def render_tickets_pdf(booking: Booking, *, layout: str = "a4") -> bytes:
    """The booking's valid tickets as a PDF, one page each, made now by a renderer."""
    to_print = tickets_to_print(booking, layout=layout, signer=ticket_signer(get_settings().ticket_key_file))
    return await run_in_renderer(printing.tickets_pdf, to_print)


async def venue_tickets_pdf(booking: Booking) -> bytes:
    """The booking's tickets in the layout the venue chose in Settings > Storefront: the copy kept for
    the order while it still shows what would be printed now, or else one made now and kept."""
    layout = "thermal" if (await storefront_settings()).thermal_tickets else "a4"
    to_print = tickets_to_print(booking, layout=layout, signer=ticket_signer(get_settings().ticket_key_file))
    printed_as = fingerprint(to_print)
    content = await kept_copy(booking.id, printed_as)
    if content is None:
        content = await run_in_renderer(printing.tickets_pdf, to_print)
        await keep_copy(booking.id, printed_as, content)
    return content


async def order_tickets_pdf(order_id: int) -> bytes:
    """The order's valid tickets as a PDF, for the worker to attach to the confirmation."""
    booking = await load_booking(order_id)
    if booking is None:
        raise LookupError(f"order {order_id} is gone")
    return await venue_tickets_pdf(booking)


ATTACHMENT_MAKERS = {TICKETS_PDF: order_tickets_pdf}  # the recipes the mail worker makes attachments from
