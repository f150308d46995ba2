"""Tickets as a PDF: one page per valid ticket, with its signed QR code and the short code beside it.

Two layouts: "a4" to print at home, and "thermal" for 80 mm x 150 mm ticket stock. QR codes are 1-bit
PNG images, one pixel a module, drawn unsmoothed: WeasyPrint embeds those in a fraction of the time it
takes to parse the same code as an SVG path. Rendering (`boxoffice.documents.pdf`) loads nothing but our own
assets and these images, off the event loop.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from boxoffice.config import get_settings
from boxoffice.documents.formatting import local_format
from boxoffice.documents.paths import TEMPLATES_DIR
from boxoffice.documents.pdf import render_pdf
from boxoffice.documents.pdf_urls import image_url
from boxoffice.sales.bookings import Booking, load_booking
from boxoffice.sales.confirmation import TICKETS_PDF
from boxoffice.tickets.signing import TicketSigner, readable_code, ticket_signer
from boxoffice.venue.settings import storefront_settings

LAYOUTS = ("a4", "thermal")
STYLESHEET = TEMPLATES_DIR / "tickets" / "tickets.css"
QR_BORDER = 4  # the quiet zone, in modules, that scanners need around a code
QR_MASK = 0
NO_BUYER_NAME = "Box office sale"


@functools.cache
def tickets_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "tickets"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["local_format"] = local_format
    return environment


@dataclass(frozen=True, slots=True)
class PrintedTicket:
    event_title: str
    date: str
    time: str
    venue_name: str
    venue_address: str
    ticket_name: str
    price: str
    readable_code: str
    qr_url: str


def buyer_name(booking: Booking) -> str:
    return " ".join(f"{booking.first_name} {booking.last_name}".split()) or NO_BUYER_NAME


def qr_png(payload: str) -> bytes:
    """The QR code as a PNG of one pixel per module, with its quiet zone.

    The mask is fixed: any of the eight is valid and scans, and scoring all eight to pick the best
    takes most of the time segno spends on a code."""
    qr = segno.make_qr(payload, error="m", mask=QR_MASK)
    image = io.BytesIO()
    qr.save(image, kind="png", scale=1, border=QR_BORDER)
    return image.getvalue()


@dataclass(frozen=True, slots=True)
class TicketsDocument:
    """The HTML of a tickets PDF and the QR code images it refers to."""

    html: str
    qr_codes: list[bytes]


def printed_tickets(booking: Booking, signer: TicketSigner) -> tuple[list[PrintedTicket], list[bytes]]:
    printed, qr_codes = [], []
    for performance in booking.performances:
        fmt = local_format(performance.venue_locale, performance.venue_timezone)
        for ticket in performance.tickets:
            if ticket.status != "valid":
                continue
            printed.append(
                PrintedTicket(
                    event_title=performance.event_title,
                    date=fmt.date(performance.starts_at),
                    time=fmt.time(performance.starts_at),
                    venue_name=performance.venue_name,
                    venue_address=performance.venue_address,
                    ticket_name=ticket.ticket_name,
                    price=fmt.money(ticket.price) if ticket.price is not None else "",
                    readable_code=readable_code(ticket.code),
                    qr_url=image_url(len(qr_codes)),
                )
            )
            qr_codes.append(qr_png(signer.qr_payload(ticket.code)))
    return printed, qr_codes


def tickets_document(booking: Booking, *, layout: str, signer: TicketSigner) -> TicketsDocument:
    if layout not in LAYOUTS:
        raise ValueError(f"no ticket layout {layout!r}; use one of {', '.join(LAYOUTS)}")
    tickets, qr_codes = printed_tickets(booking, signer)
    html = (
        tickets_environment()
        .get_template("tickets.html")
        .render(booking=booking, buyer=buyer_name(booking), tickets=tickets, layout=layout)
    )
    return TicketsDocument(html, qr_codes)


async def render_tickets_pdf(booking: Booking, *, layout: str = "a4") -> bytes:
    """The booking's valid tickets as a PDF, one page each, rendered off the event loop."""
    document = tickets_document(booking, layout=layout, signer=ticket_signer(get_settings().ticket_key_file))
    return await render_pdf(document.html, stylesheet=STYLESHEET, images=document.qr_codes)


async def venue_tickets_pdf(booking: Booking) -> bytes:
    """The booking's tickets in the layout the venue chose in Settings > Storefront."""
    layout = "thermal" if (await storefront_settings()).thermal_tickets else "a4"
    return await render_tickets_pdf(booking, layout=layout)


async def order_tickets_pdf(order_id: int) -> bytes:
    """The order's valid tickets as a PDF, for the worker to attach to the confirmation."""
    booking = await load_booking(order_id)
    if booking is None:
        raise LookupError(f"order {order_id} is gone")
    return await venue_tickets_pdf(booking)


ATTACHMENT_MAKERS = {TICKETS_PDF: order_tickets_pdf}  # the recipes the mail worker makes attachments from
