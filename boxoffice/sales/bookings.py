"""Orders as buyers and staff read them: the confirmation page, "manage my booking", the e-mail."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from boxoffice.db import as_utc
from boxoffice.money import Money
from boxoffice.sales.holds import seat_name
from boxoffice.sales.tables import Order, OrderStatus, Ticket


def booking_token(reference: str, key: bytes) -> str:
    """The secret in an order's "manage my booking" link: a keyed digest of its reference, so nothing
    needs storing and a copy of the database alone opens no booking."""
    digest = hmac.new(key, f"booking:{reference}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def booking_path(reference: str, key: bytes) -> str:
    return f"/booking/{reference}/{booking_token(reference, key)}"


@dataclass(frozen=True, slots=True)
class BookedTicket:
    code: str
    ticket_name: str
    status: str
    price: Money | None = None  # what this ticket cost, when known
    id: int | None = None
    seat: str = ""  # on a seated performance: 'Stalls, row A, seat 5'


@dataclass(frozen=True, slots=True)
class BookedPerformance:
    event_title: str
    starts_at: datetime
    venue_name: str
    venue_locale: str
    venue_timezone: str
    tickets: list[BookedTicket]
    venue_address: str = ""

    @property
    def venue_address_line(self) -> str:
        """The venue's name and address on one line, as a map search or a calendar's location reads it."""
        parts = [self.venue_name, *(line.strip(" ,") for line in self.venue_address.splitlines())]
        return ", ".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class Booking:
    id: int
    reference: str
    status: OrderStatus
    first_name: str
    last_name: str
    email: str
    total: Money
    created_at: datetime
    expires_at: datetime | None
    performances: list[BookedPerformance]
    lines: list[tuple[str, int, Money]]  # description, quantity, unit price

    @property
    def ticket_count(self) -> int:
        return sum(len(performance.tickets) for performance in self.performances)


async def find_booking(reference: str, token: str, key: bytes) -> Booking | None:
    """The booking a "manage my booking" link points at, or None for a wrong or altered link."""
    if len(reference) > 16 or not hmac.compare_digest(booking_token(reference, key).encode(), token.encode()):
        return None
    row = await Order.select(Order.id).where(Order.reference == reference).first()
    return await load_booking(row["id"]) if row else None


async def load_booking(order_id: int) -> Booking | None:
    order = await Order.select().where(Order.id == order_id).first()
    if order is None:
        return None
    lines = await Order.raw(
        """
        SELECT l.description, l.quantity, l.unit_price, l.performance, t.name AS ticket_name,
               p.starts_at, e.title, v.name AS venue_name, v.address AS venue_address,
               v.locale, v.timezone
        FROM order_line l
        JOIN ticket_type t ON t.id = l.ticket_type
        JOIN performance p ON p.id = l.performance
        JOIN event e ON e.id = p.event
        JOIN venue v ON v.id = e.venue
        WHERE l."order" = {}
        ORDER BY p.starts_at, l.id
        """,
        order_id,
    )
    tickets = await Ticket.raw(
        """
        SELECT k.id, k.code, k.status, k.performance, t.name AS ticket_name, l.unit_price,
               s.section, s.row, s.label
        FROM ticket k
        JOIN order_line l ON l.id = k.order_line
        JOIN ticket_type t ON t.id = l.ticket_type
        LEFT JOIN performance_seat s ON s.id = k.seat
        WHERE k."order" = {}
        ORDER BY k.id
        """,
        order_id,
    )
    performances: dict[int, BookedPerformance] = {}
    for line in lines:
        performances.setdefault(
            line["performance"],
            BookedPerformance(
                line["title"],
                as_utc(line["starts_at"]),
                line["venue_name"],
                line["locale"],
                line["timezone"],
                [],
                line["venue_address"] or "",
            ),
        )
    currency = order["currency"]
    for ticket in tickets:
        performances[ticket["performance"]].tickets.append(
            BookedTicket(
                ticket["code"],
                ticket["ticket_name"],
                ticket["status"],
                Money(currency, ticket["unit_price"]),
                ticket["id"],
                seat_name(ticket) if ticket["label"] is not None else "",
            )
        )
    return Booking(
        id=order["id"],
        reference=order["reference"],
        status=OrderStatus(order["status"]),
        first_name=order["first_name"],
        last_name=order["last_name"],
        email=order["email"],
        total=Money(currency, order["total"]),
        created_at=order["created_at"],
        expires_at=order["expires_at"],
        performances=list(performances.values()),
        lines=[
            (line["description"], line["quantity"], Money(currency, line["unit_price"])) for line in lines
        ],
    )
