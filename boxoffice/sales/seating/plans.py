"""Seating plans as staff build them: a venue's plans, sections laid out from rows by seats, seats given
attributes or zones or removed, and whole plans imported and exported as CSV.

Every change is refused before anything is written when it cannot be made, and audited when it is. A
seat's label is unique in its row (checked here with a clear message, and kept by the unique index on
plan_seat). Performances already seated from a plan keep their own copy, so editing a plan never
changes what is on sale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from boxoffice.auth import audit
from boxoffice.db import write_transaction
from boxoffice.sales.catalogue_forms import (
    MAX_NAME_LENGTH,
    CatalogChangeRefused,
    parse_whole_number,
    required_line,
)
from boxoffice.sales.seating.numbering import (
    MAX_ROWS,
    MAX_SEATS_PER_ROW,
    ROW_PITCH,
    Direction,
    LayoutRefused,
    Numbering,
    RowShape,
    SectionLayout,
    lay_out_section,
)
from boxoffice.sales.seating.plan_csv import SeatLine, checked_attributes, checked_zone, read_plan_csv
from boxoffice.sales.tables import PlanSeat, SeatingPlan, Venue

SECTION_GAP = 3 * ROW_PITCH  # the space left between one section and the next one added below it


class PlanEditRefused(LayoutRefused):
    """A change to a plan that cannot be made; nothing was changed."""


@dataclass
class SectionInput:
    """The form that adds a section: what staff type, as text."""

    section: str = ""
    rows: str = ""
    seats_per_row: str = ""
    first_row: str = "A"
    direction: str = Direction.LEFT_TO_RIGHT.value
    numbering: str = Numbering.CONSECUTIVE.value
    aisles_after: str = ""
    shape: str = RowShape.STRAIGHT.value
    zone: str = ""


def section_layout(data: SectionInput) -> SectionLayout:
    """The layout the section form asks for; LayoutRefused (or CatalogChangeRefused) for what cannot be."""
    rows = parse_whole_number(data.rows, field="rows", label="number of rows", low=1, high=MAX_ROWS)
    per_row = parse_whole_number(
        data.seats_per_row, field="seats_per_row", label="seats in each row", low=1, high=MAX_SEATS_PER_ROW
    )
    aisles = []
    for part in data.aisles_after.replace(",", " ").split():
        if not (part.isascii() and part.isdigit() and len(part) <= 4):
            raise LayoutRefused(
                "List the aisles by the seat position they come after, such as 4, 12.", "aisles_after"
            )
        aisles.append(int(part))
    try:
        direction, numbering, shape = (
            Direction(data.direction),
            Numbering(data.numbering),
            RowShape(data.shape),
        )
    except ValueError as unknown:
        raise LayoutRefused(
            "Choose the numbering and the shape of the rows from the lists.", "direction"
        ) from unknown
    return SectionLayout(
        section=data.section,
        rows=rows,
        seats_per_row=per_row,
        first_row=data.first_row or "A",
        direction=direction,
        numbering=numbering,
        aisles_after=tuple(aisles),
        shape=shape,
    )


@dataclass(frozen=True, slots=True)
class PlanRecord:
    id: int
    name: str
    venue_id: int
    venue_name: str
    seat_count: int = 0


@dataclass(frozen=True, slots=True)
class PlanSeatRecord:
    id: int
    section: str
    row: str
    label: str
    x: int
    y: int
    zone: str
    attributes: str


PLANS_SQL = """
    SELECT p.id, p.name, p.venue AS venue_id, v.name AS venue_name, COUNT(s.id) AS seat_count
    FROM seating_plan p
    JOIN venue v ON v.id = p.venue
    LEFT JOIN plan_seat s ON s.plan = p.id
    {where}
    GROUP BY p.id, p.name, p.venue, v.name
    ORDER BY v.name, p.name, p.id
"""


async def list_plans(venue_id: int | None = None) -> list[PlanRecord]:
    """Every plan with its venue and number of seats; only `venue_id`'s when given."""
    if venue_id is None:
        rows = await SeatingPlan.raw(PLANS_SQL.format(where=""))
    else:
        rows = await SeatingPlan.raw(PLANS_SQL.format(where="WHERE p.venue = {}"), venue_id)
    return [PlanRecord(**row) for row in rows]


async def get_plan(plan_id: int) -> PlanRecord | None:
    row = (
        await SeatingPlan.select(
            SeatingPlan.id,
            SeatingPlan.name,
            SeatingPlan.venue.as_alias("venue_id"),
            SeatingPlan.venue.name.as_alias("venue_name"),
        )
        .where(SeatingPlan.id == plan_id)
        .first()
    )
    if row is None:
        return None
    return PlanRecord(**row, seat_count=await PlanSeat.count().where(PlanSeat.plan == plan_id))


async def plan_seats(plan_id: int) -> list[PlanSeatRecord]:
    """The plan's seats front to back, then left to right: a list made from them shows sections and rows
    in the order the audience sees them (`templates/seating/seat_choices.html`)."""
    rows = (
        await PlanSeat.select(
            PlanSeat.id,
            PlanSeat.section,
            PlanSeat.row,
            PlanSeat.label,
            PlanSeat.x,
            PlanSeat.y,
            PlanSeat.zone,
            PlanSeat.attributes,
        )
        .where(PlanSeat.plan == plan_id)
        .order_by(PlanSeat.y)
        .order_by(PlanSeat.x)
        .order_by(PlanSeat.id)
    )
    return [PlanSeatRecord(**row) for row in rows]


async def plan_zones(plan_id: int) -> list[str]:
    rows = (
        await PlanSeat.select(PlanSeat.zone)
        .where((PlanSeat.plan == plan_id) & (PlanSeat.zone != ""))
        .distinct()
    )
    return sorted(row["zone"] for row in rows)


async def create_plan(venue_id: int, name: str, *, actor_id: int | None, ip: str) -> int:
    """An empty plan for the venue, to build sections in or import."""
    plan_name = required_line(
        name, limit=MAX_NAME_LENGTH, field="name", missing="Enter the plan’s name.", label="name"
    )
    async with write_transaction():
        if not await Venue.exists().where(Venue.id == venue_id):
            raise CatalogChangeRefused("Choose the venue from the list.", "venue")
        [row] = await SeatingPlan.insert(SeatingPlan(venue=venue_id, name=plan_name)).returning(
            SeatingPlan.id
        )
        await audit.record(
            "seating_plan.created",
            actor_id=actor_id,
            ip=ip,
            object_type="seating_plan",
            object_id=row["id"],
            detail={"venue_id": venue_id},
        )
    return row["id"]


async def new_section(plan_id: int, layout: SectionLayout, zone: str) -> list[SeatLine]:
    """The seats a section would add, placed below the plan's other seats; refused when the plan already
    has a section of that name (its labels would clash). Changes nothing: the preview shows these."""
    zone_name = checked_zone(zone)
    if not await SeatingPlan.exists().where(SeatingPlan.id == plan_id):
        raise LookupError(plan_id)
    lowest = (
        await PlanSeat.select(PlanSeat.y)
        .where(PlanSeat.plan == plan_id)
        .order_by(PlanSeat.y, ascending=False)
        .first()
    )
    if lowest is not None:
        layout = dataclasses.replace(layout, top=lowest["y"] + SECTION_GAP)
    seats = lay_out_section(layout)
    section = seats[0].section
    if await PlanSeat.exists().where((PlanSeat.plan == plan_id) & (PlanSeat.section == section)):
        raise PlanEditRefused(
            f"This plan already has a section called {section}: its seat labels would be used twice. "
            "Choose another name, or remove that section’s seats first.",
            "section",
        )
    return [SeatLine(**dataclasses.asdict(seat), zone=zone_name) for seat in seats]


async def add_section(
    plan_id: int, layout: SectionLayout, zone: str, *, actor_id: int | None, ip: str
) -> int:
    """Add the section `new_section` lays out. Returns how many seats were added."""
    async with write_transaction():
        seats = await new_section(plan_id, layout, zone)
        section = seats[0].section
        await PlanSeat.insert(*[PlanSeat(plan=plan_id, **dataclasses.asdict(seat)) for seat in seats])
        await audit.record(
            "seating_plan.section_added",
            actor_id=actor_id,
            ip=ip,
            object_type="seating_plan",
            object_id=plan_id,
            detail={"section": section, "seats": len(seats)},
        )
    return len(seats)


class SeatChange:
    ATTRIBUTES = "attributes"
    ZONE = "zone"
    REMOVE = "remove"


async def selected_seat_ids(plan_id: int, seat_ids: Iterable[int], rows: Iterable[str]) -> list[int]:
    """The plan's seats among `seat_ids`, with every seat of the `rows` chosen ("section|row")."""
    chosen = set(seat_ids)
    wanted_rows = {tuple(choice.rsplit("|", 1)) for choice in rows if "|" in choice}
    seats = await PlanSeat.select(PlanSeat.id, PlanSeat.section, PlanSeat.row).where(PlanSeat.plan == plan_id)
    return sorted(
        seat["id"] for seat in seats if seat["id"] in chosen or (seat["section"], seat["row"]) in wanted_rows
    )


async def change_seats(
    plan_id: int,
    seat_ids: Iterable[int],
    rows: Iterable[str],
    change: str,
    *,
    attributes: Iterable[str] = (),
    zone: str = "",
    actor_id: int | None,
    ip: str,
) -> int:
    """Give the chosen seats (and every seat of the chosen rows) exactly the `attributes` ticked, or a
    price `zone`, or remove them. Returns how many seats changed."""
    if change not in (SeatChange.ATTRIBUTES, SeatChange.ZONE, SeatChange.REMOVE):
        raise PlanEditRefused("Choose what to do with the seats.", "change")
    values: dict[Any, Any] = {}
    if change == SeatChange.ATTRIBUTES:
        try:
            values[PlanSeat.attributes] = checked_attributes(" ".join(attributes))
        except ValueError as unknown:
            raise PlanEditRefused(f"There is no seat attribute called {unknown}.", "attributes") from unknown
    elif change == SeatChange.ZONE:
        values[PlanSeat.zone] = checked_zone(zone)
    async with write_transaction():
        if not await SeatingPlan.exists().where(SeatingPlan.id == plan_id):
            raise LookupError(plan_id)
        ids = await selected_seat_ids(plan_id, seat_ids, rows)
        if not ids:
            raise PlanEditRefused("Choose at least one seat or row of this plan.", "seats")
        chosen = (PlanSeat.plan == plan_id) & PlanSeat.id.is_in(ids)
        if change == SeatChange.REMOVE:
            await PlanSeat.delete().where(chosen)
        else:
            await PlanSeat.update(values).where(chosen)
        await audit.record(
            f"seating_plan.seats_{'removed' if change == SeatChange.REMOVE else 'changed'}",
            actor_id=actor_id,
            ip=ip,
            object_type="seating_plan",
            object_id=plan_id,
            detail={
                "change": change,
                "seats": len(ids),
                **({} if change == SeatChange.REMOVE else {"to": next(iter(values.values()))}),
            },
        )
    return len(ids)


async def import_plan(plan_id: int, content: bytes, *, actor_id: int | None, ip: str) -> int:
    """Replace all of the plan's seats with those in a CSV file; a file with any problem changes
    nothing. Returns how many seats the plan now has."""
    seats = read_plan_csv(content)
    async with write_transaction():
        if not await SeatingPlan.exists().where(SeatingPlan.id == plan_id):
            raise LookupError(plan_id)
        await PlanSeat.delete().where(PlanSeat.plan == plan_id)
        await PlanSeat.insert(*[PlanSeat(plan=plan_id, **dataclasses.asdict(seat)) for seat in seats])
        await audit.record(
            "seating_plan.imported",
            actor_id=actor_id,
            ip=ip,
            object_type="seating_plan",
            object_id=plan_id,
            detail={"seats": len(seats)},
        )
    return len(seats)


async def export_plan(plan_id: int) -> list[SeatLine]:
    return [
        SeatLine(seat.section, seat.row, seat.label, seat.x, seat.y, seat.zone, seat.attributes)
        for seat in await plan_seats(plan_id)
    ]
