"""A box office manager builds a seating plan in the back office with the keyboard and the mouse: a
curved section with an aisle, a wheelchair space marked, the preview checked; axe-core finds nothing
on the editor or on a seated performance's page."""

import pyotp
from playwright.sync_api import Page, expect

from tests.e2e.conftest import create_staff, open_from_menu
from tests.support.accessibility import assert_accessible

MANAGER_EMAIL = "plans@venue.example"
MANAGER_PASSWORD = "rows and rows of seats"


def sign_in_enrolled(page: Page, live_server: str, email: str, password: str) -> None:
    page.goto(f"{live_server}/backoffice/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(page.locator("#totp-secret").inner_text()).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("link", name="Continue to the back office").click()


def test_a_manager_builds_a_section_marks_a_wheelchair_space_and_previews_the_plan(
    page: Page, live_server: str, server_env: dict[str, str]
):
    create_staff(
        server_env,
        email=MANAGER_EMAIL,
        name="Pat Planner",
        role="Box office manager",
        password=MANAGER_PASSWORD,
    )
    sign_in_enrolled(page, live_server, MANAGER_EMAIL, MANAGER_PASSWORD)

    open_from_menu(page, "Events", "Seating plans")
    expect(page.get_by_role("heading", level=1)).to_have_text("Seating plans")
    assert_accessible(page)
    page.get_by_label("Venue").select_option(label="Riverside Arts Centre")
    page.get_by_label("Name of the plan").press_sequentially("Main house")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Main house")
    expect(page.get_by_role("status")).to_contain_text("The plan has been created.")

    page.get_by_label("Section name").press_sequentially("Stalls")
    page.keyboard.press("Tab")
    page.keyboard.type("4")  # rows
    page.keyboard.press("Tab")
    page.keyboard.type("10")  # seats in each row
    page.get_by_label("Aisles after seat positions").press_sequentially("5")
    page.get_by_label("Curved").check()
    page.get_by_label("Price zone", exact=True).first.press_sequentially("A")
    page.get_by_role("button", name="Preview the section").click()
    expect(page.get_by_role("heading", name="Preview of Stalls: 40 seats, not saved yet")).to_be_visible()
    expect(page.get_by_text("This plan has no seats yet.")).to_be_visible()  # drawn in place, nothing saved
    page.get_by_role("button", name="Build the section").click()

    expect(page.get_by_role("status")).to_have_text("The section has been added.")
    preview = page.get_by_role("group", name="Main house, Riverside Arts Centre")
    expect(preview.get_by_role("img")).to_have_count(40)
    expect(preview.get_by_role("img", name="Stalls, row A, seat 1, zone A", exact=True)).to_be_visible()

    page.get_by_role("checkbox", name="Stalls, row A, seat 1 (zone A)", exact=True).check()
    page.get_by_label("Wheelchair space").check()
    page.get_by_role("button", name="Set attributes").click()

    expect(page.get_by_role("status")).to_have_text("The seats have been changed.")
    preview = page.get_by_role("group", name="Main house, Riverside Arts Centre")
    expect(preview.get_by_role("img", name="Stalls, row A, seat 1, zone A, wheelchair space")).to_be_visible()
    assert_accessible(page)

    # A performance of the demo's seated event: its seat map, zone prices and kills pass axe-core too.
    page.goto(f"{live_server}/backoffice/events")
    page.get_by_role("link", name="Much Ado About Nothing").click()
    page.get_by_role("table").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Zone prices")).to_be_visible()
    expect(page.get_by_role("group", name="Seats for this performance").get_by_role("img")).to_have_count(304)
    assert_accessible(page)

    page.get_by_role("link", name="Kill or release seats").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Seats for Much Ado About Nothing")
    assert_accessible(page)
    page.get_by_role("checkbox", name="Stalls, row A, seat 1", exact=True).check()
    page.get_by_label("Reason").press_sequentially("Wheelchair spaces held back")
    page.get_by_role("button", name="Kill the chosen seats").click()
    expect(page.get_by_role("status")).to_have_text("The seats have been killed: they are off sale.")
    expect(
        page.get_by_role("img", name="Stalls, row A, seat 1, zone A, wheelchair space, killed", exact=True)
    ).to_be_visible()
