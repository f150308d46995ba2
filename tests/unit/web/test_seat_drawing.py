"""The one drawing of every seat map: staff's labelled images and the buyer's controls share places,
shapes and words; the buyer's kept drawing shows each request's states, choice and prices."""

from __future__ import annotations

import re

from boxoffice.documents.formatting import local_format
from boxoffice.money import Money
from boxoffice.sales.seating.maps import SeatLayout, SeatMap, ZoneOffer
from boxoffice.web.seat_drawing import draw_plan, draw_seats

FMT = local_format("en_GB", "Europe/London")


def rows() -> list[dict]:
    """Row A: a wheelchair space, a companion seat, a restricted-view seat; row B: two plain seats."""
    marks = ["wheelchair", "companion", "restricted_view"]
    return [
        {
            "id": n + 1,
            "section": "Stalls",
            "row": "A",
            "label": str(n + 1),
            "x": n * 10,
            "y": 0,
            "zone": "A",
            "attributes": mark,
            "state": state,
        }
        for n, (mark, state) in enumerate(zip(marks, ["available", "held", "killed"], strict=True))
    ] + [
        {
            "id": 4 + n,
            "section": "Stalls",
            "row": "B",
            "label": str(n + 1),
            "x": n * 10,
            "y": 10,
            "zone": "B",
            "attributes": "",
            "state": "sold",
        }
        for n in range(2)
    ]


def seat_map(key: str, taken: set[int], price_b: int = 2000) -> SeatMap:
    zones = {
        "A": ZoneOffer("A", [(1, "Adult", Money("GBP", 3200))]),
        "B": ZoneOffer("B", [(1, "Adult", Money("GBP", price_b))]),
    }
    return SeatMap(1, SeatLayout.of(key, rows()), frozenset(taken), zones)


def test_staff_see_each_seat_as_an_image_told_apart_by_shape_and_state():
    svg = str(draw_plan(rows(), "Main house", "All seats.", map_id="plan", show_state=True))

    assert svg.startswith('<svg class="seat-map" id="plan" role="group"') and svg.count('role="img"') == 5
    assert 'aria-label="Stalls, row A, seat 1, zone A, wheelchair space, available"><title>' in svg
    assert '<rect x="1" y="1" width="8" height="8" class="seat-shape"/>' in svg  # square, hollow
    assert 'class="seat-shape held"/><path class="seat-hatch"' in svg and "<polygon" in svg
    assert 'class="seat-shape killed restricted"/><path class="seat-kill"' in svg
    assert svg.count('class="seat-shape sold"') == 2
    assert '<title id="plan-title">Main house</title>' in svg


def test_staff_maps_escape_what_staff_typed():
    seats = [{**rows()[0], "section": "<script>", "label": '1"'}]

    svg = str(draw_plan(seats, "<b>", "x"))

    assert "<script>" not in svg and "&lt;script&gt;" in svg and "1&#x27;" not in svg and "1&quot;" in svg


def test_the_buyers_map_shows_the_states_choice_and_prices_of_each_request():
    first = draw_seats(seat_map("k1", taken={2, 3, 4, 5}), [1], FMT)
    svg, boxes = str(first.svg), str(first.boxes)

    assert svg.count('role="checkbox"') == 1 and 'aria-checked="true" tabindex="0" data-seat="1"' in svg
    assert 'aria-label="Stalls, row A, seat 1, zone A, from £32.00, wheelchair space"' in svg
    assert 'aria-label="Stalls, row B, seat 1, taken"' in svg
    assert 'value="1" checked>' in boxes and len(re.findall(r'value="\d" disabled>', boxes)) == 4

    later = draw_seats(seat_map("k1", taken={2, 3}, price_b=2500), [], FMT)
    svg = str(later.svg)
    assert svg.count('role="checkbox"') == 3 and 'aria-checked="true"' not in svg
    assert 'aria-label="Stalls, row B, seat 2, zone B, from £25.00"' in svg
    assert svg.count('tabindex="0"') == 1
