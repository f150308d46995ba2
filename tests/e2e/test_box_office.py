import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import create_staff, open_from_menu
from tests.e2e.test_staff import sign_in

OPERATOR_EMAIL = "counter@venue.example"
OPERATOR_PASSWORD = "one ticket for the matinee"
NOTE = "Agreed in person at the box office"


def test_a_counter_sale_finds_the_customer_opts_them_in_with_a_note_takes_cash_and_prints(
    page: Page, live_server: str, server_env: dict[str, str]
):
    create_staff(
        server_env,
        email=OPERATOR_EMAIL,
        name="Cora Counter",
        role="Box office operator",
        password=OPERATOR_PASSWORD,
    )
    sign_in(page, live_server, OPERATOR_EMAIL, OPERATOR_PASSWORD)
    open_from_menu(page, "Box office", "Sell")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sell")
    expect(page.get_by_label("Find a performance by event title")).to_be_focused()

    # The customer is on file (added at an earlier visit); find them as you type.
    page.get_by_text("Add a new customer").click()
    page.get_by_label("First name").fill("Mary")
    page.get_by_label("Last name").fill("Seacole")
    page.get_by_label("E-mail address (optional)").fill("mary.seacole@example.org")
    page.get_by_role("button", name="Add customer").click()
    expect(page.get_by_text("Venue marketing: Opt out")).to_be_visible()
    page.get_by_role("link", name="Change customer (or sell to a walk-in)").click()
    expect(page.locator(".customer-card")).to_have_count(0)  # the screen is swapped in place: wait for it

    page.locator("#performance-results a").first.click()
    quantity = page.locator("input.quantity").first
    expect(quantity).to_be_focused()
    quantity.fill("2")
    page.get_by_role("button", name="Add to basket").click()
    expect(page.locator("#basket-total")).to_be_visible()
    total = page.locator("#basket-total").inner_text()

    search = page.get_by_label("Find a customer by name, e-mail, phone or postcode")
    expect(search).to_be_focused()
    search.press_sequentially("seaco")
    page.get_by_role("link", name="Choose Mary Seacole").click()
    expect(page.locator(".marketing-status")).to_have_text("Venue marketing: Opt out")

    question = page.get_by_role("group", name=re.compile("agreed to hear about upcoming shows"))
    expect(question.get_by_role("radio", name="No")).to_be_focused()
    question.get_by_role("radio", name="Yes, they agreed").check()
    page.get_by_label("Note for the customer's record (needed for a yes)").fill(NOTE)
    expect(page.get_by_label("Cash", exact=True)).to_be_checked()
    page.get_by_label("Cash tendered (leave empty for the exact amount)").fill("200")
    page.get_by_role("button", name=re.compile("^Complete sale")).click()

    expect(page.get_by_role("status")).to_contain_text("Sale complete")
    expect(page.locator("#change-due")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Print the tickets (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.get_by_role("link", name="Next customer").click()
    page.get_by_label("Find a customer by name, e-mail, phone or postcode").fill("mary.seacole@example.org")
    page.get_by_role("link", name="Choose Mary Seacole").click()
    expect(page.locator(".marketing-status")).to_have_text("Venue marketing: Opt in")
    expect(page.locator(".contact-notes")).to_contain_text(NOTE)
    expect(page.locator(".contact-notes")).to_contain_text("Cora Counter")

    open_from_menu(page, "Box office", "Till summary")
    till = page.locator("section.till-of", has=page.get_by_role("heading", name="Cora Counter"))
    cash = till.get_by_role("row", name=re.compile("^Cash"))
    expect(cash).to_contain_text(total)

    open_from_menu(page, "CRM", "Contacts")
    page.get_by_label("Search by name, e-mail, phone or postcode").press_sequentially("seacole")
    page.get_by_role("link", name="Mary Seacole").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mary Seacole")
    expect(page.get_by_role("row", name=re.compile("^E-mail Venue marketing"))).to_contain_text(
        "Venue marketing: Opt in"
    )
    expect(page.locator(".notes")).to_contain_text(NOTE)
    expect(page.locator(".notes")).to_contain_text("Cora Counter")


def sign_in_a_new_operator(page: Page, live_server: str, server_env: dict[str, str], email: str) -> None:
    create_staff(
        server_env, email=email, name="Kit Keyboard", role="Box office operator", password=OPERATOR_PASSWORD
    )
    sign_in(page, live_server, email, OPERATOR_PASSWORD)


def basket_numbers(page: Page):
    return page.locator("section[aria-labelledby=sell-basket] tbody td:nth-child(2)")


def choose_a_performance_by_keyboard(page: Page) -> None:
    open_from_menu(page, "Box office", "Sell")
    expect(page.get_by_label("Find a performance by event title")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the Find button, to the first performance listed
    expect(page.locator("#performance-results a").first).to_be_focused()
    page.keyboard.press("Enter")


def test_an_operator_in_a_hurry_types_2_and_sells_exactly_2(
    page: Page, live_server: str, server_env: dict[str, str]
):
    sign_in_a_new_operator(page, live_server, server_env, "keyboard@venue.example")
    choose_a_performance_by_keyboard(page)

    quantity = page.locator("input.quantity").first
    expect(quantity).to_be_focused()
    expect(quantity).to_have_value("")
    page.keyboard.type("2")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Added to the basket.")
    expect(basket_numbers(page)).to_have_text(["2"])
    page.get_by_role("button", name=re.compile("^Complete sale")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Sale complete")
    expect(page.locator("td > code")).to_have_count(2)


def test_twenty_typed_at_the_counter_are_held_only_when_the_operator_confirms(
    page: Page, live_server: str, server_env: dict[str, str]
):
    sign_in_a_new_operator(page, live_server, server_env, "confirm@venue.example")
    choose_a_performance_by_keyboard(page)
    expect(page.locator("input.quantity").first).to_be_focused()

    page.keyboard.type("20")
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert")).to_contain_text("That is 20 tickets in one go. Is that right?")
    expect(page.get_by_text("The basket is empty.")).to_be_visible()
    confirm = page.get_by_role("button", name="Yes, add 20 tickets")
    expect(confirm).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Added to the basket.")
    expect(basket_numbers(page)).to_have_text(["20"])
