"""A rush for the same numbered seats: 200 buyers, each asking for one of five pairs of the same ten
seats at the same moment, through `boxoffice serve --workers 2`.

Each pair's seats go from available to held by one conditional UPDATE whose row count must match
(boxoffice/sales/seating/claims.py), in the same transaction as the performance's count, so on either
engine exactly one buyer gets each pair, every other one is told the seats have just been taken, and no
seat is held twice or left held without its hold.
"""

from __future__ import annotations

import pytest

from tests.support.rush import Server, race_for
from tests.support.seat_rush import ask_for_seats, put_seats_on_sale, seats_held_and_holds

SEATS = 10
BUYERS = 200


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_a_rush_for_the_same_seats_holds_each_seat_once(database_url: str, demo_server: Server) -> None:
    on_sale = await put_seats_on_sale(database_url, SEATS)
    pairs = [on_sale.seat_ids[n : n + 2] for n in range(0, SEATS, 2)]

    result = await race_for(
        demo_server.base_url, [ask_for_seats(on_sale, pairs[n % 5]) for n in range(BUYERS)]
    )

    log = demo_server.log_tail()
    assert result.page_statuses() == {200: BUYERS}, log
    statuses = result.hold_statuses()
    assert [status for status in statuses if status is None or status >= 500] == [], (statuses, log)
    assert statuses == {303: len(pairs), 409: BUYERS - len(pairs)}, (statuses, log)
    assert all(attempt.told_sold_out for attempt in result.attempts if attempt.hold_status == 409)
    assert await seats_held_and_holds(database_url, on_sale.performance_id) == (SEATS, len(pairs), SEATS, 0)
