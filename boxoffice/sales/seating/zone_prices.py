"""What each ticket type costs in each price zone of a seated performance (Adult in zone A £32,
Concession in zone A £28), as staff set it on the performance's page.

The form names each price `price-<ticket type id>-<zone number>`, the zone numbered in the order
`zones` gives (the zones of a seated performance are fixed by its copy of the plan). A price left
empty means that ticket type is not sold in that zone. The whole table is replaced at once, or, when any
price is refused, nothing is.
"""

from __future__ import annotations

from dataclasses import dataclass

from boxoffice.auth import audit
from boxoffice.db import write_transaction
from boxoffice.errors import Refused
from boxoffice.money import Money
from boxoffice.sales.catalogue_forms import CatalogChangeRefused
from boxoffice.sales.tables import Performance, PerformanceSeat, TicketType, ZonePrice
from boxoffice.sales.ticket_type_editing import parse_price, price_input


class ZonePricesRefused(Refused):
    """Zone prices that cannot be saved as typed; nothing was changed."""


@dataclass(frozen=True, slots=True)
class ZonePriceTable:
    """A seated performance's zones, its ticket types (id, name) and the prices set: (type id, zone)
    to minor units."""

    zones: list[str]
    ticket_types: list[tuple[int, str]]
    prices: dict[tuple[int, str], int]
    currency: str

    @staticmethod
    def field(ticket_type_id: int, zone_number: int) -> str:
        return f"price-{ticket_type_id}-{zone_number}"

    def typed(self) -> dict[str, str]:
        """The prices set, as the form shows them ('32.00'), by field name."""
        return {
            self.field(type_id, number): price_input(Money(self.currency, self.prices[type_id, zone]))
            for type_id, _ in self.ticket_types
            for number, zone in enumerate(self.zones)
            if (type_id, zone) in self.prices
        }


async def performance_zones(performance_id: int) -> list[str]:
    rows = (
        await PerformanceSeat.select(PerformanceSeat.zone)
        .where((PerformanceSeat.performance == performance_id) & (PerformanceSeat.zone != ""))
        .distinct()
    )
    return sorted(row["zone"] for row in rows)


async def zone_price_table(performance_id: int) -> ZonePriceTable | None:
    """None for a general-admission performance, or one without it."""
    performance = (
        await Performance.select(
            Performance.seating_plan, Performance.event.venue.currency.as_alias("currency")
        )
        .where(Performance.id == performance_id)
        .first()
    )
    if performance is None or performance["seating_plan"] is None:
        return None
    types = (
        await TicketType.select(TicketType.id, TicketType.name)
        .where(TicketType.performance == performance_id)
        .order_by(TicketType.position)
        .order_by(TicketType.id)
    )
    prices = await ZonePrice.select(ZonePrice.ticket_type, ZonePrice.zone, ZonePrice.price).where(
        ZonePrice.ticket_type.performance == performance_id
    )
    return ZonePriceTable(
        zones=await performance_zones(performance_id),
        ticket_types=[(row["id"], row["name"]) for row in types],
        prices={(row["ticket_type"], row["zone"]): row["price"] for row in prices},
        currency=performance["currency"],
    )


async def set_zone_prices(performance_id: int, form: dict[str, str], *, actor_id: int | None, ip: str) -> int:
    """Replace the performance's zone prices with those typed in `form`; returns how many are set."""
    table = await zone_price_table(performance_id)
    if table is None:
        if not await Performance.exists().where(Performance.id == performance_id):
            raise LookupError(performance_id)
        raise ZonePricesRefused(
            "This performance is general admission, so it has no price zones. Choose a seating plan for it "
            "first."
        )
    if not table.zones:
        raise ZonePricesRefused("This performance’s seats have no price zones; give them zones in the plan.")
    chosen: list[ZonePrice] = []
    problems: dict[str, str] = {}
    for type_id, type_name in table.ticket_types:
        for number, zone in enumerate(table.zones):
            name = table.field(type_id, number)
            text = (form.get(name) or "").strip()
            if not text:
                continue
            try:
                price = parse_price(text, table.currency)
            except CatalogChangeRefused as refusal:
                problems[name] = f"{type_name} in zone {zone}: {refusal}"
                continue
            chosen.append(ZonePrice(ticket_type=type_id, zone=zone, price=price))
    if problems:
        raise ZonePricesRefused(problems)
    type_ids = [type_id for type_id, _ in table.ticket_types]
    async with write_transaction():
        if type_ids:
            await ZonePrice.delete().where(ZonePrice.ticket_type.is_in(type_ids))
        if chosen:
            await ZonePrice.insert(*chosen)
        await audit.record(
            "performance.zone_prices_set",
            actor_id=actor_id,
            ip=ip,
            object_type="performance",
            object_id=performance_id,
            detail={"prices": len(chosen)},
        )
    return len(chosen)
