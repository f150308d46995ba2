"""An on-sale rush: many buyers race for the last seats of a performance through a multi-worker server.

Seats are taken by conditional UPDATEs (boxoffice/sales/holds.py), so on either engine exactly as many
buyers get tickets as there are seats, every other one is told the performance is sold out, and nobody
meets an error.
"""

from __future__ import annotations

import pytest

from tests.support.rush import Server, put_on_sale, race, seats_left_and_held

SEATS = 20
BUYERS = 200


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_a_rush_sells_every_seat_once_and_tells_the_rest_it_is_sold_out(
    database_url: str, demo_server: Server
) -> None:
    on_sale = await put_on_sale(database_url, SEATS)

    result = await race(demo_server.base_url, on_sale, BUYERS)

    log = demo_server.log_tail()
    assert result.page_statuses() == {200: BUYERS}, log
    statuses = result.hold_statuses()
    assert [status for status in statuses if status is None or status >= 500] == [], (statuses, log)
    assert statuses == {303: SEATS, 409: BUYERS - SEATS}, (statuses, log)
    assert {attempt.hold_location for attempt in result.attempts if attempt.hold_status == 303} == {
        "/checkout"
    }
    assert all(attempt.told_sold_out for attempt in result.attempts if attempt.hold_status == 409)
    assert await seats_left_and_held(database_url, on_sale.performance_id) == (0, SEATS)
