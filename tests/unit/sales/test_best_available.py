"""Best available picks seats together, near the centre of the best rows, without stranding one seat."""

from __future__ import annotations

from boxoffice.sales.seating.best import Seat, best_available


def house(
    rows: int, per_row: int, *, taken: set[str] = frozenset(), zone_of=lambda row: "A", aisle_after=None
):
    """Rows lettered A.. (A at the front), seats numbered from 1 left to right, 10 tenths apart; an aisle
    (a gap of two seats) after seat `aisle_after`."""
    seats = []
    for r in range(rows):
        row = chr(ord("A") + r)
        for n in range(1, per_row + 1):
            x = (n - 1) * 10 + (20 if aisle_after and n > aisle_after else 0)
            name = f"{row}{n}"
            seats.append(Seat(len(seats) + 1, "Stalls", row, x, r * 10, zone_of(row), name not in taken))
    return seats


def names(seats: list[Seat], ids: list[int] | None) -> list[str] | None:
    by_id = {seat.id: f"{seat.row}{seat.x // 10 + 1}" for seat in seats}
    return None if ids is None else [by_id[i] for i in ids]


def test_an_empty_house_offers_the_centre_a_third_of_the_way_back():
    seats = house(10, 11)
    assert names(seats, best_available(seats, 3)) == ["D5", "D6", "D7"]


def test_seats_are_together_in_one_row_and_never_across_a_taken_seat_or_an_aisle():
    seats = house(1, 10, taken={"A5"})
    assert names(seats, best_available(seats, 4)) in (["A1", "A2", "A3", "A4"], ["A6", "A7", "A8", "A9"])
    assert best_available(seats, 6) is None
    aisled = house(1, 8, aisle_after=4)
    assert best_available(aisled, 5) is None
    assert len(set(name[1] <= "4" for name in names(aisled, best_available(aisled, 3)))) == 1


def test_a_single_seat_is_not_stranded_when_another_choice_exists():
    # Row A: 1 2 3 4 free, 5 taken. Two seats at 2-3 would strand 1 and 4; 1-2 or 3-4 strand none.
    seats = house(1, 5, taken={"A5"})
    chosen = names(seats, best_available(seats, 2))
    assert chosen in (["A1", "A2"], ["A3", "A4"])
    # Three of four: one seat is always left over, so it is offered all the same.
    assert len(best_available(seats, 3)) == 3


def test_only_the_zones_asked_for_are_offered():
    seats = house(6, 6, zone_of=lambda row: "A" if row in "AB" else "B")
    chosen = names(seats, best_available(seats, 2, zones={"A"}))
    assert chosen and all(name[0] in "AB" for name in chosen)
    assert best_available(seats, 2, zones={"C"}) is None


def test_a_full_house_and_impossible_counts_offer_nothing():
    seats = house(2, 3, taken={f"{row}{n}" for row in "AB" for n in (1, 2, 3)})
    assert best_available(seats, 1) is None
    assert best_available(house(2, 3), 0) is None
    assert best_available([], 2) is None
