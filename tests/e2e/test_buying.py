import re
import sqlite3

from playwright.sync_api import Page, expect

from tests.support.accessibility import assert_accessible


def test_a_buyer_chooses_two_tickets_opts_in_pays_and_gets_their_booking(
    page: Page, live_server: str, server_env: dict[str, str]
):
    page.goto(live_server)
    page.get_by_role("link", name="The Tempest").click()
    page.get_by_role("link", name=re.compile(r"^Book")).first.click()
    page.get_by_label("Adult").select_option("2")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    expect(page.get_by_role("link", name="terms and conditions", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("E-mail address").fill("grace@example.org")
    question = page.get_by_label(re.compile("e-mail me about upcoming shows"))
    expect(question).not_to_be_checked()
    wording = question.evaluate("box => box.labels[0].textContent")
    question.check()
    page.get_by_label(re.compile("I have read and accept the")).check()
    page.get_by_role("button", name="Pay £48.00 by card").click()

    expect(page.get_by_text("48.00 GBP")).to_be_visible()  # Stripe's page, where the card is entered
    page.get_by_role("button", name="Pay", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("your booking is confirmed and paid")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your booking")
    expect(page.locator(".booked-ticket code")).to_have_count(2)
    assert_accessible(page)

    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        consent = connection.execute(
            "SELECT r.granted, r.source, r.wording FROM consent_record r JOIN contact c ON c.id = r.contact"
            " WHERE c.email = 'grace@example.org'"
        ).fetchall()
    assert consent == [(1, "online_checkout", wording.strip())]
