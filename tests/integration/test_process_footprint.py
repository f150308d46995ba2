"""What a web process loads. Memory per worker is measured by bench/checkout.py; this keeps out of the
pages visitors browse (home, event, performance) the libraries they never use, each of which would cost
megabytes in every process. Checkout loads nh3 for the policies it shows."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="the process runs on a SQLite file of its own")

NOT_FOR_BROWSING = {
    "piccolo.conf.apps": "Piccolo's app registry and migration tooling",
    "black": "the code formatter Piccolo's migration tooling imports",
    "rich": "httpx's command-line tool",
    "markdown_it": "campaign rendering",
    "nh3": "sanitising campaigns and policies (checkout and staff pages)",
    "weasyprint": "PDF rendering",
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
