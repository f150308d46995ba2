"""Ticket PDFs: from the booking link and in the confirmation e-mail, one page per ticket, made in a
renderer process (an error page when it dies), and WeasyPrint reading nothing but our own assets."""

from __future__ import annotations

import io
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pypdfium2
import pytest
import weasyprint
import zxingcpp
from pypdf import PdfReader

from boxoffice.config import get_settings
from boxoffice.documents.paths import ASSETS_DIR
from boxoffice.documents.pdf_engine import AssetFetcher, DocumentFetcher, RefusedURL
from boxoffice.mail.tables import OutboxAttachment, OutboxMessage
from boxoffice.mail.worker import send_due_messages
from boxoffice.money import Money
from boxoffice.sales.bookings import BookedPerformance, BookedTicket, Booking, booking_path
from boxoffice.sales.tables import Order, OrderStatus, Ticket
from boxoffice.tickets import printing
from boxoffice.tickets.pdf import ATTACHMENT_MAKERS, render_tickets_pdf, tickets_to_print
from boxoffice.tickets.signing import readable_code, ticket_signer
from tests.support.renderer_jobs import die
from tests.support.shop import SHOW_TIME, check_out, choose

A4_POINTS = (595.28, 841.89)
THERMAL_POINTS = (80 / 25.4 * 72, 150 / 25.4 * 72)


def link(reference: str) -> str:
    return booking_path(reference, get_settings().secret_key.encode())


async def buy(shop, show, fake_stripe, *, pay: bool = True) -> dict:
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "2", types["Concession"]: "1"})
    await check_out(shop)
    order = await Order.select().first()
    if pay:
        session = fake_stripe.complete_session(order["stripe_session"])
        payload, signature = fake_stripe.webhook_event("checkout.session.completed", session)
        response = await shop.post(
            "/webhooks/stripe", content=payload, headers={"stripe-signature": signature}
        )
        assert response.status_code == 200
    return order


def page_texts(content: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def scanned_codes(content: bytes, dots_per_inch: int = 150) -> list[list[str]]:
    """What a QR scanner reads off each page, printed at `dots_per_inch`."""
    document = pypdfium2.PdfDocument(content)
    return [
        [found.text for found in zxingcpp.read_barcodes(page.render(scale=dots_per_inch / 72).to_pil())]
        for page in document
    ]


def memory_booking(first_name: str = "Ada", last_name: str = "Lovelace", tickets: int = 2) -> Booking:
    performance = BookedPerformance(
        event_title="The Tempest",
        starts_at=SHOW_TIME,
        venue_name="Town Hall",
        venue_locale="en_GB",
        venue_timezone="Europe/London",
        tickets=[
            BookedTicket(f"ABCDEFGHJKLMNP{number:02d}", "Adult", "valid", Money("GBP", 2400))
            for number in range(22, 22 + tickets)
        ],
        venue_address="1 High Street",
    )
    return Booking(
        id=1,
        reference="RTEST1",
        status=OrderStatus.PAID,
        first_name=first_name,
        last_name=last_name,
        email="ada@example.org",
        total=Money("GBP", 2400 * tickets),
        created_at=datetime.now(UTC),
        expires_at=None,
        performances=[performance],
        lines=[("The Tempest: Adult", tickets, Money("GBP", 2400))],
    )


async def test_a_paid_booking_downloads_one_page_per_ticket_with_its_details_and_qr_code(
    shop,
    show,
    fake_stripe,
):
    order = await buy(shop, show, fake_stripe)
    booking_page = (await shop.get(link(order["reference"]))).text
    assert f'href="{link(order["reference"])}/tickets.pdf"' in booking_page
    assert "Download your tickets (PDF)" in booking_page

    response = await shop.get(f"{link(order['reference'])}/tickets.pdf")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f"attachment; filename=tickets-{order['reference']}.pdf"
    assert response.headers["cache-control"] == "no-store"
    texts = page_texts(response.content)
    codes = [row["code"] for row in await Ticket.select(Ticket.code).order_by(Ticket.id)]
    assert len(texts) == len(codes) == 3
    signer = ticket_signer(get_settings().ticket_key_file)
    for text, code, scanned, ticket_name, price in zip(
        texts,
        codes,
        scanned_codes(response.content),
        ["Adult", "Adult", "Concession"],
        ["£24.00", "£24.00", "£18.00"],
        strict=True,
    ):
        for expected in (
            "The Tempest",
            "Thu, 14 Mar 2030 · 19:30",
            "Town Hall",
            "1 High Street",
            f"{ticket_name} · {price}",
            order["reference"],
            "Ada Lovelace",
            readable_code(code),
        ):
            assert expected in text
        printed = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", text).group(0)
        assert printed.replace("-", "") == code
        assert scanned == [signer.qr_payload(code)]
        assert signer.code_from_scan(scanned[0]) == code


async def test_the_confirmation_email_carries_the_tickets_made_when_it_is_sent(
    shop, show, fake_stripe, smtp_server, smtp_settings
):
    order = await buy(shop, show, fake_stripe)
    [message] = await OutboxMessage.select().where(OutboxMessage.kind == "order_confirmation")
    [queued] = await OutboxAttachment.select().where(OutboxAttachment.message == message["id"])
    assert (queued["made_by"], queued["made_from"], queued["content"]) == ("order_tickets", order["id"], b"")

    report = await send_due_messages(
        smtp_settings, now=datetime.now(UTC) + timedelta(seconds=1), attachment_makers=ATTACHMENT_MAKERS
    )

    assert report.sent == 1
    [received] = smtp_server.messages
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == f"tickets-{order['reference']}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    content = attachment.get_content()
    texts = page_texts(content)
    assert len(texts) == 3 and all(order["reference"] in text for text in texts)
    signer = ticket_signer(get_settings().ticket_key_file)
    codes = [row["code"] for row in await Ticket.select(Ticket.code).order_by(Ticket.id)]
    assert scanned_codes(content) == [[signer.qr_payload(code)] for code in codes]
    [kept] = await OutboxAttachment.select().where(OutboxAttachment.message == message["id"])
    assert kept["content"] == content


async def test_a_renderer_that_dies_answers_an_error_page_and_the_next_download_works(
    shop, show, fake_stripe, monkeypatch
):
    order = await buy(shop, show, fake_stripe)
    address = f"{link(order['reference'])}/tickets.pdf"
    monkeypatch.setattr(printing, "tickets_pdf", die)  # what a crash in Pango, or the OOM killer, does

    failed = await shop.get(address)

    assert failed.status_code == 503 and failed.headers["content-type"].startswith("text/html")
    assert "Your PDF could not be made just now" in failed.text and "Please try again" in failed.text
    assert "Traceback" not in failed.text and "RendererFailed" not in failed.text
    monkeypatch.undo()
    again = await shop.get(address)
    assert again.status_code == 200 and len(page_texts(again.content)) == 3


async def test_an_unpaid_booking_or_a_wrong_link_has_no_tickets_pdf(shop, show, fake_stripe):
    order = await buy(shop, show, fake_stripe, pay=False)
    assert order["status"] == OrderStatus.PENDING_PAYMENT

    unpaid = await shop.get(f"{link(order['reference'])}/tickets.pdf")
    wrong = await shop.get(f"/booking/{order['reference']}/not-the-token/tickets.pdf")

    assert unpaid.status_code == 404 and wrong.status_code == 404
    assert "Download your tickets" not in (await shop.get(link(order["reference"]))).text


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local port that would see any connection WeasyPrint made."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        yield server


def connections_to(server: socket.socket) -> int:
    count = 0
    while True:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


@pytest.fixture
def fetched(monkeypatch) -> list[str]:
    """Every URL WeasyPrint asks our fetchers for (a document's images included), in this process."""
    asked: list[str] = []
    for fetcher in (AssetFetcher, DocumentFetcher):
        original = fetcher.__dict__["fetch"]

        def recording(self, url, headers=None, original=original):
            asked.append(url)
            return original(self, url, headers)

        monkeypatch.setattr(fetcher, "fetch", recording)
    return asked


def test_markup_in_a_buyer_name_is_printed_as_text_and_fetches_nothing(listener, fetched):
    port = listener.getsockname()[1]
    name = f'<img src="http://127.0.0.1:{port}/x">'
    to_print = tickets_to_print(
        memory_booking(first_name=name, last_name=""),
        layout="a4",
        signer=ticket_signer(get_settings().ticket_key_file),
    )

    content = printing.tickets_pdf(to_print)  # in this process, where `fetched` sees what WeasyPrint asks

    assert all(name in text for text in page_texts(content))
    assert fetched and all(url.startswith(("boxoffice-asset:", "boxoffice-image:")) for url in fetched)
    assert connections_to(listener) == 0


def test_weasyprint_with_our_fetcher_loads_no_url_from_the_document(listener, fetched):
    port = listener.getsockname()[1]
    html = (
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">'
        f'<img src="http://127.0.0.1:{port}/x.png"><img src="file:///etc/passwd">'
        '<img src="boxoffice-asset:../pyproject.toml"><p>Hello</p>'
    )

    weasyprint.HTML(string=html, url_fetcher=AssetFetcher()).write_pdf()

    assert len(fetched) == 4 and connections_to(listener) == 0


async def test_a_sale_without_a_buyer_name_says_box_office_sale(database):
    texts = page_texts(await render_tickets_pdf(memory_booking(first_name="", last_name=" ")))

    assert all("Box office sale" in text for text in texts)


async def test_the_thermal_layout_prints_on_ticket_stock_not_a4(database):
    a4 = PdfReader(io.BytesIO(await render_tickets_pdf(memory_booking(), layout="a4")))
    thermal = PdfReader(io.BytesIO(await render_tickets_pdf(memory_booking(), layout="thermal")))

    sizes = {
        name: {
            (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) for page in pages
        }
        for name, pages in (("a4", a4.pages), ("thermal", thermal.pages))
    }
    assert sizes["a4"] == {tuple(round(points, 1) for points in A4_POINTS)}
    assert sizes["thermal"] == {tuple(round(points, 1) for points in THERMAL_POINTS)}
    assert len(thermal.pages) == 2 and "The Tempest" in thermal.pages[1].extract_text()


async def test_qr_codes_scan_off_a_203_dpi_thermal_printer(database):
    booking = memory_booking()
    signer = ticket_signer(get_settings().ticket_key_file)

    content = await render_tickets_pdf(booking, layout="thermal")

    codes = [ticket.code for ticket in booking.performances[0].tickets]
    assert scanned_codes(content, dots_per_inch=203) == [[signer.qr_payload(code)] for code in codes]


async def test_an_unknown_layout_is_refused(database):
    with pytest.raises(ValueError, match="no ticket layout"):
        await render_tickets_pdf(memory_booking(), layout="letter")


def test_the_fetcher_serves_files_under_assets():
    response = AssetFetcher().fetch("boxoffice-asset:fonts/DejaVuSans.ttf")

    assert response.read() == (ASSETS_DIR / "fonts" / "DejaVuSans.ttf").read_bytes()
    assert response.content_type == "font/ttf"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "https://example.org/font.ttf",
        "file:///etc/passwd",
        "data:text/css,body{}",
        "boxoffice-asset:../pyproject.toml",
        "boxoffice-asset:fonts/../../pyproject.toml",
        "boxoffice-asset:%2e%2e/pyproject.toml",
        "boxoffice-asset:/etc/passwd",
        "boxoffice-asset:fonts\\..\\..\\pyproject.toml",
        "boxoffice-asset:fonts",
        "boxoffice-asset:fonts/missing.ttf",
        "boxoffice-asset:",
        "BOXOFFICE-ASSET:fonts/DejaVuSans.ttf",
        "boxoffice-image:1",
        "boxoffice-image:-1",
        "boxoffice-image:",
    ],
)
def test_the_fetcher_refuses_anything_else(url):
    with pytest.raises(RefusedURL):
        DocumentFetcher([b"the document's one QR code"]).fetch(url)


def test_the_fetcher_serves_the_documents_own_qr_codes():
    response = DocumentFetcher([b"first", b"second"]).fetch("boxoffice-image:1")

    assert (response.read(), response.content_type) == (b"second", "image/png")
