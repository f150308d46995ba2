"""Storefront throughput: requests per second and latency of an event page under concurrent load.

    .venv/bin/python bench/storefront.py --workers 2 --connections 64 --seconds 10

Starts `boxoffice serve --workers W` on a free loopback port with the demo data in a fresh SQLite file,
checks that /events/the-tempest shows the event, warms the server up, then loads that page from
--connections keep-alive connections for --seconds seconds. The load comes from wrk when it is installed
(`apt-get install wrk`), else from a built-in asyncio httpx generator, which is far slower than wrk: on
a small machine it, more than the server, may set the figures. The output says which one was used.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness is shared with the tests

from tests.support.rush import (
    SHARED_TLS_CONTEXT,
    boxoffice,
    database_version,
    machine_description,
    percentile,
    running_server,
    server_environment,
    sqlite_database_url,
)

PAGE = "/events/the-tempest"
REQUEST_TIMEOUT_SECONDS = 5
HTTPX_TOOL = "the built-in httpx generator"
WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


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
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--connections", type=int, default=64, help="concurrent keep-alive connections")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to measure (at most 600)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (the rest of the CPUs serve)")
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    options = parser.parse_args()
    if not (1 <= options.seconds <= 600 and 0 <= options.warmup <= 60):
        parser.error("--seconds must be from 1 to 600 and --warmup from 0 to 60")
    if min(options.workers, options.connections, options.threads) < 1:
        parser.error("--workers, --connections and --threads must be at least 1")
    if options.tool == "auto":
        options.tool = "wrk" if shutil.which("wrk") else "httpx"
    elif options.tool == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")
    return options


def main() -> int:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="boxoffice-bench-") as folder:
        workdir = Path(folder)
        database_url = sqlite_database_url(workdir / "boxoffice.sqlite3")
        env = server_environment(database_url)
        boxoffice(env, workdir, "demo")
        print(f"machine: {machine_description(asyncio.run(database_version(database_url)))}", flush=True)
        with running_server(env, workdir, options.workers) as server:
            url = server.base_url + PAGE
            page = httpx.get(url, timeout=REQUEST_TIMEOUT_SECONDS)
            if page.status_code != 200 or "The Tempest" not in page.text:
                print(f"{PAGE} answered {page.status_code} without the event:\n{server.log_tail()}")
                return 1
            if options.warmup:
                measure(options, url, options.warmup)
            load = measure(options, url, options.seconds)
    print(
        f"storefront: GET {PAGE}, {options.workers} worker(s), {options.connections} connections,"
        f" {load.seconds:.1f} s measured after {options.warmup:g} s of warm-up, load from {load.tool}"
    )
    print(f"requests per second: {load.per_second:.0f} ({load.requests} requests)")
    print(f"latency: p50 {load.p50 * 1000:.1f} ms, p99 {load.p99 * 1000:.1f} ms")
    print(f"errors: {load.errors}")
    return 1 if load.errors else 0


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
