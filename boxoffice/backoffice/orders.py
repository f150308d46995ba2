"""An order as the box office sees it: its tickets, their PDF, and reprinting a ticket."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.guards import Staff, client_ip
from boxoffice.auth.permissions import Perm
from boxoffice.sales.bookings import Booking, load_booking
from boxoffice.sales.tables import Ticket
from boxoffice.tickets.pdf import venue_tickets_pdf
from boxoffice.tickets.reissue import ReprintRefused, reprint_ticket
from boxoffice.web.downloads import pdf_download

ORDERS = {"permission": Perm.BOX_OFFICE_ORDERS}


async def booking_or_404(order_id: int) -> Booking:
    booking = await load_booking(order_id)
    if booking is None:
        raise NotFoundException()
    return booking


@get("/backoffice/orders/{order_id:int}", name="backoffice.orders.order", opt=ORDERS)
async def order_page(order_id: FromPath[int], reprinted: FromQuery[int | None] = None) -> Template:
    return Template(
        "backoffice/order.html",
        context={"booking": await booking_or_404(order_id), "reprinted": reprinted, "error": ""},
    )


@get("/backoffice/orders/{order_id:int}/tickets.pdf", name="backoffice.orders.pdf", opt=ORDERS)
async def order_tickets_pdf(order_id: FromPath[int]) -> Response:
    booking = await booking_or_404(order_id)
    return pdf_download(await venue_tickets_pdf(booking), f"tickets-{booking.reference}.pdf")


@post("/backoffice/tickets/{ticket_id:int}/reprint", name="backoffice.tickets.reprint", opt=ORDERS)
async def reprint(request: Request, ticket_id: FromPath[int]) -> Template | Redirect:
    ticket = await Ticket.select(Ticket.order).where(Ticket.id == ticket_id).first()
    if ticket is None:
        raise NotFoundException()
    staff: Staff = request.state.staff
    try:
        await reprint_ticket(ticket_id, staff_id=staff.id, ip=client_ip(request))
    except ReprintRefused as refusal:
        return Template(
            "backoffice/order.html",
            context={
                "booking": await booking_or_404(ticket["order"]),
                "reprinted": None,
                "error": str(refusal),
            },
            status_code=409,
        )
    return Redirect(
        path=request.app.route_reverse("backoffice.orders.order", order_id=ticket["order"]),
        query_params={"reprinted": str(ticket_id)},
        status_code=303,
    )


ORDERS_ROUTES = [order_page, order_tickets_pdf, reprint]
