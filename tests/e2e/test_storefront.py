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


def test_a_visitor_narrows_whats_on_and_finds_a_day_in_the_calendar(page: Page, live_server: str):
    page.goto(live_server)
    status = page.get_by_role("status")
    expect(status).to_contain_text("on every date at every venue")

    page.get_by_label("This week").check()  # the listing follows at once, and so does the address

    expect(page).to_have_url(re.compile(r"\?when=week"))
    expect(status).to_contain_text("this week")
    expect(page.get_by_label("This week")).to_be_checked()

    page.get_by_role("link", name="See the calendar of performances").click()
    expect(page.get_by_role("table").locator("caption")).to_be_visible()
    if page.locator("td.open a").count() == 0:  # late in a month the demo's performances are next month's
        page.locator("a[rel=next]").click()
    expect(page.get_by_role("table").locator("caption")).to_contain_text("Days with performances link")
    page.locator("td.open a").first.click()

    expect(page).to_have_url(re.compile(r"/\?day=\d{4}-\d{2}-\d{2}"))
    expect(status).to_contain_text("Showing")
    expect(page.get_by_label("On a day")).to_be_checked()
    expect(page.locator(".event-card").first).to_be_visible()
