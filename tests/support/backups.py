"""Running `boxoffice backup`, `restore` and `verify-backup` as an operator does, against the test's
database or another one, and making and dropping the empty databases restores go into."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from boxoffice.backups.sealing import new_backup_key
from boxoffice.db import current_engine, is_sqlite
from tests.conftest import POSTGRES_URL
from tests.support.postgres import drop_database, recreate_database
from tests.support.rush import with_database_name
from tests.support.tables import every_row

BACKUP_KEY = new_backup_key()


@dataclass(frozen=True, slots=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def current_database_url() -> str:
    """The database the test runs on (on SQLite, its own copy of the template)."""
    return f"sqlite:///{current_engine().path}" if is_sqlite() else POSTGRES_URL


async def boxoffice(*arguments: str, database_url: str, folder: Path, **settings: str) -> Ran:
    """Run `boxoffice ARGUMENTS` in a process of its own, with backups in `folder` under BACKUP_KEY
    unless `settings` (BOXOFFICE_* names, without the prefix) say otherwise."""
    env = {
        **os.environ,
        "BOXOFFICE_DATABASE_URL": database_url,
        "BOXOFFICE_BACKUP_DIR": str(folder),
        "BOXOFFICE_BACKUP_KEYS": BACKUP_KEY,
        **{f"BOXOFFICE_{name.upper()}": value for name, value in settings.items()},
    }
    env = {name: value for name, value in env.items() if value is not None}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "boxoffice.cli",
        *arguments,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=300)
    return Ran(process.returncode, stdout.decode(), stderr.decode())


async def backup_file(folder: Path, database_url: str | None = None) -> Path:
    """Back the test's database up into `folder` and return the file made."""
    made = await boxoffice("backup", database_url=database_url or current_database_url(), folder=folder)
    assert made.returncode == 0, made.stderr
    return newest_backup(folder)


def newest_backup(folder: Path) -> Path:
    return max(folder.glob("boxoffice-*.backup"))


@contextlib.asynccontextmanager
async def empty_database(folder: Path, name: str = "restored") -> AsyncIterator[str]:
    """The URL of a new, empty database: a SQLite file not yet made in `folder`, or a PostgreSQL
    database beside the test's, dropped at the end."""
    if is_sqlite():
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    url = with_database_name(POSTGRES_URL, f"{POSTGRES_URL.rsplit('/', 1)[1]}_{name}")
    await recreate_database(url)
    try:
        yield url
    finally:
        await drop_database(url)


async def is_empty(database_url: str) -> bool:
    """Whether the database has no tables (a SQLite file not made yet has none)."""
    if database_url.startswith("sqlite:///") and not sqlite_file_exists(database_url):
        return True
    return not await every_row(database_url)


def sqlite_file_exists(database_url: str) -> bool:
    return Path(database_url.removeprefix("sqlite:///")).exists()
