"""The checkout against the clock, at a phone's and a laptop's size, typed as buyers type: the live
countdown beside Pay, the warning and its one "more time", details kept when the time runs out, the basket
changed before paying, and nothing wider than a 360 px screen on any step."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.screenshots import readme_screenshot
from tests.support.accessibility import assert_accessible

SIZES = [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]


def hold_ends_in(server_env: dict[str, str], seconds: int) -> None:
    """Shorten the basket's hold, as if it had been taken long ago: the venue's shortest hold time (five
    minutes) is too long for a test to wait for."""
    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        [stored] = connection.execute("SELECT expires_at FROM hold LIMIT 1").fetchone()
        moment = datetime.now(UTC) + timedelta(seconds=seconds)
        value = moment.isoformat() if "T" in stored else moment.isoformat(sep=" ")
        connection.execute("UPDATE hold SET expires_at = ?", (value,))


def choose_tickets(page: Page, live_server: str, **counts: int) -> None:
    """From what's on to the checkout, choosing each ticket's number with the keyboard."""
    page.goto(live_server)
    page.get_by_role("link", name="The Tempest").click()
    page.get_by_role("link", name=re.compile(r"^Book")).first.click()
    expect(page.get_by_role("navigation", name="Steps to buy").locator("[aria-current=step]")).to_have_text(
        "Tickets"
    )
    for name, count in counts.items():
        page.get_by_label(name.replace("_", " "), exact=True).focus()
        page.keyboard.press(str(count))  # a closed list box jumps to the option typed
    page.get_by_role("button", name="Continue").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    page.wait_for_load_state()  # its scripts run: these tests are of the page with them


def type_details(page: Page) -> None:
    page.get_by_label("First name").press_sequentially("Grace")
    page.keyboard.press("Tab")
    page.keyboard.type("Hopper")
    page.get_by_label("E-mail address").press_sequentially("grace@example.org")


@pytest.fixture
def fresh_page(browser: Browser, request: pytest.FixtureRequest) -> Page:
    context = browser.new_context(viewport=request.param)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("fresh_page", SIZES, indirect=True, ids=["phone", "laptop"])
def test_the_warning_offers_more_time_once_and_keeps_what_was_typed(
    fresh_page: Page, live_server: str, server_env: dict[str, str]
):
    page = fresh_page
    choose_tickets(page, live_server, Adult=2)
    hold_ends_in(server_env, 128)
    page.reload()
    countdown = page.locator("#hold-countdown")
    expect(countdown).to_have_text(re.compile(r"^2:0\d left$"))
    expect(page.get_by_role("navigation", name="Steps to buy").locator("[aria-current=step]")).to_have_text(
        "Details"
    )
    assert_accessible(page)
    type_details(page)

    warning = page.get_by_role("dialog", name=re.compile("Your tickets are released at"))
    expect(warning).to_be_visible(timeout=15_000)
    more_time = warning.get_by_role("button", name="Hold them 15 more minutes")
    expect(more_time).to_be_focused()
    assert_accessible(page)
    readme_screenshot(page, f"checkout-warning-{page.viewport_size['width']}")
    page.keyboard.press("Enter")

    notice = page.get_by_role("status").filter(has_text="we hold your tickets for 15 more minutes")
    expect(notice).to_be_focused()
    expect(countdown).to_have_text(re.compile(r"^1[45]:\d\d left$"))
    expect(page.get_by_label("First name")).to_have_value("Grace")
    expect(page.get_by_label("Last name")).to_have_value("Hopper")
    expect(page.get_by_label("E-mail address")).to_have_value("grace@example.org")
    expect(page.get_by_role("button", name="Hold them 15 more minutes")).to_have_count(0)
    assert_accessible(page)


@pytest.mark.parametrize("fresh_page", SIZES, indirect=True, ids=["phone", "laptop"])
def test_when_the_time_is_up_the_details_typed_wait_for_the_next_choice(
    fresh_page: Page, live_server: str, server_env: dict[str, str]
):
    page = fresh_page
    choose_tickets(page, live_server, Adult=1)
    hold_ends_in(server_env, 15)
    page.reload()
    warning = page.get_by_role("dialog")
    expect(warning).to_be_visible()
    page.keyboard.press("Escape")  # not now: back to the form
    expect(warning).to_be_hidden()
    type_details(page)

    lapsed = page.get_by_role("alert").filter(has_text="Your time ran out")
    expect(lapsed).to_be_focused(timeout=20_000)
    assert_accessible(page)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Keep my details and choose again")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("We kept the details you typed")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Choose tickets again").press("Enter")
    page.get_by_label("Adult", exact=True).focus()
    page.keyboard.press("1")
    page.get_by_role("button", name="Continue").press("Enter")
    expect(page.get_by_label("First name")).to_have_value("Grace")
    expect(page.get_by_label("E-mail address")).to_have_value("grace@example.org")


@pytest.mark.parametrize("fresh_page", SIZES, indirect=True, ids=["phone", "laptop"])
def test_the_basket_changes_before_paying(fresh_page: Page, live_server: str):
    page = fresh_page
    choose_tickets(page, live_server, Adult=2, Concession=1)
    expect(page.get_by_role("button", name="Pay £66.00 by card")).to_be_visible()
    page.get_by_label("First name").press_sequentially("Grace")

    page.get_by_label("Quantity of Adult, The Tempest").focus()
    page.keyboard.press("3")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Update

    expect(page.get_by_role("status").filter(has_text="Your basket is updated")).to_be_focused()
    expect(page.get_by_role("button", name="Pay £90.00 by card")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Grace")
    page.get_by_role("button", name="Remove Concession, The Tempest").press("Enter")
    expect(page.get_by_role("status").filter(has_text="free for others now")).to_be_focused()
    expect(page.get_by_role("button", name="Pay £72.00 by card")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Concession")).to_have_count(0)
    assert_accessible(page)


def test_no_step_is_wider_than_a_small_phone(browser: Browser, live_server: str):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()

    def width() -> int:
        return page.evaluate("document.scrollingElement.scrollWidth")

    page.goto(live_server)
    page.get_by_role("link", name="The Tempest").click()
    page.get_by_role("link", name=re.compile(r"^Book")).first.click()
    assert width() <= 360, "the Tickets step"
    page.get_by_label("Adult", exact=True).select_option("2")
    page.get_by_label("Under 26", exact=True).select_option("1")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    assert width() <= 360, "the Details step"
    readme_screenshot(page, "checkout-phone")
    page.locator("#checkout-details").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="Pay £58.00 by card").click()  # refused, with its error summary
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert width() <= 360, "the Details step with its errors"
    context.close()


def test_without_script_the_warning_and_more_time_are_a_plain_form(
    browser: Browser, live_server: str, server_env: dict[str, str]
):
    context = browser.new_context(viewport=SIZES[0], java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server)
    page.get_by_role("link", name="The Tempest").click()
    page.get_by_role("link", name=re.compile(r"^Book")).first.click()
    page.get_by_label("Adult", exact=True).select_option("2")
    page.get_by_role("button", name="Continue").click()
    hold_ends_in(server_env, 100)
    page.reload()

    expect(page.locator("#hold-countdown")).to_have_text(re.compile(r"^until \d{1,2}:\d\d"))  # the clock time
    warning = page.get_by_role("dialog", name=re.compile("Your tickets are released at"))
    expect(warning).to_be_visible()  # loaded in the last two minutes: shown in the page
    type_details(page)
    warning.get_by_role("button", name="Hold them 15 more minutes").press("Enter")

    expect(
        page.get_by_role("status").filter(has_text="we hold your tickets for 15 more minutes")
    ).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Grace")
    expect(page.get_by_label("E-mail address")).to_have_value("grace@example.org")
    expect(page.get_by_role("dialog")).to_be_hidden()  # fourteen minutes and more to go
    page.get_by_label("Quantity of Adult, The Tempest").select_option("1")
    page.get_by_role("button", name="Update Adult, The Tempest").press("Enter")
    expect(page.get_by_role("button", name="Pay £24.00 by card")).to_be_visible()
    context.close()
