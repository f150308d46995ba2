"""The storefront and the buyer's booking page on a phone (390 by 844) and a desktop (1280 by 800): the
venue's logo and the events' pictures, a "Book" button a thumb can hit, and a booking page whose QR
codes scan, with its calendar file, its map link and its "send the e-mail again"."""

from __future__ import annotations

import re

import pyotp
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import create_staff
from tests.e2e.test_staff import sign_in
from tests.support.accessibility import assert_accessible

VIEWPORTS = [
    pytest.param({"width": 390, "height": 844}, id="phone"),
    pytest.param({"width": 1280, "height": 800}, id="desktop"),
]
SMALLEST_TARGET = 44  # px, WCAG 2.5.5's target size


def fits_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def pictures_loaded(page: Page, selector: str) -> list[str]:
    """The address each matching picture was drawn from, or 'broken' for one that did not load."""
    return page.locator(selector).evaluate_all(
        "images => images.map(image =>"
        " image.complete && image.naturalWidth > 0 ? image.currentSrc : 'broken')",
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_storefront_shows_the_venue_and_each_events_picture(page: Page, live_server: str, viewport):
    page.set_viewport_size(viewport)
    page.goto(live_server)

    brand = page.locator(".site-header .brand")
    expect(brand).to_contain_text("Riverside Arts Centre")
    assert all(
        src.startswith(f"{live_server}/assets/pictures/") for src in pictures_loaded(page, ".brand img")
    )
    cards = page.locator(".event-card")
    expect(cards.first.get_by_role("img", name="A stage under a spotlight, for The Tempest")).to_be_visible()
    cards.first.locator("img").scroll_into_view_if_needed()
    expect(cards.first.locator("img")).to_have_js_property("complete", True)
    [first, *_] = pictures_loaded(page, ".event-card img")
    assert first.startswith(f"{live_server}/assets/pictures/")
    assert fits_sideways(page)
    assert_accessible(page)

    page.get_by_role("link", name="The Tempest").click()
    expect(page.get_by_role("img", name="A stage under a spotlight, for The Tempest")).to_be_visible()
    [hero] = pictures_loaded(page, ".event-picture.hero")
    assert re.search(r"/assets/pictures/[0-9a-f]+/(320|640|1280)$", hero)
    book = page.get_by_role("link", name=re.compile(r"^Book")).first
    box = book.bounding_box()
    assert box["width"] >= SMALLEST_TARGET and box["height"] >= SMALLEST_TARGET
    assert fits_sideways(page)
    assert_accessible(page)


def buy_two_tickets(page: Page, live_server: str, email: str) -> None:
    page.goto(live_server)
    page.get_by_role("link", name="The Tempest").click()
    page.get_by_role("link", name=re.compile(r"^Book")).first.click()
    page.get_by_label("Adult").select_option("2")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label(re.compile("I have read and accept the")).check()
    page.get_by_role("button", name=re.compile(r"^Pay .* by card")).click()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("your booking is confirmed and paid")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_booking_page_has_scannable_tickets_a_calendar_a_map_and_sends_the_email_again(
    page: Page, live_server: str, viewport, tmp_path
):
    page.set_viewport_size(viewport)
    buy_two_tickets(page, live_server, f"grace.{viewport['width']}@example.org")

    tickets = page.locator(".booked-ticket")
    expect(tickets).to_have_count(2)
    for index in range(2):
        code = tickets.nth(index).locator("code").inner_text()
        qr = tickets.nth(index).locator("svg.ticket-qr")
        expect(qr).to_be_visible()
        shot = tmp_path / f"qr-{index}.png"
        qr.screenshot(path=str(shot))
        [found] = zxingcpp.read_barcodes(Image.open(shot))
        assert found.text.split(".")[1] == code  # the signed payload the door scans, for this ticket
    assert fits_sideways(page)
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Add to your calendar (.ics)").click()
    calendar = download.value.path().read_text()
    assert "BEGIN:VEVENT" in calendar and "SUMMARY:The Tempest" in calendar
    expect(page.get_by_role("link", name=re.compile("on OpenStreetMap"))).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/search\?query=Riverside%20Arts%20Centre")
    )

    page.get_by_role("button", name="Send the e-mail again").click()
    expect(page.get_by_role("status").first).to_contain_text("We have sent the confirmation e-mail again")
    page.get_by_role("button", name="Send the e-mail again").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("ask again in 5 minutes")
    expect(summary).to_be_focused()
    assert_accessible(page)


MANAGER_PASSWORD = "pictures of the stage please"


def sign_in_a_new_manager(
    page: Page, live_server: str, server_env: dict[str, str], role: str = "Box office manager"
) -> None:
    """A new member of staff on `role` (a box office manager holds Events, an admin Settings too), signed
    in and enrolled in two-factor sign-in."""
    email = f"pictures.{role.split()[-1].lower()}@venue.example"
    create_staff(server_env, email=email, name="Pia Pictures", role=role, password=MANAGER_PASSWORD)
    sign_in(page, live_server, email, MANAGER_PASSWORD)
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("link", name="Continue to the back office").click()


def test_staff_are_told_what_is_wrong_with_a_file_and_then_upload_an_events_picture(
    page: Page, live_server: str, server_env: dict[str, str], tmp_path
):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_a_new_manager(page, live_server, server_env)
    page.goto(f"{live_server}/backoffice/events")
    page.get_by_role("link", name="Open Mic Comedy").click()
    expect(page.get_by_role("img", name="A stage under a spotlight, for Open Mic Comedy")).to_be_visible()

    not_a_picture = tmp_path / "poster.png"
    not_a_picture.write_text("these are words, not pixels")
    page.get_by_label("A new picture (optional)").set_input_files(str(not_a_picture))
    page.get_by_label("What the picture shows").fill("The comedian at the microphone")
    page.get_by_role("button", name="Save the picture").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("not a picture we can read"))).to_have_attribute(
        "href", "#field-picture"
    )
    expect(page.get_by_label("What the picture shows")).to_have_value("The comedian at the microphone")
    assert_accessible(page)

    photo = tmp_path / "comedian.jpg"
    Image.new("RGB", (1000, 700), (30, 90, 160)).save(photo, "JPEG")
    page.get_by_label("A new picture (optional)").set_input_files(str(photo))
    page.get_by_role("button", name="Save the picture").click()

    expect(page.get_by_role("status")).to_have_text("The event’s picture has been saved.")
    expect(page.get_by_role("img", name="The comedian at the microphone")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server}/events/open-mic-comedy")
    expect(page.get_by_role("img", name="The comedian at the microphone")).to_be_visible()


def test_an_admin_replaces_the_logo_that_heads_the_storefront(
    page: Page, live_server: str, server_env: dict[str, str], tmp_path
):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_a_new_manager(page, live_server, server_env, role="Admin")
    page.goto(f"{live_server}/backoffice/settings/storefront")
    expect(page.get_by_role("heading", name="The venue’s logo")).to_be_visible()
    assert_accessible(page)

    logo = tmp_path / "logo.webp"
    Image.new("RGBA", (480, 160), (250, 200, 0, 255)).save(logo, "WEBP")
    page.get_by_label("A new picture (optional)").set_input_files(str(logo))
    page.get_by_label("What the picture shows").fill("Riverside Arts Centre, in yellow")
    page.get_by_role("button", name="Save the logo").click()
    expect(page.get_by_role("status")).to_have_text("The logo has been saved.")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server)
    [source] = pictures_loaded(page, ".brand img")
    assert source.startswith(f"{live_server}/assets/pictures/")
    brand = page.locator(".brand").bounding_box()
    assert brand["height"] >= SMALLEST_TARGET and fits_sideways(page)
    assert_accessible(page)
