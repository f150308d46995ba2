"""Best available: the seats to offer a buyer who asks for N together rather than choosing them.

The rule, as a box-office manager would pick by hand:
- the seats are side by side in one row: none taken or kept off sale between them, and no aisle (a gap
  wider than half a seat, `ADJACENT`) between two of them;
- of all such runs, the one nearest the centre of the best rows wins: horizontally its section's centre,
  and from front to back a third of the way into the house (`BEST_DEPTH`), where sight lines are best;
- a choice that would leave a single empty seat at either side of it, hard to sell on its own, is only
  made when nothing else fits (`LONE_SEAT`).

Pure and framework-free: it reads the seats it is given and says which ids to offer, or None.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

ADJACENT = 15  # tenths of a seat's width: two seats further apart than this have an aisle between them
BEST_DEPTH = 1 / 3  # how far back from the front row the best rows are, as a share of the house's depth
LONE_SEAT = 100_000  # what leaving one seat on its own costs: more than any distance in a real house


@dataclass(frozen=True, slots=True)
class Seat:
    id: int
    section: str
    row: str
    x: int  # in tenths of a seat's width
    y: int
    zone: str
    free: bool  # available, and offered by best available (not a wheelchair space)


def best_available(
    seats: Iterable[Seat], count: int, zones: Collection[str] | None = None
) -> list[int] | None:
    """The ids of `count` seats together, best first by the module's rule; only in `zones` when given.
    None when no row has that many free seats together."""
    seats = list(seats)
    if count < 1 or not seats:
        return None
    rows: dict[tuple[str, str], list[Seat]] = {}
    for seat in seats:
        rows.setdefault((seat.section, seat.row), []).append(seat)
    top, bottom = min(seat.y for seat in seats), max(seat.y for seat in seats)
    best_y = top + (bottom - top) * BEST_DEPTH
    centres = section_centres(seats)
    best: tuple[float, int, int, list[int]] | None = None
    for (section, _), row in rows.items():
        row.sort(key=lambda seat: seat.x)
        for block in blocks(row, zones):
            if len(block) < count:
                continue
            depth = abs(block[0].y - best_y)
            for start in range(len(block) - count + 1):
                chosen = block[start : start + count]
                middle = (chosen[0].x + chosen[-1].x) / 2
                score = abs(middle - centres[section]) + depth
                left, right = start, len(block) - start - count
                score += LONE_SEAT * ((left == 1) + (right == 1))
                candidate = (score, chosen[0].y, chosen[0].x, [seat.id for seat in chosen])
                if best is None or candidate[:3] < best[:3]:
                    best = candidate
    return best[3] if best else None


def section_centres(seats: list[Seat]) -> dict[str, float]:
    extents: dict[str, tuple[int, int]] = {}
    for seat in seats:
        low, high = extents.get(seat.section, (seat.x, seat.x))
        extents[seat.section] = (min(low, seat.x), max(high, seat.x))
    return {section: (low + high) / 2 for section, (low, high) in extents.items()}


def blocks(row: list[Seat], zones: Collection[str] | None) -> list[list[Seat]]:
    """The runs of free seats side by side in a row (sorted by x), each cut at a taken seat, a seat of
    another zone, or an aisle."""
    found: list[list[Seat]] = []
    current: list[Seat] = []
    for seat in row:
        usable = seat.free and (zones is None or seat.zone in zones)
        if current and (not usable or seat.x - current[-1].x > ADJACENT):
            found.append(current)
            current = []
        if usable:
            current.append(seat)
    if current:
        found.append(current)
    return found
