"""A manager's morning: the dashboard's takings, seats and chart, then the sales report regrouped by
payment method and the capacity report, each page passing axe-core, and a report downloaded."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from tests.e2e.conftest import create_staff
from tests.support.accessibility import assert_accessible

MANAGER_EMAIL = "reports@venue.example"
MANAGER_PASSWORD = "numbers before coffee please"


def a_cash_sale(server_env: dict[str, str]) -> None:
    """Two tickets sold for cash just now, written as a counter sale leaves them, and a role that holds
    Reports without a second factor (a browser test has no authenticator app)."""
    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    now = str(datetime.now(UTC))
    with closing(sqlite3.connect(database, timeout=10)) as connection, connection:
        performance, ticket_type, price = connection.execute(
            "SELECT t.performance, t.id, t.price FROM ticket_type t"
            " JOIN performance p ON p.id = t.performance WHERE p.starts_at > ? ORDER BY p.starts_at LIMIT 1",
            (now,),
        ).fetchone()
        order = connection.execute(
            'INSERT INTO "order" (reference, channel, status, currency, total, created_at, paid_at)'
            " VALUES ('E2EREPRT', 'box_office', 'paid', 'GBP', ?, ?, ?) RETURNING id",
            (2 * price, now, now),
        ).fetchone()[0]
        line = connection.execute(
            'INSERT INTO order_line ("order", performance, ticket_type, description, quantity, unit_price,'
            " face_value) VALUES (?, ?, ?, 'Adult', 2, ?, ?) RETURNING id",
            (order, performance, ticket_type, price, price),
        ).fetchone()[0]
        for code in ("E2EREPORTTICKET1", "E2EREPORTTICKET2"):
            connection.execute(
                'INSERT INTO ticket ("order", order_line, performance, code, status, issued_at)'
                " VALUES (?, ?, ?, ?, 'valid', ?)",
                (order, line, performance, code, now),
            )
        connection.execute("UPDATE performance SET available = available - 2 WHERE id = ?", (performance,))
        connection.execute(
            'INSERT INTO payment ("order", method, amount, currency, provider_reference, created_at,'
            " refunded, reason) VALUES (?, 'cash', ?, 'GBP', '', ?, 0, '')",
            (order, 2 * price, now),
        )
        connection.execute(
            "INSERT INTO role (name, permissions, requires_totp) VALUES ('Report readers', 'reports', 0)"
        )


def test_a_manager_reads_the_dashboard_and_two_reports(
    page: Page, live_server: str, server_env: dict[str, str]
):
    a_cash_sale(server_env)
    create_staff(
        server_env, email=MANAGER_EMAIL, name="Rita Reports", role="Report readers", password=MANAGER_PASSWORD
    )
    page.goto(f"{live_server}/backoffice/login")
    page.get_by_label("E-mail address").press_sequentially(MANAGER_EMAIL)
    page.get_by_label("Password").press_sequentially(MANAGER_PASSWORD)
    page.get_by_label("Password").press("Enter")

    expect(page.get_by_role("heading", name="Today's takings")).to_be_visible()
    expect(page.get_by_role("table", name="By payment method")).to_contain_text("Cash")
    expect(page.get_by_role("img", name="Net sales by day")).to_be_visible()
    expect(page.get_by_role("heading", name="Next performances")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Sales report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sales report")
    page.get_by_label("Group by").select_option(label="Payment method")
    page.get_by_role("button", name="Show").click()
    table = page.get_by_role("table", name="Sales by payment method")
    expect(table.get_by_role("row", name="Cash")).to_be_visible()
    expect(page.get_by_role("img", name="Net sales by payment method")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename.startswith("sales-")

    menu = page.get_by_role("navigation", name="Staff")
    menu.locator("summary", has_text="Reports").click()
    menu.get_by_role("link", name="Capacity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Capacity report")
    page.get_by_label("To").fill("2031-12-31")
    page.get_by_label("To").press("Enter")
    expect(page.get_by_role("table", name="Capacity per performance")).to_be_visible()
    expect(page.get_by_role("img", name="Sold, held and available seats per performance")).to_be_visible()
    assert_accessible(page)
