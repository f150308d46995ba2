"""A seated performance's seats as its map shows them, and the seats best available offers.

One read of the seats and one of the zone prices make the whole map; everything a seat's control says
(its name, zone and price) is put together here once per zone rather than once per seat in the template,
because a large house has thousands of seats.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

from boxoffice.money import Money
from boxoffice.sales.seating.best import Seat, best_available
from boxoffice.sales.tables import (
    Performance,
    PerformanceSeat,
    SeatAttribute,
    SeatState,
    TicketType,
    ZonePrice,
)

MARGIN = 10  # tenths of a seat's width around the drawing
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
    """A seat as the map draws it. A tuple, because a large house makes thousands for every page."""

    id: int
    section: str
    row: str
    label: str
    x: int
    y: int
    zone: str
    available: bool
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
class SeatMap:
    performance_id: int
    sections: list[MapSection]
    zones: dict[str, ZoneOffer]
    view_box: tuple[int, int, int, int]  # x, y, width, height, in tenths of a seat's width
    available: int

    @property
    def seats(self) -> list[MapSeat]:
        return [seat for section in self.sections for row in section.rows for seat in row.seats]

    def seats_named(self, seat_ids: list[int]) -> list[MapSeat]:
        """The seats of these ids that the map has, in the order given."""
        by_id = {seat.id: seat for seat in self.seats}
        return [by_id[seat_id] for seat_id in seat_ids if seat_id in by_id]


async def seat_map(performance_id: int) -> SeatMap | None:
    """The performance's seats by section and row (front to back, left to right), with the price zones
    its ticket types are sold in; None for a performance without numbered seats."""
    performance = (
        await Performance.select(Performance.seating_plan).where(Performance.id == performance_id).first()
    )
    if performance is None or performance["seating_plan"] is None:
        return None
    rows = await PerformanceSeat.raw(
        "SELECT id, section, row, label, x, y, zone, state, attributes FROM performance_seat"
        " WHERE performance = {} ORDER BY y, x",
        performance_id,
    )
    sections: dict[str, dict[str, list[MapSeat]]] = {}
    available = SeatState.AVAILABLE.value
    for row in rows:
        seat = MapSeat(
            row["id"],
            row["section"],
            row["row"],
            row["label"],
            row["x"],
            row["y"],
            row["zone"],
            row["state"] == available,
            tuple(row["attributes"].split()) if row["attributes"] else (),
        )
        sections.setdefault(seat.section, {}).setdefault(seat.row, []).append(seat)
    xs = [row["x"] for row in rows] or [0]
    ys = [row["y"] for row in rows] or [0]
    view_box = (
        min(xs) - MARGIN,
        min(ys) - MARGIN,
        max(xs) - min(xs) + 2 * MARGIN,
        max(ys) - min(ys) + 2 * MARGIN,
    )
    return SeatMap(
        performance_id,
        [
            MapSection(section, [MapRow(name, seats) for name, seats in by_row.items()])
            for section, by_row in sections.items()
        ],
        await zone_offers(performance_id, {row["zone"] for row in rows}),
        view_box,
        sum(1 for row in rows if row["state"] == SeatState.AVAILABLE),
    )


async def zone_offers(performance_id: int, seat_zones: set[str]) -> dict[str, ZoneOffer]:
    """Each zone's prices by ticket type: the type's zone price, or its own price where it has none.
    `seat_zones` are the zones the performance's seats are in."""
    types = (
        await TicketType.select(TicketType.id, TicketType.name, TicketType.price, TicketType.currency)
        .where(TicketType.performance == performance_id)
        .order_by(TicketType.position)
        .order_by(TicketType.id)
    )
    zone_prices = {
        (row["ticket_type"], row["zone"]): row["price"]
        for row in await ZonePrice.select(ZonePrice.ticket_type, ZonePrice.zone, ZonePrice.price).where(
            ZonePrice.ticket_type.performance == performance_id
        )
    }
    zones = sorted({zone for _, zone in zone_prices} | seat_zones)
    return {
        zone: ZoneOffer(
            zone,
            [
                (t["id"], t["name"], Money(t["currency"], zone_prices.get((t["id"], zone), t["price"])))
                for t in types
            ],
        )
        for zone in zones
    }


def offer_best(seats: list[MapSeat], count: int, zones: Collection[str] | None = None) -> list[int] | None:
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
                seat.available and SeatAttribute.WHEELCHAIR not in seat.attributes,
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
    chosen = offer_best(map_.seats, count, {zone} if zone else None)
    if chosen is None:
        return [], NO_SEATS_TOGETHER.format(count, f" in zone {zone}" if zone else "")
    return chosen, ""
