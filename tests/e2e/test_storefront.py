import re

from playwright.sync_api import Page, expect


def test_a_visitor_follows_an_event_to_its_performances(page: Page, live_server: str):
    page.goto(live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("What’s on")

    page.get_by_role("link", name="The Tempest").click()

    expect(page).to_have_url(f"{live_server}/events/the-tempest")
    expect(page.get_by_role("heading", level=1)).to_have_text("The Tempest")
    performances = page.get_by_role("table").get_by_role("row")
    expect(performances).to_have_count(6)  # a header row and five performances
    expect(performances.nth(1)).to_contain_text(re.compile(r"\d{1,2} \w{3} \d{4}, 19:30"))
    expect(performances.nth(1)).to_contain_text("From £10.00")


def test_the_keyboard_reaches_the_skip_link_first(page: Page, live_server: str):
    page.goto(live_server)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
