"""The buyer's booking page: tickets' QR codes, the calendar file, the venue on a map, and the
confirmation e-mail sent again, no more than once every few minutes."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx
import segno
from icalendar import Calendar

from boxoffice.config import get_settings
from boxoffice.mail.tables import OutboxMessage
from boxoffice.sales.bookings import booking_path
from boxoffice.sales.tables import Order, OrderStatus, Ticket, TicketStatus, Venue
from boxoffice.tickets.signing import ticket_signer
from tests.support.shop import SHOW_TIME, check_out, choose, paid_order

QR_SVG = re.compile(r"<svg[^>]*class=\"qr-code ticket-qr\".*?</svg>", re.DOTALL)


def link_of(reference: str) -> str:
    return booking_path(reference, get_settings().secret_key.encode())


async def confirmations() -> int:
    return await OutboxMessage.count().where(OutboxMessage.kind == "order_confirmation")


async def resend(client: httpx.AsyncClient, link: str) -> httpx.Response:
    await client.get(link)
    return await client.post(f"{link}/resend", data={"_csrf_token": client.cookies["boxoffice_csrf"]})


async def test_a_paid_booking_shows_each_valid_tickets_signed_qr_code_and_is_never_cached(
    shop, show, fake_stripe
):
    performance_id, types = show
    chosen = {types["Adult"]: "2", types["Concession"]: "1"}
    order = await paid_order(shop, performance_id, chosen, fake_stripe)
    codes = [row["code"] for row in await Ticket.select(Ticket.code).order_by(Ticket.id)]
    await Ticket.update({Ticket.status: TicketStatus.CANCELLED}).where(Ticket.code == codes[2])

    response = await shop.get(link_of(order["reference"]))

    assert response.headers["cache-control"] == "no-store"
    svgs = QR_SVG.findall(response.text)
    assert len(svgs) == 2
    signer = ticket_signer(get_settings().ticket_key_file)
    for code, svg in zip(codes[:2], svgs, strict=True):
        expected = segno.make_qr(signer.qr_payload(code), error="m").svg_inline(
            title=f"QR code of ticket {code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}",
            svgclass="qr-code ticket-qr",
            lineclass="qr-code-dark",
            omitsize=True,
            light="#fff",
        )
        assert svg == expected
    assert "style=" not in "".join(svgs)


async def test_another_buyers_page_never_shows_this_buyers_codes(shop, show, fake_stripe):
    performance_id, types = show
    first = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)
    second = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe, email="b@example.org")
    [first_code] = [
        row["code"] for row in await Ticket.select(Ticket.code).where(Ticket.order == first["id"])
    ]
    first_page = (await shop.get(link_of(first["reference"]))).text
    [first_svg] = QR_SVG.findall(first_page)

    second_page = (await shop.get(link_of(second["reference"]))).text

    assert first_code not in second_page and first_svg not in second_page
    assert len(QR_SVG.findall(second_page)) == 1
    wrong = await shop.get(f"/booking/{first['reference']}/{link_of(second['reference']).rsplit('/', 1)[1]}")
    assert wrong.status_code == 404 and first_code not in wrong.text


async def test_a_reserved_booking_shows_no_qr_code_yet(client, show):
    performance_id, types = show
    await choose(client, performance_id, {types["Adult"]: "1"})
    response = await check_out(client)

    page = (await client.get(response.headers["location"])).text

    assert "Your tickets are reserved" in page and not QR_SVG.search(page)


async def test_the_calendar_file_holds_the_performance_at_the_venue(shop, show, fake_stripe):
    performance_id, types = show
    await Venue.update({Venue.address: "1 High Street\nBristol, BS1 4DJ"}, force=True)
    order = await paid_order(shop, performance_id, {types["Adult"]: "2"}, fake_stripe)
    link = link_of(order["reference"])

    response = await shop.get(f"{link}/calendar.ics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "The Tempest"
    assert event.decoded("dtstart") == SHOW_TIME
    assert str(event["location"]) == "Town Hall, 1 High Street, Bristol, BS1 4DJ"
    assert order["reference"] in str(event["description"]) and "2 tickets" in str(event["description"])
    assert link.rsplit("/", 1)[1] not in response.text  # the file never carries the booking's secret
    assert (await shop.get(f"/booking/{order['reference']}/wrong/calendar.ics")).status_code == 404


async def test_the_page_shows_the_venues_address_and_links_it_to_a_map(shop, show, fake_stripe):
    performance_id, types = show
    await Venue.update({Venue.address: "1 High Street\nBristol & Avon"}, force=True)
    order = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)

    page = (await shop.get(link_of(order["reference"]))).text

    assert "<strong>Town Hall</strong><br>1 High Street<br>Bristol &amp; Avon" in page
    assert (
        'href="https://www.openstreetmap.org/search?query=Town%20Hall%2C%201%20High%20Street%2C%20'
        'Bristol%20%26%20Avon"' in page
    )


async def test_the_confirmation_is_sent_again_once_every_few_minutes(shop, show, fake_stripe):
    performance_id, types = show
    order = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)
    link = link_of(order["reference"])
    assert await confirmations() == 1

    response = await resend(shop, link)
    assert response.status_code == 303 and response.headers["location"] == f"{link}?resent=1"
    assert "We have sent the confirmation e-mail again" in (await shop.get(response.headers["location"])).text
    assert await confirmations() == 2
    [latest] = await OutboxMessage.select().order_by(OutboxMessage.id, ascending=False).limit(1)
    assert latest["recipient"] == "ada@example.org" and order["reference"] in latest["subject"]

    again = await resend(shop, link)
    assert again.status_code == 429 and "ask again in 5 minutes" in again.text
    assert 'class="error-summary"' in again.text and await confirmations() == 2

    await Order.update({Order.confirmation_resent_at: datetime.now(UTC) - timedelta(minutes=6)}, force=True)
    assert (await resend(shop, link)).status_code == 303 and await confirmations() == 3


async def test_clicks_at_the_same_moment_send_the_confirmation_once(shop, show, fake_stripe):
    performance_id, types = show
    order = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)
    link = link_of(order["reference"])
    await shop.get(link)
    token = shop.cookies["boxoffice_csrf"]

    answers = await asyncio.gather(
        *[shop.post(f"{link}/resend", data={"_csrf_token": token}) for _ in range(5)]
    )

    assert sorted(answer.status_code for answer in answers) == [303, 429, 429, 429, 429]
    assert await confirmations() == 2


async def test_a_resend_without_the_forms_token_or_with_a_wrong_link_sends_nothing(shop, show, fake_stripe):
    performance_id, types = show
    order = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)
    link = link_of(order["reference"])

    assert (await shop.post(f"{link}/resend")).status_code == 403
    await shop.get(link)
    wrong = await shop.post(
        f"/booking/{order['reference']}/wrong/resend", data={"_csrf_token": shop.cookies["boxoffice_csrf"]}
    )
    assert wrong.status_code == 404
    assert await confirmations() == 1
    assert (await Order.select(Order.confirmation_resent_at).first())["confirmation_resent_at"] is None


async def test_a_cancelled_booking_has_no_confirmation_to_send_again(shop, show, fake_stripe):
    performance_id, types = show
    order = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)
    await Order.update({Order.status: OrderStatus.CANCELLED}, force=True)

    response = await resend(shop, link_of(order["reference"]))

    assert response.status_code == 409 and "no confirmation to send again" in response.text
    assert await confirmations() == 1
