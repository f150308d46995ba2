"""CRM > Duplicates in the browser: a reviewer pages through the groups from the keyboard and marks a pair
as two people, which the list then never offers again."""

import re
import sqlite3
from contextlib import closing

from playwright.sync_api import Page, expect

from tests.e2e.conftest import create_staff, open_from_menu

REVIEWER_EMAIL = "dee.reviewer@venue.example"
REVIEWER_PASSWORD = "tells people apart carefully"
STAMP = "2026-11-21T12:00:00+00:00"
PAIRS = 22


def add_twins_and_a_reviewer_role(server_env: dict[str, str]) -> None:
    """`PAIRS` pairs of contacts sharing a phone number, and a role holding the Duplicates menu alone,
    written straight into the server's database."""
    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(database, timeout=10)) as connection, connection:
        for number in range(PAIRS):
            for first in ("Zia", "Zoe"):
                connection.execute(
                    "INSERT INTO contact (first_name, last_name, email, phone, postcode, restricted,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, '', 0, ?, ?)",
                    (
                        first,
                        f"Twin{number:02}",
                        f"{first.lower()}.twin{number:02}@example.org",
                        f"0117 496 {number:04}",
                        STAMP,
                        STAMP,
                    ),
                )
        connection.execute(
            "INSERT INTO role (name, permissions, requires_totp)"
            " VALUES ('Duplicates reviewer', 'crm.duplicates', 0)"
        )


def test_a_reviewer_pages_with_the_keyboard_and_marks_a_pair_as_two_people(
    page: Page, live_server: str, server_env: dict[str, str]
):
    add_twins_and_a_reviewer_role(server_env)
    create_staff(
        server_env,
        email=REVIEWER_EMAIL,
        name="Dee Reviewer",
        role="Duplicates reviewer",
        password=REVIEWER_PASSWORD,
    )
    page.goto(f"{live_server}/backoffice/login")
    page.get_by_label("E-mail address").fill(REVIEWER_EMAIL)
    page.get_by_label("Password").fill(REVIEWER_PASSWORD)
    page.get_by_label("Password").press("Enter")

    open_from_menu(page, "CRM", "Duplicates")
    expect(page.get_by_role("heading", level=1)).to_have_text("Duplicate contacts")
    pager = page.get_by_role("navigation", name="Pages of likely duplicates")
    expect(pager).to_contain_text(f"Showing 1–20 of {PAIRS}")
    expect(pager.get_by_role("link", name="Page 1 of 2")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="The same phone number")).to_have_count(20)

    pager.get_by_role("link", name="Next page").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/crm/duplicates\?page=2$"))
    expect(pager).to_contain_text(f"Showing 21–{PAIRS} of {PAIRS}")
    expect(pager.get_by_role("link", name="Page 2 of 2")).to_have_attribute("aria-current", "page")

    button = page.get_by_role("button", name=re.compile(r"^Contacts \d+ and \d+ are not the same person$"))
    expect(button).to_have_count(2)
    pair = re.findall(r"\d+", button.first.inner_text())
    button.first.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text(
        "The two contacts will not be offered as duplicates again."
    )
    expect(pager).to_contain_text(f"Showing 21–{PAIRS - 1} of {PAIRS - 1}")
    expect(
        page.get_by_role("button", name=f"Contacts {pair[0]} and {pair[1]} are not the same person")
    ).to_have_count(0)
    page.get_by_role("link", name="First page").click()
    expect(
        page.get_by_role("link", name=f"Keep contact {pair[0]}, merge contact {pair[1]} into it")
    ).to_have_count(0)
