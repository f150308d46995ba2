"""Ticket PDFs: milliseconds per ticket for a 1-ticket order, a 10-ticket order and a 500-ticket batch.

    .venv/bin/python bench/pdf.py --layout a4 --repeat 20

Bookings are built in memory (no database); each size is rendered once to warm up, then `--repeat`
times (the 500-ticket batch 3 times). Prints the median per ticket, split into building the HTML
(signing, QR codes, Jinja), laying it out (WeasyPrint) and writing the PDF, then the peak resident
memory of the process.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import weasyprint

from boxoffice.documents.pdf_engine import thread_renderer
from boxoffice.money import Money
from boxoffice.sales.bookings import BookedPerformance, BookedTicket, Booking
from boxoffice.sales.tables import OrderStatus
from boxoffice.tickets.pdf import STYLESHEET, tickets_document
from boxoffice.tickets.signing import TicketSigner, load_or_create_key

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def ticket_code(number: int) -> str:
    digits = []
    for _ in range(16):
        number, digit = divmod(number * 7919 + 104729, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[digit])
    return "".join(digits)


def booking(tickets: int) -> Booking:
    performance = BookedPerformance(
        event_title="The Tempest",
        starts_at=datetime(2030, 3, 14, 19, 30, tzinfo=UTC),
        venue_name="Town Hall",
        venue_locale="en_GB",
        venue_timezone="Europe/London",
        tickets=[
            BookedTicket(ticket_code(number + 1), "Adult", "valid", Money("GBP", 2400))
            for number in range(tickets)
        ],
        venue_address="1 High Street, Bristol",
    )
    return Booking(
        id=1,
        reference="BX7Q2M",
        status=OrderStatus.PAID,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        total=Money("GBP", 2400 * tickets),
        created_at=datetime.now(UTC),
        expires_at=None,
        performances=[performance],
        lines=[("The Tempest: Adult", tickets, Money("GBP", 2400))],
    )


def timed(order: Booking, layout: str, signer: TicketSigner) -> tuple[float, float, float]:
    renderer = thread_renderer(STYLESHEET)
    started = time.perf_counter()
    source = tickets_document(order, layout=layout, signer=signer)
    built = time.perf_counter()
    document = renderer.layout(source.html, source.qr_codes)
    laid_out = time.perf_counter()
    document.write_pdf()
    written = time.perf_counter()
    return built - started, laid_out - built, written - laid_out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layout", choices=("a4", "thermal"), default="a4")
    parser.add_argument("--repeat", type=int, default=20)
    arguments = parser.parse_args()
    print(
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}, "
        f"layout {arguments.layout}"
    )
    with tempfile.TemporaryDirectory() as folder:
        signer = TicketSigner(load_or_create_key(Path(folder) / "ticket.key"))
        started = time.perf_counter()
        thread_renderer(STYLESHEET)
        print(f"first use (font configuration, stylesheet): {(time.perf_counter() - started) * 1000:.0f} ms")
        for tickets, repeat in ((1, arguments.repeat), (10, arguments.repeat), (500, 3)):
            order = booking(tickets)
            timed(order, arguments.layout, signer)
            runs = [timed(order, arguments.layout, signer) for _ in range(repeat)]
            build, layout, write = (statistics.median(run[part] for run in runs) for part in range(3))
            total = build + layout + write
            print(
                f"{tickets:>4} tickets: {total * 1000 / tickets:6.1f} ms per ticket "
                f"(HTML {build * 1000 / tickets:.1f}, layout {layout * 1000 / tickets:.1f}, "
                f"PDF {write * 1000 / tickets:.1f}); {total * 1000:.0f} ms in all"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak memory (ru_maxrss): {peak / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
