"""Tickets as a PDF: one page per valid ticket, with its signed QR code and the short code beside it.

Two layouts: "a4" to print at home, and "thermal" for 80 mm x 150 mm ticket stock.

WeasyPrint reads nothing but our own files under assets/, through `AssetFetcher`: any other URL (one
smuggled in through a buyer's name, say) is refused before a connection is made. Rendering is CPU-bound
and takes tens of milliseconds, so it runs in a small pool of threads of its own; each thread keeps its
own parsed stylesheet and font configuration (WeasyPrint's are not shared between threads).
"""

from __future__ import annotations

import asyncio
import functools
import mimetypes
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from boxoffice.config import get_settings
from boxoffice.sales.bookings import Booking
from boxoffice.storefront.settings import storefront_settings
from boxoffice.tickets.signing import TicketSigner, readable_code, ticket_signer
from boxoffice.web.formatting import local_format
from boxoffice.web.templating import ASSETS_DIR, TEMPLATES_DIR

LAYOUTS = ("a4", "thermal")
ASSET_SCHEME = "boxoffice-asset:"  # boxoffice-asset:fonts/DejaVuSans.ttf is assets/fonts/DejaVuSans.ttf
NO_BUYER_NAME = "Box office sale"
RENDERING_THREADS = 2
QR_MASK = 0
RENDERING_POOL = ThreadPoolExecutor(max_workers=RENDERING_THREADS, thread_name_prefix="ticket-pdf")


class RefusedURL(ValueError):
    """WeasyPrint asked for something that is not one of our asset files."""


class AssetFetcher(URLFetcher):
    """Serves files under `root` for `boxoffice-asset:<relative path>` URLs, and refuses every other URL."""

    def __init__(self, root: Path = ASSETS_DIR) -> None:
        super().__init__(allowed_protocols=())
        self.root = root.resolve()

    def asset_path(self, url: str) -> Path:
        if not url.startswith(ASSET_SCHEME):
            raise RefusedURL(f"only our own assets are loaded, not {url[:100]!r}")
        relative = unquote(url.removeprefix(ASSET_SCHEME).split("?")[0].split("#")[0])
        if not relative or "\\" in relative or "\x00" in relative or relative.startswith("/"):
            raise RefusedURL(f"not an asset path: {url[:100]!r}")
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise RefusedURL(f"no such asset: {url[:100]!r}")
        return path

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        path = self.asset_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


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
    qr_svg: Markup


def buyer_name(booking: Booking) -> str:
    return " ".join(f"{booking.first_name} {booking.last_name}".split()) or NO_BUYER_NAME


def qr_svg(payload: str) -> Markup:
    """The QR code as inline SVG markup (segno writes one path of the dark modules).

    The mask is fixed: any of the eight is valid and scans, and scoring all eight to pick the best
    takes most of the time segno spends on a code."""
    qr = segno.make_qr(payload, error="m", mask=QR_MASK)
    svg = qr.svg_inline(border=4, omitsize=True, dark="#000", svgclass="qr")
    return Markup(svg)  # noqa: S704 - segno's own markup; the payload is our signed code


def printed_tickets(booking: Booking, signer: TicketSigner) -> list[PrintedTicket]:
    printed = []
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
                    qr_svg=qr_svg(signer.qr_payload(ticket.code)),
                )
            )
    return printed


class Renderer:
    """One thread's WeasyPrint state: a font configuration and the stylesheet parsed with it."""

    def __init__(self) -> None:
        self.fetcher = AssetFetcher()
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(
            string=(TEMPLATES_DIR / "tickets" / "tickets.css").read_text(encoding="utf-8"),
            base_url=ASSET_SCHEME,
            url_fetcher=self.fetcher,
            font_config=self.font_config,
        )

    def render(self, html: str) -> bytes:
        document = HTML(string=html, base_url=ASSET_SCHEME, url_fetcher=self.fetcher)
        return document.write_pdf(stylesheets=[self.stylesheet], font_config=self.font_config)


_thread_state = threading.local()


def thread_renderer() -> Renderer:
    renderer = getattr(_thread_state, "renderer", None)
    if renderer is None:
        renderer = _thread_state.renderer = Renderer()
    return renderer


def tickets_html(booking: Booking, *, layout: str, signer: TicketSigner) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"no ticket layout {layout!r}; use one of {', '.join(LAYOUTS)}")
    return (
        tickets_environment()
        .get_template("tickets.html")
        .render(
            booking=booking,
            buyer=buyer_name(booking),
            tickets=printed_tickets(booking, signer),
            layout=layout,
        )
    )


def render_tickets_pdf_now(
    booking: Booking, *, layout: str = "a4", signer: TicketSigner | None = None
) -> bytes:
    """The PDF, rendered on the calling thread (use `render_tickets_pdf` from async code)."""
    signer = signer or ticket_signer(get_settings().ticket_key_file)
    return thread_renderer().render(tickets_html(booking, layout=layout, signer=signer))


async def render_tickets_pdf(booking: Booking, *, layout: str = "a4") -> bytes:
    """The booking's valid tickets as a PDF, one page each, rendered off the event loop."""
    signer = ticket_signer(get_settings().ticket_key_file)
    work = functools.partial(render_tickets_pdf_now, booking, layout=layout, signer=signer)
    return await asyncio.get_running_loop().run_in_executor(RENDERING_POOL, work)


async def venue_tickets_pdf(booking: Booking) -> bytes:
    """The booking's tickets in the layout the venue chose in Settings > Storefront."""
    layout = "thermal" if (await storefront_settings()).thermal_tickets else "a4"
    return await render_tickets_pdf(booking, layout=layout)
