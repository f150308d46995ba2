"""The tickets PDF made for an order is kept, and handed out again until something it shows changes: a
second download makes nothing; a reprint, a cancellation or the venue's ticket layout makes a new one."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from boxoffice.sales.tables import Order, Ticket, TicketsPdf
from boxoffice.tickets import pdf, pdf_copies
from boxoffice.tickets.pdf import ATTACHMENT_MAKERS
from boxoffice.tickets.signing import readable_code
from boxoffice.venue.tables import SiteSetting
from tests.support.counter import make_contact, sell
from tests.support.staff import make_staff, post_form, sign_in


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The reference of each order whose PDF a renderer was asked to make."""
    made: list[str] = []
    run_in_renderer = pdf.run_in_renderer

    async def counted(make, to_print):
        made.append(to_print.reference)
        return await run_in_renderer(make, to_print)

    monkeypatch.setattr(pdf, "run_in_renderer", counted)
    return made


@pytest.fixture
async def manager(client):
    await sign_in(client, await make_staff("box_office_manager"))


def page_texts(content: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


async def codes_of(order_id: int) -> list[str]:
    rows = await Ticket.select(Ticket.code).where(Ticket.order == order_id).order_by(Ticket.id)
    return [readable_code(row["code"]) for row in rows]


async def test_a_second_download_is_the_copy_kept_and_makes_nothing(client, manager, show, renders):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "2"}, contact=str(await make_contact()))
    address = f"/backoffice/orders/{order['id']}/tickets.pdf"

    first = await client.get(address)
    second = await client.get(address)

    assert first.status_code == second.status_code == 200
    assert renders == [order["reference"]]
    assert second.content == first.content
    texts = page_texts(second.content)
    assert all(code in text for code, text in zip(await codes_of(order["id"]), texts, strict=True))
    [kept] = await TicketsPdf.select().where(TicketsPdf.order == order["id"])
    assert bytes(kept["content"]) == first.content and re.fullmatch(r"[0-9a-f]{64}", kept["fingerprint"])


async def test_a_reprint_a_cancellation_or_another_layout_makes_a_new_pdf(client, manager, show, renders):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "3"}, contact=str(await make_contact()))
    address = f"/backoffice/orders/{order['id']}/tickets.pdf"
    before = await codes_of(order["id"])
    await client.get(address)
    first, second, _ = await Ticket.select(Ticket.id).where(Ticket.order == order["id"]).order_by(Ticket.id)

    reprinted = await post_form(
        client,
        f"/backoffice/tickets/{first['id']}/reprint",
        {},
        form_page=f"/backoffice/orders/{order['id']}",
    )
    assert reprinted.status_code == 303
    after_reprint = page_texts((await client.get(address)).content)
    new_code = (await codes_of(order["id"]))[0]
    assert new_code != before[0]
    assert new_code in after_reprint[0] and not any(before[0] in text for text in after_reprint)

    cancelled = await post_form(
        client,
        f"/backoffice/orders/{order['id']}/cancel",
        {"ticket": str(second["id"]), "confirm": "cancel"},
        form_page=f"/backoffice/orders/{order['id']}",
    )
    assert cancelled.status_code == 303
    after_cancelling = page_texts((await client.get(address)).content)
    assert len(after_cancelling) == 2 and not any(before[1] in text for text in after_cancelling)
    assert new_code in after_cancelling[0] and before[2] in after_cancelling[1]

    await SiteSetting.insert(SiteSetting(key="storefront.thermal_tickets", value="true"))
    thermal = PdfReader(io.BytesIO((await client.get(address)).content))
    assert round(float(thermal.pages[0].mediabox.width)) == round(80 / 25.4 * 72)
    await client.get(address)

    assert renders == [order["reference"]] * 4  # made again for each change, and only then
    assert await TicketsPdf.count().where(TicketsPdf.order == order["id"]) == 1  # one copy an order


async def test_the_pdf_the_mail_worker_attached_is_the_one_the_buyer_downloads(
    client, manager, show, renders
):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "1"}, contact=str(await make_contact()))

    attached = await ATTACHMENT_MAKERS["order_tickets"](order["id"])
    downloaded = await client.get(f"/backoffice/orders/{order['id']}/tickets.pdf")

    assert downloaded.content == attached and renders == [order["reference"]]


async def test_only_the_most_recently_made_copies_are_kept(client, manager, show, monkeypatch):
    monkeypatch.setattr(pdf_copies, "COPIES_KEPT", 2)
    performance_id, types = show
    orders = [await sell(client, performance_id, {types["Adult"]: "1"}) for _ in range(3)]
    made_at = datetime(2026, 12, 1, tzinfo=UTC)

    for hours, order in enumerate(orders):
        await pdf_copies.keep_copy(order["id"], "f" * 64, b"%PDF", made_at + timedelta(hours=hours))

    kept = {row["order"] for row in await TicketsPdf.select(TicketsPdf.order)}
    assert kept == {orders[1]["id"], orders[2]["id"]}
    assert await Order.count() == 3  # only the copies go
