"""A real Boxoffice server, and buyers racing for its seats: shared by tests/concurrency and bench/.

The server is a separate `boxoffice serve` process on a free loopback port with a database of its own,
so that several worker processes really do compete for the same seats, as they do in production. The
tests assert on what a rush leaves behind; the benchmarks time it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import re
import secrets
import signal
import sqlite3
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from cryptography.fernet import Fernet

from tests.support.server import free_port, wait_until_healthy

SOLD_OUT_MESSAGE = "not enough tickets left"
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
REQUEST_TIMEOUT = 60.0
RACE_TIMEOUT = 300.0
# The clients here speak plain HTTP on loopback, but each new httpx client would otherwise load the CA
# bundle into a TLS context of its own, about 30 ms apiece: six seconds of set-up for 200 buyers.
SHARED_TLS_CONTEXT = ssl.create_default_context()


def sqlite_database_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def with_database_name(url: str, name: str) -> str:
    """The same PostgreSQL server, another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def fetch(database_url: str, sql: str, *args: object) -> list[tuple]:
    """The rows of one statement, on either engine, outside the server.

    The SQL uses PostgreSQL's `$1` placeholders; SQLite reads `?1` as the same numbered placeholder.
    """
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return await asyncio.to_thread(fetch_sqlite, path, sql.replace("$", "?"), args)
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        return [tuple(row) for row in await connection.fetch(sql, *args)]
    finally:
        await connection.close()


def fetch_sqlite(path: Path, sql: str, args: tuple[object, ...]) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as connection, connection:
        return connection.execute(sql, args).fetchall()


@dataclass(frozen=True, slots=True)
class OnSale:
    """The performance a rush is for, and the one ticket type it sells."""

    performance_id: int
    ticket_type_id: int


async def put_on_sale(database_url: str, seats: int) -> OnSale:
    """Cut the first demo performance of The Tempest down to `seats` seats and its first ticket type, so
    that a rush for it has one right answer. Run `boxoffice demo` on the database first."""
    [(performance_id,)] = await fetch(
        database_url,
        "SELECT p.id FROM performance p JOIN event e ON e.id = p.event"
        " WHERE e.slug = 'the-tempest' ORDER BY p.starts_at LIMIT 1",
    )
    [(ticket_type_id,)] = await fetch(
        database_url,
        "SELECT id FROM ticket_type WHERE performance = $1 ORDER BY position, id LIMIT 1",
        performance_id,
    )
    await fetch(
        database_url,
        "DELETE FROM ticket_type WHERE performance = $1 AND id <> $2",
        performance_id,
        ticket_type_id,
    )
    await fetch(
        database_url,
        "UPDATE performance SET capacity = $1, available = $1 WHERE id = $2",
        seats,
        performance_id,
    )
    return OnSale(performance_id, ticket_type_id)


async def seats_left_and_held(database_url: str, performance_id: int) -> tuple[int, int]:
    """(performance.available, the sum of the quantities held) as the database has them."""
    [(available,)] = await fetch(
        database_url, "SELECT available FROM performance WHERE id = $1", performance_id
    )
    [(held,)] = await fetch(
        database_url, "SELECT COALESCE(SUM(quantity), 0) FROM hold WHERE performance = $1", performance_id
    )
    return available, held


def server_environment(database_url: str) -> dict[str, str]:
    """Our environment without any BOXOFFICE_ setting, so that a developer's own configuration (Stripe,
    SMTP, pool size) cannot change what is tested or measured; then the database, and fresh secrets,
    which PostgreSQL requires."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("BOXOFFICE_")}
    return {
        **inherited,
        "BOXOFFICE_DATABASE_URL": database_url,
        "BOXOFFICE_SECRET_KEY": secrets.token_urlsafe(48),
        "BOXOFFICE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }


def boxoffice(env: dict[str, str], workdir: Path, *arguments: str) -> str:
    """Run a `boxoffice` command and return what it printed.

    It runs in `workdir` because, on PostgreSQL, `boxoffice demo` writes the demo admin's password to
    ./var, which would otherwise overwrite the one of the developer's own demo database."""
    result = subprocess.run(
        [sys.executable, "-m", "boxoffice.cli", *arguments],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"boxoffice {' '.join(arguments)} failed:\n{result.stderr}")
    return result.stdout


@dataclass(frozen=True, slots=True)
class Server:
    base_url: str
    log: Path
    pid: int = 0  # the supervisor's (uvicorn's), which a test may signal

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server's output, to show with a failure."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def running_server(
    env: dict[str, str], workdir: Path, workers: int, arguments: tuple[str, ...] = ()
) -> Iterator[Server]:
    """`boxoffice serve --workers N` (and any other `arguments`) on a free loopback port, stopped however
    the block ends. Its output goes to `workdir/server.log`."""
    port = free_port()
    log_path = workdir / "server.log"
    command = [sys.executable, "-m", "boxoffice.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*command, "--workers", str(workers), *arguments],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = Server(f"http://127.0.0.1:{port}", log_path, process.pid)
        try:
            wait_until_healthy(server.base_url, process)
            yield server
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM lets uvicorn's supervisor stop its workers gracefully; if that takes longer than 20 s,
    the whole process group (the supervisor and its workers) is killed."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One buyer's go: the performance page, then, with the form's CSRF token, the hold."""

    page_status: int | None = None  # None: no answer
    hold_status: int | None = None  # None: not sent (no form), or no answer
    hold_location: str = ""
    told_sold_out: bool = False
    hold_started: float = 0.0  # time.perf_counter() readings
    hold_finished: float = 0.0
    error: str = ""  # why there was no answer

    @property
    def hold_seconds(self) -> float:
        return self.hold_finished - self.hold_started

    @property
    def answered(self) -> bool:
        return self.hold_status is not None


@dataclass(frozen=True, slots=True)
class RushResult:
    attempts: list[Attempt]

    def page_statuses(self) -> Counter[int | None]:
        return Counter(attempt.page_status for attempt in self.attempts)

    def hold_statuses(self) -> Counter[int | None]:
        return Counter(attempt.hold_status for attempt in self.attempts)

    @property
    def held(self) -> int:
        return self.hold_statuses()[303]

    @property
    def seconds(self) -> float:
        """From the first hold sent to the last one answered."""
        answered = [attempt for attempt in self.attempts if attempt.answered]
        if not answered:
            return 0.0
        return max(a.hold_finished for a in answered) - min(a.hold_started for a in answered)

    def hold_latencies(self) -> list[float]:
        return [attempt.hold_seconds for attempt in self.attempts if attempt.answered]

    def failures(self) -> list[Attempt]:
        """Buyers who got neither their tickets nor a sold-out page: no answer, or any status but a 200
        page followed by a 303 or a 409."""
        return [
            attempt
            for attempt in self.attempts
            if attempt.page_status != 200 or attempt.hold_status not in (303, 409)
        ]


@dataclass(frozen=True, slots=True)
class Ask:
    """What one buyer asks for: the page with the form, the form's address and fields, and the words of
    the page that tells them the seats are gone."""

    page_path: str
    hold_path: str
    fields: dict[str, str | list[str]]
    gone_message: str = SOLD_OUT_MESSAGE


async def race(base_url: str | list[str], on_sale: OnSale, buyers: int) -> RushResult:
    """`buyers` clients, each with its own cookies and connection like a browser, open the performance
    page; once every one of them has it, all ask at the same moment to hold one ticket."""
    page_path = f"/performances/{on_sale.performance_id}"
    ask = Ask(page_path, f"{page_path}/hold", {f"quantity_{on_sale.ticket_type_id}": "1"})
    return await race_for(base_url, [ask] * buyers)


async def race_for(base_url: str | list[str], asks: list[Ask]) -> RushResult:
    """One client a buyer, as in `race`, each asking for what its `Ask` says, all at the same moment.

    Given several servers' addresses, the buyers are spread over them as a load balancer without sticky
    sessions would: each buyer opens the page on one server and asks to hold on the next."""
    servers = [base_url] if isinstance(base_url, str) else base_url
    everyone_has_the_form = asyncio.Barrier(len(asks))
    async with asyncio.timeout(RACE_TIMEOUT), asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(
                buy(servers[n % len(servers)], servers[(n + 1) % len(servers)], ask, everyone_has_the_form)
            )
            for n, ask in enumerate(asks)
        ]
    return RushResult([task.result() for task in tasks])


async def buy(page_server: str, hold_server: str, ask: Ask, start: asyncio.Barrier) -> Attempt:
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(
        base_url=page_server, limits=one_connection, timeout=REQUEST_TIMEOUT, verify=SHARED_TLS_CONTEXT
    ) as client:
        try:
            page = await client.get(ask.page_path)
        except httpx.HTTPError as error:
            await start.wait()
            return Attempt(error=f"performance page: {error!r}")
        token = CSRF_FIELD.search(page.text)
        await start.wait()
        if page.status_code != 200 or token is None:
            return Attempt(page.status_code, error="no form on the performance page")
        form = {"_csrf_token": token[1], **ask.fields}
        started = time.perf_counter()
        try:
            hold = await client.post(f"{hold_server}{ask.hold_path}", data=form)
        except httpx.HTTPError as error:
            return Attempt(page.status_code, error=f"hold: {error!r}")
        return Attempt(
            page_status=page.status_code,
            hold_status=hold.status_code,
            hold_location=hold.headers.get("location", ""),
            told_sold_out=ask.gone_message in hold.text,
            hold_started=started,
            hold_finished=time.perf_counter(),
        )


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least `fraction` of all the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def machine_description(database: str) -> str:
    """What the figures were measured on, which they mean little without; `database` as from
    `database_version()`."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        names = re.findall(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        model = names[0] if names else model
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({model}), "
        f"Python {platform.python_version()}, {database}"
    )


async def database_version(database_url: str) -> str:
    if database_url.startswith("sqlite:///"):
        return f"SQLite {sqlite3.sqlite_version}"
    [(version,)] = await fetch(database_url, "SHOW server_version")
    return f"PostgreSQL {version}"
