"""SQLite: backed up through SQLite's online backup API, which copies the database as one read
transaction saw it while the service goes on writing (in WAL mode readers and the writer do not wait
for each other), and restored through the same API, in one transaction.

The plain copy a backup or restore passes through is made in a private temporary folder beside the
database, which already holds the same data, and is deleted straight after.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from boxoffice.backups.archive import BackupRefused
from boxoffice.backups.checks import Contents
from boxoffice.config import make_private_folder
from boxoffice.db import SQLITE_BUSY_TIMEOUT_SECONDS, make_private_sqlite_file

CHUNK_BYTES = 1 << 20


@contextlib.contextmanager
def connected(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    try:
        yield connection
    finally:
        connection.close()


def contents(path: Path, *, integrity: bool) -> Contents:
    """Every table (from `sqlite_master`, so the search index and SQLite's own tables too) with its row
    count, the migrations applied, and with `integrity`, what SQLite's integrity and foreign key checks
    find."""
    with connected(path) as connection:
        names = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        tables = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
        migrations = (
            [name for (name,) in connection.execute("SELECT name FROM migration ORDER BY id")]
            if "migration" in tables
            else []
        )
        problems = []
        if integrity:
            problems += [
                f"integrity check: {message}"
                for (message,) in connection.execute("PRAGMA integrity_check")
                if message != "ok"
            ]
            problems += [
                f"foreign key check: row {row} of {table} names a missing row of {parent}"
                for table, row, parent, _ in connection.execute("PRAGMA foreign_key_check")
            ]
    return Contents(tables, migrations, f"SQLite {sqlite3.sqlite_version}", problems)


@contextlib.contextmanager
def snapshot(database: Path) -> Iterator[tuple[Contents, Iterator[bytes]]]:
    """A consistent copy of the live database: what it holds, and its bytes to seal."""
    if not database.is_file() or database.stat().st_size == 0:
        raise BackupRefused(f"There is no database at {database} to back up.")
    with tempfile.TemporaryDirectory(dir=database.parent, prefix=".backup-") as folder:
        copy = Path(folder) / "snapshot.sqlite3"
        with connected(database) as source, connected(copy) as target:
            source.backup(target)  # all pages in one step: one read transaction, one consistent state
        yield contents(copy, integrity=False), file_chunks(copy)


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


def table_count(database: Path) -> int:
    """How many tables and other schema objects the database has: 0 for one that is missing or empty."""
    if not database.exists() or database.stat().st_size == 0:
        return 0
    try:
        with connected(database) as connection:
            return connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupRefused(f"{database} is not an empty SQLite database ({error}).") from None


def restore(dump: Iterable[bytes], database: Path) -> None:
    """Write the backed-up database to `database`, which must be missing or empty. The whole dump is
    authenticated into a temporary copy before the target is touched, then copied in one transaction."""
    make_private_folder(database.parent)
    with tempfile.TemporaryDirectory(dir=database.parent, prefix=".restore-") as folder:
        copy = Path(folder) / "restoring.sqlite3"
        with copy.open("wb") as file:
            for chunk in dump:
                file.write(chunk)
        refuse_unless_empty(database)
        make_private_sqlite_file(database)
        with connected(copy) as source, connected(database) as target:
            source.backup(target)
            target.execute("PRAGMA journal_mode = WAL")


def refuse_unless_empty(database: Path) -> None:
    if count := table_count(database):
        raise BackupRefused(
            f"The database {database} is not empty ({count} tables and indexes): a backup is restored "
            "only into an empty one. Move that file away, or point BOXOFFICE_DATABASE_URL at a new file."
        )
