"""The staff menu: it names the venue, marks where you are, drops one group down at a time, and folds
behind a button on a phone."""

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import create_staff, open_from_menu
from tests.support.accessibility import assert_accessible

OPERATOR_PASSWORD = "counter staff keep moving"


def operator_signed_in(page: Page, live_server: str, server_env: dict[str, str], email: str) -> None:
    create_staff(
        server_env, email=email, name="Mo Menu", role="Box office operator", password=OPERATOR_PASSWORD
    )
    page.goto(f"{live_server}/backoffice/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(OPERATOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_menu_marks_the_current_page_and_opens_one_group_at_a_time(
    page: Page, live_server: str, server_env: dict[str, str]
):
    page.set_viewport_size({"width": 1280, "height": 800})
    operator_signed_in(page, live_server, server_env, "menu.desk@venue.example")
    header = page.get_by_role("banner")
    expect(header).to_contain_text("Riverside Arts Centre")
    menu = page.get_by_role("navigation", name="Staff")
    expect(menu.locator("summary")).to_have_text([re.compile("Box office"), re.compile("CRM")])

    open_from_menu(page, "Box office", "Till summary")

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Till"))
    expect(menu.locator('[aria-current="page"]')).to_have_text("Till summary")
    expect(menu.locator("summary.current")).to_have_text(re.compile("Box office"))
    expect(menu.get_by_role("link", name="Till summary")).to_be_hidden()  # groups start folded

    box_office, crm = menu.locator("summary").all()
    box_office.focus()
    page.keyboard.press("Enter")
    expect(menu.get_by_role("link", name="Sell")).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu.get_by_role("link", name="Sell")).to_be_hidden()
    expect(box_office).to_be_focused()
    page.keyboard.press("Enter")
    crm.click()  # opening another group folds the first
    expect(menu.get_by_role("link", name="Contacts")).to_be_visible()
    expect(menu.get_by_role("link", name="Sell")).to_be_hidden()
    page.get_by_role("heading", level=1).click()
    expect(menu.get_by_role("link", name="Contacts")).to_be_hidden()
    assert_accessible(page)


def test_on_a_phone_the_menu_folds_behind_a_button(
    browser: Browser, live_server: str, server_env: dict[str, str]
):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    operator_signed_in(page, live_server, server_env, "menu.phone@venue.example")
    page.goto(f"{live_server}/backoffice/till")
    menu = page.get_by_role("navigation", name="Staff")
    toggle = page.get_by_role("button", name="Menu")
    expect(menu).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert page.get_by_role("banner").evaluate("header => header.scrollWidth") <= 390

    toggle.click()

    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link", name="Till summary")).to_be_visible()  # the current group is open
    expect(menu.get_by_role("link", name="Till summary")).to_have_attribute("aria-current", "page")
    menu.get_by_role("link", name="Sell").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sell")
    expect(menu).to_be_hidden()
    assert_accessible(page)
    phone.close()


def test_without_javascript_the_menu_is_always_there(
    browser: Browser, live_server: str, server_env: dict[str, str]
):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = phone.new_page()
    operator_signed_in(page, live_server, server_env, "menu.plain@venue.example")
    menu = page.get_by_role("navigation", name="Staff")
    expect(menu).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    open_from_menu(page, "CRM", "Contacts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    phone.close()
