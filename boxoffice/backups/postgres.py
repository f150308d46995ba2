"""PostgreSQL: backed up by `pg_dump --format=custom` and restored by `pg_restore`, PostgreSQL's client
tools, which must be of the server's major version or newer and on the PATH.

The backup's row counts and the dump come from one snapshot: a read-only repeatable-read transaction
exports its snapshot, counts every table in it, and pg_dump reads the same snapshot (`--snapshot`), so
the manifest describes exactly the data dumped while the service goes on writing. The dump streams from
pg_dump's output into the sealed file, and from the sealed file into pg_restore, never whole in memory
nor in plain on disk. pg_restore runs in a single transaction, so a restore that fails (or is stopped
because the file turns out to be damaged part-way) leaves the database as it was.

The password, when the URL holds one, goes to the tools in PGPASSWORD, never on their command line,
which other users of the machine can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterable
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

from boxoffice.backups.archive import BackupRefused
from boxoffice.backups.checks import Contents

CHUNK_BYTES = 1 << 20
USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"


def tool(name: str, url: str) -> tuple[list[str], dict[str, str]]:
    """The command line of one of PostgreSQL's client tools for the database `url`, and its environment."""
    path = shutil.which(name)
    if path is None:
        raise BackupRefused(
            f"{name} was not found on the PATH: install PostgreSQL's client tools of the server's major "
            "version or newer (on Debian, the postgresql-client package)."
        )
    parts = urlsplit(url)
    environment = dict(os.environ)
    if parts.password is not None:
        environment["PGPASSWORD"] = unquote(parts.password)
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]
        parts = parts._replace(netloc=f"{user}@{netloc}")
    return [path, "--no-password", f"--dbname={urlunsplit(parts)}"], environment


async def connect(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=10)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        raise BackupRefused(f"Could not connect to the database: {error}") from None


async def contents(connection: asyncpg.Connection, *, integrity: bool) -> Contents:
    """Every table in the database's own catalogue with its row count, the migrations applied, and with
    `integrity`, any index or constraint left invalid and any id sequence behind its table's ids."""
    names = [
        (row["nspname"], row["relname"])
        for row in await connection.fetch(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMAS} ORDER BY 1, 2"
        )
    ]
    tables = {}
    for schema, name in names:
        tables[name if schema == "public" else f"{schema}.{name}"] = await connection.fetchval(
            f'SELECT count(*) FROM "{schema}"."{name}"'
        )
    migrations = (
        [row["name"] for row in await connection.fetch("SELECT name FROM migration ORDER BY id")]
        if "migration" in tables
        else []
    )
    problems = []
    if integrity:
        problems += [
            f"index {row['name']} is invalid"
            for row in await connection.fetch(
                "SELECT indexrelid::regclass::text AS name FROM pg_index WHERE NOT indisvalid"
            )
        ]
        problems += [
            f"constraint {row['conname']} was not validated"
            for row in await connection.fetch("SELECT conname FROM pg_constraint WHERE NOT convalidated")
        ]
        problems += await sequences_behind(connection)
    server = await connection.fetchval("SHOW server_version")
    return Contents(tables, migrations, f"PostgreSQL {server}", problems)


async def sequences_behind(connection: asyncpg.Connection) -> list[str]:
    """Id sequences that would hand out an id already taken: the restored database could not add rows."""
    behind = []
    for row in await connection.fetch(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns"
        " WHERE column_default LIKE 'nextval(%' AND table_schema NOT IN ('pg_catalog', 'information_schema')"
    ):
        table = f'"{row["table_schema"]}"."{row["table_name"]}"'
        column = row["column_name"]
        sequence = await connection.fetchval("SELECT pg_get_serial_sequence($1, $2)", table, column)
        largest = await connection.fetchval(f'SELECT max("{column}") FROM {table}')
        if sequence and largest is not None:
            last = await connection.fetchval(f"SELECT last_value FROM {sequence}")
            if last < largest:
                behind.append(f"sequence {sequence} is at {last}, below the largest {column} {largest}")
    return behind


@contextlib.asynccontextmanager
async def snapshot(url: str) -> AsyncIterator[tuple[Contents, AsyncIterator[bytes]]]:
    """What the database holds and its dump, both from one snapshot taken now."""
    command, environment = tool("pg_dump", url)
    connection = await connect(url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            name = await connection.fetchval("SELECT pg_export_snapshot()")
            held = await contents(connection, integrity=False)
            process = await asyncio.create_subprocess_exec(
                *command,
                "--format=custom",
                f"--snapshot={name}",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=environment,
            )
            try:
                yield held, dump_output(process)
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    finally:
        await connection.close()


async def dump_output(process: asyncio.subprocess.Process) -> AsyncIterator[bytes]:
    while chunk := await process.stdout.read(CHUNK_BYTES):
        yield chunk
    errors = (await process.stderr.read()).decode(errors="replace").strip()
    if await process.wait() != 0:
        raise BackupRefused(f"pg_dump failed: {errors}")


async def table_count(url: str) -> int:
    """How many tables, views and sequences the database has outside PostgreSQL's own schemas."""
    connection = await connect(url)
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {USER_SCHEMAS}"
        )
    finally:
        await connection.close()


async def refuse_unless_empty(url: str, shown_as: str) -> None:
    if count := await table_count(url):
        raise BackupRefused(
            f"The database {shown_as} is not empty ({count} tables and sequences): a backup is restored "
            "only into an empty one. Create a new database (`createdb`) and point BOXOFFICE_DATABASE_URL "
            "at it."
        )


async def restore(dump: Iterable[bytes], url: str, shown_as: str) -> None:
    """Restore into the database `url`, which must be empty, in one transaction: owned by the user of
    `url` whoever owned the original, without the original's grants."""
    await refuse_unless_empty(url, shown_as)
    command, environment = tool("pg_restore", url)
    process = await asyncio.create_subprocess_exec(
        *command,
        "--no-owner",
        "--no-privileges",
        "--no-comments",  # an extension's comment may only be set by its owner; comments hold no data
        "--single-transaction",
        "--exit-on-error",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    try:
        for chunk in dump:
            process.stdin.write(chunk)
            await process.stdin.drain()
        process.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # pg_restore stopped reading: it says why below
    except BaseException:
        process.kill()  # its transaction is rolled back with its connection
        await process.wait()
        raise
    errors = (await process.stderr.read()).decode(errors="replace").strip()
    if await process.wait() != 0:
        raise BackupRefused(f"pg_restore failed, and changed nothing: {errors}")


@contextlib.asynccontextmanager
async def scratch_database(url: str) -> AsyncIterator[str]:
    """A new, empty database on the same server as `url`, dropped however the block ends."""
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')[:40]}_verify_{secrets.token_hex(4)}"
    connection = await connect(url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    except asyncpg.PostgresError as error:
        raise BackupRefused(
            f"Could not create a scratch database to restore into ({error}); the database user needs "
            "the CREATEDB right."
        ) from None
    finally:
        await connection.close()
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        connection = await connect(url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
