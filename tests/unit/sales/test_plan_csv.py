"""Seating plans as CSV: read back what is written, and refuse a bad file whole, saying why."""

from __future__ import annotations

import pytest

from boxoffice.sales.seating.plan_csv import PlanFileRefused, SeatLine, read_plan_csv, write_plan_csv

HEADER = "section,row,seat,x,y,zone,attributes\n"


def test_a_written_plan_reads_back_unchanged():
    seats = [
        SeatLine("Stalls", "A", "1", 0, 0, "A", "wheelchair"),
        SeatLine("Stalls", "A", "2", 10, 0, "A", "companion aisle"),
        SeatLine("Circle, upper", "AA", "101", 5, 120, "Restricted view", "restricted_view"),
    ]

    assert read_plan_csv(write_plan_csv(seats).encode()) == seats


def test_columns_may_come_in_any_order_and_zone_and_attributes_may_be_left_out():
    content = b"\xef\xbb\xbfY,X,Seat,Row,Section\n0,10,1,A,Stalls\n"

    assert read_plan_csv(content) == [SeatLine("Stalls", "A", "1", 10, 0)]


def test_attributes_are_read_in_any_case_and_kept_in_one_order():
    [seat] = read_plan_csv((HEADER + "Stalls,A,1,0,0,B,Aisle wheelchair\n").encode())

    assert seat.attributes == "wheelchair aisle"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("section,row,x,y\nStalls,A,0,0\n", "The file has no seat column"),
        ("section,seat\nStalls,1\n", "The file has no row, x, y columns"),
        ("", "The file has no section, row, seat, x, y columns"),
        (HEADER, "The file has no seats in it."),
        (
            HEADER + "Stalls,A,1,0,0,,\nStalls,A,1,10,0,,\n",
            "Line 3: Stalls row A seat 1 is already on line 2",
        ),
        (HEADER + "Stalls,A,1,ten,0,,\n", "Line 2: x must be a whole number from 0 to 100,000, not “ten”"),
        (HEADER + "Stalls,A,1,0,-5,,\n", "Line 2: y must be a whole number"),
        (HEADER + "Stalls,A,1,0,0,,wheelchair sofa\n", "Line 2: unknown attribute sofa"),
        (HEADER + ",A,1,0,0,,\n", "Line 2: Enter the section."),
        (HEADER + "Stalls,A,=A1,0,0,,\n", "Line 2: Begin the seat with a letter or digit"),
    ],
)
def test_a_bad_file_is_refused_with_its_problem(content, message):
    with pytest.raises(PlanFileRefused) as refused:
        read_plan_csv(content.encode())

    assert message in str(refused.value)


def test_every_problem_is_listed_up_to_ten_then_counted():
    lines = "".join(f"Stalls,A,{number},x,0,,\n" for number in range(1, 14))

    with pytest.raises(PlanFileRefused) as refused:
        read_plan_csv((HEADER + lines).encode())

    assert str(refused.value).count("must be a whole number") == 10
    assert str(refused.value).endswith("… and 3 more problems.")


def test_a_file_that_is_not_utf_8_is_refused():
    with pytest.raises(PlanFileRefused, match="UTF-8"):
        read_plan_csv((HEADER + "Stalls,A,1,0,0,,\n").encode("utf-16"))
