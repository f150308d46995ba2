"""Buyers racing for the same numbered seats: a seated performance made in a demo database, and what
each buyer asks for. Shared by tests/concurrency and bench/seating.py; the harness is `tests.support.rush`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from tests.support.rush import Ask, OnSale, fetch, put_on_sale

TAKEN_MESSAGE = "has just been taken"


@dataclass(frozen=True, slots=True)
class SeatsOnSale:
    performance_id: int
    ticket_type_id: int
    seat_ids: list[int]  # front row first, each left to right


async def put_seats_on_sale(database_url: str, seats: int, rows: int = 1) -> SeatsOnSale:
    """Make the first demo performance of The Tempest seated: `rows` rows (A, B, ...) of `seats` seats,
    the front half in zone A and the rest in zone B, all sold at its first ticket type's price. Run
    `boxoffice demo` on the database first."""
    on_sale: OnSale = await put_on_sale(database_url, seats * rows)
    [(plan_id,)] = await fetch(
        database_url,
        "INSERT INTO seating_plan (venue, name, created_at)"
        " SELECT e.venue, 'Rush', CURRENT_TIMESTAMP FROM performance p JOIN event e ON e.id = p.event"
        " WHERE p.id = $1 RETURNING id",
        on_sale.performance_id,
    )
    zones = ["A" if r < (rows + 1) // 2 else "B" for r in range(rows)]
    values = ", ".join(
        f"({plan_id}, 'Stalls', '{row_name(r)}', '{n + 1}', {n * 10}, {r * 10}, '{zones[r]}', '')"
        for r in range(rows)
        for n in range(seats)
    )
    await fetch(
        database_url,
        f"INSERT INTO plan_seat (plan, section, row, label, x, y, zone, attributes) VALUES {values}",
    )
    await fetch(
        database_url,
        "INSERT INTO performance_seat (performance, section, row, label, x, y, zone, attributes, state,"
        " hold, order_line, kill_reason, killed_by)"
        " SELECT $1, section, row, label, x, y, zone, attributes, 'available', NULL, NULL, '', NULL"
        " FROM plan_seat WHERE plan = $2",
        on_sale.performance_id,
        plan_id,
    )
    await fetch(
        database_url,
        "UPDATE performance SET seating_plan = $1, seating_key = $3 WHERE id = $2",
        plan_id,
        on_sale.performance_id,
        secrets.token_hex(16),
    )
    seat_ids = [
        row[0]
        for row in await fetch(
            database_url,
            "SELECT id FROM performance_seat WHERE performance = $1 ORDER BY y, x",
            on_sale.performance_id,
        )
    ]
    return SeatsOnSale(on_sale.performance_id, on_sale.ticket_type_id, seat_ids)


def row_name(number: int) -> str:
    """A, B, ... Z, AA, AB, ...: enough rows for any house."""
    return (
        row_name(number // 26 - 1) + chr(ord("A") + number % 26) if number >= 26 else chr(ord("A") + number)
    )


def ask_for_seats(on_sale: SeatsOnSale, seat_ids: list[int]) -> Ask:
    """A buyer who opens the map with `seat_ids` chosen and holds them, one ticket of the type each."""
    page_path = f"/performances/{on_sale.performance_id}"
    query = "&".join(f"seat={seat}" for seat in seat_ids)
    fields: dict[str, str | list[str]] = {"seat": [str(seat) for seat in seat_ids]}
    fields |= {f"type_{seat}": str(on_sale.ticket_type_id) for seat in seat_ids}
    return Ask(f"{page_path}?{query}", f"{page_path}/seats", fields, TAKEN_MESSAGE)


async def seats_held_and_holds(database_url: str, performance_id: int) -> tuple[int, int, int, int]:
    """(seats in state held, distinct holds they name, the holds' quantities added up, the performance's
    available count) as the database has them."""
    [(held, holds)] = await fetch(
        database_url,
        "SELECT COUNT(*), COUNT(DISTINCT hold) FROM performance_seat"
        " WHERE performance = $1 AND state = 'held' AND hold IS NOT NULL",
        performance_id,
    )
    [(quantity,)] = await fetch(
        database_url, "SELECT COALESCE(SUM(quantity), 0) FROM hold WHERE performance = $1", performance_id
    )
    [(available,)] = await fetch(
        database_url, "SELECT available FROM performance WHERE id = $1", performance_id
    )
    return held, holds, quantity, available
