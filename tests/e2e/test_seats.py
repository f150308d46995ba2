"""Choosing seats in the browser: a buyer with the mouse on a phone, another with the keyboard alone, and
the counter selling a block; axe-core finds nothing wrong with the map pages."""

import re
import sqlite3

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.test_box_office import sign_in_a_new_operator

ROWS, PER_ROW = 3, 8


@pytest.fixture(scope="module")
def seated(server_env: dict[str, str], live_server: str) -> int:
    """The last demo performance of Winter Jazz Nights made seated: rows A-C of 8 seats, row A in zone A
    (£20 standard) and the rest in zone B (the types' own prices). Its id."""
    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        [(performance, venue)] = connection.execute(
            "SELECT p.id, e.venue FROM performance p JOIN event e ON e.id = p.event"
            " WHERE e.slug = 'winter-jazz-nights' ORDER BY p.starts_at DESC LIMIT 1"
        ).fetchall()
        plan = connection.execute(
            "INSERT INTO seating_plan (venue, name, created_at) VALUES (?, 'Studio', CURRENT_TIMESTAMP)",
            (venue,),
        ).lastrowid
        connection.executemany(
            "INSERT INTO plan_seat (plan, section, row, label, x, y, zone, attributes)"
            " VALUES (?, 'Studio', ?, ?, ?, ?, ?, '')",
            [
                (plan, row, str(n + 1), n * 10, r * 10, "A" if r == 0 else "B")
                for r, row in enumerate("ABC")
                for n in range(PER_ROW)
            ],
        )
        connection.execute(
            "INSERT INTO performance_seat (performance, section, row, label, x, y, zone, attributes,"
            " state, hold, order_line, kill_reason, killed_by) SELECT ?, section, row, label, x, y, zone,"
            " attributes, 'available', NULL, NULL, '', NULL FROM plan_seat WHERE plan = ?",
            (performance, plan),
        )
        connection.execute(
            "UPDATE performance SET seating_plan = ?, capacity = ?, available = ? WHERE id = ?",
            (plan, ROWS * PER_ROW, ROWS * PER_ROW, performance),
        )
        connection.execute(
            "INSERT INTO zone_price (ticket_type, zone, price)"
            " SELECT id, 'A', price + 500 FROM ticket_type WHERE performance = ?",
            (performance,),
        )
    return performance


def no_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def seat(page: Page, name: str):
    return page.get_by_role("checkbox", name=re.compile(rf"^Studio, row {name[0]}, seat {name[1:]},"))


def test_a_buyer_on_a_phone_chooses_two_seats_with_the_mouse(page: Page, live_server: str, seated: int):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/performances/{seated}")

    expect(page.get_by_role("group", name="Seat map")).to_be_visible()
    expect(page.locator("[data-seat-list]")).to_be_hidden()
    no_axe_violations(page)
    seat(page, "A4").click()
    seat(page, "A5").click()
    expect(seat(page, "A4")).to_have_attribute("aria-checked", "true")
    summary = page.locator("#seat-summary")
    expect(summary).to_contain_text("Studio, row A, seat 4")
    expect(summary).to_contain_text("Studio, row A, seat 5")
    page.get_by_label("Ticket for Studio, row A, seat 5").select_option(label="Member, £17.00")
    no_axe_violations(page)
    page.get_by_role("button", name="Hold these seats").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    expect(page.get_by_text("Studio, row A, seat 4")).to_be_visible()
    expect(page.get_by_text("£37.00").first).to_be_visible()


def test_a_buyer_chooses_a_seat_with_the_keyboard_alone(page: Page, live_server: str, seated: int):
    page.goto(f"{live_server}/performances/{seated}")
    for _ in range(40):  # Tab through the page until a seat of the map has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-seat')"):
            break
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("aria-label", re.compile(r"^Studio, row A, seat 1,"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(focused).to_have_attribute("aria-label", re.compile(r"^Studio, row B, seat 3,"))
    page.keyboard.press("Space")
    expect(page.locator("#seat-summary")).to_contain_text("Studio, row B, seat 3")
    for _ in range(20):  # on to the hold button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim() === 'Hold these seats'"):
            break
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    expect(page.get_by_text("Studio, row B, seat 3")).to_be_visible()


def test_the_counter_sells_a_block_along_a_row(
    page: Page, live_server: str, server_env: dict[str, str], seated: int
):
    sign_in_a_new_operator(page, live_server, server_env, "block@venue.example")
    page.goto(f"{live_server}/backoffice/sell?performance={seated}")
    expect(page.get_by_role("group", name="Seat map")).to_be_visible()
    no_axe_violations(page)

    seat(page, "C2").click()
    seat(page, "C6").click(modifiers=["Shift"])
    summary = page.locator("#seat-summary")
    for number in range(2, 7):
        expect(summary).to_contain_text(f"Studio, row C, seat {number}")
    page.get_by_role("button", name="Add these seats to the basket").click()

    expect(page.get_by_role("status")).to_contain_text("Added to the basket")
    expect(page.locator("#basket-total")).to_have_text("£75.00")
    page.get_by_role("button", name=re.compile("^Complete sale")).click()
    expect(page.get_by_role("status")).to_contain_text("Sale complete")


def test_the_counter_exchanges_a_ticket_into_a_seat_chosen_on_the_map(
    page: Page, live_server: str, server_env: dict[str, str], seated: int
):
    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        [(earlier,)] = connection.execute(
            "SELECT p.id FROM performance p JOIN event e ON e.id = p.event"
            " WHERE e.slug = 'winter-jazz-nights' AND p.id <> ? ORDER BY p.starts_at DESC LIMIT 1",
            (seated,),
        ).fetchall()
    sign_in_a_new_operator(page, live_server, server_env, "swap@venue.example")
    page.goto(f"{live_server}/backoffice/sell?performance={earlier}")
    page.locator("input.quantity").first.fill("1")
    page.get_by_role("button", name="Add to basket").click()
    page.get_by_role("button", name=re.compile("^Complete sale")).click()
    expect(page.get_by_role("status")).to_contain_text("Sale complete")

    page.get_by_role("checkbox", name=re.compile("^Choose ticket")).check()
    page.locator("summary", has_text="Exchange the chosen tickets").click()
    page.get_by_label("To the performance").select_option(value=str(seated))
    page.get_by_role("button", name="Exchange the chosen tickets").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose the new seats")
    expect(page.get_by_role("group", name="Seat map")).to_be_visible()
    no_axe_violations(page)
    seat(page, "A3").click()
    expect(page.locator("#seat-summary")).to_contain_text("Studio, row A, seat 3")
    no_axe_violations(page)
    page.get_by_role("button", name="Exchange into these seats").click()

    expect(page.get_by_role("status")).to_contain_text("The tickets have been exchanged")
    expect(page.get_by_text("Studio, row A, seat 3")).to_be_visible()
