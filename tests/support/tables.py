"""Every row of every table of a database, read from the database's own catalogue (so tables added later,
and those the ORM does not know, such as the search index's, are covered), on either engine."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import asyncpg

USER_TABLES = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 1"
)


def sortable(row: tuple) -> tuple:
    return tuple((value is None, repr(value)) for value in row)


async def every_row(database_url: str) -> dict[str, list[tuple]]:
    """{table: its rows, in a fixed order}; on PostgreSQL also {"sequence <name>": [(last value,)]}."""
    if database_url.startswith("sqlite:///"):
        return every_sqlite_row(Path(database_url.removeprefix("sqlite:///")))
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        found = {}
        for (table,) in await connection.fetch(USER_TABLES):
            rows = [tuple(row) for row in await connection.fetch(f'SELECT * FROM "{table}"')]
            found[table] = sorted(rows, key=sortable)
        for (sequence,) in await connection.fetch(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        ):
            found[f"sequence {sequence}"] = [
                tuple(await connection.fetchrow(f'SELECT last_value, is_called FROM "{sequence}"'))
            ]
        return found
    finally:
        await connection.close()


def every_sqlite_row(path: Path) -> dict[str, list[tuple]]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1"
            )
        ]
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=sortable)
            for table in tables
        }


def texts_holding(rows: dict[str, list[tuple]], identifiers: list[str]) -> list[str]:
    """Where any of `identifiers` (any case, spaces or not) appears in a text or binary value:
    "table: identifier" for each find."""
    found = []
    for table, table_rows in rows.items():
        for row in table_rows:
            for value in row:
                if isinstance(value, (bytes, bytearray, memoryview)):
                    value = bytes(value).decode("utf-8", errors="ignore")
                if not isinstance(value, str):
                    continue
                text = value.lower()
                compact = text.replace(" ", "")
                found += [
                    f"{table}: {identifier}"
                    for identifier in identifiers
                    if identifier.lower() in text or identifier.lower().replace(" ", "") in compact
                ]
    return found
