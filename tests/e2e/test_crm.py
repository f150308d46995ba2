import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import create_staff, open_from_menu

OFFICER_EMAIL = "pat.officer@venue.example"
OFFICER_PASSWORD = "answers every request for data"
STAMP = "2026-11-21T12:00:00+00:00"


def add_contacts_and_a_privacy_role(server_env: dict[str, str]) -> None:
    """Two contacts, and a role holding the CRM's menus but Users & Roles (which would need two-factor
    sign-in), without two-factor sign-in, written straight into the server's database."""
    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(database, timeout=10)) as connection, connection:
        for first, last, email, postcode in (
            ("Perdita", "Quixley", "perdita.quixley@example.org", "BS8 1QU"),
            ("Olive", "Otherwise", "olive@example.org", "M1 1AE"),
        ):
            connection.execute(
                "INSERT INTO contact (first_name, last_name, email, phone, postcode, restricted, created_at,"
                " updated_at) VALUES (?, ?, ?, '', ?, 0, ?, ?)",
                (first, last, email, postcode, STAMP, STAMP),
            )
        connection.execute(
            "INSERT INTO role (name, permissions, requires_totp)"
            " VALUES ('Privacy officer', 'crm.contacts crm.duplicates crm.export crm.remove crm.tags', 0)"
        )


def test_staff_find_a_contact_add_a_note_export_it_and_remove_it(
    page: Page, live_server: str, server_env: dict[str, str]
):
    add_contacts_and_a_privacy_role(server_env)
    create_staff(
        server_env, email=OFFICER_EMAIL, name="Pat Privacy", role="Privacy officer", password=OFFICER_PASSWORD
    )
    page.goto(f"{live_server}/backoffice/login")
    page.get_by_label("E-mail address").fill(OFFICER_EMAIL)
    page.get_by_label("Password").fill(OFFICER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    open_from_menu(page, "CRM", "Contacts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    results = page.locator("#contact-results")
    expect(results.get_by_role("link", name="Olive Otherwise")).to_be_visible()
    page.get_by_label("Search by name, e-mail, phone or postcode").press_sequentially(
        "quix"
    )  # no Enter: live
    expect(results.get_by_role("link", name="Olive Otherwise")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=quix"))
    results.get_by_role("link", name="Perdita Quixley").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Perdita Quixley")
    expect(page.get_by_role("row", name="E-mail")).to_contain_text("Venue marketing: Opt out")
    page.get_by_label("New note").fill("Asked for a copy of her data and then to be removed")
    page.get_by_role("button", name="Add the note").click()
    expect(page.get_by_role("status")).to_have_text("The note has been added.")
    expect(page.locator(".notes")).to_contain_text("Asked for a copy of her data")
    expect(page.locator(".notes")).to_contain_text("Pat Privacy")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export (JSON)").click()
    export = json.loads(Path(download_info.value.path()).read_text())
    assert export["contact"]["email"] == "perdita.quixley@example.org"
    assert export["notes"][0]["text"] == "Asked for a copy of her data and then to be removed"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export (PDF)").click()
    assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF")

    page.get_by_role("main").get_by_role("link", name="Remove").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove Perdita Quixley")
    page.get_by_label("I confirm that Perdita Quixley asked to be removed").check()
    page.get_by_role("button", name="Remove Perdita Quixley").click()
    expect(page.get_by_role("status")).to_contain_text("The contact has been removed.")
    expect(results.get_by_role("link", name="Perdita Quixley")).to_have_count(0)
    page.get_by_label("Search by name, e-mail, phone or postcode").fill("perdita")
    expect(results).to_contain_text("No contacts match.")

    open_from_menu(page, "CRM", "Remove")
    expect(page.get_by_role("row", name=re.compile("Pat Privacy"))).to_have_count(1)
