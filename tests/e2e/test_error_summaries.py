"""Errors as GOV.UK's design system shows them: a summary that takes focus, each message a link that
takes the buyer to its field, and every field in error marked as one."""

import re

from playwright.sync_api import Page, expect

from tests.support.accessibility import assert_accessible


def test_a_buyer_who_forgets_the_terms_is_taken_to_them(page: Page, live_server: str):
    page.goto(live_server)
    page.get_by_role("link", name="The Tempest").click()
    page.get_by_role("link", name=re.compile(r"^Book")).first.click()
    page.get_by_label("Adult").select_option("1")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("First name").press_sequentially("Grace")
    page.get_by_label("Last name").press_sequentially("Hopper")
    page.get_by_label("E-mail address").press_sequentially("grace@example")
    page.get_by_label(re.compile("I have read and accept the")).evaluate("box => box.required = false")
    page.get_by_role("button", name=re.compile(r"^Pay .* by card")).click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)  # the e-mail address and the terms

    summary.get_by_role("link", name=re.compile("terms")).click()

    terms = page.get_by_label(re.compile("I have read and accept the"))
    expect(terms).to_be_focused()
    expect(page.locator(".field.checkbox.has-error")).to_contain_text("I have read and accept")
    expect(page.locator("#error-accept_terms")).to_have_css("color", "rgb(163, 22, 31)")
    expect(page.get_by_label("First name")).to_have_value("Grace")  # what was typed is kept
    assert_accessible(page)
    page.keyboard.press("Space")
    expect(terms).to_be_checked()
