"""Box office > Sell by keyboard, as an operator with a queue works it: every key counted, no page load
between the steps of a sale, the cursor always on the next step, and the hold counting down."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import create_staff
from tests.e2e.screenshots import readme_screenshot
from tests.e2e.test_staff import sign_in
from tests.support.accessibility import assert_accessible

PASSWORD = "one ticket for the matinee"
VIEWPORTS = {"desk": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
MOST_KEYS = 16


class Keyboard:
    """The operator's keyboard: presses keys and counts them (each character typed is a key)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.count += len(text)


def an_operator_with_a_customer_on_file(page: Page, live_server: str, server_env, name: str) -> None:
    """Sign in a new operator, add the customer (an earlier visit) and open an empty Sell page."""
    first, last = name.split()
    email = f"{last.lower()}@venue.example"
    role = "Box office operator"
    create_staff(server_env, email=email, name="Kit Keys", role=role, password=PASSWORD)
    sign_in(page, live_server, email, PASSWORD)
    page.goto(f"{live_server}/backoffice/sell")
    page.get_by_text("Add a new customer").click()
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("E-mail address (optional)").fill(f"{last.lower()}@example.org")
    page.get_by_role("button", name="Add customer").click()
    expect(page.get_by_text("The customer has been added.")).to_be_visible()
    page.goto(f"{live_server}/backoffice/sell")


def watch_for_page_loads(page: Page) -> list[str]:
    """Full page loads from now on (a marker set on the window would not survive one)."""
    loads: list[str] = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    page.evaluate("window.sameSellPage = true")
    return loads


def still_the_same_page(page: Page, loads: list[str]) -> None:
    assert loads == []
    assert page.evaluate("window.sameSellPage") is True


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_a_two_ticket_cash_sale_to_a_customer_on_file_takes_at_most_16_keys_and_no_page_load(
    page: Page, live_server: str, server_env: dict[str, str], viewport: str
):
    page.set_viewport_size(VIEWPORTS[viewport])
    name = {"desk": "Ira Aldridge", "phone": "Paul Robeson"}[viewport]
    an_operator_with_a_customer_on_file(page, live_server, server_env, name)
    loads = watch_for_page_loads(page)
    keys = Keyboard(page)

    expect(page.get_by_label("Find a performance by event title")).to_be_focused()
    keys.type("tem")
    keys.press("Enter")  # the first performance listed

    expect(page.locator(".checkin-performance")).to_contain_text("The Tempest")
    quantity = page.get_by_role("spinbutton", name="Adult")
    expect(quantity).to_be_focused()
    keys.type("2")
    keys.press("Enter")

    expect(page.locator("section[aria-labelledby=sell-basket] tbody td:nth-child(2)")).to_have_text(["2"])
    customer = page.get_by_label("Find a customer by name, e-mail, phone or postcode")
    expect(customer).to_be_focused()
    keys.type(name.split()[1][:4].lower())
    keys.press("Enter")  # the first customer listed

    expect(page.locator(".customer-card")).to_contain_text(name)
    no = page.get_by_role("radio", name="No")
    expect(no).to_be_focused()
    expect(page.get_by_label("Note for the customer's record (needed for a yes)")).to_be_hidden()
    expect(page.get_by_label("Card terminal reference")).to_be_hidden()
    assert_accessible(page)
    readme_screenshot(page, f"sell-{viewport}")
    keys.press("Space")  # they said no

    tendered = page.get_by_label("Cash tendered (leave empty for the exact amount)")
    expect(tendered).to_be_focused()
    keys.type("50")
    keys.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Sale complete")
    expect(page.locator("#change-due")).to_have_text("£2.00")  # two adults at £24.00
    expect(page.locator("td > code")).to_have_count(2)
    assert keys.count <= MOST_KEYS, keys.count
    still_the_same_page(page, loads)
    assert_accessible(page)


def test_arrow_down_walks_the_results_and_a_refused_payment_puts_the_cursor_in_the_field(
    page: Page, live_server: str, server_env: dict[str, str]
):
    an_operator_with_a_customer_on_file(page, live_server, server_env, "Ellen Terry")
    loads = watch_for_page_loads(page)

    page.keyboard.type("jazz")
    page.keyboard.press("ArrowDown")
    first = page.locator("#performance-results a").first
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#performance-results a").nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(page.locator(".checkin-performance")).to_contain_text("Winter Jazz Nights")
    expect(page.get_by_role("spinbutton", name="Standard")).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("Enter")

    expect(page.get_by_label("Find a customer by name, e-mail, phone or postcode")).to_be_focused()
    page.keyboard.type("terr")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="Choose Ellen Terry")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("radio", name="No")).to_be_focused()
    page.keyboard.press("ArrowDown")  # moves to, and chooses, yes
    note = page.get_by_label("Note for the customer's record (needed for a yes)")
    expect(note).to_be_focused()
    page.keyboard.press("Tab")  # past the note, unwritten
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the e-mail box and the payment method, to the cash tendered
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert").first).to_contain_text("Add a note saying how the customer agreed.")
    expect(note).to_be_focused()
    page.keyboard.type("Said yes at the counter")
    page.keyboard.press("Shift+Tab")  # back to "Yes"
    page.keyboard.press("ArrowUp")  # "No": they changed their mind
    tendered = page.get_by_label("Cash tendered (leave empty for the exact amount)")
    expect(tendered).to_be_focused()
    page.keyboard.type("10")
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert").first).to_contain_text("The cash tendered is less than the amount due.")
    expect(tendered).to_be_focused()
    page.keyboard.type("30")  # over the refused 10, in a hurry
    expect(tendered).to_have_value("30")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Sale complete")
    expect(page.locator("#change-due")).to_have_text("£0.00")
    expect(page.locator("td > code")).to_have_count(2)
    still_the_same_page(page, loads)

    assert "Terry" not in page.evaluate("JSON.stringify(sessionStorage)")  # no copy kept for going back
    page.go_back()
    expect(page.get_by_text("The basket is empty.")).to_be_visible()  # the screen as it is now
    expect(page.locator(".customer-card")).to_contain_text("Ellen Terry")


def test_the_hold_counts_down(page: Page, live_server: str, server_env: dict[str, str]):
    an_operator_with_a_customer_on_file(page, live_server, server_env, "Sarah Siddons")
    page.keyboard.type("snow")
    page.keyboard.press("Enter")
    expect(page.get_by_role("spinbutton", name="Child")).to_be_visible()
    page.get_by_role("spinbutton", name="Child").fill("1")
    page.keyboard.press("Enter")

    held = page.locator(".hold-time time")
    expect(held).to_have_text(re.compile(r"^(30:00|29:5\d) left$"))
    shown = held.inner_text()
    expect(held).not_to_have_text(shown, timeout=3000)
    expect(held).to_have_text(re.compile(r"^29:[45]\d left$"))
    assert_accessible(page)

    page.keyboard.type("sidd")
    page.keyboard.press("Enter")  # the screen swapped again: its new countdown runs too
    expect(page.locator(".customer-card")).to_contain_text("Sarah Siddons")
    shown = held.inner_text()
    assert re.fullmatch(r"29:[345]\d left", shown), shown
    expect(held).not_to_have_text(shown, timeout=3000)


def test_without_javascript_the_sale_is_plain_forms_and_links(
    browser: Browser, live_server: str, server_env: dict[str, str]
):
    with_script = browser.new_page()
    an_operator_with_a_customer_on_file(with_script, live_server, server_env, "Henry Irving")
    cookies = with_script.context.cookies()
    with_script.close()
    context = browser.new_context(java_script_enabled=False)
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(f"{live_server}/backoffice/sell")

    page.get_by_label("Find a performance by event title").fill("tempest")
    page.get_by_role("button", name="Find").first.click()
    page.locator("#performance-results a").first.click()
    page.get_by_role("spinbutton", name="Adult").fill("1")
    page.get_by_role("button", name="Add to basket").click()
    expect(page.locator(".hold-time time")).to_have_text(re.compile(r"^until \d"))
    page.get_by_label("Find a customer by name, e-mail, phone or postcode").fill("irving")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Choose Henry Irving").click()
    page.get_by_role("radio", name="Yes, they agreed").check()
    page.get_by_label("Note for the customer's record (needed for a yes)").fill("Agreed at the counter")
    page.get_by_role("radio", name="Card terminal").check()
    expect(page.get_by_label("Cash tendered (leave empty for the exact amount)")).to_be_hidden()
    page.get_by_label("Card terminal reference").fill("AUTH 7")
    page.get_by_role("button", name=re.compile("^Complete sale")).click()

    expect(page.get_by_role("status")).to_contain_text("Sale complete")
    context.close()


def test_an_error_page_is_shown_in_place_of_the_screen(
    page: Page, live_server: str, server_env: dict[str, str]
):
    an_operator_with_a_customer_on_file(page, live_server, server_env, "Edmund Kean")
    loads = watch_for_page_loads(page)
    page.keyboard.type("tem")
    page.keyboard.press("Enter")
    expect(page.get_by_role("spinbutton", name="Adult")).to_be_focused()
    address = page.url
    page.evaluate(
        """document.body.setAttribute("hx-headers", '{"x-csrftoken": "stale"}');
        document.querySelectorAll("input[name=_csrf_token]").forEach((f) => { f.value = "stale"; });"""
    )  # as after the session changed in another tab

    page.keyboard.type("1")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
    assert page.url == address
    still_the_same_page(page, loads)
