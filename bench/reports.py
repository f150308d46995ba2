"""Reports and the dashboard at a busy venue's size, on either engine: each page's time, beside its target.

    .venv/bin/python bench/reports.py --engine sqlite [--scale 0.1]
    .venv/bin/python bench/reports.py --engine postgres [--postgres-url postgresql://postgres@127.0.0.1/boxoffice_scale]

Seeds the scale data set exactly as bench/scale.py does (1,000,000 tickets in 400,000 orders at
`--scale 1`; a tenth with `--scale 0.1`), starts `boxoffice serve`, signs in with every right and times
the dashboard, each report over its default range (the last 30 days), the sales report by every
grouping over the last year, each other report over the last year, and the sales report's CSV and XLSX
over the last year. Each figure is the p50 and p95 of `--times` requests, after one warm-up request.
`--keep` and `--reuse` keep and measure again a seeded database, as for bench/scale.py (after migrating
it, so a new summary table is built and filled as at a venue).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness is shared with the tests
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import STAFF_EMAIL, STAFF_PASSWORD, csrf_post, row, scale_database, seed, timed

from boxoffice.reports.sales import GROUPING_KEYS
from tests.support.postgres import PostgresUnreachable
from tests.support.rush import database_version, machine_description, running_server, server_environment

REPORTS = ("sales", "capacity", "attendance", "audience", "email")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/boxoffice_scale")
    parser.add_argument("--scale", type=float, default=1.0, help="a fraction of the full data set")
    parser.add_argument("--times", type=int, default=5, help="requests per figure")
    parser.add_argument("--keep", action="store_true", help="leave the seeded database behind for --reuse")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a kept database, seeding it only if not"
    )
    parser.add_argument(
        "--sqlite-file",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "var" / "scale.sqlite3",
        help="with --keep/--reuse",
    )
    options = parser.parse_args()
    options.seeded = False  # set by scale_database
    return options


async def measure(base_url: str, times: int) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as client:
        signed_in = await csrf_post(
            client,
            "/backoffice/login",
            "/backoffice/login",
            {"email": STAFF_EMAIL, "password": STAFF_PASSWORD},
        )
        if signed_in.headers.get("location") != "/backoffice/":
            raise RuntimeError(f"could not sign in: {signed_in.status_code}")
        today = datetime.now(UTC).date()
        year = f"start={(today - timedelta(days=364)).isoformat()}&end={today.isoformat()}"

        async def figure(name: str, path: str) -> None:
            await client.get(path)  # warm-up: the worker's pool and the database's cache
            row(name, await timed(times, lambda: client.get(path)), "<= 1 s")

        await figure("dashboard", "/backoffice/")
        for report in REPORTS:
            await figure(f"{report}, last 30 days", f"/reports/{report}")
        for grouping in GROUPING_KEYS:
            await figure(f"sales by {grouping}, last year", f"/reports/sales?{year}&by={grouping}")
        for report in REPORTS[1:]:
            await figure(f"{report}, last year", f"/reports/{report}?{year}")
        for file_format in ("csv", "xlsx"):
            await figure(
                f"sales by performance, last year, {file_format.upper()}",
                f"/reports/sales/download?file_format={file_format}&by=performance&{year}",
            )


def main() -> int:
    options = arguments()
    options.workers = 1
    with tempfile.TemporaryDirectory(prefix="boxoffice-reports-") as folder:
        workdir = Path(folder)
        try:
            with scale_database(options, workdir) as database_url:
                env = {
                    **server_environment(database_url),
                    "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
                }
                print(f"machine: {machine_description(asyncio.run(database_version(database_url)))}")
                print(f"scale: {options.scale}", flush=True)
                seed(options, env, workdir, database_url)
                with running_server(env, workdir, options.workers) as server:
                    asyncio.run(measure(server.base_url, options.times))
        except PostgresUnreachable as error:
            print(f"PostgreSQL is unreachable: {error}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
