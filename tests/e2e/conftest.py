"""Browser tests: a real `boxoffice serve` process with demo data, driven in Debian's Chromium.

Run on their own (`pytest tests/e2e`): Playwright's synchronous API leaves an event loop behind that
would disturb the asyncio tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.support.fake_stripe import FakeStripe
from tests.support.server import free_port, wait_until_healthy

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture(scope="session")
def server_env(tmp_path_factory: pytest.TempPathFactory, stripe_server: FakeStripe) -> dict[str, str]:
    """The environment of the server under test: a database of its own seeded with the demo data, a port,
    and the fake Stripe for card payments."""
    database = tmp_path_factory.mktemp("e2e") / "boxoffice.sqlite3"
    port = free_port()
    env = {
        **os.environ,
        "BOXOFFICE_DATABASE_URL": f"sqlite:///{database}",
        "BOXOFFICE_PORT": str(port),
        "BOXOFFICE_BASE_URL": f"http://127.0.0.1:{port}",
        "BOXOFFICE_STRIPE_SECRET_KEY": stripe_server.secret_key,
        "BOXOFFICE_STRIPE_WEBHOOK_SECRET": stripe_server.webhook_secret,
        "BOXOFFICE_STRIPE_API_BASE": stripe_server.url,
        # every staff member in these tests signs in from 127.0.0.1, dozens in a few minutes; the limit
        # itself is tested in tests/integration/auth
        "BOXOFFICE_LOGIN_ATTEMPTS_PER_IP": "1000",
    }
    stripe_server.webhook_url = f"http://127.0.0.1:{port}/webhooks/stripe"
    boxoffice(env, "demo")
    return env


def create_staff(env: dict[str, str], *, email: str, name: str, role: str, password: str) -> None:
    """A member of staff on the built-in `role` (its name as the menu shows it), made as a venue would."""
    boxoffice(env, "create-staff", "--email", email, "--name", name, "--role", role, "--password", password)


def boxoffice(env: dict[str, str], *arguments: str) -> str:
    """Run a `boxoffice` command against the server's database; returns what it printed."""
    result = subprocess.run(
        [sys.executable, "-m", "boxoffice.cli", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="session")
def live_server(server_env: dict[str, str]) -> Iterator[str]:
    """The URL of a `boxoffice serve` process on a free port."""
    env = server_env
    database = Path(env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///"))
    command = [sys.executable, "-m", "boxoffice.cli"]
    port = int(env["BOXOFFICE_PORT"])
    base_url = f"http://127.0.0.1:{port}"
    with (database.parent / "server.log").open("w") as log:
        server = subprocess.Popen([*command, "serve"], env=env, stdout=log, stderr=log)
        try:
            wait_until_healthy(base_url, server)
            yield base_url
        finally:
            server.terminate()
            server.wait(timeout=20)


def open_from_menu(page: Page, group: str, entry: str) -> None:
    """Open a staff page as staff do: the menu group first (a disclosure), then its entry."""
    menu = page.get_by_role("navigation", name="Staff")
    menu.locator("summary", has_text=group).click()
    menu.get_by_role("link", name=entry).click()
