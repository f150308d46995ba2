"""Reserved seating: the seat-map page, best available and a rush for seats, on a 2,000-seat house.

    .venv/bin/python bench/seating.py --engine sqlite|postgres [--rows 40 --seats 50 --buyers 500]
        [--only map|rush]

On a demo database with its first performance of The Tempest seated (`--rows` rows of `--seats` seats, a
third of them sold), through `boxoffice serve --workers 2`, it prints:
- the seat-map page, uncached (it never is): requests per second and p50/p99 latency from `--connections`
  clients for `--seconds` (target p99 <= 50 ms), and the server's CPU time per request, which other work
  on a shared machine does not inflate;
- best available: the algorithm alone on those seats (median and worst of 200 runs), and the page that
  asks for it (p99 of 100 requests) (target <= 20 ms);
- a rush: on the same performance made anew with `--rush-seats` seats, `--buyers` buyers at once each
  asking for one seat (five to a seat): sold exactly, no error, how long it took (target <= 3 s).
Exits with 1 when anything failed or a seat was held twice.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness is shared with the tests

from bench.storefront import cpu_seconds, httpx_load, serving_processes
from boxoffice.sales.seating.best import Seat, best_available
from tests.support.postgres import PostgresUnreachable, bench_database
from tests.support.rush import (
    boxoffice,
    database_version,
    fetch,
    machine_description,
    percentile,
    race_for,
    running_server,
    server_environment,
)
from tests.support.seat_rush import ask_for_seats, put_seats_on_sale, seats_held_and_holds


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--seats", type=int, default=50, help="seats a row")
    parser.add_argument("--connections", type=int, default=2, help="clients loading the map at once")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the map page is loaded")
    parser.add_argument("--buyers", type=int, default=500)
    parser.add_argument("--rush-seats", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--only", choices=["map", "rush"], help="run only the map and best available, or the rush"
    )
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/boxoffice_bench_seating",
        help="with --engine postgres: a database to drop, create, use and drop",
    )
    options = parser.parse_args()
    if min(options.rows, options.seats, options.connections, options.buyers, options.rush_seats) < 1:
        parser.error("every count must be at least 1")
    if not 1 <= options.seconds <= 600:
        parser.error("--seconds must be from 1 to 600")
    return options


def main() -> int:
    options = arguments()
    failed = False
    steps = {"map": [map_and_best], "rush": [rush]}.get(options.only, [map_and_best, rush])
    for step in steps:
        with tempfile.TemporaryDirectory(prefix="boxoffice-bench-") as folder:
            workdir = Path(folder)
            try:
                with bench_database(options.engine, options.postgres_url, workdir) as database_url:
                    if step is steps[0]:
                        version = asyncio.run(database_version(database_url))
                        print(f"machine: {machine_description(version)}", flush=True)
                    failed |= step(options, database_url, workdir)
            except PostgresUnreachable as error:
                print(f"PostgreSQL is unreachable: {error}", file=sys.stderr)
                return 2
    return 1 if failed else 0


def map_and_best(options: argparse.Namespace, database_url: str, workdir: Path) -> bool:
    env = server_environment(database_url)
    boxoffice(env, workdir, "demo")
    on_sale = asyncio.run(put_seats_on_sale(database_url, options.seats, options.rows))
    sold = sorted(random.Random(15).sample(on_sale.seat_ids, len(on_sale.seat_ids) // 3))
    asyncio.run(sell(database_url, sold))
    seats = len(on_sale.seat_ids)
    print(f"house: {options.rows} rows x {options.seats} seats = {seats}, {len(sold)} sold; {options.engine}")
    page = f"/performances/{on_sale.performance_id}"
    with running_server(env, workdir, options.workers) as server:
        answer = httpx.get(server.base_url + page, timeout=10)
        if answer.status_code != 200 or answer.text.count('role="checkbox"') != seats - len(sold):
            print(f"the seat map answered {answer.status_code} without its seats:\n{server.log_tail()}")
            return True
        print(f"seat-map page: {len(answer.content) / 1024:.0f} KiB")
        asyncio.run(httpx_load(server.base_url + page, options.connections, 1.0))  # warm-up
        processes = serving_processes(server.base_url, database_url)
        cpu_before = cpu_seconds(processes)
        load = asyncio.run(httpx_load(server.base_url + page, options.connections, options.seconds))
        cpu = cpu_seconds(processes) - cpu_before
        print(
            f"GET {page} (uncached), {options.connections} clients, {options.workers} workers:"
            f" {load.per_second:.0f} requests per second, p50 {load.p50 * 1000:.1f} ms,"
            f" p99 {load.p99 * 1000:.1f} ms (target <= 50 ms), errors {load.errors}"
        )
        if load.requests:
            print(
                f"  CPU per request: {cpu / load.requests * 1000:.1f} ms in the server's processes, which"
                " is what the latency comes to on a machine with nothing else running"
            )
        cpu_before = cpu_seconds(processes)
        best_page = asyncio.run(timed_requests(server.base_url + page + "?best=4", 100))
        best_cpu = (cpu_seconds(processes) - cpu_before) / len(best_page)
    print(
        f"best available, 4 seats: the page (the seat map with them chosen) p50"
        f" {percentile(best_page, 0.5) * 1000:.1f} ms, p99 {percentile(best_page, 0.99) * 1000:.1f} ms;"
        f" CPU per request {best_cpu * 1000:.1f} ms in the server's processes"
    )
    runs = best_available_alone(options.rows, options.seats, set(sold), on_sale.seat_ids)
    print(
        f"best available, 4 seats, the algorithm alone on {seats} seats: median"
        f" {statistics.median(runs) * 1000:.2f} ms, worst {max(runs) * 1000:.2f} ms (target <= 20 ms)"
    )
    return bool(load.errors)


async def sell(database_url: str, seat_ids: list[int]) -> None:
    chunk = 500
    for start in range(0, len(seat_ids), chunk):
        ids = ", ".join(str(seat) for seat in seat_ids[start : start + chunk])
        await fetch(database_url, f"UPDATE performance_seat SET state = 'sold' WHERE id IN ({ids})")
    await fetch(
        database_url,
        "UPDATE performance SET available = available - $1"
        " WHERE id = (SELECT performance FROM performance_seat WHERE id = $2)",
        len(seat_ids),
        seat_ids[0],
    )


async def timed_requests(url: str, count: int) -> list[float]:
    times = []
    async with httpx.AsyncClient(timeout=10) as client:
        for _ in range(count):
            started = time.perf_counter()
            answer = await client.get(url)
            answer.raise_for_status()
            times.append(time.perf_counter() - started)
    return times


def best_available_alone(rows: int, per_row: int, sold: set[int], seat_ids: list[int]) -> list[float]:
    seats = [
        Seat(
            seat_id,
            "Stalls",
            str(n // per_row),
            n % per_row * 10,
            n // per_row * 10,
            "A",
            seat_id not in sold,
        )
        for n, seat_id in enumerate(seat_ids)
    ]
    runs = []
    for _ in range(200):
        started = time.perf_counter()
        best_available(seats, 4)
        runs.append(time.perf_counter() - started)
    return runs


def rush(options: argparse.Namespace, database_url: str, workdir: Path) -> bool:
    env = server_environment(database_url)
    boxoffice(env, workdir, "demo")
    on_sale = asyncio.run(put_seats_on_sale(database_url, options.rush_seats))
    asks = [ask_for_seats(on_sale, [on_sale.seat_ids[n % options.rush_seats]]) for n in range(options.buyers)]
    with running_server(env, workdir, options.workers) as server:
        processes = serving_processes(server.base_url, database_url)
        cpu_before = cpu_seconds(processes)
        result = asyncio.run(race_for(server.base_url, asks))
        cpu = cpu_seconds(processes) - cpu_before
        log_tail = server.log_tail()
    held, holds, quantity, available = asyncio.run(seats_held_and_holds(database_url, on_sale.performance_id))
    expected = min(options.rush_seats, options.buyers)
    failures = result.failures()
    print(
        f"rush: {options.buyers} buyers, one seat each, for {options.rush_seats} seats; {options.engine},"
        f" {options.workers} workers: took {result.seconds:.2f} s (target <= 3 s),"
        f" hold p99 {percentile(result.hold_latencies(), 0.99) * 1000:.0f} ms"
    )
    print(
        f"  CPU in the server's processes: {cpu:.2f} s for the {options.buyers} performance pages and holds,"
        f" {cpu / options.buyers * 1000:.1f} ms a buyer"
    )
    print(
        f"  held: {result.held} buyers, {held} seats in {holds} holds of {quantity} seats, {available} left;"
        f" told taken: {result.hold_statuses()[409]}; errors: {len(failures)}"
    )
    for attempt in failures[:5]:
        print(f"  page {attempt.page_status}, hold {attempt.hold_status} {attempt.error}")
    wrong = not (result.held == held == holds == quantity == expected)
    if wrong:
        print(f"WRONG: {expected} seats should have been held, each once")
    if failures:
        print(f"server log, last lines:\n{log_tail}")
    return wrong or bool(failures)


if __name__ == "__main__":
    sys.exit(main())
