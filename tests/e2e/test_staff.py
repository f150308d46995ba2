import pyotp
from playwright.sync_api import Page, expect

from tests.e2e.conftest import create_staff, open_from_menu

ADMIN_EMAIL = "new.admin@venue.example"
ADMIN_PASSWORD = "a brand new admin passphrase"
DOOR_EMAIL = "door@venue.example"
DOOR_PASSWORD = "tickets at the ready please"


def sign_in(page: Page, live_server: str, email: str, password: str) -> None:
    page.goto(f"{live_server}/backoffice/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_new_admin_enrols_two_factor_and_adds_door_staff_whose_menu_is_check_in(
    page: Page, live_server: str, server_env: dict[str, str]
):
    create_staff(server_env, email=ADMIN_EMAIL, name="Ada Admin", role="Admin", password=ADMIN_PASSWORD)

    sign_in(page, live_server, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continue to the back office").click()

    open_from_menu(page, "CRM", "Users & Roles")
    page.get_by_role("link", name="Add a staff member").click()
    page.get_by_label("Name").fill("Dev Door")
    page.get_by_label("E-mail address").fill(DOOR_EMAIL)
    page.get_by_label("Role").select_option(label="Door staff")
    page.get_by_label("Initial password").fill(DOOR_PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("row", name="Dev Door")).to_contain_text("Door staff")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, DOOR_EMAIL, DOOR_PASSWORD)
    menu = page.get_by_role("navigation", name="Staff").get_by_role("link", include_hidden=True)
    expect(menu).to_have_text(["Check-in"])
    page.get_by_role("link", name="Check-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check-in")
