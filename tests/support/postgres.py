"""Creating and dropping the PostgreSQL database a test run uses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg


class PostgresUnreachable(Exception):
    pass


def split_database_url(url: str) -> tuple[str, str]:
    """(URL of the server's maintenance database `postgres`, name of the test database)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unexpected test database name {name!r}")
    return urlunsplit(parts._replace(path="/postgres")), name


async def maintenance_connection(url: str) -> asyncpg.Connection:
    server_url, _ = split_database_url(url)
    try:
        return await asyncpg.connect(server_url, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        raise PostgresUnreachable(f"{server_url}: {error}") from error


async def recreate_database(url: str) -> None:
    _, name = split_database_url(url)
    connection = await maintenance_connection(url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(url: str) -> None:
    _, name = split_database_url(url)
    connection = await maintenance_connection(url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@contextlib.contextmanager
def bench_database(engine: str, postgres_url: str, folder: Path) -> Iterator[str]:
    """The database URL a bench runs against: a SQLite file in `folder`, or the PostgreSQL database
    `postgres_url`, created afresh and dropped however the block ends. Raises PostgresUnreachable."""
    if engine == "sqlite":
        yield f"sqlite:///{(folder / 'boxoffice.sqlite3').resolve()}"
        return
    asyncio.run(recreate_database(postgres_url))
    try:
        yield postgres_url
    finally:
        asyncio.run(drop_database(postgres_url))
