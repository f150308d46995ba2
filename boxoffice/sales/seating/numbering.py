"""Building a section of a seating plan from rows by seats and the venue's numbering rules.

Framework-free and pure: `lay_out_section` turns a `SectionLayout` into seats with their labels and
positions, and refuses a layout that cannot be built. Positions are in tenths of a seat's width, as
`PlanSeat` keeps them, with the stage at the top: rows run down the page, and seat positions run left to
right as the audience sees the stage. The rules a box office asks for:

- numbering left to right or right to left (from the audience's side);
- consecutive numbers, or odd or even only (houses numbered 1, 3, 5 … on one side and 2, 4, 6 … on
  the other);
- gaps for aisles after given seat positions, counted from the left;
- curved rows (the middle of each row sits further back than its ends, as in a fan) or staggered rows
  (every other row shifted by half a seat, so each seat looks between the two in front).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from boxoffice.errors import Refused

SEAT_PITCH = 10  # one seat's width, in tenths of it
ROW_PITCH = 12  # rows are a little further apart than seats, for legs
MAX_ROWS, MAX_SEATS_PER_ROW = 60, 150
MAX_SECTION_LENGTH, MAX_ROW_LENGTH, MAX_LABEL_LENGTH = 60, 10, 10
MAX_POSITION = 100_000  # tenths of a seat: far wider than any house
# Names begin with a letter or digit: no spreadsheet formula can start one, and a CSV export stays safe
# without rewriting what was typed. '|' joins a section and a row in the editor's row choices.
NAME = re.compile(r"[^\W_][^|\x00-\x1f]*")


class LayoutRefused(Refused):
    """A section or seat that cannot be laid out as asked; the message says why."""


class Direction(StrEnum):
    LEFT_TO_RIGHT = "left_to_right"
    RIGHT_TO_LEFT = "right_to_left"


class Numbering(StrEnum):
    CONSECUTIVE = "consecutive"  # 1, 2, 3 …
    ODD = "odd"  # 1, 3, 5 …
    EVEN = "even"  # 2, 4, 6 …


class RowShape(StrEnum):
    STRAIGHT = "straight"
    CURVED = "curved"
    STAGGERED = "staggered"


@dataclass(frozen=True, slots=True)
class SectionLayout:
    section: str
    rows: int
    seats_per_row: int
    first_row: str = "A"  # a letter (rows go A, B, … Z, AA, BB …) or a number (1, 2, 3 …)
    direction: Direction = Direction.LEFT_TO_RIGHT
    numbering: Numbering = Numbering.CONSECUTIVE
    aisles_after: tuple[int, ...] = ()  # a gap after these seat positions, counted from the left
    shape: RowShape = RowShape.STRAIGHT
    curve_depth: int = 20  # for curved rows: how far back the middle sits, in tenths of a seat
    skip_letters: str = "I"  # row letters left out, as many houses leave out I (it reads as 1)
    top: int = 0  # where the first row is drawn, in tenths of a seat
    left: int = 0
    aisle_width: int = SEAT_PITCH


@dataclass(frozen=True, slots=True)
class LaidOutSeat:
    section: str
    row: str
    label: str
    x: int
    y: int


def checked_name(text: str, *, limit: int, what: str, field_name: str) -> str:
    """A section, row or seat name as typed, trimmed; refused when empty, too long, or not starting
    with a letter or digit."""
    value = " ".join(text.split())
    if not value:
        raise LayoutRefused(f"Enter the {what}.", field_name)
    if len(value) > limit:
        raise LayoutRefused(f"Use at most {limit} characters for the {what}.", field_name)
    if not NAME.fullmatch(value):
        raise LayoutRefused(
            f"Begin the {what} with a letter or digit, and do not use “|” in it: “{value}” cannot be used.",
            field_name,
        )
    return value


def row_labels(first: str, count: int, skip: str = "") -> list[str]:
    """`count` row labels from `first`: numbers count up; letters go A … Z, then AA, BB … ZZ, leaving out
    the letters in `skip`."""
    start = first.strip().upper()
    if start.isascii() and start.isdigit():
        return [str(int(start) + offset) for offset in range(count)]
    if not (len(start) in (1, 2) and start.isascii() and start.isalpha() and len(set(start)) == 1):
        raise LayoutRefused("Start the rows at a letter (A, or AA) or a number (1).", "first_row")
    letters = [letter for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if letter not in skip.upper()]
    if start[0] not in letters:
        raise LayoutRefused(f"Rows cannot start at {start}: that letter is left out.", "first_row")
    sequence = letters + [letter * 2 for letter in letters]
    begin = sequence.index(start)
    if begin + count > len(sequence):
        raise LayoutRefused(f"There are not enough row letters after {start} for {count} rows.", "rows")
    return sequence[begin : begin + count]


def seat_numbers(count: int, numbering: Numbering) -> list[int]:
    """The numbers of a row's seats in the order they are numbered."""
    if numbering is Numbering.ODD:
        return [1 + 2 * index for index in range(count)]
    if numbering is Numbering.EVEN:
        return [2 + 2 * index for index in range(count)]
    return [1 + index for index in range(count)]


def lay_out_section(layout: SectionLayout) -> list[LaidOutSeat]:
    """Every seat of the section, row by row from the front, each row from the left."""
    section = checked_name(
        layout.section, limit=MAX_SECTION_LENGTH, what="section name", field_name="section"
    )
    if not 1 <= layout.rows <= MAX_ROWS:
        raise LayoutRefused(f"A section has between 1 and {MAX_ROWS} rows.", "rows")
    if not 1 <= layout.seats_per_row <= MAX_SEATS_PER_ROW:
        raise LayoutRefused(f"A row has between 1 and {MAX_SEATS_PER_ROW} seats.", "seats_per_row")
    outside = sorted({after for after in layout.aisles_after if not 1 <= after < layout.seats_per_row})
    if outside:
        raise LayoutRefused(
            f"An aisle goes between two seats of a row: after seat position 1 to {layout.seats_per_row - 1}, "
            f"not {', '.join(map(str, outside))}.",
            "aisles_after",
        )
    if not 0 <= layout.curve_depth <= 10 * SEAT_PITCH:
        raise LayoutRefused("A curve is between 0 and 100 tenths of a seat deep.", "curve_depth")
    if not (0 <= layout.top <= MAX_POSITION and 0 <= layout.left <= MAX_POSITION):
        raise LayoutRefused(f"Place the section between 0 and {MAX_POSITION:,} tenths of a seat.", "top")
    rows = row_labels(layout.first_row, layout.rows, layout.skip_letters)
    numbers = seat_numbers(layout.seats_per_row, layout.numbering)
    if layout.direction is Direction.RIGHT_TO_LEFT:
        numbers.reverse()
    aisles = set(layout.aisles_after)
    xs, x = [], layout.left
    for position in range(layout.seats_per_row):
        xs.append(x)
        x += SEAT_PITCH + (layout.aisle_width if position + 1 in aisles else 0)
    middle = (xs[0] + xs[-1]) / 2
    half_width = (xs[-1] - xs[0]) / 2 or 1
    seats = []
    for row_index, row in enumerate(rows):
        y = layout.top + row_index * ROW_PITCH
        shift = SEAT_PITCH // 2 if layout.shape is RowShape.STAGGERED and row_index % 2 else 0
        for position, number in enumerate(numbers):
            bend = 0
            if layout.shape is RowShape.CURVED:
                distance = (xs[position] - middle) / half_width
                bend = round(layout.curve_depth * (1 - distance * distance))
            seats.append(LaidOutSeat(section, row, str(number), xs[position] + shift, y + bend))
    return seats
