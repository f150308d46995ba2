import io
import re
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

import segno
from PIL import Image
from playwright.sync_api import Browser, BrowserType, Page, expect

from boxoffice.tickets.signing import ticket_signer
from tests.e2e.conftest import create_staff
from tests.e2e.screenshots import readme_screenshot
from tests.support.accessibility import assert_accessible

GATE_EMAIL = "gate@venue.example"
GATE_PASSWORD = "let them in one at a time"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def sell_a_ticket(server_env: dict[str, str], performance_id: int) -> str:
    """A paid order with one ticket for the performance, written straight into the server's database."""
    database = server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    reference = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    with closing(sqlite3.connect(database, timeout=10)) as connection, connection:
        ticket_type, price, currency = connection.execute(
            "SELECT id, price, currency FROM ticket_type WHERE performance = ? ORDER BY position LIMIT 1",
            (performance_id,),
        ).fetchone()
        order_id = connection.execute(
            'INSERT INTO "order" (reference, channel, status, currency, total, email)'
            " VALUES (?, 'box_office', 'paid', ?, ?, 'door.test@example.org') RETURNING id",
            (reference, currency, price),
        ).fetchone()[0]
        line_id = connection.execute(
            'INSERT INTO order_line ("order", performance, ticket_type, description, quantity, unit_price)'
            " VALUES (?, ?, ?, 'Adult', 1, ?) RETURNING id",
            (order_id, performance_id, ticket_type, price),
        ).fetchone()[0]
        connection.execute(
            'INSERT INTO ticket ("order", order_line, performance, code, status) VALUES (?, ?, ?, ?, ?)',
            (order_id, line_id, performance_id, code, "valid"),
        )
    return code


def door_staff_signed_in(
    page: Page, live_server: str, server_env: dict[str, str], email: str, name: str
) -> None:
    create_staff(server_env, email=email, name=name, role="Door staff", password=GATE_PASSWORD)
    page.goto(f"{live_server}/backoffice/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(GATE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def camera_film(payload: str, folder: Path) -> Path:
    """A Y4M video of the QR code of `payload` held up to a 640 x 480 camera, as Chromium's fake camera
    plays it: each frame a full-size luma plane and two quarter-size chroma planes (grey)."""
    qr = io.BytesIO()
    segno.make_qr(payload, error="m").save(qr, kind="png", scale=6, border=4)
    frame = Image.new("L", (640, 480), 255)
    code = Image.open(qr).convert("L")
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    chroma = bytes([128]) * (320 * 240)
    film = folder / "qr.y4m"
    with film.open("wb") as file:
        file.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            file.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return film


def test_door_staff_scan_a_paid_ticket_in_and_a_second_scan_is_refused(
    page: Page, live_server: str, server_env: dict[str, str]
):
    door_staff_signed_in(page, live_server, server_env, GATE_EMAIL, "Gus Gate")

    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Check-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check-in")
    first_show = page.locator(".checkin-choices a").first
    performance_id = int(re.search(r"/backoffice/checkin/(\d+)$", first_show.get_attribute("href")).group(1))
    code = sell_a_ticket(server_env, performance_id)
    first_show.click()

    field = page.get_by_label("Scan or type a ticket code")
    expect(field).to_be_focused()
    expect(page.locator("#checkin-counts")).to_contain_text("Admitted 0 of")
    field.fill(f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}".lower())
    field.press("Enter")

    result = page.get_by_role("status")
    expect(result.locator(".checkin-verdict")).to_have_text("Admitted")
    expect(result.locator(".checkin-result")).to_have_class(re.compile(r"\bcheckin-admitted\b"))
    expect(page.locator("#checkin-counts")).to_contain_text("Admitted 1 of")
    expect(field).to_have_value("")
    expect(field).to_be_focused()

    field.fill(code)
    field.press("Enter")

    expect(result.locator(".checkin-verdict")).to_have_text("Already admitted")
    expect(result).to_contain_text("by Gus Gate")
    expect(page.locator("#checkin-counts")).to_contain_text("Admitted 1 of")


def test_the_camera_reads_a_tickets_qr_code_and_admits_it(
    browser_type: BrowserType,
    browser_type_launch_args: dict,
    live_server: str,
    server_env: dict[str, str],
    tmp_path: Path,
):
    database = Path(server_env["BOXOFFICE_DATABASE_URL"].removeprefix("sqlite:///"))
    signer = ticket_signer(str(database.parent / "ticket-signing.key"))
    with closing(sqlite3.connect(database)) as connection:
        [performance_id] = connection.execute(
            "SELECT id FROM performance ORDER BY starts_at LIMIT 1"
        ).fetchone()
    code = sell_a_ticket(server_env, performance_id)
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera_film(signer.qr_payload(code), tmp_path)}",
    ]
    browser = browser_type.launch(
        **{**browser_type_launch_args, "args": [*browser_type_launch_args["args"], *camera]}
    )
    try:
        context = browser.new_context(permissions=["camera"])
        page = context.new_page()
        door_staff_signed_in(page, live_server, server_env, "camera@venue.example", "Cam Era")
        page.goto(f"{live_server}/backoffice/checkin/{performance_id}")

        page.get_by_role("button", name="Use the camera").click()

        result = page.get_by_role("status")
        expect(result.locator(".checkin-verdict")).to_have_text("Admitted", timeout=15_000)
        expect(page.get_by_role("button", name="Stop the camera")).to_be_visible()
    finally:
        browser.close()


SIGNALS_RECORDED = """
window.signals = [];
navigator.vibrate = (pattern) => { window.signals.push(["vibrate", pattern]); return true; };
window.AudioContext = class {
  constructor() { this.currentTime = 0; this.destination = {}; }
  createOscillator() {
    const oscillator = { frequency: {}, connect() {}, stop() {},
      start() { window.signals.push(["tone", oscillator.frequency.value]); } };
    return oscillator;
  }
};
"""


def test_door_mode_on_a_phone_keeps_the_verdict_in_view_and_signals_it(
    browser: Browser, live_server: str, server_env: dict[str, str]
):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    phone.add_init_script(SIGNALS_RECORDED)
    page = phone.new_page()
    door_staff_signed_in(page, live_server, server_env, "door.mode@venue.example", "Dora Door")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Check-in").click()
    page.locator(".checkin-choices a").first.click()
    performance_id = int(re.search(r"/checkin/(\d+)$", page.url).group(1))
    code = sell_a_ticket(server_env, performance_id)
    page.get_by_role("link", name="Door mode, for a phone").click()

    expect(page.get_by_role("navigation", name="Staff")).to_have_count(0)
    verdict = page.get_by_role("status").locator(".checkin-verdict")
    expect(verdict).to_have_text("Ready")
    counts = page.locator("#checkin-counts")
    admitted, sold = map(int, re.findall(r"\d+", counts.inner_text()))  # other tests share the show
    page.get_by_label("Sound").check()
    page.get_by_label("Vibrate").check()
    assert_accessible(page)

    field = page.get_by_label("Scan or type a ticket code")
    field.press_sequentially(code)
    field.press("Enter")

    expect(verdict).to_have_text("Admitted")
    expect(verdict).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("button", name="Check")).to_be_in_viewport(ratio=1)
    expect(counts).to_contain_text(f"Admitted {admitted + 1} of {sold}")
    assert page.evaluate("window.signals") == [["vibrate", [120]], ["tone", 880]]
    readme_screenshot(page, "door-mode")

    page.reload()  # the choices stay on this device
    expect(page.get_by_label("Sound")).to_be_checked()
    page.get_by_label("Vibrate").uncheck()
    page.evaluate("window.signals = []")
    field.press_sequentially(code)
    field.press("Enter")

    expect(verdict).to_have_text("Already admitted")
    expect(verdict).to_be_in_viewport(ratio=1)
    assert page.evaluate("window.signals") == [["tone", 220], ["tone", 220]]
    assert_accessible(page)
    phone.close()


def test_door_mode_works_without_javascript(browser: Browser, live_server: str, server_env: dict[str, str]):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = phone.new_page()
    door_staff_signed_in(page, live_server, server_env, "door.plain@venue.example", "Pat Plain")
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Check-in").click()
    page.locator(".checkin-choices a").first.click()
    performance_id = int(re.search(r"/checkin/(\d+)$", page.url).group(1))
    code = sell_a_ticket(server_env, performance_id)
    page.get_by_role("link", name="Door mode, for a phone").click()

    page.get_by_label("Scan or type a ticket code").fill(code)
    page.get_by_role("button", name="Check").click()

    expect(page).to_have_url(re.compile(r"/scan$"))
    expect(page.get_by_role("navigation", name="Staff")).to_have_count(0)  # still in door mode
    expect(page.get_by_role("status").locator(".checkin-verdict")).to_have_text("Admitted")
    expect(page.get_by_role("status").locator(".checkin-verdict")).to_be_in_viewport(ratio=1)
    expect(page.get_by_label("Sound")).to_be_hidden()  # signals need the script
    phone.close()
