"""Reading what forms and addresses carry: `FORM` for a route's form body, and one rule for every page
for the ids, counts and dates in them."""

from __future__ import annotations

from datetime import date

from litestar.datastructures import MultiDict
from litestar.enums import RequestEncodingType
from litestar.params import Body

from boxoffice.db import parse_id
from boxoffice.sales.holds import MOST_PER_ORDER
from boxoffice.sales.seating.claims import SeatChoice
from boxoffice.sales.seating.maps import SeatMap, choose_best

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)  # a route's `data` read as a posted form

EARLIEST_DAY = date(1900, 1, 1)  # days a box office could mean; outside them, date arithmetic
LATEST_DAY = date(2999, 12, 31)  # (the day after, say) would overflow


def parse_quantities(form: dict[str, str], *, most: int) -> tuple[dict[int, int], str]:
    """Ticket counts by ticket type id, from fields named `quantity_<id>`; a field left empty means none.
    An unreadable count is an error, and so is one past `most`, the most one order may hold, however
    many digits were typed."""
    chosen: dict[int, int] = {}
    for name, value in form.items():
        if not name.startswith("quantity_") or not (text := value.strip()):
            continue
        type_id = parse_id(name.removeprefix("quantity_"))
        if type_id is None or not (text.isascii() and text.isdigit()):
            return {}, "Choose how many tickets you would like as a number."
        digits = text.lstrip("0")  # compared as text first: a billion digits would make a slow int
        if len(digits) > len(str(most)) or int(digits or "0") > most:
            return {}, MOST_PER_ORDER.format(most)
        if digits:
            chosen[type_id] = int(digits)
    return chosen, ""


def parse_day(text: str) -> date:
    """A day typed as YYYY-MM-DD; ValueError for anything else, or a day no box office could mean."""
    day = date.fromisoformat(text.strip())
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"{day} is out of range")
    return day


UNKNOWN_SEAT = "One of those seats is not one we know; choose your seats again."
CHOOSE_TYPE = "Choose a ticket type for each seat."


def parse_seat_ids(values: list[str], *, most: int) -> tuple[list[int], str]:
    """The seats a form or address names (fields named `seat`), in order and as given (the same seat
    twice is the service's to refuse); an unreadable id is an error, and so are more than `most`."""
    if len(values) > most:
        return [], MOST_PER_ORDER.format(most)
    seats = [parse_id(value) for value in values]
    if any(seat is None for seat in seats):
        return [], UNKNOWN_SEAT
    return [seat for seat in seats if seat is not None], ""


def parse_seat_types(form: dict[str, str], seats: list[int]) -> tuple[dict[int, int], str]:
    """The ticket type chosen for each seat, from fields named `type_<seat id>`."""
    types = {seat: parse_id(form.get(f"type_{seat}")) for seat in seats}
    if any(type_id is None for type_id in types.values()):
        return {}, CHOOSE_TYPE
    return {seat: type_id for seat, type_id in types.items() if type_id is not None}, ""


def seats_in_address(query: MultiDict, map_: SeatMap, *, most: int) -> tuple[list[int], str]:
    """The seats a seat page's address chooses: `seat=<id>` for each, or best available's `best=N` (and
    `zone=Z`), each seat once; with what is wrong with them."""
    chosen, error = parse_seat_ids(query.getall("seat", []), most=most)
    best = query.get("best", "")[:10].strip()
    if best and not error:
        chosen, error = choose_best(map_, best, query.get("zone", "")[:40], most)
    return list(dict.fromkeys(chosen)), error


def seat_choices(form: MultiDict, *, most: int) -> tuple[list[SeatChoice], str]:
    """The seats a posted seat form holds (`seat` fields), each with its ticket type (`type_<seat>`)."""
    seats, error = parse_seat_ids([str(value) for value in form.getall("seat", [])], most=most)
    if error:
        return [], error
    types, error = parse_seat_types({key: str(value) for key, value in form.items()}, seats)
    return ([SeatChoice(seat, types[seat]) for seat in seats], "") if not error else ([], error)
