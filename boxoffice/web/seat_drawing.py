"""The one drawing of a seat map, for every map: the buyer's and the counter's (each seat a control, with
the list of tick boxes it stands in for, templates/storefront/_seat_picker.html) and staff's views of a
plan or a performance (each seat a labelled image, templates/seating/seat_map.html).

Seats are told apart by shape, never by colour alone: a wheelchair space is a square, a companion seat a
diamond, every other seat a circle, and a restricted view has a dashed outline. States: available is
hollow, chosen (by this buyer) or sold is filled, held is hatched, killed is crossed out; on a buyer's map
a seat someone else has is a cross. Only classes are used (boxoffice.css draws them; the CSP allows no
inline style). Places are in tenths of a seat's width, stage at the top; a seat's x, y is the corner of
the square it is drawn in, a seat's width across.

Made here in Python rather than in a template because a large house has thousands of seats, each with
its own labelled control twice over. The buyer's map is drawn once per copy of a performance's plan
(`SeatLayout.key`) and kept, with gaps for what changes from one request to the next: which seats are
taken or chosen, and the zone prices in the seats' names. Every text from the database is escaped once,
here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from boxoffice.documents.formatting import LocalFormat
from boxoffice.sales.seating.maps import LAYOUTS_KEPT, MapSeat, SeatLayout, SeatMap
from boxoffice.sales.tables import SeatAttribute

PIXELS = 3  # per tenth of a seat's width, before zooming: a seat is drawn 30 px apart
SEAT_RADIUS = 4
HALF = 5  # from a seat's corner to its centre
MARGIN = 10  # around the seats, for the row names; the section names take 5 more above
ATTRIBUTE_WORDS = {
    SeatAttribute.WHEELCHAIR: "wheelchair space",
    SeatAttribute.COMPANION: "companion seat",
    SeatAttribute.RESTRICTED_VIEW: "restricted view",
    SeatAttribute.AISLE: "aisle",
}
STATES = ("available", "held", "sold", "killed")


def seat_shape(x: float, y: float, marks: Collection[str], state: str = "available") -> str:
    """The seat's outline by what it is, filled, hatched or crossed out by its state ("mine" is a
    buyer's choice, filled like a sale)."""
    classes = "seat-shape" + (f" {state}" if state != "available" else "")
    classes += " restricted" if SeatAttribute.RESTRICTED_VIEW in marks else ""
    r = SEAT_RADIUS
    if SeatAttribute.WHEELCHAIR in marks:
        shape = f'<rect x="{x - r}" y="{y - r}" width="{2 * r}" height="{2 * r}" class="{classes}"/>'
    elif SeatAttribute.COMPANION in marks:
        d = r + 0.5
        shape = f'<polygon points="{x},{y - d} {x + d},{y} {x},{y + d} {x - d},{y}" class="{classes}"/>'
    else:
        shape = f'<circle cx="{x}" cy="{y}" r="{r}" class="{classes}"/>'
    if state == "held":
        hatch = f"M{x - 2} {y + 2}l4 -4M{x - 3.5} {y + 0.5}l3 -3M{x - 0.5} {y + 3.5}l3 -3"
        shape += f'<path class="seat-hatch" d="{hatch}"/>'
    elif state == "killed":
        shape += f'<path class="seat-kill" d="M{x - 3} {y - 3}l6 6m0 -6l-6 6"/>'
    return shape


def seat_symbol(marks: str = "", state: str = "available") -> Markup:
    """A seat drawn alone, for a legend."""
    return Markup(  # noqa: S704 -- our own markup: `marks` and `state` only pick among fixed words
        '<svg viewBox="0 0 10 10" width="20" height="20" aria-hidden="true" focusable="false">'
        f"{seat_shape(5, 5, marks.split(), state)}</svg>"
    )


def attribute_words(marks: Iterable[str]) -> str:
    return "".join(f", {ATTRIBUTE_WORDS[mark]}" for mark in ATTRIBUTE_WORDS if mark in marks)


def view_box(seats: Collection[MapSeat]) -> tuple[int, int, int, int]:
    """x, y, width and height of the room for the seats, their row names and their section's names."""
    if not seats:
        return (0, 0, 100, 40)
    xs = [seat.x for seat in seats]
    ys = [seat.y for seat in seats]
    left, top = min(xs) + HALF - MARGIN, min(ys) + HALF - MARGIN - 5
    return (left, top, max(xs) + HALF + MARGIN - left, max(ys) + HALF + MARGIN - top)


def frame(seats: Collection[MapSeat], attributes: str) -> str:
    x, y, width, height = view_box(seats)
    return (
        f'<svg {attributes} viewBox="{x} {y} {width} {height}" width="{width * PIXELS}"'
        f' height="{height * PIXELS}" xmlns="http://www.w3.org/2000/svg">'
    )


def section_heading(name: str, top: MapSeat) -> str:
    x, y = top.x + HALF - SEAT_RADIUS, top.y + HALF - 7
    return f'<text class="seat-section" x="{x}" y="{y}" aria-hidden="true">{name}</text>'


def row_heading(name: str, lead: MapSeat) -> str:
    x, y = lead.x + HALF - 7, lead.y + HALF + 1.5
    return f'<text class="seat-row" x="{x}" y="{y}" aria-hidden="true">{name}</text>'


# --- staff: a plan or a performance's seats, each seat an image with its words ---


def draw_plan(
    seats: Iterable[object], title: str, description: str, map_id: str = "seat-map", show_state: bool = False
) -> Markup:
    """Staff's map: `seats` are anything with section, row, label, x, y, zone, attributes (space-separated)
    and, with `show_state`, state (PlanSeat or PerformanceSeat rows, as dicts or objects); `map_id` is
    unique on the page."""
    rows = [seat if isinstance(seat, dict) else vars_of(seat) for seat in seats]
    layout = SeatLayout.of("", rows)
    states = {row["id"]: row.get("state", "available") for row in rows} if show_state else {}
    map_id = escape(map_id)
    parts = [
        frame(
            layout.seats,
            f'class="seat-map" id="{map_id}" role="group" aria-labelledby="{map_id}-title"'
            f' aria-describedby="{map_id}-desc"',
        ),
        f'<title id="{map_id}-title">{escape(title)}</title>',
        f'<desc id="{map_id}-desc">{escape(description)} The stage is at the top.</desc>',
    ]
    for section in layout.sections:
        section_name = escape(section.name)
        parts.append(f'<g class="seat-map-section">{section_heading(section_name, section.rows[0].seats[0])}')
        for row in section.rows:
            row_name = escape(row.name)
            parts.append(row_heading(row_name, row.seats[0]))
            for seat in row.seats:
                state = states.get(seat.id, "available")
                words = f"{section_name}, row {row_name}, seat {escape(seat.label)}"
                words += f", zone {escape(seat.zone)}" if seat.zone else ""
                words += attribute_words(seat.attributes) + (f", {state}" if show_state else "")
                shape = seat_shape(
                    seat.x + HALF, seat.y + HALF, seat.attributes, state if state in STATES else "available"
                )
                parts.append(f'<g role="img" aria-label="{words}"><title>{words}</title>{shape}</g>')
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text from the database was escaped above


def vars_of(seat: object) -> dict:
    """A seat object's fields, as a row (`id` is made up for a seat not saved yet, such as a preview's)."""
    fields = ("section", "row", "label", "x", "y", "zone", "attributes", "state")
    row = {name: getattr(seat, name) for name in fields if hasattr(seat, name)}
    row["id"] = getattr(seat, "id", None) or id(seat)
    row.setdefault("zone", "")
    row.setdefault("attributes", "")
    return row


# --- buyers and the counter: each seat a control, and the list it stands in for ---


@dataclass(frozen=True, slots=True)
class SeatDrawing:
    svg: Markup
    boxes: Markup
    width: int  # px
    height: int


@dataclass(frozen=True, slots=True)
class DrawnSeat:
    """A seat of the buyer's map, drawn but for its zone's words (which hold prices), which go between
    the two halves of the free seat's control and of its box."""

    id: int
    zone: str
    control: tuple[str, str]
    box: tuple[str, str]
    taken_control: str
    taken_box: str


@dataclass(frozen=True, slots=True)
class DrawnLayout:
    opening: str
    parts: list[DrawnSeat | tuple[str, str]]  # a seat, or markup for the map and for the list
    width: int
    height: int


DRAWN: OrderedDict[str, DrawnLayout] = OrderedDict()
UNCHECKED, CHECKED = 'aria-checked="false"', 'aria-checked="true"'
UNFOCUSED, FOCUSED = 'tabindex="-1"', 'tabindex="0"'


def drawn_layout(layout: SeatLayout) -> DrawnLayout:
    """The layout drawn for buyers, kept under its key like the layout itself."""
    if layout.key and (kept := DRAWN.get(layout.key)) is not None:
        DRAWN.move_to_end(layout.key)
        return kept
    drawn = draw_layout(layout)
    if layout.key:
        DRAWN[layout.key] = drawn
        while len(DRAWN) > LAYOUTS_KEPT:
            DRAWN.popitem(last=False)
    return drawn


def draw_layout(layout: SeatLayout) -> DrawnLayout:
    _, _, width, height = view_box(layout.seats)
    opening = frame(layout.seats, 'role="group" aria-label="Seat map" aria-describedby="seat-map-help"')
    parts: list[DrawnSeat | tuple[str, str]] = []
    for section in layout.sections:
        section_name = escape(section.name)
        parts.append(
            (
                section_heading(section_name, section.rows[0].seats[0]),
                f'<fieldset class="seat-section-list"><legend>{section_name}</legend>',
            )
        )
        for row in section.rows:
            row_name = escape(row.name)
            parts.append(
                (
                    f'<g data-row="{section_name}|{row_name}">{row_heading(row_name, row.seats[0])}',
                    f'<fieldset class="seat-row-list"><legend>Row {row_name}</legend>',
                )
            )
            parts += [drawn_seat(seat, f"{section_name}, row {row_name}, seat ") for seat in row.seats]
            parts.append(("</g>", "</fieldset>"))
        parts.append(("", "</fieldset>"))
    return DrawnLayout(opening, parts, width * PIXELS, height * PIXELS)


def drawn_seat(seat: MapSeat, row_words: str) -> DrawnSeat:
    name = row_words + escape(seat.label)
    x, y = seat.x + HALF, seat.y + HALF
    extra = attribute_words(seat.attributes)
    label = escape(seat.label)
    return DrawnSeat(
        seat.id,
        seat.zone,
        (
            f'<g class="seat" role="checkbox" {UNCHECKED} {UNFOCUSED} data-seat="{seat.id}"'
            f' aria-label="{name}',
            f'{extra}">{seat_shape(x, y, seat.attributes)}</g>',
        ),
        (
            f'<label class="seat-box"><input type="checkbox" name="seat" value="{seat.id}"> {label}'
            f'<span class="visually-hidden">, {name}',
            f"{extra}</span></label>",
        ),
        f'<path class="seat-cross" d="M{x - 3} {y - 3}l6 6m0 -6l-6 6" role="img"'
        f' aria-label="{name}, taken"/>',
        f'<label class="seat-box"><input type="checkbox" name="seat" value="{seat.id}" disabled> {label}'
        f'<span class="visually-hidden">, {name}, taken</span></label>',
    )


def zone_words(map_: SeatMap, fmt: LocalFormat) -> dict[str, str]:
    """What each zone adds to a seat's name, escaped: ', zone A, from £24.00'."""
    words = {}
    for zone, offer in map_.zones.items():
        said = f", zone {zone}" if zone else ""
        words[zone] = escape(said + (f", from {fmt.money(offer.lowest)}" if offer.prices else ""))
    return words


RECENT: OrderedDict[tuple, SeatDrawing] = OrderedDict()
RECENT_KEPT = 8  # the last few maps drawn: while nothing is sold, every buyer asks for the same one


def draw_seats(map_: SeatMap, chosen: Collection[int], fmt: LocalFormat) -> SeatDrawing:
    """The buyer's map and list as they are now: the kept drawing with the taken seats crossed, the
    chosen ones ticked, the first free seat the one Tab reaches, and each free seat's zone and price.

    The states are read for every request, so what was drawn for the same states, choice and prices a
    moment ago is the same drawing, and is used again."""
    zones = zone_words(map_, fmt)
    if not map_.layout.key:
        return draw_state(map_, set(chosen), zones)
    recent = (map_.layout.key, map_.taken, tuple(sorted(chosen)), tuple(sorted(zones.items())))
    if (drawing := RECENT.get(recent)) is None:
        drawing = RECENT[recent] = draw_state(map_, set(chosen), zones)
        while len(RECENT) > RECENT_KEPT:
            RECENT.popitem(last=False)
    return drawing


def draw_state(map_: SeatMap, chosen: set[int], zones: dict[str, str]) -> SeatDrawing:
    drawn = drawn_layout(map_.layout)
    taken = map_.taken
    svg, boxes = [drawn.opening], []
    focusable = True
    for part in drawn.parts:
        if isinstance(part, tuple):
            svg.append(part[0])
            boxes.append(part[1])
        elif part.id in taken:
            svg.append(part.taken_control)
            boxes.append(part.taken_box)
        else:
            words = zones.get(part.zone, "")
            control = part.control[0] + words + part.control[1]
            box = part.box[0] + words + part.box[1]
            if part.id in chosen:
                control = control.replace(UNCHECKED, CHECKED, 1)
                box = box.replace(f'value="{part.id}">', f'value="{part.id}" checked>', 1)
            if focusable:
                control = control.replace(UNFOCUSED, FOCUSED, 1)
                focusable = False
            svg.append(control)
            boxes.append(box)
    svg.append("</svg>")
    # every text from the database was escaped when the layout was drawn, the rest is our own markup
    return SeatDrawing(Markup("".join(svg)), Markup("".join(boxes)), drawn.width, drawn.height)  # noqa: S704
