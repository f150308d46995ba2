"""Ticket PDFs: how long they take to make, and what serving them costs a web worker.

    .venv/bin/python bench/pdf.py --repeat 20 --downloads 100 --workers 2

Rendering, with bookings built in memory (no database): each size (a 1-ticket order, a 10-ticket order,
a 500-ticket batch) is made once to warm up, then `--repeat` times (the batch 3 times) in this process
and through a renderer process by turns. Prints the median per ticket: in this process split into the
values (dates, prices, signed codes: what a web worker does), the HTML (QR codes, Jinja), the layout
(WeasyPrint) and writing the PDF; through a renderer whole, as a web worker has it made (sending the
values there and the PDF back included). The CPU time beside each is what to compare on a machine busy
with other work, where waits stretch.

Serving: `boxoffice serve --workers W` on a fresh SQLite file with the demo data and `--downloads` paid
box-office orders of 10 tickets. Each order's tickets.pdf is downloaded once, one after another, each on
a connection of its own (so both workers serve), which makes it in a renderer and keeps it (the first
download also starts the renderer); then each again, which hands out the copy kept. Prints the median and
95th percentile of both, the resident memory of each web worker after each round, whether a web worker
has WeasyPrint loaded, and the memory of the renderers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness is shared with the tests

import weasyprint

from boxoffice.documents.pdf import close_renderer, run_in_renderer
from boxoffice.documents.pdf_engine import thread_renderer
from boxoffice.money import Money
from boxoffice.sales.bookings import BookedPerformance, BookedTicket, Booking
from boxoffice.sales.tables import OrderStatus
from boxoffice.tickets.pdf import tickets_to_print
from boxoffice.tickets.printing import STYLESHEET, TicketsToPrint, tickets_document, tickets_pdf
from boxoffice.tickets.signing import TicketSigner, load_or_create_key
from tests.support.box_office_sales import sell_at_counter
from tests.support.processes import WEASYPRINT_LIBRARY, ProcessTable, maps_library, resident_kib
from tests.support.rush import (
    SHARED_TLS_CONTEXT,
    boxoffice,
    machine_description,
    percentile,
    running_server,
    server_environment,
    sqlite_database_url,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SIZES = ((1, None), (10, None), (500, 3))  # tickets, and runs (None: --repeat)
TICKETS_PER_ORDER = 10


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layout", choices=("a4", "thermal"), default="a4")
    parser.add_argument("--repeat", type=int, default=20, help="runs of the 1- and 10-ticket orders")
    parser.add_argument("--downloads", type=int, default=100, help="orders whose PDFs are downloaded")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of `boxoffice serve`")
    return parser.parse_args()


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


def in_this_process(order: Booking, layout: str, signer: TicketSigner) -> tuple[float, ...]:
    """Seconds for the values, the HTML, the layout and the PDF, and the CPU seconds of all four."""
    renderer = thread_renderer(STYLESHEET, user_agent_styles=False)
    cpu_started = time.process_time()
    started = time.perf_counter()
    to_print = tickets_to_print(order, layout=layout, signer=signer)
    valued = time.perf_counter()
    document = tickets_document(to_print)
    built = time.perf_counter()
    laid_out_document = renderer.layout(document.html, document.qr_codes)
    laid_out = time.perf_counter()
    laid_out_document.write_pdf()
    written = time.perf_counter()
    cpu = time.process_time() - cpu_started
    return valued - started, built - valued, laid_out - built, written - laid_out, cpu


def tickets_pdf_and_cpu_time(to_print: TicketsToPrint) -> tuple[bytes, float]:
    """What a renderer runs for a web worker, and the CPU seconds it took there."""
    started = time.process_time()
    content = tickets_pdf(to_print)
    return content, time.process_time() - started


async def through_a_renderer(order: Booking, layout: str, signer: TicketSigner) -> tuple[float, float]:
    """Seconds for the whole, as the web worker waits for it, and the renderer's CPU seconds."""
    started = time.perf_counter()
    to_print = tickets_to_print(order, layout=layout, signer=signer)
    _, cpu = await run_in_renderer(tickets_pdf_and_cpu_time, to_print)
    return time.perf_counter() - started, cpu


async def rendering(options: argparse.Namespace, signer: TicketSigner) -> None:
    print(f"rendering, layout {options.layout}, WeasyPrint {weasyprint.__version__}")
    started = time.perf_counter()
    await through_a_renderer(booking(1), options.layout, signer)
    print(
        f"  first document through a renderer (starting it): {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    for tickets, times in SIZES:
        order = booking(tickets)
        in_this_process(order, options.layout, signer)
        await through_a_renderer(order, options.layout, signer)
        here, there = [], []
        for _ in range(times or options.repeat):  # taking turns, so that both see the same machine
            here.append(in_this_process(order, options.layout, signer))
            there.append(await through_a_renderer(order, options.layout, signer))
        values, html, layout, pdf, cpu = (statistics.median(run[part] for run in here) for part in range(5))
        total = values + html + layout + pdf
        print(
            f"  {tickets:>4} tickets in this process:    {total * 1000 / tickets:6.1f} ms per ticket (values "
            f"{values * 1000 / tickets:.1f}, HTML {html * 1000 / tickets:.1f}, layout "
            f"{layout * 1000 / tickets:.1f}, PDF {pdf * 1000 / tickets:.1f}; CPU time "
            f"{cpu * 1000 / tickets:.1f}); {total * 1000:.0f} ms in all"
        )
        total, cpu = (statistics.median(run[part] for run in there) for part in range(2))
        print(
            f"  {tickets:>4} tickets through a renderer: {total * 1000 / tickets:6.1f} ms per ticket (CPU "
            f"time in the renderer {cpu * 1000 / tickets:.1f}); {total * 1000:.0f} ms in all"
        )
    await close_renderer()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"  peak memory of this process (ru_maxrss): {peak / 1024:.0f} MiB")


def download_all(base_url: str, links: list[str]) -> list[float]:
    """Each link's tickets.pdf, one after another, each on a new connection; seconds each."""
    seconds = []
    fresh_connections = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(
        base_url=base_url, limits=fresh_connections, timeout=120, verify=SHARED_TLS_CONTEXT
    ) as client:
        for link in links:
            started = time.perf_counter()
            response = client.get(f"{link}/tickets.pdf")
            seconds.append(time.perf_counter() - started)
            if response.status_code != 200 or not response.content.startswith(b"%PDF"):
                raise RuntimeError(f"{link}/tickets.pdf answered {response.status_code}")
    return seconds


def workers_now(port: int) -> str:
    table = ProcessTable.now()
    described = []
    for worker in table.web_workers(port):
        weasy = "WeasyPrint loaded" if maps_library(worker, WEASYPRINT_LIBRARY) else "no WeasyPrint"
        renderers = ", ".join(f"{resident_kib(pid) / 1024:.0f} MiB" for pid in table.pdf_renderers(worker))
        described.append(f"{resident_kib(worker) / 1024:.0f} MiB ({weasy}; renderers: {renderers or 'none'})")
    return "; ".join(described)


def serving(options: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="boxoffice-bench-") as folder:
        workdir = Path(folder)
        env = server_environment(sqlite_database_url(workdir / "bench.sqlite3"))
        boxoffice(env, workdir, "demo")
        links = sell_at_counter(env, orders=options.downloads, tickets=TICKETS_PER_ORDER)
        print(
            f"serving: {options.downloads} orders of {TICKETS_PER_ORDER} tickets, `boxoffice serve --workers "
            f"{options.workers}`, SQLite"
        )
        with running_server(env, workdir, options.workers) as server:
            port = int(server.base_url.rsplit(":", 1)[1])
            print(f"  web workers at start: {workers_now(port)}")
            for round_name in ("made and kept", "the copy kept"):
                seconds = download_all(server.base_url, links)
                print(
                    f"  {len(links)} downloads, {round_name}: p50 {percentile(seconds, 0.5) * 1000:.0f} ms "
                    f"({percentile(seconds, 0.5) * 1000 / TICKETS_PER_ORDER:.1f} ms per ticket), p95 "
                    f"{percentile(seconds, 0.95) * 1000:.0f} ms, first {seconds[0] * 1000:.0f} ms"
                )
                print(f"  web workers after them: {workers_now(port)}")


def main() -> None:
    options = arguments()
    print(machine_description(f"SQLite {sqlite3.sqlite_version}"))
    print("load average at start: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
    with tempfile.TemporaryDirectory() as folder:
        signer = TicketSigner(load_or_create_key(Path(folder) / "ticket.key"))
        asyncio.run(rendering(options, signer))
    if options.downloads:
        serving(options)


if __name__ == "__main__":
    main()
