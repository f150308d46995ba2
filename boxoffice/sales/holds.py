"""Holding seats for a basket, and giving them back.

Seats are taken by conditional UPDATEs (`available = available - n WHERE available >= n`), so however
many buyers race for the last tickets, on SQLite or PostgreSQL, no more are held than exist. What a
lapsed hold or unpaid order took is given back exactly once, because the row that recorded it is deleted
(or its status moved on) by the same statement that reports it.

On a seated performance a hold also names its seats (`PerformanceSeat.hold`, taken in `seating.claims`),
and what gives the count back gives the seats back with it, in the same transaction: a seat leaves the
`held` state only by a conditional UPDATE naming that state.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from boxoffice.crash_points import crash_point
from boxoffice.db import as_utc, is_sqlite, write_transaction
from boxoffice.errors import Refused
from boxoffice.money import Money
from boxoffice.sales.tables import EventStatus, Hold, OrderStatus, Performance, PerformanceSeat, TicketType

MOST_PER_ORDER = "You can buy at most {} tickets in one order."


class HoldRefused(Refused):
    """Nothing was held; the message says why, for the buyer."""


class SoldOut(HoldRefused):
    pass


LAPSING_STATUSES = (OrderStatus.PENDING_PAYMENT.value, OrderStatus.RESERVED.value)


def basket_key(basket_token: str) -> str:
    """Holds are filed under a digest of the basket cookie, never the cookie itself."""
    return hashlib.sha256(basket_token.encode()).hexdigest()


TAKE_PERFORMANCE_SQL = (
    "UPDATE performance SET available = available - {} WHERE id = {} AND available >= {} RETURNING id"
)
TAKE_TYPE_SQL = (
    "UPDATE ticket_type SET available = available - {}"
    " WHERE id = {} AND (available IS NULL OR available >= {}) RETURNING id"
)
# PostgreSQL takes both counts in one statement, one round trip: the performance's row, which every hold
# of the performance updates, stays locked until the commit, so each round trip after it is one that
# every other buyer waits for. The type is only counted when the performance had enough.
TAKE_BOTH_SQL = f"""
    WITH counted AS ({TAKE_PERFORMANCE_SQL})
    UPDATE ticket_type SET available = available - {{}}
    WHERE id = {{}} AND (available IS NULL OR available >= {{}}) AND EXISTS (SELECT 1 FROM counted)
    RETURNING id
"""


async def take_seats(performance_id: int, ticket_type_id: int, quantity: int) -> bool:
    """Take `quantity` seats from the performance and, if capped, from the ticket type; False (and nothing
    taken, once the caller's transaction rolls back) when either has too few left. The performance's row
    is locked first, as everywhere; take it as late in the transaction as the rest allows (see
    `seating.claims`)."""
    if not is_sqlite():
        return bool(
            await TicketType.raw(
                TAKE_BOTH_SQL, quantity, performance_id, quantity, quantity, ticket_type_id, quantity
            )
        )
    taken = await Performance.raw(TAKE_PERFORMANCE_SQL, quantity, performance_id, quantity)
    if not taken:
        return False
    return bool(await TicketType.raw(TAKE_TYPE_SQL, quantity, ticket_type_id, quantity))


async def give_back_seats(performance_id: int, ticket_type_id: int, quantity: int) -> None:
    await Performance.raw(
        "UPDATE performance SET available = available + {} WHERE id = {}", quantity, performance_id
    )
    await TicketType.raw(
        "UPDATE ticket_type SET available = available + {} WHERE id = {} AND available IS NOT NULL",
        quantity,
        ticket_type_id,
    )


@dataclass(frozen=True, slots=True)
class OnSaleType:
    id: int
    name: str
    price: Money


ON_SALE_TYPES_SQL = """
    SELECT t.id, t.name, t.price, t.currency
    FROM ticket_type t
    JOIN performance p ON p.id = t.performance
    JOIN event e ON e.id = p.event
    WHERE p.id = {} AND e.status = {} AND p.starts_at > {}
"""
ONLINE_SALES_WINDOW_SQL = """
      AND (p.sales_start IS NULL OR p.sales_start <= {})
      AND (p.sales_end IS NULL OR p.sales_end > {})
"""


async def on_sale_types(performance_id: int, now: datetime, *, counter: bool = False) -> list[OnSaleType]:
    """The ticket types a buyer may choose now, or HoldRefused when the performance is not on sale.

    The box office (`counter`) sells outside the online sales window too: before online booking opens
    and on the door after it closes, until the performance starts."""
    sql, values = ON_SALE_TYPES_SQL, [performance_id, EventStatus.ON_SALE.value, now]
    if not counter:
        sql, values = sql + ONLINE_SALES_WINDOW_SQL, [*values, now, now]
    rows = await TicketType.raw(sql + " ORDER BY t.position, t.id", *values)
    if not rows:
        raise HoldRefused("Tickets for this performance are not on sale.")
    return [OnSaleType(row["id"], row["name"], Money(row["currency"], row["price"])) for row in rows]


async def hold_tickets(
    basket_token: str,
    performance_id: int,
    quantities: dict[int, int],
    *,
    hold_minutes: int,
    max_per_order: int,
    now: datetime,
    counter: bool = False,
) -> datetime:
    """Hold the chosen quantities (ticket type id -> count) for the basket; returns when they lapse.

    All or nothing: if any type, or the performance, has too few seats left, nothing is held. A box
    office basket (`counter`) may hold outside the online sales window (see `on_sale_types`)."""
    chosen = {type_id: count for type_id, count in quantities.items() if count}
    if any(count < 0 for count in chosen.values()):
        raise HoldRefused("Choose how many tickets you would like, from 0 upwards.")
    if not chosen:
        raise HoldRefused("Choose at least one ticket.")
    types = {ticket_type.id for ticket_type in await on_sale_types(performance_id, now, counter=counter)}
    if not set(chosen) <= types:
        raise HoldRefused("One of those tickets is not sold for this performance.")
    if await Performance.exists().where(
        (Performance.id == performance_id) & Performance.seating_plan.is_not_null()
    ):
        raise HoldRefused("This performance has numbered seats: choose your seats.")
    basket = basket_key(basket_token)
    already_held = sum(
        row["quantity"]
        for row in await Hold.select(Hold.quantity).where((Hold.basket == basket) & (Hold.expires_at > now))
    )
    if already_held + sum(chosen.values()) > max_per_order:
        raise HoldRefused(MOST_PER_ORDER.format(max_per_order))
    expires_at = now + timedelta(minutes=hold_minutes)
    try:
        await take_and_hold(basket, performance_id, chosen, expires_at)
    except SoldOut:
        if not await release_lapsed(now, performance_id=performance_id):
            raise
        await take_and_hold(basket, performance_id, chosen, expires_at)
    return expires_at


async def take_and_hold(
    basket: str, performance_id: int, chosen: dict[int, int], expires_at: datetime
) -> None:
    """Write the holds, then take the counts: the performance's row, which every hold of the performance
    updates, is locked last and so only until the commit (see `seating.claims`)."""
    async with write_transaction():
        await Hold.insert(
            *[
                Hold(
                    basket=basket,
                    performance=performance_id,
                    ticket_type=type_id,
                    quantity=count,
                    expires_at=expires_at,
                )
                for type_id, count in chosen.items()
            ]
        )
        for type_id, count in chosen.items():
            if not await take_seats(performance_id, type_id, count):
                raise SoldOut("Sorry, there are not enough tickets left for that choice.")
        crash_point("hold.before_commit")


def placeholders(values: list) -> str:
    return ", ".join("{}" for _ in values)


async def remove_holds(where: str, *values: object) -> list[dict]:
    """Delete the holds `where` finds and return them (id, performance, ticket_type, zone, quantity,
    expires_at, extended_at, and `seats`: the ids of the seats each named). Their counts and seats are the
    caller's to give back or pass on; only the holds this DELETE returned are, so two callers never both do.

    The seats are read before the DELETE (which clears `PerformanceSeat.hold`), and only the holds read
    then are deleted: a hold's seats are written with it, so every hold deleted has its seats known."""
    found = [row["id"] for row in await Hold.raw(f"SELECT id FROM hold WHERE {where}", *values)]
    if not found:
        return []
    seats: dict[int, list[int]] = {}
    for seat in await PerformanceSeat.raw(
        f"SELECT id, hold FROM performance_seat WHERE hold IN ({placeholders(found)})", *found
    ):
        seats.setdefault(seat["hold"], []).append(seat["id"])
    rows = await Hold.raw(
        f"DELETE FROM hold WHERE id IN ({placeholders(found)})"
        " RETURNING id, performance, ticket_type, zone, quantity, expires_at, extended_at",
        *found,
    )
    return [{**row, "seats": sorted(seats.get(row["id"], []))} for row in rows]


async def release_basket(basket_token: str) -> None:
    """Give back everything the basket holds (the buyer emptied it, or it became an order)."""
    async with write_transaction():
        await release_holds(await remove_holds("basket = {}", basket_key(basket_token)))


ALREADY_EXTENDED = "You have already had more time once, so we cannot hold these tickets any longer."
NOTHING_TO_EXTEND = "Your tickets' time had already run out, so they were released for other buyers."
LINE_GONE = "Those tickets are no longer in your basket."
CHOOSE_SEATS = "To change how many seats you have, remove them and choose your seats again."


async def extend_hold(basket_token: str, *, hold_minutes: int, now: datetime) -> datetime:
    """Hold the basket's tickets for `hold_minutes` from now, once; returns when they lapse now.

    Refused (HoldRefused) when the basket holds nothing live any more, or any of its holds was extended
    already: the one UPDATE that extends is the check, so two presses, or a press racing the worker that
    releases lapsed holds, extend at most once and never bring back what lapsed."""
    basket = basket_key(basket_token)
    expires_at = now + timedelta(minutes=hold_minutes)
    async with write_transaction():
        extended = await Hold.raw(
            "UPDATE hold SET extended_at = {},"
            " expires_at = CASE WHEN expires_at < {} THEN {} ELSE expires_at END"
            " WHERE basket = {} AND expires_at > {} AND extended_at IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM hold AS done WHERE done.basket = {} AND done.extended_at IS NOT NULL)"
            " RETURNING id",
            now,
            expires_at,
            expires_at,
            basket,
            now,
            basket,
        )
    if extended:
        return expires_at
    if await Hold.exists().where((Hold.basket == basket) & Hold.extended_at.is_not_null()):
        raise HoldRefused(ALREADY_EXTENDED)
    raise HoldRefused(NOTHING_TO_EXTEND)


async def change_line(
    basket_token: str,
    performance_id: int,
    ticket_type_id: int,
    quantity: int,
    *,
    zone: str = "",
    max_per_order: int,
    now: datetime,
) -> None:
    """Hold `quantity` tickets of one basket line (of one price `zone`, on a seated performance) instead
    of what it holds; 0 gives them all back at once.

    The same rules as choosing them: on sale now, at most `max_per_order` in the basket, never more than
    are left. What the line held is given back and the new number taken in one transaction, so a buyer
    asking for more than are left keeps what they had. The line keeps its time and its extension. A line of
    numbered seats can only be removed: its seats are chosen on the map."""
    if quantity < 0:
        raise HoldRefused("Choose how many tickets you would like, from 0 upwards.")
    basket = basket_key(basket_token)
    async with write_transaction():
        rows = await remove_holds(
            "basket = {} AND performance = {} AND ticket_type = {} AND zone = {} AND expires_at > {}",
            basket,
            performance_id,
            ticket_type_id,
            zone,
            now,
        )
        held = sum(row["quantity"] for row in rows)
        if not rows:
            raise HoldRefused(LINE_GONE)
        if quantity and any(row["seats"] for row in rows):
            raise HoldRefused(CHOOSE_SEATS)
        await release_holds(rows)
        if not quantity:
            return
        if quantity > held and ticket_type_id not in {t.id for t in await on_sale_types(performance_id, now)}:
            raise HoldRefused("One of those tickets is not sold for this performance.")
        others = await Hold.raw(
            "SELECT COALESCE(SUM(quantity), 0) AS held FROM hold WHERE basket = {} AND expires_at > {}",
            basket,
            now,
        )
        if others[0]["held"] + quantity > max_per_order:
            raise HoldRefused(MOST_PER_ORDER.format(max_per_order))
        if not await take_seats(performance_id, ticket_type_id, quantity):
            raise SoldOut(f"Sorry, there are not enough tickets left for {quantity}; you still have {held}.")
        await Hold.insert(
            Hold(
                basket=basket,
                performance=performance_id,
                ticket_type=ticket_type_id,
                quantity=quantity,
                expires_at=min(as_utc(row["expires_at"]) for row in rows),
                extended_at=next((as_utc(row["extended_at"]) for row in rows if row["extended_at"]), None),
            )
        )


async def release_holds(rows: list[dict]) -> None:
    """Give back the counts, and the seats, of holds just removed (`remove_holds`)."""
    for row in rows:
        await give_back_seats(row["performance"], row["ticket_type"], row["quantity"])
    seats = [seat for row in rows for seat in row.get("seats", ())]
    if seats:
        await PerformanceSeat.raw(
            f"UPDATE performance_seat SET state = 'available', hold = NULL"
            f" WHERE id IN ({placeholders(seats)}) AND state = 'held'",
            *seats,
        )


async def release_order(order_id: int) -> int:
    """Give back what an unpaid order took, once the conditional UPDATE of its status (lapsed, called off)
    has reported it; returns how many seats. Its seats keep their `order_line`, by which a payment that
    arrives late takes them back if they are still free."""
    lines = await Hold.raw(
        'SELECT performance, ticket_type, quantity FROM order_line WHERE "order" = {}', order_id
    )
    await release_holds(lines)
    await PerformanceSeat.raw(
        "UPDATE performance_seat SET state = 'available' WHERE state = 'held'"
        ' AND order_line IN (SELECT id FROM order_line WHERE "order" = {})',
        order_id,
    )
    return sum(line["quantity"] for line in lines)


async def release_lapsed(now: datetime, *, performance_id: int | None = None) -> int:
    """Give back the seats of holds and unpaid orders whose time is up; returns how many seats.

    Runs lazily when a buyer finds too few seats, and from the worker. Looking first costs a read;
    the write transaction, which every other writer must wait for, is only opened when there is work."""
    if not await anything_lapsed(now, performance_id):
        return 0
    released = 0
    async with write_transaction():
        if performance_id is None:
            holds = await remove_holds("expires_at <= {}", now)
        else:
            holds = await remove_holds("expires_at <= {} AND performance = {}", now, performance_id)
        await release_holds(holds)
        released += sum(row["quantity"] for row in holds)
        lapsed_orders = await Hold.raw(
            'UPDATE "order" SET status = {} WHERE status IN ({}, {}) AND expires_at <= {} RETURNING id',
            OrderStatus.EXPIRED.value,
            *LAPSING_STATUSES,
            now,
        )
        for order in lapsed_orders:
            released += await release_order(order["id"])
    return released


async def anything_lapsed(now: datetime, performance_id: int | None) -> bool:
    """Whether a hold (of the performance, when given) or an unpaid order has lapsed: one read."""
    holds = "SELECT 1 FROM hold WHERE expires_at <= {}"
    values: list[object] = [now]
    if performance_id is not None:
        holds += " AND performance = {}"
        values.append(performance_id)
    orders = 'SELECT 1 FROM "order" WHERE status IN ({}, {}) AND expires_at <= {}'
    found = await Hold.raw(
        f"SELECT 1 AS found WHERE EXISTS ({holds}) OR EXISTS ({orders})", *values, *LAPSING_STATUSES, now
    )
    return bool(found)


@dataclass(frozen=True, slots=True)
class BasketLine:
    performance_id: int
    event_title: str
    event_slug: str
    starts_at: datetime
    venue_locale: str
    venue_timezone: str
    ticket_type_id: int
    ticket_name: str
    quantity: int
    unit_price: Money
    zone: str = ""  # the price zone of a seated performance's seats
    seats: tuple[str, ...] = ()  # their names, on a seated performance

    @property
    def amount(self) -> Money:
        return Money(self.unit_price.currency, self.unit_price.amount * self.quantity)


@dataclass(frozen=True, slots=True)
class Basket:
    lines: list[BasketLine]
    expires_at: datetime | None
    extended: bool = False  # the buyer has had their one "more time"

    @property
    def total(self) -> Money | None:
        if not self.lines:
            return None
        return Money(self.lines[0].unit_price.currency, sum(line.amount.amount for line in self.lines))

    @property
    def ticket_count(self) -> int:
        return sum(line.quantity for line in self.lines)


async def basket_contents(basket_token: str, now: datetime) -> Basket:
    """What the basket holds now; lapsed holds are given back first, so a buyer never sees them."""
    basket = basket_key(basket_token)
    if await Hold.exists().where((Hold.basket == basket) & (Hold.expires_at <= now)):
        await release_lapsed(now)
    rows = await Hold.raw(
        """
        SELECT h.id, h.performance, h.ticket_type, h.zone, h.quantity, h.expires_at, h.extended_at,
               t.name AS ticket_name,
               COALESCE(z.price, t.price) AS price, t.currency, p.starts_at, e.title, e.slug, v.locale,
               v.timezone
        FROM hold h
        JOIN ticket_type t ON t.id = h.ticket_type
        LEFT JOIN zone_price z ON z.ticket_type = h.ticket_type AND z.zone = h.zone
        JOIN performance p ON p.id = h.performance
        JOIN event e ON e.id = p.event
        JOIN venue v ON v.id = e.venue
        WHERE h.basket = {}
        ORDER BY p.starts_at, t.position, t.id, h.zone
        """,
        basket,
    )
    seats = await held_seat_names([row["id"] for row in rows])
    merged: dict[tuple[int, int, str], BasketLine] = {}
    for row in rows:
        key = (row["performance"], row["ticket_type"], row["zone"])
        previous = merged.get(key)
        merged[key] = BasketLine(
            performance_id=row["performance"],
            event_title=row["title"],
            event_slug=row["slug"],
            starts_at=as_utc(row["starts_at"]),
            venue_locale=row["locale"],
            venue_timezone=row["timezone"],
            ticket_type_id=row["ticket_type"],
            ticket_name=row["ticket_name"],
            quantity=row["quantity"] + (previous.quantity if previous else 0),
            unit_price=Money(row["currency"], row["price"]),
            zone=row["zone"],
            seats=(previous.seats if previous else ()) + tuple(seats.get(row["id"], ())),
        )
    expiries = [as_utc(row["expires_at"]) for row in rows]
    extended = any(row["extended_at"] is not None for row in rows)
    return Basket(list(merged.values()), min(expiries) if expiries else None, extended)


async def held_seat_names(hold_ids: list[int]) -> dict[int, list[str]]:
    """The seats each hold names, by hold, as a buyer reads them ('Stalls, row A, seat 5')."""
    if not hold_ids:
        return {}
    names: dict[int, list[str]] = {}
    for seat in await PerformanceSeat.raw(
        f"SELECT hold, section, row, label FROM performance_seat WHERE hold IN ({placeholders(hold_ids)})"
        " ORDER BY section, row, x",
        *hold_ids,
    ):
        names.setdefault(seat["hold"], []).append(seat_name(seat))
    return names


def seat_name(seat: dict) -> str:
    return f"{seat['section']}, row {seat['row']}, seat {seat['label']}"
