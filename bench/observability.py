"""What observability costs each request: the request id, the count and the time that
`boxoffice.web.observability.RequestObserver` adds around every answer, measured alone.

    .venv/bin/python bench/observability.py --requests 200000
    .venv/bin/python bench/observability.py --requests 200000 --multiprocess

The same do-nothing ASGI app (it answers 200 with a few bytes, as a route would) is called directly,
with no server or network around it, with and without the observer; the difference is what a request pays.
--multiprocess keeps the metrics in the memory-mapped files of prometheus-client's multiprocess mode, as
`boxoffice serve` does. Each way is timed --rounds times and the fastest round counts, since on a shared
machine only interruptions make a round slower. bench/storefront.py measures whole pages (about 1 ms of CPU
each), which this is a small part of: its figures on a busy machine vary by more than this costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROUTE = "/events/{slug}"


async def page(scope: dict, receive, send) -> None:
    """A route's answer without the route: the router's template, a start and a body."""
    scope["path_template"] = ROUTE
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": b"<p>ok</p>"})


async def receive() -> dict:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: dict) -> None:
    return None


async def seconds_per_request(app, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await app({"type": "http", "method": "GET", "path": "/events/some-show"}, receive, send)
    return (time.perf_counter() - started) / requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--multiprocess", action="store_true", help="metrics in shared files, as in serve")
    options = parser.parse_args()
    if options.multiprocess:  # read by prometheus-client when it is imported
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="boxoffice-bench-metrics-")
    from boxoffice.web.observability import RequestObserver

    observed = RequestObserver(page)
    bare, watched = [], []
    for _ in range(options.rounds):
        bare.append(asyncio.run(seconds_per_request(page, options.requests)))
        watched.append(asyncio.run(seconds_per_request(observed, options.requests)))
    cost = min(watched) - min(bare)
    machine = f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs"
    print(f"machine: {machine}, Python {platform.python_version()}")
    print(
        f"{options.requests} requests x {options.rounds} rounds, metrics"
        f" {'in shared files (multiprocess mode)' if options.multiprocess else 'in this process'}:"
        f" bare app {min(bare) * 1e6:.1f} µs, observed {min(watched) * 1e6:.1f} µs a request,"
        f" so observability costs {cost * 1e6:.1f} µs a request"
        f" ({cost / 1e-3:.1%} of 1 ms, a storefront page's CPU)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
