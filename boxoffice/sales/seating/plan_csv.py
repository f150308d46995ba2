"""A seating plan as CSV, one seat a line: section, row, seat, x, y, zone, attributes.

Framework-free and pure. `read_plan_csv` reads the whole file before anything is saved and refuses it
with every problem it found (missing columns, bad numbers, unknown attributes, the same seat twice,
each with its line number), so an import either replaces the plan entirely or changes nothing.
`write_plan_csv` writes what `read_plan_csv` reads back unchanged.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from boxoffice.errors import Refused
from boxoffice.sales.seating.numbering import (
    MAX_LABEL_LENGTH,
    MAX_POSITION,
    MAX_ROW_LENGTH,
    MAX_SECTION_LENGTH,
    LayoutRefused,
    checked_name,
)
from boxoffice.sales.tables import SeatAttribute

COLUMNS = ("section", "row", "seat", "x", "y", "zone", "attributes")
REQUIRED_COLUMNS = ("section", "row", "seat", "x", "y")  # zone and attributes may be left out
MAX_ZONE_LENGTH = 40
MAX_SEATS = 20_000
MAX_PROBLEMS_SHOWN = 10
ATTRIBUTE_NAMES = ", ".join(attribute.value for attribute in SeatAttribute)


class PlanFileRefused(Refused):
    """A plan file that cannot be imported; nothing was changed."""


@dataclass(frozen=True, slots=True)
class SeatLine:
    """One seat as a plan keeps it: its names, where it is drawn, its price zone and attributes."""

    section: str
    row: str
    label: str
    x: int
    y: int
    zone: str = ""
    attributes: str = ""  # space-separated SeatAttribute values, in the enum's order


def checked_attributes(text: str) -> str:
    """Attributes typed space- or comma-separated, as the stored form; ValueError names the unknown."""
    words = set(text.replace(",", " ").lower().split())
    unknown = sorted(words - {attribute.value for attribute in SeatAttribute})
    if unknown:
        raise ValueError(", ".join(unknown))
    return " ".join(attribute.value for attribute in SeatAttribute if attribute.value in words)


def checked_zone(text: str) -> str:
    """A price zone's name ("" for none); LayoutRefused when it cannot be one."""
    value = " ".join(text.split())
    if not value:
        return ""
    return checked_name(value, limit=MAX_ZONE_LENGTH, what="zone", field_name="zone")


def position(text: str, column: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_POSITION:
        raise ValueError(f"{column} must be a whole number from 0 to {MAX_POSITION:,}, not “{value[:20]}”")
    return int(value)


def read_line(record: dict[str, str]) -> SeatLine:
    """One CSV record as a seat; ValueError with what is wrong with it."""
    names = []
    for column, limit, what in (
        ("section", MAX_SECTION_LENGTH, "section"),
        ("row", MAX_ROW_LENGTH, "row"),
        ("seat", MAX_LABEL_LENGTH, "seat"),
    ):
        try:
            names.append(checked_name(record.get(column) or "", limit=limit, what=what, field_name=column))
        except LayoutRefused as refusal:
            raise ValueError(str(refusal)) from refusal
    try:
        zone = checked_zone(record.get("zone") or "")
    except LayoutRefused as refusal:
        raise ValueError(str(refusal)) from refusal
    try:
        attributes = checked_attributes(record.get("attributes") or "")
    except ValueError as unknown:
        raise ValueError(f"unknown attribute {unknown}; use {ATTRIBUTE_NAMES}") from unknown
    x = position(record.get("x") or "", "x")
    y = position(record.get("y") or "", "y")
    return SeatLine(names[0], names[1], names[2], x, y, zone, attributes)


def read_plan_csv(content: bytes) -> list[SeatLine]:
    """Every seat in a plan file, or PlanFileRefused listing its problems."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as undecodable:
        raise PlanFileRefused("Save the file as CSV in UTF-8 and try again.", "file") from undecodable
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise PlanFileRefused(
            f"The file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}. Its first line "
            f"must name the columns: {','.join(COLUMNS)}.",
            "file",
        )
    reader.fieldnames = header
    seats: list[SeatLine] = []
    problems: list[str] = []
    first_seen: dict[tuple[str, str, str], int] = {}
    try:
        for record in reader:
            line = reader.line_num
            if len(seats) >= MAX_SEATS:
                raise PlanFileRefused(f"A plan has at most {MAX_SEATS:,} seats.", "file")
            try:
                seat = read_line(record)
            except ValueError as problem:
                problems.append(f"Line {line}: {str(problem).rstrip('.')}.")
                continue
            key = (seat.section.casefold(), seat.row.casefold(), seat.label.casefold())
            if key in first_seen:
                problems.append(
                    f"Line {line}: {seat.section} row {seat.row} seat {seat.label} is already on line "
                    f"{first_seen[key]}; each seat's label must be unique in its row."
                )
                continue
            first_seen[key] = line
            seats.append(seat)
    except csv.Error as unreadable:
        raise PlanFileRefused(f"The file is not readable as CSV: {unreadable}.", "file") from unreadable
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        raise PlanFileRefused(
            " ".join(shown) + (f" … and {more} more problem{'s' if more > 1 else ''}." if more else ""),
            "file",
        )
    if not seats:
        raise PlanFileRefused("The file has no seats in it.", "file")
    return seats


def write_plan_csv(seats: list[SeatLine]) -> str:
    """The plan's seats as CSV, in the columns `read_plan_csv` reads. Names begin with a letter or digit
    (`numbering.checked_name`), so no cell can start a spreadsheet formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for seat in seats:
        writer.writerow([seat.section, seat.row, seat.label, seat.x, seat.y, seat.zone, seat.attributes])
    return out.getvalue()
