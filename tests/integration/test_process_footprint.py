"""What a web process loads. Memory per worker is measured by bench/checkout.py and bench/pdf.py; this
keeps out of the pages visitors browse (home, event, performance) the libraries they never use, each of
which would cost megabytes in every process. Checkout loads nh3 for the policies it shows.

PDFs are made in renderer processes that a web worker starts (`boxoffice.documents.pdf`): a real
`boxoffice serve` serving tickets never has WeasyPrint in a web worker, replaces a renderer that was
killed, and leaves none behind when a web worker is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.conftest import POSTGRES_URL
from tests.support.box_office_sales import sell_at_counter
from tests.support.processes import WEASYPRINT_LIBRARY, ProcessTable, gone_within, maps_library
from tests.support.rush import boxoffice, running_server, server_environment, sqlite_database_url

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="the process runs on a SQLite file of its own")

NOT_FOR_BROWSING = {
    "piccolo.conf.apps": "Piccolo's app registry and migration tooling",
    "black": "the code formatter Piccolo's migration tooling imports",
    "rich": "httpx's command-line tool",
    "markdown_it": "campaign rendering",
    "nh3": "sanitising campaigns and policies (checkout and staff pages)",
    "weasyprint": "PDF rendering (in the renderer processes only)",
    "PIL": "QR code images (made in the PDF renderers)",
    "segno": "QR codes (made in the PDF renderers, and for a staff member's two-factor enrolment)",
    "stripe": "Stripe's SDK (asked for when a card payment, refund or webhook needs it)",
}

SERVE_PAGES = """
import sys, uvloop
from boxoffice.app import create_app
from litestar.testing import AsyncTestClient

async def main():
    async with AsyncTestClient(app=create_app()) as client:
        for path in ("/", "/events/the-tempest", "/performances/1"):
            page = await client.get(path)
            assert page.status_code == 200, (path, page.status_code)
    print(" ".join(sys.modules))

uvloop.run(main())
"""


def run(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, *arguments], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


def test_browsing_the_storefront_loads_nothing_it_does_not_use(tmp_path):
    env = {**os.environ, "BOXOFFICE_DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}"}
    run(env, "-m", "boxoffice.cli", "demo")  # migrates, in a process of its own as `boxoffice serve` does

    served = run(env, "-c", SERVE_PAGES)

    loaded = set(served.stdout.split())
    assert {name: why for name, why in NOT_FOR_BROWSING.items() if name in loaded} == {}


def tickets_pdf(base_url: str, link: str) -> bytes:
    """The order's tickets, on a connection of its own (so that any worker may answer)."""
    response = httpx.get(f"{base_url}{link}/tickets.pdf", timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
    return response.content


def test_web_workers_serving_pdfs_never_load_weasyprint(tmp_path):
    env = server_environment(sqlite_database_url(tmp_path / "web.sqlite3"))
    boxoffice(env, tmp_path, "demo")
    links = sell_at_counter(env, orders=6, tickets=2)

    with running_server(env, tmp_path, workers=2) as server:
        for link in links * 2:  # each made once, then the copy kept
            tickets_pdf(server.base_url, link)
        table = ProcessTable.now()
        workers = table.web_workers(int(server.base_url.rsplit(":", 1)[1]))

        assert len(workers) == 2
        assert [worker for worker in workers if maps_library(worker, WEASYPRINT_LIBRARY)] == []
        renderers = [renderer for worker in workers for renderer in table.pdf_renderers(worker)]
        assert renderers and all(maps_library(renderer, WEASYPRINT_LIBRARY) for renderer in renderers)


def test_a_killed_renderer_is_replaced_and_none_outlives_its_web_worker(tmp_path):
    env = server_environment(sqlite_database_url(tmp_path / "web.sqlite3"))
    boxoffice(env, tmp_path, "demo")
    first, second = sell_at_counter(env, orders=2, tickets=1)

    with running_server(env, tmp_path, workers=1) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        tickets_pdf(server.base_url, first)
        [worker] = ProcessTable.now().web_workers(port)
        [renderer] = ProcessTable.now().pdf_renderers(worker)
        os.kill(renderer, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        assert gone_within(renderer)

        tickets_pdf(server.base_url, second)  # no error: a new renderer made it

        table = ProcessTable.now()
        [replacement] = table.pdf_renderers(worker)
        assert replacement != renderer
        left_behind = table.descendants(worker)  # the renderer, its forkserver, the resource tracker
        os.kill(worker, signal.SIGKILL)  # the web worker dies without shutting anything down
        assert [pid for pid in left_behind if not gone_within(pid)] == []
