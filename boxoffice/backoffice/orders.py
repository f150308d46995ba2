"""Orders as the box office sees them: search, the order page (tickets, payments, refunds, notes,
history) and its actions: print and reprint, resend the e-mail, take payment for a reservation, cancel,
refund and exchange tickets. Each action is gated by its own permission and audited by its service.

Forms that move money carry a request key made when the page was shown, so submitting one twice (a
double click, a retry after a timeout) does the work once.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import MultiDict
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.db import LARGEST_ID, parse_id
from boxoffice.documents.formatting import local_format
from boxoffice.money import Money
from boxoffice.paging import PageRequest
from boxoffice.sales.bookings import Booking, load_booking
from boxoffice.sales.cancellations import CancelRefused, cancel_and_refund, cancel_reservation, cancel_tickets
from boxoffice.sales.catalog import house_locale, performance_detail
from boxoffice.sales.counter import COUNTER_MAX_TICKETS, SaleRefused, take_reservation_payment
from boxoffice.sales.counter_payments import CounterPayment, PaymentRefused, amount_text, parse_amount
from boxoffice.sales.exchanges import (
    ExchangeRefused,
    ExchangeTarget,
    exchange_and_settle,
    exchange_targets,
)
from boxoffice.sales.order_records import add_order_note, order_ledger, resend_confirmation, search_orders
from boxoffice.sales.refunds import REQUEST_KEY, RefundRefused, RefundRequest, refund_payment
from boxoffice.sales.seating.maps import seat_map
from boxoffice.sales.tables import Ticket
from boxoffice.tickets.pdf import venue_tickets_pdf
from boxoffice.tickets.reissue import ReprintRefused, reprint_ticket
from boxoffice.web.dependencies import Acting, Gateway
from boxoffice.web.downloads import pdf_download
from boxoffice.web.forms import parse_seat_ids, seats_in_address
from boxoffice.web.guards import Staff
from boxoffice.web.seat_drawing import draw_seats

ORDERS = {"permission": Perm.BOX_OFFICE_ORDERS}
ORDERS_PAGE_SIZE = 25
REFUNDS = {"permission": Perm.BOX_OFFICE_REFUNDS}
SELL = {"permission": Perm.BOX_OFFICE_SELL}
NOTICES = {
    "sold": "Sale complete.",
    "paid": "Payment taken: the order is paid and its tickets issued.",
    "refunded": "The refund has been made.",
    "refund_repeated": "That refund had already been made; nothing more was refunded.",
    "cancelled": "The tickets are cancelled: they no longer scan, and their seats are back on sale. If the "
    "customer is owed their price, it is filled in below: make the refund.",
    "cancelled_refunded": "The tickets are cancelled and refunded: they no longer scan, their seats are back "
    "on sale, and what was paid for them has been given back.",
    "reservation_cancelled": "The reservation is cancelled and its seats are back on sale.",
    "exchanged": "The tickets have been exchanged. Print the new tickets below.",
    "resent": "The confirmation e-mail with the tickets is on its way.",
    "noted": "The note has been added.",
}


async def booking_or_404(order_id: int) -> Booking:
    booking = await load_booking(order_id) if 1 <= order_id <= LARGEST_ID else None
    if booking is None:
        raise NotFoundException()
    return booking


def order_address(request: Request, order_id: int) -> str:
    return request.app.route_reverse("backoffice.orders.order", order_id=order_id)


def done(request: Request, order_id: int, notice: str) -> Redirect:
    return Redirect(path=order_address(request, order_id), query_params={"done": notice}, status_code=303)


@get("/backoffice/orders", name="backoffice.orders", opt=ORDERS)
async def orders(q: FromQuery[str] = "", status: FromQuery[str] = "", page: FromQuery[str] = "") -> Template:
    locale, timezone = await house_locale()
    return Template(
        "backoffice/orders.html",
        context={
            "q": q,
            "status": status,
            "found": await search_orders(q, status, PageRequest.parse(page, size=ORDERS_PAGE_SIZE)),
            "locale": locale,
            "timezone": timezone,
        },
    )


async def order_view(
    acting: Acting,
    order_id: int,
    *,
    notice: str = "",
    reprinted: int | None = None,
    error: str = "",
    problems: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    staff: Staff = acting.staff
    booking = await booking_or_404(order_id)
    problems = dict(problems or {})
    if error:
        problems[""] = error
    return Template(
        "backoffice/order.html",
        context={
            "booking": booking,
            "ledger": await order_ledger(order_id),
            "targets": await exchange_targets(order_id, datetime.now(UTC)),
            "reprinted": reprinted,
            "notice": NOTICES.get(notice, ""),
            "just_sold": notice == "sold",
            "show_change": notice in ("sold", "paid"),  # change is told once, when it is handed over
            "problems": problems,
            "values": values or {},
            "request_key": form_request_key(values or {}),
            "may_refund": staff.may(Perm.BOX_OFFICE_REFUNDS),
            "may_sell": staff.may(Perm.BOX_OFFICE_SELL),
            "may_comp": staff.may(Perm.BOX_OFFICE_COMPS),
            "may_see_contacts": staff.may(Perm.CRM_CONTACTS),
        },
        status_code=status_code,
    )


def form_request_key(values: dict[str, str]) -> str:
    """The key of a money form: the one it was sent with when it comes back with a problem (so sending it
    again, say after Stripe could not be reached, finishes that same request), else a new one."""
    sent = values.get("request_key", "")
    return sent if REQUEST_KEY.fullmatch(sent) and "-" not in sent else secrets.token_hex(16)


@get("/backoffice/orders/{order_id:int}", name="backoffice.orders.order", opt=ORDERS)
async def order_page(
    acting: Acting,
    order_id: FromPath[int],
    reprinted: FromQuery[int | None] = None,
    done: FromQuery[str] = "",
    refund: FromQuery[int | None] = None,
) -> Template:
    """The order; after a cancellation (`refund`) the refund form offers the cancelled tickets' value."""
    booking = await booking_or_404(order_id)
    suggested = {"amount": amount_text(refund, booking.total.currency)} if refund and refund > 0 else {}
    return await order_view(acting, order_id, notice=done, reprinted=reprinted, values=suggested)


@get("/backoffice/orders/{order_id:int}/tickets.pdf", name="backoffice.orders.pdf", opt=ORDERS)
async def order_tickets_pdf(order_id: FromPath[int]) -> Response:
    booking = await booking_or_404(order_id)
    return pdf_download(await venue_tickets_pdf(booking), f"tickets-{booking.reference}.pdf")


@post("/backoffice/tickets/{ticket_id:int}/reprint", name="backoffice.tickets.reprint", opt=ORDERS)
async def reprint(request: Request, acting: Acting, ticket_id: FromPath[int]) -> Template | Redirect:
    ticket = (
        await Ticket.select(Ticket.order).where(Ticket.id == ticket_id).first()
        if ticket_id <= LARGEST_ID
        else None
    )
    if ticket is None:
        raise NotFoundException()
    staff: Staff = acting.staff
    try:
        await reprint_ticket(ticket_id, staff_id=staff.id, ip=acting.ip)
    except ReprintRefused as refusal:
        return await order_view(acting, ticket["order"], error=str(refusal), status_code=409)
    return Redirect(
        path=order_address(request, ticket["order"]),
        query_params={"reprinted": str(ticket_id)},
        status_code=303,
    )


async def form_fields(request: Request) -> tuple[dict[str, str], list[int]]:
    """The form's single fields, and the ticket ids ticked in it."""
    form = await request.form()
    tickets = [int(value) for value in form.getall("ticket", []) if value.isascii() and value.isdigit()]
    return {key: str(value) for key, value in form.items()}, [
        ticket for ticket in tickets if ticket <= LARGEST_ID
    ]


@post("/backoffice/orders/{order_id:int}/notes", name="backoffice.orders.note", opt=ORDERS)
async def add_note(request: Request, acting: Acting, order_id: FromPath[int]) -> Template | Redirect:
    await booking_or_404(order_id)
    form, _ = await form_fields(request)
    staff: Staff = acting.staff
    try:
        await add_order_note(order_id, form.get("note", ""), author_id=staff.id, now=datetime.now(UTC))
    except ValueError as refusal:
        return await order_view(acting, order_id, problems={"note": str(refusal)}, status_code=400)
    return done(request, order_id, "noted")


@post("/backoffice/orders/{order_id:int}/resend", name="backoffice.orders.resend", opt=ORDERS)
async def resend(request: Request, acting: Acting, order_id: FromPath[int]) -> Template | Redirect:
    booking = await booking_or_404(order_id)
    if not booking.email:
        return await order_view(
            acting, order_id, error="This order has no e-mail address to send to.", status_code=400
        )
    staff: Staff = acting.staff
    await resend_confirmation(order_id, staff_id=staff.id, ip=acting.ip)
    return done(request, order_id, "resent")


@post("/backoffice/orders/{order_id:int}/pay", name="backoffice.orders.pay", opt=SELL)
async def take_payment(request: Request, acting: Acting, order_id: FromPath[int]) -> Template | Redirect:
    """Take payment at the counter for an order reserved online to pay at the box office."""
    await booking_or_404(order_id)
    form, _ = await form_fields(request)
    staff: Staff = acting.staff
    try:
        await take_reservation_payment(
            order_id,
            CounterPayment.from_form(form),
            staff_id=staff.id,
            may_comp=staff.may(Perm.BOX_OFFICE_COMPS),
            ip=acting.ip,
            now=datetime.now(UTC),
        )
    except (SaleRefused, PaymentRefused) as refusal:
        return await order_view(acting, order_id, problems=refusal.problems, values=form, status_code=400)
    return done(request, order_id, "paid")


@post(
    "/backoffice/orders/{order_id:int}/cancel-reservation",
    name="backoffice.orders.cancel_reservation",
    opt=ORDERS,
)
async def call_off_reservation(
    request: Request, acting: Acting, order_id: FromPath[int]
) -> Template | Redirect:
    await booking_or_404(order_id)
    staff: Staff = acting.staff
    try:
        await cancel_reservation(order_id, staff_id=staff.id, ip=acting.ip)
    except CancelRefused as refusal:
        return await order_view(acting, order_id, error=str(refusal), status_code=409)
    return done(request, order_id, "reservation_cancelled")


@post("/backoffice/orders/{order_id:int}/cancel", name="backoffice.orders.cancel", opt=REFUNDS)
async def cancel(
    request: Request, gateway: Gateway, acting: Acting, order_id: FromPath[int]
) -> Template | Redirect:
    """Cancel the chosen tickets once staff have confirmed on a page of their own, with or without
    refunding what was paid for them."""
    booking = await booking_or_404(order_id)
    form, tickets = await form_fields(request)
    staff: Staff = acting.staff
    confirmed = form.get("confirm", "")
    try:
        if confirmed == "cancel":
            cancelled = await cancel_tickets(order_id, tickets, staff_id=staff.id, ip=acting.ip)
        elif confirmed == "cancel_and_refund":
            _, trouble = await cancel_and_refund(
                gateway,
                order_id,
                tickets,
                form.get("request_key", ""),
                staff_id=staff.id,
                ip=acting.ip,
                now=acting.now,
            )
            if trouble:
                return await order_view(acting, order_id, notice="cancelled", error=trouble, status_code=502)
            return done(request, order_id, "cancelled_refunded")
        else:
            return await confirm_cancelling(acting, booking, tickets, form.get("request_key", ""))
    except CancelRefused as refusal:
        return await order_view(acting, order_id, problems={"tickets": str(refusal)}, status_code=409)
    return Redirect(
        path=order_address(request, order_id),
        query_params={"done": "cancelled", "refund": str(cancelled.value)},
        status_code=303,
    )


async def confirm_cancelling(
    acting: Acting, booking: Booking, chosen: list[int], request_key: str
) -> Template:
    """The page that asks before tickets are cancelled, and offers to refund them in the same step."""
    tickets = [
        (performance, ticket)
        for performance in booking.performances
        for ticket in performance.tickets
        if ticket.id in chosen and ticket.status == "valid"
    ]
    if not tickets:
        return await order_view(
            acting, booking.id, problems={"tickets": "Choose the tickets to cancel."}, status_code=400
        )
    ledger = await order_ledger(booking.id)
    paid = sum(ticket.price.amount for _, ticket in tickets if ticket.price)
    refundable = min(paid, sum(payment.refundable.amount for payment in ledger.refundable_payments))
    return Template(
        "backoffice/order_cancel.html",
        context={
            "booking": booking,
            "tickets": tickets,
            "refund": Money(booking.total.currency, refundable),
            "payments": ledger.refundable_payments,
            "request_key": form_request_key({"request_key": request_key}),
        },
    )


@post("/backoffice/orders/{order_id:int}/refund", name="backoffice.orders.refund", opt=REFUNDS)
async def refund(
    request: Request, gateway: Gateway, acting: Acting, order_id: FromPath[int]
) -> Template | Redirect:
    booking = await booking_or_404(order_id)
    form, _ = await form_fields(request)
    staff: Staff = acting.staff
    payment_id = form.get("payment", "")
    try:
        amount = parse_amount(form.get("amount", ""), booking.total.currency)
        done_refund = await refund_payment(
            gateway,
            order_id,
            RefundRequest(
                payment_id=parse_id(payment_id) or 0,
                amount=amount,
                reason=form.get("refund_reason", ""),
                request_key=form.get("request_key", ""),
            ),
            staff_id=staff.id,
            ip=acting.ip,
            now=datetime.now(UTC),
        )
    except (RefundRefused, PaymentRefused) as refusal:
        return await order_view(acting, order_id, problems=refusal.problems, values=form, status_code=400)
    return done(request, order_id, "refund_repeated" if done_refund.repeated else "refunded")


@post("/backoffice/orders/{order_id:int}/exchange", name="backoffice.orders.exchange", opt=SELL)
async def exchange(
    request: Request, gateway: Gateway, acting: Acting, order_id: FromPath[int]
) -> Template | Redirect:
    """Move tickets to another performance; a lower price is refunded against the order's payments. Into
    a seated performance the operator first chooses the new seats on its map (`exchange_seats`)."""
    await booking_or_404(order_id)
    form, tickets = await form_fields(request)
    seat_values = [str(value) for value in (await request.form()).getall("seat", [])]
    staff: Staff = acting.staff
    target = await exchange_target(order_id, form.get("performance"))
    if target is not None and target.seated and not seat_values:
        query = urlencode({"performance": target.id, "ticket": tickets}, doseq=True)
        return Redirect(path=f"{exchange_seats_address(request, order_id)}?{query}", status_code=303)
    seat_ids, error = parse_seat_ids(seat_values, most=COUNTER_MAX_TICKETS)
    try:
        if error:
            raise ExchangeRefused({"seat": error})
        settled = await exchange_and_settle(
            gateway,
            order_id,
            tickets,
            parse_id(form.get("performance")) or 0,
            CounterPayment.from_form(form) if form.get("method") else None,
            form.get("request_key", ""),
            staff_id=staff.id,
            may_comp=staff.may(Perm.BOX_OFFICE_COMPS),
            may_refund=staff.may(Perm.BOX_OFFICE_REFUNDS),
            ip=acting.ip,
            now=acting.now,
            seat_ids=seat_ids,
        )
    except (ExchangeRefused, PaymentRefused) as refusal:
        if target is not None and target.seated:
            return await exchange_seats_page(
                acting, order_id, target, tickets, seat_ids, refusal.problems, form, status_code=400
            )
        return await order_view(acting, order_id, problems=refusal.problems, values=form, status_code=400)
    if settled.refund_trouble:
        return await order_view(
            acting, order_id, notice="exchanged", error=settled.refund_trouble, status_code=502
        )
    return done(request, order_id, "exchanged")


async def exchange_target(order_id: int, typed: str | None) -> ExchangeTarget | None:
    """The performance an exchange form names, if the order's tickets may move there."""
    target_id = parse_id(typed)
    return next((t for t in await exchange_targets(order_id, datetime.now(UTC)) if t.id == target_id), None)


def exchange_seats_address(request: Request, order_id: int) -> str:
    return request.app.route_reverse("backoffice.orders.exchange_seats", order_id=order_id)


@get("/backoffice/orders/{order_id:int}/exchange/seats", name="backoffice.orders.exchange_seats", opt=SELL)
async def exchange_seats(
    request: Request, acting: Acting, order_id: FromPath[int], performance: FromQuery[str] = ""
) -> Template:
    """Choosing the new seats of an exchange into a seated performance: its map, with the seats the
    address names (`seat=`, or best available's `best=`) chosen, and the form that makes the exchange."""
    target = await exchange_target(order_id, performance)
    if target is None or not target.seated:
        raise NotFoundException()
    query = request.query_params
    tickets = [ticket for ticket in map(parse_id, query.getall("ticket", [])) if ticket is not None]
    return await exchange_seats_page(acting, order_id, target, tickets, query)


async def exchange_seats_page(
    acting: Acting,
    order_id: int,
    target: ExchangeTarget,
    ticket_ids: list[int],
    seats_asked: MultiDict | list[int],
    problems: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    *,
    status_code: int = 200,
) -> Template:
    """The seat page of an exchange; `seats_asked` is the address, or the seats a refused form sent."""
    staff: Staff = acting.staff
    booking = await booking_or_404(order_id)
    tickets = sorted(
        (
            ticket
            for performance in booking.performances
            for ticket in performance.tickets
            if ticket.id in ticket_ids and ticket.status == "valid"
        ),
        key=lambda ticket: ticket.id or 0,
    )
    performance = await performance_detail(target.id, datetime.now(UTC))
    map_ = await seat_map(target.id)
    if performance is None or map_ is None:
        raise NotFoundException()
    problems = dict(problems or {})
    if isinstance(seats_asked, MultiDict):
        chosen, error = seats_in_address(seats_asked, map_, most=max(len(tickets), 1))
        if error:
            problems["seat"] = error
            status_code = max(status_code, 400)
    else:
        chosen = [seat for seat in seats_asked if seat not in map_.taken]
    if not tickets:
        problems["tickets"] = "Choose valid tickets of this order on the order page first."
        status_code = max(status_code, 400)
    fmt = local_format(performance.venue.locale, performance.venue.timezone)
    picked = map_.seats_named(chosen)
    return Template(
        "backoffice/order_exchange_seats.html",
        context={
            "booking": booking,
            "performance": performance,
            "map": map_,
            "drawing": draw_seats(map_, chosen, fmt),
            "tickets": tickets,
            "pairs": list(zip(tickets, picked + [None] * (len(tickets) - len(picked)), strict=False)),
            "picked": picked,
            "problems": problems,
            "values": values or {},
            "request_key": form_request_key(values or {}),
            "may_comp": staff.may(Perm.BOX_OFFICE_COMPS),
        },
        status_code=status_code,
    )


ROUTES = [
    orders,
    order_page,
    order_tickets_pdf,
    reprint,
    add_note,
    resend,
    take_payment,
    call_off_reservation,
    cancel,
    refund,
    exchange,
    exchange_seats,
]
