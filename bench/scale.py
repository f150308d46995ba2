"""Scale: a busy venue's ten years of data, and the figures that matter at that size, on either engine.

    .venv/bin/python bench/scale.py --engine sqlite
    .venv/bin/python bench/scale.py --engine postgres [--postgres-url postgresql://postgres@127.0.0.1/boxoffice_scale]

Migrates a fresh database and seeds it in bulk (bench/scale_data.py): 1,000 events x 10 performances x 3
ticket types, 200,000 contacts, 1,000,000 tickets in 400,000 orders, 2,000,000 consent events, 20,000
notes, 100 campaigns with 1,000,000 recipients and their outbox rows. Then starts `boxoffice serve
--workers W` with the public page cache off and prints each figure with p50 and p95, beside its target.
Storefront load comes from wrk when it is installed (`apt-get install wrk`), else from the built-in httpx
generator (see bench/storefront.py). `--scale 0.1` seeds a tenth, to try it out quickly.

`--keep` leaves the seeded database behind (SQLite: `--sqlite-file`) and `--reuse` measures it again
without seeding, after migrating it (so a new index is built as it would be on a venue's database).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness is shared with the tests
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_data import LARGE_ORDER, REGULAR_ORDERS, Size, code, load_postgres, load_sqlite, venue_data
from storefront import Load, measure

from boxoffice.auth.permissions import GRANTABLE, Perm, serialise
from boxoffice.sales.bookings import booking_path
from tests.support.postgres import (
    PostgresUnreachable,
    bench_database,
    maintenance_connection,
    recreate_database,
    split_database_url,
)
from tests.support.rush import (
    boxoffice,
    database_version,
    fetch,
    machine_description,
    percentile,
    running_server,
    server_environment,
)

STAFF_EMAIL = "bench@example.org"
STAFF_PASSWORD = "violet rocket harbour lantern"  # noqa: S105 - a throwaway account in a throwaway database
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
SEARCHES = ("smith", "person123", "lovelace", "0161 496 01", "ada turing", "example.org", "hopper4", "m1")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/boxoffice_scale")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0, help="storefront load, per page")
    parser.add_argument("--scale", type=float, default=1.0, help="a fraction of the full data set")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
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
    if options.tool == "auto":
        options.tool = (
            "wrk"
            if any(
                os.access(Path(folder) / "wrk", os.X_OK) for folder in os.environ.get("PATH", "").split(":")
            )
            else "httpx"
        )
    return options


def row(figure: str, timings: list[float] | float, target: str) -> None:
    """One figure: p50 and p95 of `timings` (seconds), or a single measurement."""
    if isinstance(timings, list):
        text = (
            f"p50 {percentile(timings, 0.5) * 1000:8.1f} ms  p95 {percentile(timings, 0.95) * 1000:8.1f} ms"
        )
    else:
        text = f"{timings * 1000:17.1f} ms once"
    print(f"{figure:<44} {text}   target {target}", flush=True)


async def timed(times: int, request: Callable[[], Awaitable[httpx.Response]]) -> list[float]:
    timings = []
    for _ in range(times):
        started = time.perf_counter()
        response = await request()
        timings.append(time.perf_counter() - started)
        if response.status_code >= 400:
            raise RuntimeError(f"{response.request.url} answered {response.status_code}")
    return timings


async def csrf_post(client: httpx.AsyncClient, form_page: str, path: str, data: dict) -> httpx.Response:
    token = CSRF_FIELD.search((await client.get(form_page)).text)[1]
    return await client.post(path, data={**data, "_csrf_token": token})


def worker_rss_mib(server_pid_hint: str) -> list[float]:
    """Resident memory of the `boxoffice serve` worker processes, from /proc."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = (entry / "status").read_text()
        except OSError:
            continue
        if "spawn_main" in command and server_pid_hint in (entry / "environ").read_bytes().decode(
            errors="replace"
        ):
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status)[1]) / 1024)
    return sizes


def storefront(options: argparse.Namespace, base_url: str) -> None:
    on_sale = Size().scaled(options.scale).events * 95 // 100  # one of the shows still to come
    for name, path in (("home page", "/"), ("event page", f"/events/show-{on_sale}")):
        measure(options, base_url + path, 2.0)  # warm-up
        load: Load = measure(options, base_url + path, options.seconds)
        print(
            f"{name + ', uncached, ' + str(options.connections) + ' connections':<44} "
            f"{load.per_second:8.0f} req/s  p50 {load.p50 * 1000:.1f} ms  p99 {load.p99 * 1000:.1f} ms"
            f"  errors {load.errors}   target >= 1,000 req/s, p99 <= 50 ms ({load.tool})",
            flush=True,
        )


async def back_office(base_url: str, env: dict[str, str], database_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        signed_in = await csrf_post(
            client,
            "/backoffice/login",
            "/backoffice/login",
            {"email": STAFF_EMAIL, "password": STAFF_PASSWORD},
        )
        if signed_in.headers.get("location") != "/backoffice/":
            raise RuntimeError(f"could not sign in: {signed_in.status_code}")
        [(erased,)] = await fetch(database_url, "SELECT erased_at IS NOT NULL FROM contact WHERE id = 1")
        searches = [f"/crm/contacts?q={term}" for term in SEARCHES] * 5
        row("CRM search", await timed_each(client, searches), "p95 <= 30 ms")
        if erased:  # by an earlier run of a --reuse'd database
            print("contact record with 500 orders, and its erasure: not measured, the contact is erased")
        else:
            row(
                "contact record with 500 orders",
                await timed(10, lambda: client.get("/crm/contacts/1")),
                "<= 50 ms",
            )
        row("duplicates page", await timed(3, lambda: client.get("/crm/duplicates")), "<= 1 s")
        row(
            "campaign audience count",
            await timed(5, lambda: client.get("/marketing/campaigns/audience", params={"event": "1"})),
            "<= 1 s",
        )
        row("consent report", await timed(3, lambda: client.get("/marketing/consent?months=12")), "<= 1 s")
        row("till", await timed(10, lambda: client.get("/backoffice/till")), "<= 100 ms")
        orders = [f"/backoffice/orders?q={term}" for term in ("person77", "smith", "AAAAAB", "")] * 5
        row("orders search", await timed_each(client, orders), "<= 100 ms")
        await pdfs(client, env, database_url)
        started = time.perf_counter()
        async with client.stream("GET", "/crm/export/contacts?file_format=csv") as export:
            size = sum([len(chunk) async for chunk in export.aiter_bytes()])
        row(f"bulk export of contacts ({size / 1e6:.0f} MB CSV)", time.perf_counter() - started, "<= 30 s")
        if erased:
            return
        started = time.perf_counter()
        removed = await csrf_post(
            client, "/crm/contacts/1/remove", "/crm/contacts/1/remove", {"confirm": "yes"}
        )
        if removed.status_code != 303:
            raise RuntimeError(f"removal answered {removed.status_code}")
        row(f"erasure of a contact with {REGULAR_ORDERS} orders", time.perf_counter() - started, "<= 1 s")


async def timed_each(client: httpx.AsyncClient, paths: list[str]) -> list[float]:
    timings = []
    for path in paths:
        timings += await timed(1, lambda path=path: client.get(path))
    return timings


async def pdfs(client: httpx.AsyncClient, env: dict[str, str], database_url: str) -> None:
    """100 orders' tickets as buyers download them, then the 10-ticket order's (the renderers are warm by
    then, as they are on a server that has sold anything)."""
    key = env["BOXOFFICE_SECRET_KEY"].encode()
    references = await fetch(database_url, 'SELECT reference FROM "order" ORDER BY id LIMIT 100 OFFSET 600')
    timings = []
    for (reference,) in references:
        path = booking_path(reference, key) + "/tickets.pdf"
        timings += await timed(1, lambda path=path: client.get(path))
    row("PDF download, 1 to 4 tickets", timings, "")
    rss = worker_rss_mib(env["BOXOFFICE_SECRET_KEY"])
    print(
        f"{'web worker RSS after 100 PDF downloads':<44} {', '.join(f'{mib:.0f}' for mib in rss)} MiB"
        "   target <= 100 MB",
        flush=True,
    )
    started = time.perf_counter()
    response = await client.get(booking_path(code(LARGE_ORDER, 8), key) + "/tickets.pdf")
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"tickets.pdf answered {response.status_code}")
    row("10-ticket PDF, a ticket", elapsed / 10, "<= 12 ms a ticket")


def seed(options: argparse.Namespace, env: dict[str, str], workdir: Path, database_url: str) -> None:
    boxoffice(env, workdir, "migrate")
    if options.seeded:
        print("seeded already: measuring it again", flush=True)
        return
    size = Size().scaled(options.scale)
    started = time.perf_counter()
    tables = venue_data(size, datetime.now(UTC))
    if options.engine == "sqlite":
        counts = load_sqlite(database_url.removeprefix("sqlite:///"), tables)
    else:
        counts = asyncio.run(load_postgres(options.postgres_url, tables))
    print(
        f"seeded in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{n:,} {t}" for t, n in counts.items())
    )
    # Everything but managing staff, which would call for a second factor at sign-in.
    permissions = serialise(GRANTABLE - {Perm.CRM, Perm.CRM_USERS_ROLES})
    asyncio.run(
        fetch(
            database_url,
            "INSERT INTO role (name, permissions, requires_totp) VALUES ($1, $2, $3)",
            "Bench",
            permissions,
            False,
        )
    )
    boxoffice(
        env,
        workdir,
        "create-staff",
        "--email",
        STAFF_EMAIL,
        "--name",
        "Bench",
        "--role",
        "Bench",
        "--password",
        STAFF_PASSWORD,
    )


async def seeded(database_url: str) -> bool:
    """Whether a kept database holds a finished seed (its staff account is made last)."""
    found = await fetch(
        database_url,
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'staff_user'"
        if database_url.startswith("sqlite:///")
        else "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'staff_user'",
    )
    if not found[0][0]:
        return False
    return bool(await fetch(database_url, "SELECT 1 FROM staff_user WHERE email = $1", STAFF_EMAIL))


@contextlib.contextmanager
def scale_database(options: argparse.Namespace, workdir: Path) -> Iterator[str]:
    """A fresh database dropped at the end; with --keep, a fresh one left for the next run; with --reuse,
    the one a --keep run left when it holds a finished seed (`options.seeded` says so), else a fresh one."""
    if not (options.keep or options.reuse):
        with bench_database(options.engine, options.postgres_url, workdir) as database_url:
            yield database_url
        return
    if options.engine == "sqlite":
        path = options.sqlite_file.resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{path}"
        options.seeded = options.reuse and path.exists() and asyncio.run(seeded(database_url))
        if not options.seeded:
            for leftover in (path, *path.parent.glob(path.name + "-*")):  # with its -wal and -shm
                leftover.unlink(missing_ok=True)
        yield database_url
        return
    options.seeded = options.reuse and asyncio.run(kept_postgres(options.postgres_url))
    if not options.seeded:
        asyncio.run(recreate_database(options.postgres_url))
    yield options.postgres_url


async def kept_postgres(url: str) -> bool:
    _, name = split_database_url(url)
    connection = await maintenance_connection(url)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    finally:
        await connection.close()
    return bool(exists) and await seeded(url)


def main() -> int:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="boxoffice-scale-") as folder:
        workdir = Path(folder)
        try:
            with scale_database(options, workdir) as database_url:
                run(options, workdir, database_url)
        except PostgresUnreachable as error:
            print(f"PostgreSQL is unreachable: {error}", file=sys.stderr)
            return 2
    return 0


def run(options: argparse.Namespace, workdir: Path, database_url: str) -> None:
    env = {
        **server_environment(database_url),
        "BOXOFFICE_CATALOG_CACHE_SECONDS": "0",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),  # this checkout's code, wherever run from
    }
    print(f"machine: {machine_description(asyncio.run(database_version(database_url)))}", flush=True)
    seed(options, env, workdir, database_url)
    with running_server(env, workdir, options.workers) as server:
        storefront(options, server.base_url)
        asyncio.run(back_office(server.base_url, env, database_url))


if __name__ == "__main__":
    sys.exit(main())
