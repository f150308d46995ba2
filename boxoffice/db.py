"""The database engine that `BOXOFFICE_DATABASE_URL` selects, and the write-transaction helper.

A process has one engine, made from its settings on first use (`current_engine`), so the settings must
be in place before the first query (the CLI and the tests see to that). `boxoffice.piccolo_conf` hands
the same engine to Piccolo's migration tooling.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
from piccolo.columns import Column
from piccolo.columns.combination import Combinable, WhereRaw
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString
from piccolo.table import Table

from boxoffice.config import Settings, get_settings, make_private_folder

SQLITE_BUSY_TIMEOUT_SECONDS = 10.0
LARGEST_ID = 2**31 - 1  # ids are 32-bit serials; a larger one names nothing, and no engine could take it
MINIMUM_SQLITE_VERSION = (3, 35)  # UPDATE ... RETURNING
CHECKPOINT_ATTEMPTS = 3  # each waits up to the busy timeout for readers to move on
CHECKPOINT_RETRY_SECONDS = 0.1


def parse_id(text: str | None) -> int | None:
    """The id a form field names, or None when it names nothing that could exist."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= LARGEST_ID else None


logger = logging.getLogger("boxoffice.db")


class PooledSQLiteTransaction(SQLiteTransaction):
    """A transaction on one of the engine's warm connections, handed back (not closed) at the end."""

    async def get_connection(self) -> aiosqlite.Connection:
        return await self.engine.borrow_connection()

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        healthy = True
        try:
            if exception and not self._rolled_back:
                await self.rollback()
            elif not exception and not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            healthy = False  # the connection may be left inside a transaction: never reuse it
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
            await self.engine.return_connection(self.connection, healthy=healthy)
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    """SQLite in WAL mode, with a busy timeout and connections that stay open.

    Piccolo's own SQLite engine opens a connection, and through aiosqlite a thread, for every query and
    every transaction. Here both borrow one of a few warm connections. Writers in one process also take
    turns on `writer_lock` (see `write_transaction`), so they queue in the event loop instead of sleeping
    in SQLite's busy handler while another coroutine of the same process holds the write lock.
    """

    def __init__(self, path: Path, pool_size: int) -> None:
        super().__init__(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        self.pool_size = pool_size
        self._idle: list[aiosqlite.Connection] = []
        self._slots: asyncio.Semaphore | None = None
        self._writer_lock: asyncio.Lock | None = None

    @property
    def writer_lock(self) -> asyncio.Lock:
        if self._writer_lock is None:
            self._writer_lock = asyncio.Lock()
        return self._writer_lock

    async def get_connection(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode, and fast
        await connection.execute("PRAGMA foreign_keys = ON")
        # Deleted and overwritten content is zeroed, not left in free space: erasure must leave nothing.
        await connection.execute("PRAGMA secure_delete = ON")
        return connection

    async def borrow_connection(self) -> aiosqlite.Connection:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.pool_size)
        await self._slots.acquire()
        try:
            return self._idle.pop() if self._idle else await self.get_connection()
        except BaseException:
            self._slots.release()
            raise

    async def return_connection(self, connection: aiosqlite.Connection, *, healthy: bool = True) -> None:
        try:
            if healthy:
                self._idle.append(connection)
            else:
                await connection.close()
        finally:
            if self._slots is not None:
                self._slots.release()

    @asynccontextmanager
    async def pooled_connection(self) -> AsyncIterator[aiosqlite.Connection]:
        connection = await self.borrow_connection()
        try:
            yield connection
        finally:
            await self.return_connection(connection)

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> PooledSQLiteTransaction:
        return PooledSQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def close_pool(self) -> None:
        """Close the warm connections; the next query opens new ones (on the then-running event loop)."""
        idle, self._idle, self._slots, self._writer_lock = self._idle, [], None, None
        for connection in idle:
            await connection.close()

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> list[dict[str, Any]]:
        async with self.pooled_connection() as connection:
            return await fetch_all(connection, query, args)

    async def _run_in_existing_connection(
        self,
        connection: aiosqlite.Connection,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> list[dict[str, Any]]:
        return await fetch_all(connection, query, args)


async def fetch_all(connection: aiosqlite.Connection, query: str, args: list[Any] | None) -> list[dict]:
    async with connection.execute(query, args or []) as cursor:
        return await cursor.fetchall()


def engine_for(settings: Settings) -> Engine:
    """The engine for the configured database URL."""
    database = settings.database_url
    if database.engine == "sqlite":
        if sqlite3.sqlite_version_info[:2] < MINIMUM_SQLITE_VERSION:
            raise RuntimeError(f"SQLite {sqlite3.sqlite_version} is too old; 3.35 or newer is needed")
        make_private_sqlite_file(database.sqlite_path)
        return PooledSQLiteEngine(database.sqlite_path, pool_size=settings.database_pool_size)
    return PostgresEngine(config={"dsn": database.url})


def make_private_sqlite_file(path: Path) -> None:
    """Make the database file, or tighten an existing one, readable and writable by its owner only.

    SQLite gives the write-ahead log and shared-memory files it makes later the database file's own
    permissions, so the person data in all three stays private whatever the process's umask.
    """
    make_private_folder(path.parent)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, *sqlite_companions(path)):
        with contextlib.suppress(FileNotFoundError):
            file.chmod(0o600)


def sqlite_companions(path: Path) -> list[Path]:
    """The files SQLite keeps beside a database in WAL mode."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]


@functools.cache
def current_engine() -> Engine:
    """This process's engine. Every table imported by now is bound to it here: left unbound, a table
    looks its engine up through `piccolo_conf`, and importing Piccolo's app registry there brings its
    migration tooling (the black formatter among it, about 9 MiB) into processes that never migrate.
    A table imported later still finds the same engine that way."""
    engine = engine_for(get_settings())
    bind_tables(engine)
    return engine


def bind_tables(engine: Engine) -> None:
    pending = Table.__subclasses__()
    while pending:
        table = pending.pop()
        table._meta.db = engine
        pending.extend(table.__subclasses__())


def is_sqlite() -> bool:
    """Whether this process runs on SQLite, for the few queries each engine answers its own way."""
    return isinstance(current_engine(), SQLiteEngine)


async def open_database(settings: Settings) -> None:
    """Open the connection pool for this process (app start-up)."""
    engine = current_engine()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=settings.database_pool_size)


async def close_database() -> None:
    """Close this process's connections (app shut-down)."""
    engine = current_engine()
    if isinstance(engine, PostgresEngine):
        if engine.pool is not None:
            await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A transaction for writes that must land together.

    On SQLite it begins IMMEDIATE, taking the write lock up front: two writers that both read first and
    then try to write would otherwise fail with SQLITE_BUSY half-way instead of waiting their turn. A
    process's writers take turns on the engine's lock first; one nested in another joins it.
    """
    engine = current_engine()
    if not isinstance(engine, PooledSQLiteEngine):
        async with engine.transaction() as transaction:
            yield transaction
    elif engine.current_transaction.get() is not None:
        async with engine.transaction(transaction_type=TransactionType.immediate) as transaction:
            yield transaction
    else:
        async with (
            engine.writer_lock,
            engine.transaction(transaction_type=TransactionType.immediate) as transaction,
        ):
            yield transaction


# Apps whose tables moved to another app: their migrations already applied are recorded under the old name.
RENAMED_APPS = {"storefront": "venue"}


async def migrate() -> None:
    """Apply every migration that has not run yet, app by app in dependency order."""
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.apps.migrations.tables import Migration

    if await Migration.table_exists():
        for old, new in RENAMED_APPS.items():
            await Migration.update({Migration.app_name: new}).where(Migration.app_name == old)
    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


async def database_answers() -> bool:
    """Whether the database answers a trivial query (for /healthz)."""
    try:
        await current_engine().run_querystring(QueryString("SELECT 1"))
    except Exception:  # any failure means "not healthy"; the health check reports, never raises
        return False
    return True


def as_utc(value: datetime | str) -> datetime:
    """A timestamp from raw SQL: SQLite hands back text for aggregates and grouped columns."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def optional_utc(value: datetime | str | None) -> datetime | None:
    return None if value is None else as_utc(value)


def one_of(column: Column, values: Collection[Any]) -> Combinable:
    """`column IN values`; with no values, a condition no row meets (Piccolo refuses to build `IN ()`)."""
    return column.is_in(list(values)) if values else WhereRaw("1 = 0")


def none_of(column: Column, values: Collection[Any]) -> Combinable:
    """`column NOT IN values`; with no values, a condition every row meets."""
    return column.not_in(list(values)) if values else WhereRaw("1 = 1")


async def scrub_write_ahead_log() -> None:
    """After an erasure: copy SQLite's write-ahead log into the database and truncate it to nothing, so no
    earlier image of an erased row stays readable on disk (`secure_delete` zeroes what the database file
    itself no longer uses). A reader in another process can hold the checkpoint back for a moment, so it
    is tried again; PostgreSQL keeps its files to itself (see the README on erasure)."""
    engine = current_engine()
    if not isinstance(engine, PooledSQLiteEngine):
        return
    async with engine.pooled_connection() as connection:
        for _ in range(CHECKPOINT_ATTEMPTS):
            [outcome] = await fetch_all(connection, "PRAGMA wal_checkpoint(TRUNCATE)", None)
            if not outcome["busy"]:
                return
            await asyncio.sleep(CHECKPOINT_RETRY_SECONDS)
    logger.error("the write-ahead log stayed busy; erased data remains in it until the next checkpoint")
