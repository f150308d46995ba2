"""A campaign sent from the back office through a real `boxoffice worker` and SMTP server, and its
recipient unsubscribing with the link in the message they received."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from email.message import EmailMessage
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import create_staff, open_from_menu
from tests.support.smtp import SmtpServer, smtp_server  # noqa: F401 - a fixture, found by pytest here
from tests.support.worker import worker_process

MARKETER_EMAIL = "campaigns@venue.example"
MARKETER_PASSWORD = "spring season newsletter"
RECIPIENT = "uma.unsubscribe@example.org"
TAG = "Spring newsletter (browser test)"


@pytest.fixture
def worker(server_env: dict[str, str], smtp_server: SmtpServer) -> Iterator[subprocess.Popen]:  # noqa: F811
    """`boxoffice worker` on the server's database, sending through the test's SMTP server."""
    with worker_process(server_env, smtp_server, campaign_rate_per_minute=600, poll_seconds=0.2) as process:
        yield process


def opted_in_contact(server_env: dict[str, str]) -> int:
    """A customer who opted in to e-mail at checkout, tagged so that the campaign reaches only them."""
    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(database, timeout=10)) as connection, connection:
        contact_id = connection.execute(
            "INSERT INTO contact (first_name, last_name, email)"
            " VALUES ('Uma', 'Unsubscribe', ?) RETURNING id",
            (RECIPIENT,),
        ).fetchone()[0]
        connection.execute(
            "INSERT INTO consent_record (contact, channel, granted, source, wording, recorded_at)"
            " VALUES (?, 'email', 1, 'online_checkout', 'Yes, please e-mail me.',"
            " '2026-01-01 12:00:00+00:00')",
            (contact_id,),
        )
        tag_id = connection.execute("INSERT INTO tag (name) VALUES (?) RETURNING id", (TAG,)).fetchone()[0]
        connection.execute("INSERT INTO contact_tag (contact, tag) VALUES (?, ?)", (contact_id, tag_id))
    return contact_id


def latest_email_consent(server_env: dict[str, str], contact_id: int) -> tuple:
    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(database, timeout=10)) as connection:
        return connection.execute(
            "SELECT granted, source FROM consent_record WHERE contact = ? AND channel = 'email'"
            " ORDER BY recorded_at DESC, id DESC LIMIT 1",
            (contact_id,),
        ).fetchone()


def sign_in_with_two_factor(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/backoffice/login")
    page.get_by_label("E-mail address").fill(MARKETER_EMAIL)
    page.get_by_label("Password").fill(MARKETER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("link", name="Continue to the back office").click()


def received_message(server: SmtpServer, recipient: str) -> EmailMessage:
    assert server.wait_for_messages(1, 30), "no message arrived"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for message in list(server.messages):
            if message["To"] == recipient:
                return message
        time.sleep(0.1)
    raise AssertionError(f"nothing arrived for {recipient}")


def assert_contact_shows_opt_out(page: Page, contact_id: int) -> None:
    """Staff see the contact's e-mail marketing as "Opt out" on the latest campaign's report, and on the
    contact's record in the CRM, reached from the report."""
    parts = urlsplit(page.url)
    page.goto(f"{parts.scheme}://{parts.netloc}/marketing/campaigns")
    page.locator("table.data tbody tr").first.get_by_role("link").click()
    row = page.locator(f'tr[data-contact="{contact_id}"]')
    expect(row).to_contain_text("Opt out")
    expect(row.locator("td").nth(2)).to_have_text("Yes")  # unsubscribed through this campaign
    row.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/crm/contacts/{contact_id}$"))
    expect(page.get_by_role("row", name=re.compile("^E-mail Venue marketing"))).to_contain_text(
        "Venue marketing: Opt out"
    )


def test_a_campaign_reaches_the_opted_in_contact_who_unsubscribes_with_its_link(
    page: Page,
    browser: Browser,
    live_server: str,
    server_env: dict[str, str],
    smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
    worker: subprocess.Popen,
):
    create_staff(
        server_env, email=MARKETER_EMAIL, name="Mo Marketing", role="Marketing", password=MARKETER_PASSWORD
    )
    contact_id = opted_in_contact(server_env)
    sign_in_with_two_factor(page, live_server)

    open_from_menu(page, "Marketing", "Campaigns")
    page.get_by_role("link", name="Write a new campaign").click()
    page.get_by_label("Subject").fill("Spring at the Riverside")
    page.get_by_label("Message").fill("# Spring season\n\nBook **The Tempest** before it sells out.")
    page.get_by_label("Tagged").select_option(label=TAG)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("status").filter(has_text="in this audience")).to_have_text(
        "1 contact is in this audience."
    )
    page.get_by_role("button", name="Send the saved draft to 1 contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring at the Riverside")

    message = received_message(smtp_server, RECIPIENT)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    assert "Book **The Tempest** before it sells out." in text
    link = re.search(rf"{re.escape(live_server)}/unsubscribe/\S+", text).group(0)
    assert message["List-Unsubscribe"] == f"<{link}>"

    # The recipient opens the link in a browser without JavaScript: opening it changes nothing (mail
    # scanners open links too), and the page's one button unsubscribes.
    without_script = browser.new_context(java_script_enabled=False)
    recipient = without_script.new_page()
    recipient.goto(link)
    expect(recipient.get_by_role("status")).to_have_text("You are subscribed to our marketing e-mail.")
    assert latest_email_consent(server_env, contact_id) == (1, "online_checkout")
    recipient.get_by_role("button", name="Unsubscribe").focus()
    recipient.keyboard.press("Enter")
    expect(recipient.get_by_role("status")).to_have_text(
        "You are unsubscribed. We send you no marketing e-mail."
    )
    expect(recipient.get_by_role("button", name="Subscribe me again")).to_be_visible()
    expect(recipient.get_by_role("button", name="Unsubscribe")).to_have_count(0)
    assert latest_email_consent(server_env, contact_id) == (0, "unsubscribe_link")
    without_script.close()

    assert_contact_shows_opt_out(page, contact_id)
