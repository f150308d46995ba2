"""The seat map's markup: the SVG drawing and the list of tick boxes it stands in for.

Made here in Python rather than in a template because a large house has thousands of seats, each with
its own labelled control twice over: Jinja spends some 0.1 ms escaping and joining each one, this a few
microseconds, which is what keeps the uncached seat page fast (bench/seating.py). Every text from the
database is escaped once, here; what templates/storefront/_seat_picker.html says about the shapes holds
for what is drawn here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from boxoffice.documents.formatting import LocalFormat
from boxoffice.sales.seating.maps import MapSeat, SeatMap
from boxoffice.sales.tables import SeatAttribute

PIXELS = 3  # per tenth of a seat's width, before zooming: a seat is drawn 30 px apart
SEAT_RADIUS = 4
ATTRIBUTE_WORDS = {
    SeatAttribute.WHEELCHAIR: "wheelchair space",
    SeatAttribute.COMPANION: "companion seat",
    SeatAttribute.RESTRICTED_VIEW: "restricted view",
    SeatAttribute.AISLE: "aisle",
}


@dataclass(frozen=True, slots=True)
class SeatDrawing:
    svg: Markup
    boxes: Markup
    width: int  # px
    height: int


def zone_words(map_: SeatMap, fmt: LocalFormat) -> dict[str, str]:
    """What each zone adds to a seat's name, escaped: ', zone A, from £24.00'."""
    words = {}
    for zone, offer in map_.zones.items():
        said = f", zone {zone}" if zone else ""
        words[zone] = escape(said + (f", from {fmt.money(offer.lowest)}" if offer.prices else ""))
    return words


def seat_name(seat: MapSeat, row_words: str) -> str:
    """The seat's name, escaped ('Stalls, row A, seat 5'): `row_words` is its section and row's."""
    return row_words + (seat.label if seat.label.isalnum() else escape(seat.label))


def seat_words(seat: MapSeat, row_words: str, zones: dict[str, str]) -> str:
    """The seat's name, zone, price and attributes, escaped."""
    extra = "".join(f", {ATTRIBUTE_WORDS[a]}" for a in seat.attributes if a in ATTRIBUTE_WORDS)
    return f"{seat_name(seat, row_words)}{zones.get(seat.zone, '')}{extra}"


def draw_seats(map_: SeatMap, chosen: Collection[int], fmt: LocalFormat) -> SeatDrawing:
    chosen = set(chosen)
    zones = zone_words(map_, fmt)
    x, y, width, height = map_.view_box
    svg = [
        f'<svg viewBox="{x} {y} {width} {height}" width="{width * PIXELS}" height="{height * PIXELS}"'
        ' role="group" aria-label="Seat map" aria-describedby="seat-map-help">'
    ]
    boxes = []
    focusable = True
    for section in map_.sections:
        section_name = escape(section.name)
        top = section.rows[0].seats[0]
        svg.append(
            f'<text class="seat-section" x="{top.x}" y="{top.y - 7}" aria-hidden="true">{section_name}</text>'
        )
        boxes.append(f'<fieldset class="seat-section-list"><legend>{section_name}</legend>')
        for row in section.rows:
            row_name = escape(row.name)
            lead = row.seats[0]
            svg.append(
                f'<g data-row="{section_name}|{row_name}"><text class="seat-row" x="{lead.x - 6}"'
                f' y="{lead.y + 2}" aria-hidden="true">{row_name}</text>'
            )
            boxes.append(f'<fieldset class="seat-row-list"><legend>Row {row_name}</legend>')
            row_words = f"{section_name}, row {row_name}, seat "
            for seat in row.seats:
                words = seat_words(seat, row_words, zones) if seat.available else seat_name(seat, row_words)
                mine = seat.available and seat.id in chosen
                svg.append(seat_control(seat, words, mine=mine, focusable=focusable and seat.available))
                boxes.append(seat_box(seat, words, mine=mine))
                focusable = focusable and not seat.available
            svg.append("</g>")
            boxes.append("</fieldset>")
        boxes.append("</fieldset>")
    svg.append("</svg>")
    # every text from the database was escaped on its way in (`escape`), the rest is our own markup
    drawn, listed = Markup("".join(svg)), Markup("".join(boxes))  # noqa: S704
    return SeatDrawing(drawn, listed, width * PIXELS, height * PIXELS)


def seat_control(seat: MapSeat, words: str, *, mine: bool, focusable: bool) -> str:
    """A free seat as a tick box on the map (a square for a wheelchair space), a taken one as a cross."""
    if not seat.available:
        return (
            f'<path class="seat-cross" d="M{seat.x - 3} {seat.y - 3}l6 6m0 -6l-6 6" role="img"'
            f' aria-label="{words}, taken"/>'
        )
    if SeatAttribute.WHEELCHAIR in seat.attributes:
        shape = f'<rect x="{seat.x - SEAT_RADIUS}" y="{seat.y - SEAT_RADIUS}" width="8" height="8"/>'
    else:
        shape = f'<circle cx="{seat.x}" cy="{seat.y}" r="{SEAT_RADIUS}"/>'
    return (
        f'<g class="seat" role="checkbox" aria-checked="{"true" if mine else "false"}"'
        f' tabindex="{"0" if focusable else "-1"}" data-seat="{seat.id}" aria-label="{words}">{shape}</g>'
    )


def seat_box(seat: MapSeat, words: str, *, mine: bool) -> str:
    """The seat in the list the map stands in for: its number, and all it is for a screen reader."""
    state = " checked" if mine else "" if seat.available else " disabled"
    taken = "" if seat.available else ", taken"
    return (
        f'<label class="seat-box"><input type="checkbox" name="seat" value="{seat.id}"{state}>'
        f' {escape(seat.label)}<span class="visually-hidden">, {words}{taken}</span></label>'
    )
