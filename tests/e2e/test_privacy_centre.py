"""The privacy centre on a phone-sized screen: a customer asks for a link, receives it through a real
`boxoffice worker` and SMTP server, signs in, changes what we may send them and corrects their phone,
typing and pressing keys as a hurried person does; every page passes axe-core."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.support.smtp import SmtpServer, smtp_server  # noqa: F401 - a fixture, found by pytest here
from tests.support.worker import worker_process

PHONE = {"width": 390, "height": 844}
CUSTOMER = "priya.preferences@example.org"
LINK = re.compile(r"https?://[^/\s]+(/privacy-centre/sign-in/[A-Za-z0-9_-]+)")


@pytest.fixture
def worker(server_env: dict[str, str], smtp_server: SmtpServer) -> Iterator[subprocess.Popen]:  # noqa: F811
    with worker_process(server_env, smtp_server, campaign_rate_per_minute=600, poll_seconds=0.2) as process:
        yield process


def customer(server_env: dict[str, str]) -> int:
    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(database, timeout=10)) as connection, connection:
        return connection.execute(
            "INSERT INTO contact (first_name, last_name, email, phone)"
            " VALUES ('Priya', 'Preferences', ?, '0117 496 0000') RETURNING id",
            (CUSTOMER,),
        ).fetchone()[0]


def latest_consent(server_env: dict[str, str], contact_id: int) -> tuple:
    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(database, timeout=10)) as connection:
        return connection.execute(
            "SELECT channel, granted, source FROM consent_record WHERE contact = ? ORDER BY id DESC LIMIT 1",
            (contact_id,),
        ).fetchone()


def link_for(server: SmtpServer, recipient: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for message in list(server.messages):
            if message["To"] == recipient:
                found = LINK.search(message.get_body(preferencelist=("plain",)).get_content())
                assert found
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no link arrived for {recipient}")


def assert_accessible(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_a_customer_manages_their_data_on_a_phone(
    browser: Browser,
    live_server: str,
    server_env: dict[str, str],
    smtp_server: SmtpServer,  # noqa: F811
    worker: subprocess.Popen,
):
    contact_id = customer(server_env)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()

    page.goto(f"{live_server}/privacy")
    page.get_by_role("link", name="go to your data and preferences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data and preferences")
    assert_accessible(page)

    page.get_by_label("Your e-mail address").press_sequentially("pat.privacy@example", delay=20)
    page.keyboard.press("Enter")  # a hurried person: not an address yet
    if page.get_by_role("alert").count():  # the browser may refuse it first; the server does otherwise
        expect(page.get_by_role("alert")).to_contain_text("Enter an e-mail address")
        assert_accessible(page)
    page.get_by_label("Your e-mail address").fill("")
    page.get_by_label("Your e-mail address").press_sequentially(CUSTOMER, delay=10)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("If we hold details for that address")
    assert_accessible(page)

    page.goto(live_server + link_for(smtp_server, CUSTOMER))
    assert CUSTOMER not in page.content() and "Priya" not in page.content()  # the link's page names nobody
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data and preferences")
    expect(page.get_by_text(CUSTOMER)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Send me news of shows and offers by e-mail.").check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_have_text("Your marketing choices are saved.")
    assert latest_consent(server_env, contact_id) == ("email", 1, "privacy_centre")

    page.get_by_label("Phone").fill("")
    page.get_by_label("Phone").press_sequentially("call me maybe", delay=10)
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Enter a phone number")
    assert_accessible(page)
    page.get_by_label("Phone").fill("")
    page.get_by_label("Phone").press_sequentially("07700 900123", delay=10)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Your details are saved.")
    expect(page.get_by_label("Phone")).to_have_value("07700 900123")

    with page.expect_download() as download:
        page.get_by_role("link", name="as data (JSON)").click()
    assert download.value.suggested_filename == "your-data.json"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"{live_server}/privacy-centre/you")
    expect(page.get_by_role("status")).to_contain_text("Your session has ended")
    context.close()
