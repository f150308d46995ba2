"""axe-core finds no violation on the public pages, reached as a visitor reaches them, nor on the
pages of the staff menu."""

import pyotp
from playwright.sync_api import Page

from tests.e2e.conftest import create_staff
from tests.support.accessibility import assert_accessible

ADMIN_EMAIL = "axe@venue.example"
ADMIN_PASSWORD = "every page for everyone"


def test_the_storefront_pages_pass_axe(page: Page, live_server: str):
    page.goto(live_server)
    assert_accessible(page)
    page.get_by_role("link", name="The Tempest").click()
    assert_accessible(page)
    page.get_by_role("table").get_by_role("link").first.click()
    assert_accessible(page)
    for path in ("/calendar", "/terms", "/privacy"):
        page.goto(live_server + path)
        assert_accessible(page)


def test_every_page_of_an_admins_menu_passes_axe(page: Page, live_server: str, server_env: dict[str, str]):
    """Driven from the menu an Admin sees, so a page added to the menu is checked too."""
    create_staff(server_env, email=ADMIN_EMAIL, name="Ada Axe", role="Admin", password=ADMIN_PASSWORD)
    page.goto(f"{live_server}/backoffice/login")
    page.get_by_label("E-mail address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert_accessible(page)  # setting up two-factor sign-in
    page.get_by_label("Code from the app").fill(pyotp.TOTP(page.locator("#totp-secret").inner_text()).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    assert_accessible(page)  # the recovery codes
    page.get_by_role("link", name="Continue to the back office").click()

    menu = page.get_by_role("navigation", name="Staff").get_by_role("link", include_hidden=True)
    addresses = {link.get_attribute("href") for link in menu.all()}
    assert len(addresses) >= 15
    for address in sorted(addresses):
        page.goto(live_server + address)
        assert page.get_by_role("heading", level=1).count() == 1, address
        assert_accessible(page)
