"""A tickets PDF made from plain values: `TicketsToPrint`, and what a renderer process makes of it.

`TicketsToPrint` holds strings only: dates and prices come formatted and codes signed (`tickets.pdf` does
that, in the process that asks), so it pickles small and the renderer needs no database, settings or
signing key; and its `fingerprint` says whether a PDF made earlier is the one it would make now.

Two layouts: "a4" to print at home, and "thermal" for 80 mm x 150 mm ticket stock. QR codes are 8-bit
grey PNG images, one pixel a module, drawn unsmoothed: WeasyPrint encodes those once more to embed them,
where it turns a 1-bit PNG into a colour image and encodes that twice, and it takes far longer to parse
the same code as an SVG path. tickets.css is the whole of a ticket's style: WeasyPrint's user-agent
stylesheet is left out (`pdf_engine.OwnStylesHTML`), a fifth of the time a ticket takes. Rendering loads
nothing but our own assets and these images.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
from dataclasses import dataclass

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from boxoffice.documents.paths import TEMPLATES_DIR
from boxoffice.documents.pdf import render_pdf_now
from boxoffice.documents.pdf_urls import image_url

LAYOUTS = ("a4", "thermal")
TEMPLATE = TEMPLATES_DIR / "tickets" / "tickets.html"
STYLESHEET = TEMPLATES_DIR / "tickets" / "tickets.css"
QR_BORDER = 4  # the quiet zone, in modules, that scanners need around a code
QR_MASK = 0
GREY_LEVELS = bytes([255, 0]) + bytes(254)  # segno's modules (0 light, 1 dark) as white and black pixels


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
    qr_payload: str  # the signed code the QR code holds
    seat: str = ""  # 'Stalls, row A, seat 5' on a seated performance


@dataclass(frozen=True, slots=True)
class TicketsToPrint:
    """One PDF: a page for each ticket, in `layout` (one of LAYOUTS)."""

    reference: str
    buyer: str
    layout: str
    tickets: tuple[PrintedTicket, ...]

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"no ticket layout {self.layout!r}; use one of {', '.join(LAYOUTS)}")


@functools.cache
def design_digest() -> bytes:
    """The template and stylesheet as this process read them: a new design makes new PDFs."""
    return hashlib.sha256(TEMPLATE.read_bytes() + b"\0" + STYLESHEET.read_bytes()).digest()


def fingerprint(to_print: TicketsToPrint) -> str:
    """A digest of everything the PDF shows and the design it is drawn in: the same fingerprint, the same
    PDF. The QR payloads are signed codes, so a new code or a new signing key changes it too."""
    values = json.dumps(dataclasses.astuple(to_print), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(design_digest() + values.encode()).hexdigest()


def qr_png(payload: str) -> bytes:
    """The QR code as an 8-bit grey PNG of one pixel per module, with its quiet zone.

    The mask is fixed: any of the eight is valid and scans, and scoring all eight to pick the best
    takes most of the time segno spends on a code."""
    import segno  # like PIL, loaded in the renderer only
    from PIL import Image  # WeasyPrint's own image library, loaded in the renderer only

    matrix = segno.make_qr(payload, error="m", mask=QR_MASK).matrix
    side = len(matrix) + 2 * QR_BORDER
    margin = b"\xff" * QR_BORDER
    quiet_rows = b"\xff" * (side * QR_BORDER)
    pixels = b"".join(
        (quiet_rows, *(margin + bytes(row).translate(GREY_LEVELS) + margin for row in matrix), quiet_rows)
    )
    image = io.BytesIO()
    Image.frombytes("L", (side, side), pixels).save(image, format="PNG", compress_level=1)
    return image.getvalue()


@functools.cache
def tickets_template() -> Template:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE.parent),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["image_url"] = image_url
    return environment.get_template(TEMPLATE.name)


@dataclass(frozen=True, slots=True)
class TicketsDocument:
    """The HTML of a tickets PDF and the QR code images it refers to, in order."""

    html: str
    qr_codes: list[bytes]


def tickets_document(to_print: TicketsToPrint) -> TicketsDocument:
    html = tickets_template().render(tickets=to_print)
    return TicketsDocument(html, [qr_png(ticket.qr_payload) for ticket in to_print.tickets])


def tickets_pdf(to_print: TicketsToPrint) -> bytes:
    """The PDF, made in this process: what a renderer runs (`tickets.pdf` sends it there)."""
    document = tickets_document(to_print)
    return render_pdf_now(
        document.html, stylesheet=STYLESHEET, images=document.qr_codes, user_agent_styles=False
    )
