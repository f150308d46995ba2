"""On-sale rush: N buyers race for M tickets through `boxoffice serve --workers W`.

    .venv/bin/python bench/onsale.py --engine sqlite|postgres --buyers 200 --tickets 50 --workers 2

Every buyer opens the performance page, and once all have it they all ask at the same moment to hold one
ticket. Prints the machine, how fast the hold requests were answered, their latency, what was sold
against the capacity, and how many requests failed (anything but 2xx, 3xx or the 409 "sold out" page).
Exits with 1 when more or fewer tickets were sold than there were, or anything failed.

The server runs on a free loopback port with a database of its own: a SQLite file in a temporary folder,
or the PostgreSQL database named by --postgres-url, dropped and created again, and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness is shared with the tests

from tests.support.postgres import PostgresUnreachable, bench_database
from tests.support.rush import (
    RushResult,
    boxoffice,
    database_version,
    machine_description,
    percentile,
    put_on_sale,
    race,
    running_server,
    seats_left_and_held,
    server_environment,
)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--buyers", type=int, default=200, help="concurrent buyers, one ticket each")
    parser.add_argument("--tickets", type=int, default=50, help="seats the performance has")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/boxoffice_bench",
        help="with --engine postgres: a database to drop, create, use and drop",
    )
    options = parser.parse_args()
    if min(options.buyers, options.tickets, options.workers) < 1:
        parser.error("--buyers, --tickets and --workers must be at least 1")
    return options


def main() -> int:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="boxoffice-bench-") as folder:
        workdir = Path(folder)
        try:
            with bench_database(options.engine, options.postgres_url, workdir) as database_url:
                return rush(options, database_url, workdir)
        except PostgresUnreachable as error:
            print(f"PostgreSQL is unreachable: {error}", file=sys.stderr)
            return 2


def rush(options: argparse.Namespace, database_url: str, workdir: Path) -> int:
    env = server_environment(database_url)
    boxoffice(env, workdir, "demo")
    on_sale = asyncio.run(put_on_sale(database_url, options.tickets))
    print(f"machine: {machine_description(asyncio.run(database_version(database_url)))}")
    print(
        f"rush: {options.buyers} buyers, 1 ticket each, for {options.tickets} tickets;"
        f" {options.engine}, {options.workers} worker(s)",
        flush=True,
    )
    with running_server(env, workdir, options.workers) as server:
        result = asyncio.run(race(server.base_url, on_sale, options.buyers))
        log_tail = server.log_tail()
    available, held = asyncio.run(seats_left_and_held(database_url, on_sale.performance_id))
    return report(result, options, available, held, log_tail)


def report(result: RushResult, options: argparse.Namespace, available: int, held: int, log_tail: str) -> int:
    latencies = result.hold_latencies()
    answered = len(latencies)
    failures = result.failures()
    expected = min(options.tickets, options.buyers)
    if answered:
        print(f"holds per second: {answered / result.seconds:.0f} ({answered} hold requests answered)")
        print(f"rush took: {result.seconds:.2f} s")
        ranks = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
        figures = ", ".join(f"{name} {percentile(latencies, q) * 1000:.0f} ms" for name, q in ranks.items())
        print(f"hold latency: {figures}")
    print(
        f"sold: {result.held} of {options.tickets} (database: {held} held, {available} left);"
        f" told sold out: {result.hold_statuses()[409]}"
    )
    print(f"errors (not 2xx, 3xx or 409): {len(failures)}")
    for attempt in failures[:5]:
        print(f"  page {attempt.page_status}, hold {attempt.hold_status} {attempt.error}")
    if failures:
        print(f"server log, last lines:\n{log_tail}")
    wrong_count = result.held != expected or held != expected or available != options.tickets - expected
    if wrong_count:
        print(f"WRONG: {expected} tickets should have been sold")
    return 1 if failures or wrong_count else 0


if __name__ == "__main__":
    sys.exit(main())
