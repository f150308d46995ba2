"""Ticket types as staff set them up: each performance's names, prices and optional caps. Prices are
typed as money ('24.50') and kept as integer minor units of the venue's currency (babel knows each
currency's decimals); a new price applies to sales from then on. A capped type's cap never drops below the
tickets of that type sold or held: each change is one conditional UPDATE that checks the cap it started
from and leaves `available` at zero or more, so it is atomic against holds taken at the same moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision
from piccolo.engine.sqlite import SQLiteEngine

from boxoffice.auth import audit
from boxoffice.db import current_engine, write_transaction
from boxoffice.money import Money
from boxoffice.sales.catalogue_forms import (
    CatalogChangeRefused,
    are,
    changed_fields,
    counted,
    parse_whole_number,
    required_line,
)
from boxoffice.sales.performance_editing import MAX_CAPACITY, MIN_CAPACITY, get_performance
from boxoffice.sales.tables import OrderStatus, TicketType

MAX_TICKET_TYPE_NAME_LENGTH = 100
MAX_MINOR_UNITS = 2**31 - 1  # prices live in a 32-bit integer column
PRICE = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")

# Orders in these states gave their seats back; every other order, and every hold, still has them.
RELEASED_ORDER_STATUSES = (OrderStatus.EXPIRED.value, OrderStatus.CANCELLED.value)


@dataclass
class TicketTypeInput:
    name: str = ""
    price: str = ""
    cap: str = ""


@dataclass(frozen=True, slots=True)
class TicketTypeRecord:
    id: int
    performance_id: int
    name: str
    price: Money
    cap: int | None
    available: int | None
    position: int

    @property
    def sold_or_held(self) -> int | None:
        """Of a capped type, how many are sold or held; None for a type limited only by the performance."""
        return None if self.cap is None or self.available is None else self.cap - self.available

    def as_input(self) -> TicketTypeInput:
        return TicketTypeInput(self.name, price_input(self.price), "" if self.cap is None else str(self.cap))


def price_example(currency: str) -> str:
    return str(Decimal(2450).scaleb(-get_currency_precision(currency)))


def parse_price(text: str, currency: str) -> int:
    """Money as typed ('24.50') in integer minor units of `currency` (2450 pence)."""
    value = text.strip()
    example = price_example(currency)
    if value.startswith("-"):
        raise CatalogChangeRefused(f"Enter a price of zero or more, such as {example}.", "price")
    if not PRICE.fullmatch(value):
        raise CatalogChangeRefused(f"Enter the price as a number, such as {example}.", "price")
    precision = get_currency_precision(currency)
    minor = Decimal(value).scaleb(precision)
    if minor != minor.to_integral_value():
        places = "no decimal places" if precision == 0 else f"at most {precision} decimal places"
        raise CatalogChangeRefused(f"Prices in {currency} have {places}, such as {example}.", "price")
    if minor > MAX_MINOR_UNITS:
        raise CatalogChangeRefused("That price is too high.", "price")
    return int(minor)


def price_input(price: Money) -> str:
    """A price as staff type it: 2450 pence is '24.50'."""
    return str(Decimal(price.amount).scaleb(-get_currency_precision(price.currency)))


# Of one ticket type, the tickets sold or held: order lines of orders that still have their seats, and holds.
TAKEN_OF_TYPE_SQL = """
    COALESCE((SELECT SUM(l.quantity) FROM order_line l JOIN "order" o ON o.id = l."order"
              WHERE l.ticket_type = {} AND o.status NOT IN ({}, {})), 0)
    + COALESCE((SELECT SUM(h.quantity) FROM hold h WHERE h.ticket_type = {}), 0)
"""

COUNT_TAKEN_OF_TYPE_SQL = f"SELECT {TAKEN_OF_TYPE_SQL} AS taken"

CAP_UNCAPPED_TYPE_SQL = f"""
    UPDATE ticket_type SET cap = {{}}, available = {{}} - ({TAKEN_OF_TYPE_SQL})
    WHERE id = {{}} AND cap IS NULL AND {{}} - ({TAKEN_OF_TYPE_SQL}) >= 0
    RETURNING id
"""

CHANGE_CAP_SQL = """
    UPDATE ticket_type SET cap = {}, available = available + {}
    WHERE id = {} AND cap = {} AND available + {} >= 0
    RETURNING id
"""

REMOVE_CAP_SQL = """
    UPDATE ticket_type SET cap = NULL, available = NULL
    WHERE id = {} AND cap = {}
    RETURNING id
"""


def taken_of_type_args(ticket_type_id: int) -> tuple[Any, ...]:
    return (ticket_type_id, *RELEASED_ORDER_STATUSES, ticket_type_id)


def ticket_type_record(row: dict[str, Any]) -> TicketTypeRecord:
    return TicketTypeRecord(
        id=row["id"],
        performance_id=row["performance"],
        name=row["name"],
        price=Money(row["currency"], row["price"]),
        cap=row["cap"],
        available=row["available"],
        position=row["position"],
    )


async def performance_ticket_types(performance_id: int) -> list[TicketTypeRecord]:
    rows = (
        await TicketType.select()
        .where(TicketType.performance == performance_id)
        .order_by(TicketType.position)
        .order_by(TicketType.id)
    )
    return [ticket_type_record(row) for row in rows]


async def get_ticket_type(ticket_type_id: int) -> TicketTypeRecord | None:
    row = await TicketType.select().where(TicketType.id == ticket_type_id).first()
    return ticket_type_record(row) if row else None


async def tickets_taken_of_type(ticket_type_id: int) -> int:
    """Tickets of this type sold or held, counted from orders and holds (for a type without a cap,
    which keeps no count of its own)."""
    [row] = await TicketType.raw(COUNT_TAKEN_OF_TYPE_SQL, *taken_of_type_args(ticket_type_id))
    return int(row["taken"])


@dataclass(frozen=True, slots=True)
class TicketTypeFields:
    name: str
    price: int
    cap: int | None


def validated_ticket_type(data: TicketTypeInput, currency: str) -> TicketTypeFields:
    name = required_line(
        data.name,
        limit=MAX_TICKET_TYPE_NAME_LENGTH,
        field="name",
        missing="Enter a name for the ticket type, such as Adult.",
        label="name",
    )
    price = parse_price(data.price, currency)
    cap = None
    if data.cap.strip():
        cap = parse_whole_number(data.cap, field="cap", label="cap", low=MIN_CAPACITY, high=MAX_CAPACITY)
    return TicketTypeFields(name, price, cap)


async def create_ticket_type(
    performance_id: int, data: TicketTypeInput, *, actor_id: int | None, ip: str
) -> int:
    """Add a ticket type, priced in the venue's currency, after the performance's other types."""
    performance = await get_performance(performance_id)
    if performance is None:
        raise LookupError(performance_id)
    currency = performance.venue.currency
    fields = validated_ticket_type(data, currency)
    async with write_transaction():
        last = (
            await TicketType.select(TicketType.position)
            .where(TicketType.performance == performance_id)
            .order_by(TicketType.position, ascending=False)
            .first()
        )
        [row] = await TicketType.insert(
            TicketType(
                performance=performance_id,
                name=fields.name,
                price=fields.price,
                currency=currency,
                cap=fields.cap,
                available=fields.cap,
                position=last["position"] + 1 if last else 0,
            )
        ).returning(TicketType.id)
        await audit.record(
            "ticket_type.created",
            actor_id=actor_id,
            ip=ip,
            object_type="ticket_type",
            object_id=row["id"],
            detail={
                "performance_id": performance_id,
                "price": fields.price,
                "currency": currency,
                "cap": fields.cap,
            },
        )
    return row["id"]


async def update_ticket_type(
    ticket_type_id: int, data: TicketTypeInput, *, actor_id: int | None, ip: str
) -> None:
    """Edit a ticket type. A new price applies to sales from now on; its cap cannot go below the
    tickets of this type sold or held (see the module's docstring)."""
    current = await get_ticket_type(ticket_type_id)
    if current is None:
        raise LookupError(ticket_type_id)
    fields = validated_ticket_type(data, current.price.currency)
    async with write_transaction():
        cap_before = await locked_cap(ticket_type_id)
        if fields.cap != cap_before:
            await change_cap(ticket_type_id, cap_before, fields.cap)
        changed = changed_fields(
            {"name": current.name, "price": current.price.amount},
            {"name": fields.name, "price": fields.price},
        )
        if changed:
            await TicketType.update({TicketType.name: fields.name, TicketType.price: fields.price}).where(
                TicketType.id == ticket_type_id
            )
        if fields.cap != cap_before:
            changed = sorted([*changed, "cap"])
        if not changed:
            return
        detail: dict[str, Any] = {"changed": changed}
        if "price" in changed:
            detail["price"] = [current.price.amount, fields.price]
        if "cap" in changed:
            detail["cap"] = [cap_before, fields.cap]
        await audit.record(
            "ticket_type.updated",
            actor_id=actor_id,
            ip=ip,
            object_type="ticket_type",
            object_id=ticket_type_id,
            detail=detail,
        )


async def locked_cap(ticket_type_id: int) -> int | None:
    """The type's cap, with its row locked until the transaction ends.

    Taking a ticket of any type updates its row (holds.take_seats), so on PostgreSQL `FOR UPDATE` waits
    for holds under way to commit and keeps new ones waiting: the count of what is sold or held that
    follows, in a statement of its own, is complete and stays true. SQLite's write transaction already
    keeps every other writer out.
    """
    sql = "SELECT cap FROM ticket_type WHERE id = {}"
    if not isinstance(current_engine(), SQLiteEngine):
        sql += " FOR UPDATE"
    rows = await TicketType.raw(sql, ticket_type_id)
    if not rows:
        raise LookupError(ticket_type_id)
    return rows[0]["cap"]


async def change_cap(ticket_type_id: int, cap_before: int | None, cap: int | None) -> None:
    """A ticket type's cap from `cap_before` to `cap` (None: no cap of its own), each change one
    conditional UPDATE that checks the cap it started from and leaves `available` at zero or more."""
    if cap is None:
        changed = await TicketType.raw(REMOVE_CAP_SQL, ticket_type_id, cap_before)
    elif cap_before is None:
        taken_args = taken_of_type_args(ticket_type_id)
        changed = await TicketType.raw(
            CAP_UNCAPPED_TYPE_SQL, cap, cap, *taken_args, ticket_type_id, cap, *taken_args
        )
    else:
        difference = cap - cap_before
        changed = await TicketType.raw(
            CHANGE_CAP_SQL, cap, difference, ticket_type_id, cap_before, difference
        )
    if changed:
        return
    row = (
        await TicketType.select(TicketType.cap, TicketType.available)
        .where(TicketType.id == ticket_type_id)
        .first()
    )
    if row is None:
        raise LookupError(ticket_type_id)
    if row["cap"] != cap_before:
        raise CatalogChangeRefused(
            "Someone else changed this ticket type’s cap just now. Check it and try again.", "cap"
        )
    if cap_before is None:
        taken = await tickets_taken_of_type(ticket_type_id)
    else:
        taken = row["cap"] - row["available"]
    raise CatalogChangeRefused(
        f"{counted(taken, 'ticket')} of this type {are(taken)} sold or held; "
        f"its cap cannot go below {taken:,}.",
        "cap",
    )
