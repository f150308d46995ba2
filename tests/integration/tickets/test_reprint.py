"""The box office reprints a ticket with a new code, so the old printout stops scanning; and prints an
order's tickets from its page."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from boxoffice.auth.tables import AuditEntry
from boxoffice.config import get_settings
from boxoffice.sales.tables import Ticket
from boxoffice.tickets.signing import ticket_signer
from boxoffice.venue.tables import SiteSetting
from tests.support.shop import paid_order
from tests.support.staff import make_staff, post_form, sign_in


async def test_a_reprinted_ticket_gets_a_new_code_and_the_old_one_stops_scanning(shop, show, fake_stripe):
    performance_id, types = show
    order = await paid_order(shop, performance_id, {types["Adult"]: "2"}, fake_stripe)
    ticket = await Ticket.select(Ticket.id, Ticket.code).where(Ticket.order == order["id"]).first()
    shop.cookies.clear()
    await sign_in(shop, await make_staff("box_office_operator", enrolled=False))

    response = await post_form(
        shop, f"/backoffice/tickets/{ticket['id']}/reprint", {}, form_page=f"/backoffice/orders/{order['id']}"
    )

    assert response.status_code == 303
    page = (await shop.get(response.headers["location"])).text
    assert "The ticket has a new code" in page
    new_code = (await Ticket.select(Ticket.code).where(Ticket.id == ticket["id"]).first())["code"]
    assert new_code != ticket["code"] and f"<code>{new_code}</code>" in page
    assert not await Ticket.exists().where(Ticket.code == ticket["code"])  # the old code matches no ticket
    signer = ticket_signer(get_settings().ticket_key_file)
    assert signer.code_from_scan(signer.qr_payload(new_code)) == new_code
    assert await AuditEntry.exists().where(
        (AuditEntry.action == "ticket.reprinted") & (AuditEntry.object_id == str(ticket["id"]))
    )


async def test_the_order_page_prints_the_tickets_and_needs_the_orders_permission(shop, show, fake_stripe):
    performance_id, types = show
    order = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)
    shop.cookies.clear()
    await sign_in(shop, await make_staff("box_office_operator", enrolled=False))

    page = (await shop.get(f"/backoffice/orders/{order['id']}")).text
    assert order["reference"] in page and "Ada Lovelace" in page
    pdf_link = re.search(r'href="(/backoffice/orders/\d+/tickets.pdf)"', page).group(1)
    pdf = await shop.get(pdf_link)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (await shop.get("/backoffice/orders/999999")).status_code == 404

    shop.cookies.clear()
    await sign_in(shop, await make_staff("door_staff", enrolled=False, email="door@venue.example"))
    assert (await shop.get(f"/backoffice/orders/{order['id']}")).status_code == 403


async def test_the_venue_chooses_thermal_ticket_stock_for_its_pdfs(shop, show, fake_stripe):
    performance_id, types = show
    order = await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)
    shop.cookies.clear()
    await sign_in(shop, await make_staff("box_office_operator", enrolled=False))
    a4 = PdfReader(io.BytesIO((await shop.get(f"/backoffice/orders/{order['id']}/tickets.pdf")).content))

    await SiteSetting.insert(SiteSetting(key="storefront.thermal_tickets", value="true"))
    thermal = PdfReader(io.BytesIO((await shop.get(f"/backoffice/orders/{order['id']}/tickets.pdf")).content))

    assert round(float(a4.pages[0].mediabox.width)) == 595  # A4, in points
    assert round(float(thermal.pages[0].mediabox.width)) == round(80 / 25.4 * 72)  # 80 mm
