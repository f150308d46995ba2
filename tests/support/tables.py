"""Every row of every table of a database, read from the database's own catalogue (so tables added later,
and those the ORM does not know, such as the search index's, are covered), on either engine."""

from __future__ import annotations

import contextlib
import io
import sqlite3
from pathlib import Path

import asyncpg
from pypdf import PdfReader

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


def readable_text(value: object) -> str | None:
    """What a value says, if it is text or binary: a PDF's text (compressed inside it), or bytes as text."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        content = bytes(value)
        if content.startswith(b"%PDF"):
            return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
        return content.decode("utf-8", errors="ignore")
    return value if isinstance(value, str) else None


def identifiers_in(value: object, identifiers: list[str]) -> list[str]:
    """Which of `identifiers` a text or binary value holds, in any case, with or without spaces."""
    text = (readable_text(value) or "").lower()
    compact = text.replace(" ", "")
    return [
        identifier
        for identifier in identifiers
        if identifier.lower() in text or identifier.lower().replace(" ", "") in compact
    ]


def texts_holding(rows: dict[str, list[tuple]], identifiers: list[str]) -> list[str]:
    """Where any of `identifiers` appears in the rows' values: "table: identifier" for each find."""
    return [
        f"{table}: {identifier}"
        for table, table_rows in rows.items()
        for row in table_rows
        for value in row
        for identifier in identifiers_in(value, identifiers)
    ]
