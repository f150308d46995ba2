"""The section generator: rows by seats laid out and numbered as a box office asks."""

from __future__ import annotations

import pytest

from boxoffice.sales.seating.numbering import (
    Direction,
    LayoutRefused,
    Numbering,
    RowShape,
    SectionLayout,
    lay_out_section,
    row_labels,
)


def row_of(seats, row):
    return sorted((seat for seat in seats if seat.row == row), key=lambda seat: seat.x)


def test_a_straight_section_numbers_each_row_left_to_right_from_one():
    seats = lay_out_section(SectionLayout("Stalls", rows=3, seats_per_row=4))

    assert len(seats) == 12
    assert [seat.label for seat in row_of(seats, "A")] == ["1", "2", "3", "4"]
    assert [seat.x for seat in row_of(seats, "A")] == [0, 10, 20, 30]
    assert sorted({seat.row for seat in seats}) == ["A", "B", "C"]
    assert {seat.y for seat in row_of(seats, "B")} == {12}
    assert {seat.section for seat in seats} == {"Stalls"}


def test_right_to_left_numbering_starts_at_the_right_hand_end():
    seats = lay_out_section(
        SectionLayout("Circle", rows=1, seats_per_row=4, direction=Direction.RIGHT_TO_LEFT)
    )

    assert [seat.label for seat in row_of(seats, "A")] == ["4", "3", "2", "1"]


@pytest.mark.parametrize(
    ("numbering", "direction", "labels"),
    [
        (Numbering.ODD, Direction.LEFT_TO_RIGHT, ["1", "3", "5", "7"]),
        (Numbering.EVEN, Direction.LEFT_TO_RIGHT, ["2", "4", "6", "8"]),
        (Numbering.ODD, Direction.RIGHT_TO_LEFT, ["7", "5", "3", "1"]),
    ],
)
def test_odd_and_even_numbering(numbering, direction, labels):
    seats = lay_out_section(
        SectionLayout("Stalls left", rows=1, seats_per_row=4, numbering=numbering, direction=direction)
    )

    assert [seat.label for seat in row_of(seats, "A")] == labels


def test_an_aisle_leaves_a_gap_after_its_seat_position():
    seats = lay_out_section(SectionLayout("Stalls", rows=1, seats_per_row=6, aisles_after=(2, 4)))

    assert [seat.x for seat in row_of(seats, "A")] == [0, 10, 30, 40, 60, 70]
    assert [seat.label for seat in row_of(seats, "A")] == ["1", "2", "3", "4", "5", "6"]


def test_staggered_rows_shift_every_other_row_by_half_a_seat():
    seats = lay_out_section(SectionLayout("Stalls", rows=3, seats_per_row=3, shape=RowShape.STAGGERED))

    assert [seat.x for seat in row_of(seats, "A")] == [0, 10, 20]
    assert [seat.x for seat in row_of(seats, "B")] == [5, 15, 25]
    assert [seat.x for seat in row_of(seats, "C")] == [0, 10, 20]


def test_curved_rows_sit_further_back_in_the_middle_than_at_the_ends():
    seats = lay_out_section(
        SectionLayout("Stalls", rows=1, seats_per_row=5, shape=RowShape.CURVED, curve_depth=20)
    )

    ys = [seat.y for seat in row_of(seats, "A")]
    assert ys == [0, 15, 20, 15, 0]


def test_row_letters_leave_out_i_and_go_on_to_double_letters():
    assert row_labels("G", 4, "I") == ["G", "H", "J", "K"]
    assert row_labels("Y", 3, "I") == ["Y", "Z", "AA"]
    assert row_labels("1", 3) == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("layout", "field", "message"),
    [
        (SectionLayout("", rows=1, seats_per_row=1), "section", "Enter the section name."),
        (SectionLayout("=cmd", rows=1, seats_per_row=1), "section", "Begin the section name with a letter"),
        (SectionLayout("Stalls", rows=0, seats_per_row=1), "rows", "between 1 and 60 rows"),
        (SectionLayout("Stalls", rows=1, seats_per_row=500), "seats_per_row", "between 1 and 150 seats"),
        (SectionLayout("Stalls", rows=1, seats_per_row=4, aisles_after=(4,)), "aisles_after", "not 4"),
        (SectionLayout("Stalls", rows=1, seats_per_row=4, first_row="I"), "first_row", "left out"),
        (SectionLayout("Stalls", rows=1, seats_per_row=4, first_row="A1"), "first_row", "Start the rows"),
    ],
)
def test_layouts_that_cannot_be_built_are_refused_with_their_field(layout, field, message):
    with pytest.raises(LayoutRefused, match=message) as refused:
        lay_out_section(layout)

    assert refused.value.field == field


def test_every_seat_of_a_layout_has_a_label_of_its_own():
    seats = lay_out_section(
        SectionLayout("Stalls", rows=20, seats_per_row=30, numbering=Numbering.EVEN, aisles_after=(10, 20))
    )

    assert len({(seat.row, seat.label) for seat in seats}) == 600
    assert len({(seat.x, seat.y) for seat in seats}) == 600
