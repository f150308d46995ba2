"""Two machines: two `boxoffice serve` processes on different ports share one PostgreSQL, and an on-sale
rush is split across both, each buyer opening the page on one and holding on the other (a load balancer
without sticky sessions). They share nothing but the database and the keys every web machine must have
alike (README, Running in production): exactly the seats there are are sold, and nobody meets an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.rush import (
    boxoffice,
    put_on_sale,
    race,
    running_server,
    seats_left_and_held,
    server_environment,
)

SEATS = 20
BUYERS = 200


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_rush_split_across_two_servers_sells_every_seat_once(
    database_url: str, tmp_path: Path, report
) -> None:
    env = server_environment(database_url) | {
        "BOXOFFICE_TICKET_KEY_FILE": str(tmp_path / "ticket-signing.key")
    }
    boxoffice(env, tmp_path, "demo")
    on_sale = await put_on_sale(database_url, SEATS)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        running_server(env, tmp_path / "a", workers=2) as first,
        running_server(env, tmp_path / "b", workers=2) as second,
    ):
        result = await race([first.base_url, second.base_url], on_sale, BUYERS)
        logs = first.log_tail() + "\n" + second.log_tail()

    statuses = result.hold_statuses()
    report(
        f"{BUYERS} buyers across {first.base_url} and {second.base_url} for {SEATS} seats:"
        f" pages {dict(result.page_statuses())}, holds {dict(statuses)}"
    )
    assert result.page_statuses() == {200: BUYERS}, logs
    assert statuses == {303: SEATS, 409: BUYERS - SEATS}, (statuses, logs)
    assert await seats_left_and_held(database_url, on_sale.performance_id) == (0, SEATS)
    report(f"found: exactly {SEATS} held, every other buyer told it is sold out, no error")
