"""A seated performance's seats as its map shows them, and the seats best available offers.

A performance's seats are its own copy of the plan, which never changes once made: only their states
do. So the layout (sections, rows, seats and their places) is read once per copy and kept in memory
under the performance's `seating_key`, and each map reads only which seats are taken, in one small
query, and the zone prices. Everything a seat's control says (its name, zone and price) is put together
per zone rather than per seat, because a large house has thousands of seats.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import NamedTuple

from boxoffice.money import Money
from boxoffice.sales.seating.best import Seat, best_available
from boxoffice.sales.tables import (
    Performance,
    PerformanceSeat,
    SeatAttribute,
    TicketType,
)

LAYOUTS_KEPT = 16  # performances' layouts a process keeps (a 2,000-seat house takes well under 1 MB)
NO_SEATS_TOGETHER = "There are not {} seats together{}; try fewer, or another zone, or choose on the map."


@dataclass(frozen=True, slots=True)
class ZoneOffer:
    """A price zone and what each ticket type costs in it, in the types' order (the first is what a seat
    is sold as unless another is chosen)."""

    zone: str
    prices: list[tuple[int, str, Money]]  # (ticket type id, name, price)

    @property
    def lowest(self) -> Money:
        return min((price for _, _, price in self.prices), key=lambda price: price.amount)


class MapSeat(NamedTuple):
    """A seat as the map draws it. A tuple, because a large house has thousands."""

    id: int
    section: str
    row: str
    label: str
    x: int
    y: int
    zone: str
    attributes: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.section}, row {self.row}, seat {self.label}"


@dataclass(frozen=True, slots=True)
class MapRow:
    name: str
    seats: list[MapSeat]


@dataclass(frozen=True, slots=True)
class MapSection:
    name: str
    rows: list[MapRow]


@dataclass(frozen=True, slots=True)
class SeatLayout:
    """A performance's copy of its plan: the seats by section and row (front to back, left to right)."""

    key: str  # the performance's `seating_key`; "" for a layout that is not kept
    sections: list[MapSection]
    seats: list[MapSeat] = field(default_factory=list)
    by_id: dict[int, MapSeat] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, rows: list[dict]) -> SeatLayout:
        sections: dict[str, dict[str, list[MapSeat]]] = {}
        seats = []
        for row in rows:
            seat = MapSeat(
                row["id"],
                row["section"],
                row["row"],
                row["label"],
                row["x"],
                row["y"],
                row["zone"],
                tuple(row["attributes"].split()) if row["attributes"] else (),
            )
            seats.append(seat)
            sections.setdefault(seat.section, {}).setdefault(seat.row, []).append(seat)
        return cls(
            key,
            [
                MapSection(section, [MapRow(name, row_seats) for name, row_seats in by_row.items()])
                for section, by_row in sections.items()
            ],
            seats,
            {seat.id: seat for seat in seats},
        )


@dataclass(frozen=True, slots=True)
class SeatMap:
    performance_id: int
    layout: SeatLayout
    taken: frozenset[int]  # the seats not available: held, sold or kept off sale
    zones: dict[str, ZoneOffer]

    @property
    def sections(self) -> list[MapSection]:
        return self.layout.sections

    @property
    def seats(self) -> list[MapSeat]:
        return self.layout.seats

    @property
    def available(self) -> int:
        return len(self.layout.seats) - len(self.taken)

    def is_free(self, seat: MapSeat) -> bool:
        return seat.id not in self.taken

    def seats_named(self, seat_ids: list[int]) -> list[MapSeat]:
        """The seats of these ids that the map has, in the order given."""
        by_id = self.layout.by_id
        return [by_id[seat_id] for seat_id in seat_ids if seat_id in by_id]


LAYOUTS: OrderedDict[str, SeatLayout] = OrderedDict()


async def seat_layout(performance_id: int, key: str) -> SeatLayout:
    """The performance's layout: kept under its `seating_key` once read (the copy never changes, and the
    key is made afresh for each copy, so a kept layout is never out of date)."""
    if key and (kept := LAYOUTS.get(key)) is not None:
        LAYOUTS.move_to_end(key)
        return kept
    rows = await PerformanceSeat.raw(
        "SELECT id, section, row, label, x, y, zone, attributes FROM performance_seat"
        " WHERE performance = {} ORDER BY y, x",
        performance_id,
    )
    layout = SeatLayout.of(key, rows)
    if key:
        LAYOUTS[key] = layout
        while len(LAYOUTS) > LAYOUTS_KEPT:
            LAYOUTS.popitem(last=False)
    return layout


SEAT_STATES_SQL = """
    SELECT p.seating_plan, p.seating_key, s.id AS taken FROM performance p
    LEFT JOIN performance_seat s ON s.performance = p.id AND s.state <> 'available'
    WHERE p.id = {}
"""
ZONE_PRICES_SQL = """
    SELECT t.id, t.name, t.price, t.currency, z.zone, z.price AS zone_price FROM ticket_type t
    LEFT JOIN zone_price z ON z.ticket_type = t.id
    WHERE t.performance = {} ORDER BY t.position, t.id
"""


async def seat_map(performance_id: int) -> SeatMap | None:
    """The performance's seats with which are taken, and the price zones its ticket types are sold in;
    None for a performance without numbered seats. Two small reads: which seats are taken (with the
    performance's plan and key), and the prices; the layout is kept (`seat_layout`)."""
    rows = await Performance.raw(SEAT_STATES_SQL, performance_id)
    if not rows or rows[0]["seating_plan"] is None:
        return None
    layout = await seat_layout(performance_id, rows[0]["seating_key"])
    return SeatMap(
        performance_id,
        layout,
        frozenset(row["taken"] for row in rows if row["taken"] is not None),
        await zone_offers(performance_id, {seat.zone for seat in layout.seats}),
    )


async def zone_offers(performance_id: int, seat_zones: set[str]) -> dict[str, ZoneOffer]:
    """Each zone's prices by ticket type: the type's zone price, or its own price where it has none.
    `seat_zones` are the zones the performance's seats are in."""
    types: dict[int, dict] = {}
    zone_prices: dict[tuple[int, str], int] = {}
    for row in await TicketType.raw(ZONE_PRICES_SQL, performance_id):
        types.setdefault(row["id"], row)
        if row["zone"] is not None:
            zone_prices[row["id"], row["zone"]] = row["zone_price"]
    zones = sorted({zone for _, zone in zone_prices} | seat_zones)
    return {
        zone: ZoneOffer(
            zone,
            [
                (t["id"], t["name"], Money(t["currency"], zone_prices.get((t["id"], zone), t["price"])))
                for t in types.values()
            ],
        )
        for zone in zones
    }


def offer_best(
    seats: list[MapSeat], taken: Collection[int], count: int, zones: Collection[str] | None = None
) -> list[int] | None:
    """Best available (`seating.best`) among the map's seats; wheelchair spaces are chosen by hand."""
    return best_available(
        (
            Seat(
                seat.id,
                seat.section,
                seat.row,
                seat.x,
                seat.y,
                seat.zone,
                seat.id not in taken and SeatAttribute.WHEELCHAIR not in seat.attributes,
            )
            for seat in seats
        ),
        count,
        zones,
    )


def choose_best(map_: SeatMap, count_text: str, zone: str, most: int) -> tuple[list[int], str]:
    """The seats best available offers for a count and zone as typed (`?best=N&zone=Z`), or why none."""
    count = int(count_text) if count_text.isascii() and count_text.isdigit() and len(count_text) < 4 else 0
    if not 1 <= count <= most:
        return [], f"Choose from 1 to {most} seats."
    if zone and zone not in map_.zones:
        return [], "Choose one of the zones listed."
    chosen = offer_best(map_.seats, map_.taken, count, {zone} if zone else None)
    if chosen is None:
        return [], NO_SEATS_TOGETHER.format(count, f" in zone {zone}" if zone else "")
    return chosen, ""
