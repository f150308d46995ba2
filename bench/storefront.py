"""Storefront throughput: requests per second and latency of what's on and an event page under load.

    .venv/bin/python bench/storefront.py --engine sqlite --events 1000 --performances 10 --ticket-types 3
    .venv/bin/python bench/storefront.py --engine postgres --events 1000 --performances 10 --ticket-types 3

Starts `boxoffice serve --workers W` on a free loopback port with the demo data, in a fresh SQLite file or
a PostgreSQL database of its own (dropped, created, and dropped at the end), adds a catalogue of
--events events of --performances performances with --ticket-types ticket types each (bulk inserts,
spread over the year to come, at --venues venues), then, for each page (the home page, one event's page
and any --page), checks that it shows what it should, loads it for --warmup seconds and measures it for
--seconds seconds from --connections keep-alive connections. The public page cache is off unless
--cache-seconds says otherwise, so every request is rendered. The load comes from wrk when it is
installed (`apt-get install wrk`), else from a built-in asyncio httpx generator, which is far slower than
wrk: on a small machine it, more than the server, may set the figures. The output says which one was used.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness is shared with the tests

from tests.support.postgres import PostgresUnreachable, bench_database
from tests.support.rush import (
    SHARED_TLS_CONTEXT,
    boxoffice,
    database_version,
    machine_description,
    percentile,
    running_server,
    server_environment,
)

REQUEST_TIMEOUT_SECONDS = 5
HTTPX_TOOL = "the built-in httpx generator"
WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}
SEEDED_EVENT = "bench-event-{:05d}"
TICKET_TYPES = [("Adult", 2400), ("Concession", 1800), ("Under 26", 1000), ("Member", 2000), ("Child", 800)]


@dataclass(frozen=True, slots=True)
class Load:
    tool: str
    requests: int
    seconds: float
    p50: float  # seconds
    p99: float
    errors: int  # statuses other than 2xx and 3xx, failed connections, timeouts

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/boxoffice_bench_storefront",
        help="with --engine postgres: a database to drop, create, use and drop",
    )
    parser.add_argument("--events", type=int, default=1000, help="events to add to the demo data")
    parser.add_argument("--performances", type=int, default=10, help="performances of each added event")
    parser.add_argument(
        "--ticket-types", type=int, default=3, help=f"ticket types of each (1 to {len(TICKET_TYPES)})"
    )
    parser.add_argument("--venues", type=int, default=2, help="venues the added events are shared among")
    parser.add_argument("--page", action="append", default=[], help="another address to measure (repeatable)")
    parser.add_argument("--cache-seconds", type=float, default=0, help="BOXOFFICE_CATALOG_CACHE_SECONDS")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="how long to measure each page (at most 600)"
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (the rest of the CPUs serve)")
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    options = parser.parse_args()
    if not (1 <= options.seconds <= 600 and 0 <= options.warmup <= 60):
        parser.error("--seconds must be from 1 to 600 and --warmup from 0 to 60")
    if min(options.workers, options.connections, options.threads, options.venues) < 1:
        parser.error("--workers, --connections, --threads and --venues must be at least 1")
    if not (0 <= options.events <= 100_000 and 1 <= options.performances <= 1000):
        parser.error("--events must be from 0 to 100000 and --performances from 1 to 1000")
    if not 1 <= options.ticket_types <= len(TICKET_TYPES):
        parser.error(f"--ticket-types must be from 1 to {len(TICKET_TYPES)}")
    if options.tool == "auto":
        options.tool = "wrk" if shutil.which("wrk") else "httpx"
    elif options.tool == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")
    return options


def main() -> int:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="boxoffice-bench-") as folder:
        workdir = Path(folder)
        try:
            with bench_database(options.engine, options.postgres_url, workdir) as database_url:
                return bench(options, database_url, workdir)
        except PostgresUnreachable as error:
            print(f"PostgreSQL is unreachable: {error}", file=sys.stderr)
            return 2


def bench(options: argparse.Namespace, database_url: str, workdir: Path) -> int:
    env = {
        **server_environment(database_url),
        "BOXOFFICE_CATALOG_CACHE_SECONDS": f"{options.cache_seconds:g}",
    }
    boxoffice(env, workdir, "demo")
    print(f"machine: {machine_description(asyncio.run(database_version(database_url)))}", flush=True)
    began = time.perf_counter()
    catalogue = Catalogue.planned(options)
    asyncio.run(catalogue.insert(database_url))
    print(
        f"catalogue: added {options.events} events x {options.performances} performances"
        f" x {options.ticket_types} ticket types at {options.venues} venue(s)"
        f" in {time.perf_counter() - began:.1f} s (plus the demo's 4 events)",
        flush=True,
    )
    event = SEEDED_EVENT.format(options.events // 2) if options.events else "the-tempest"
    pages = [("/", "What’s on"), (f"/events/{event}", "<h1>"), *((page, "") for page in options.page)]
    results = []
    with running_server(env, workdir, options.workers) as server:
        for page, expected in pages:
            url = server.base_url + page
            answer = httpx.get(url, timeout=REQUEST_TIMEOUT_SECONDS)
            if answer.status_code != 200 or expected not in answer.text:
                print(f"{page} answered {answer.status_code} without {expected!r}:\n{server.log_tail()}")
                return 1
            if options.warmup:
                measure(options, url, options.warmup)
            servers = serving_processes(server.base_url, database_url)
            cpu_before = cpu_seconds(servers)
            load = measure(options, url, options.seconds)
            cpu = cpu_seconds(servers) - cpu_before
            results.append((page, load, cpu))
    tool = results[0][1].tool
    print(
        f"storefront on {options.engine}, {options.workers} worker(s), {options.connections} connections,"
        f" page cache {'off' if not options.cache_seconds else f'{options.cache_seconds:g} s'},"
        f" {options.seconds:g} s measured per page after {options.warmup:g} s of warm-up, load from {tool}"
    )
    for page, load, cpu in results:
        print(
            f"GET {page}: {load.per_second:.0f} requests per second ({load.requests} requests),"
            f" p50 {load.p50 * 1000:.1f} ms, p99 {load.p99 * 1000:.1f} ms, errors {load.errors}"
        )
        if load.requests:
            per_request = cpu / load.requests
            print(
                f"  CPU per request: {per_request * 1000:.2f} ms in the server's processes"
                f" (Boxoffice{' and PostgreSQL' if options.engine == 'postgres' else ''}),"
                f" so {os.cpu_count()} CPUs of its own would serve about {os.cpu_count() / per_request:.0f}"
                " requests per second with nothing else running"
            )
    return 1 if any(load.errors for _, load, _ in results) else 0


def serving_processes(base_url: str, database_url: str) -> list[int]:
    """The server's processes: `boxoffice serve` on the port of `base_url` and its workers, and the
    PostgreSQL backends connected to the benchmark's database. Other work on the machine (a test run, a
    build) slows the figures above but not these processes' own CPU time, which is why it is measured."""
    port = base_url.rsplit(":", 1)[1]
    parents = {}
    supervisor = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"serve" in command and port.encode() in command:
            supervisor = int(entry.name)
    found = [supervisor] if supervisor else []
    found += [pid for pid, parent in parents.items() if supervisor and parent == supervisor]
    if database_url.startswith("postgresql://"):
        name = database_url.rsplit("/", 1)[1]
        backends = asyncio.run(postgres_backends(database_url, name))
        found += [pid for pid in backends if pid in parents]
    return found


async def postgres_backends(database_url: str, name: str) -> list[int]:
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name
        )
        return [row["pid"] for row in rows]
    finally:
        await connection.close()


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The rows to add, with their ids chosen here so that one bulk insert per table can link them."""

    venues: list[tuple]
    events: list[tuple]
    performances: list[tuple]
    ticket_types: list[tuple]

    @classmethod
    def planned(cls, options: argparse.Namespace, first_id: int = 1_000_000) -> Catalogue:
        """Events spread evenly over the year to come, each playing every third day at 19:30 UTC."""
        today = datetime.now(UTC).replace(hour=19, minute=30, second=0, microsecond=0)
        venues = [
            (first_id + n, f"Bench Hall {n + 1}", f"bench-hall-{n + 1}", "", "en_GB", "Europe/London", "GBP")
            for n in range(options.venues)
        ]
        events, performances, ticket_types = [], [], []
        for n in range(options.events):
            event_id = first_id + n
            venue_id = venues[n % len(venues)][0]
            events.append(
                (
                    event_id,
                    venue_id,
                    SEEDED_EVENT.format(n),
                    f"Bench Event {n:05d}",
                    "A benchmark.",
                    "on_sale",
                )
            )
            opening = today + timedelta(days=1 + n * 365 // max(options.events, 1))
            for k in range(options.performances):
                performance_id = first_id + n * options.performances + k
                performances.append((performance_id, event_id, opening + timedelta(days=3 * k), 200, 200))
                for position, (name, price) in enumerate(TICKET_TYPES[: options.ticket_types]):
                    type_id = first_id + (n * options.performances + k) * options.ticket_types + position
                    ticket_types.append((type_id, performance_id, name, price, "GBP", position))
        return cls(venues, events, performances, ticket_types)

    async def insert(self, database_url: str) -> None:
        if database_url.startswith("sqlite:///"):
            await asyncio.to_thread(self.insert_sqlite, Path(database_url.removeprefix("sqlite:///")))
        else:
            await self.insert_postgres(database_url)

    def rows(self) -> list[tuple[str, tuple[str, ...], list[tuple]]]:
        return [
            ("venue", ("id", "name", "slug", "address", "locale", "timezone", "currency"), self.venues),
            ("event", ("id", "venue", "slug", "title", "description", "status"), self.events),
            ("performance", ("id", "event", "starts_at", "capacity", "available"), self.performances),
            (
                "ticket_type",
                ("id", "performance", "name", "price", "currency", "position"),
                self.ticket_types,
            ),
        ]

    def insert_sqlite(self, path: Path) -> None:
        connection = sqlite3.connect(path)
        try:
            with connection:
                for table, columns, rows in self.rows():
                    marks = ", ".join("?" for _ in columns)
                    connection.executemany(
                        f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})',
                        [
                            tuple(str(value) if isinstance(value, datetime) else value for value in row)
                            for row in rows
                        ],
                    )
            # No ANALYZE: a SQLite database in use has none either, and the plans must hold without it.
        finally:
            connection.close()

    async def insert_postgres(self, database_url: str) -> None:
        connection = await asyncpg.connect(database_url, timeout=10)
        try:
            async with connection.transaction():
                for table, columns, rows in self.rows():
                    await connection.copy_records_to_table(table, records=rows, columns=columns)
                    highest = f'(SELECT MAX(id) FROM "{table}")'
                    await connection.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {highest})"
                    )
            await connection.execute("VACUUM ANALYZE")  # as autovacuum would soon after such an insert
        finally:
            await connection.close()


def measure(options: argparse.Namespace, url: str, seconds: float) -> Load:
    if options.tool == "wrk":
        return wrk(url, options.connections, options.threads, seconds)
    return asyncio.run(httpx_load(url, options.connections, seconds))


def wrk(url: str, connections: int, threads: int, seconds: float) -> Load:
    command = [
        "wrk",
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={REQUEST_TIMEOUT_SECONDS}s",
        "--latency",
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> Load:
    """The figures of `wrk --latency`'s report."""
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx_3xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(
        tool="wrk",
        requests=int(total[1]),
        seconds=float(total[2]) * WRK_UNITS[total[3]],
        p50=wrk_latency(output, "50%"),
        p99=wrk_latency(output, "99%"),
        errors=sum(map(int, socket_errors.groups() if socket_errors else ()))
        + (int(non_2xx_3xx[1]) if non_2xx_3xx else 0),
    )


def wrk_latency(output: str, rank: str) -> float:
    value, unit = re.search(rf"^\s*{rank}\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE).group(1, 2)
    return float(value) * WRK_UNITS[unit]


async def httpx_load(url: str, connections: int, seconds: float) -> Load:
    """`connections` clients in one event loop, each on one keep-alive connection of its own as with wrk
    (sharing one httpx pool of that many connections made the figures less than half as good), each
    sending its next request as soon as it has the answer to the last."""
    latencies: list[float] = []
    errors = 0
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def client_loop(deadline: float) -> None:
        nonlocal errors
        async with httpx.AsyncClient(
            limits=one_connection, timeout=REQUEST_TIMEOUT_SECONDS, verify=SHARED_TLS_CONTEXT
        ) as client:
            while (started := time.perf_counter()) < deadline:
                try:
                    response = await client.get(url)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                errors += response.status_code >= 400

    began = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(connections):
            group.create_task(client_loop(began + seconds))
    elapsed = time.perf_counter() - began
    if not latencies:
        return Load(HTTPX_TOOL, 0, elapsed, 0.0, 0.0, errors)
    return Load(
        HTTPX_TOOL, len(latencies), elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99), errors
    )


if __name__ == "__main__":
    sys.exit(main())
