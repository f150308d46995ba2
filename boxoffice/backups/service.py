"""Backing up, restoring and checking a backup, on whichever engine BOXOFFICE_DATABASE_URL names.

A backup is taken while the service runs and is consistent (one snapshot of the whole database),
encrypted under the first of BOXOFFICE_BACKUP_KEYS, named by its UTC time in BOXOFFICE_BACKUP_DIR, and
the newest BOXOFFICE_BACKUP_KEEP are kept. A restore goes only into an empty database; anything wrong
with the file (a key not configured, damage, a newer version's schema) stops it before or without
changing the database. A check restores into a scratch database and looks it over.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from boxoffice.backups import postgres, sqlite
from boxoffice.backups.archive import BackupRefused, Manifest, NewBackup, OpenedBackup, prune
from boxoffice.backups.checks import Contents, findings, newer_migrations
from boxoffice.config import Settings, make_private_folder

ENGINE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


@dataclass(frozen=True, slots=True)
class BackupMade:
    path: Path
    manifest: Manifest
    removed: list[Path]


@dataclass(frozen=True, slots=True)
class Checked:
    """What a restore or a check found: the backup's manifest, what is right, what is wrong."""

    manifest: Manifest
    good: list[str]
    wrong: list[str]


def backup_keys(settings: Settings) -> tuple[bytes, ...]:
    if not settings.backup_keys:
        raise BackupRefused(
            "BOXOFFICE_BACKUP_KEYS is not set: backups are encrypted under it. Make a key with "
            "`boxoffice new-backup-key` and keep it apart from the backups (see the README, Backups)."
        )
    return settings.backup_keys


def manifest_of(held: Contents, engine: str, taken_at: datetime) -> Manifest:
    return Manifest(
        engine=engine,
        taken_at=taken_at.isoformat(),
        tables=held.tables,
        migrations=held.migrations,
        server=held.server,
        compression="zlib" if engine == "sqlite" else "none",
    )


async def make_backup(settings: Settings, now: datetime | None = None) -> BackupMade:
    """Back the database up into a new file in the backup folder, then prune the oldest beyond the
    number kept."""
    key = backup_keys(settings)[0]
    taken_at = (now or datetime.now(UTC)).replace(microsecond=0)
    folder = Path(settings.backup_dir)
    database = settings.database_url
    if database.engine == "sqlite":
        with sqlite.snapshot(database.sqlite_path) as (held, dump):
            manifest = manifest_of(held, "sqlite", taken_at)
            with NewBackup(folder, key, manifest) as backup:
                for chunk in dump:
                    backup.write(chunk)
    else:
        async with postgres.snapshot(database.url) as (held, dump):
            manifest = manifest_of(held, "postgres", taken_at)
            with NewBackup(folder, key, manifest) as backup:
                async for chunk in dump:
                    backup.write(chunk)
    return BackupMade(backup.path, manifest, prune(folder, settings.backup_keep))


def opened(settings: Settings, path: Path) -> OpenedBackup:
    """The backup at `path`, refused unless this database's engine and this version can restore it."""
    backup = OpenedBackup(path, backup_keys(settings))
    manifest, engine = backup.manifest, settings.database_url.engine
    if manifest.engine != engine:
        backup.file.close()
        raise BackupRefused(
            f"{path} is a backup of a {ENGINE_NAMES[manifest.engine]} database, and "
            f"BOXOFFICE_DATABASE_URL names {ENGINE_NAMES[engine]}: restore it into the engine it came from."
        )
    if unknown := newer_migrations(manifest.migrations):
        backup.file.close()
        raise BackupRefused(
            f"{path} was taken by a newer version of Boxoffice ({len(unknown)} migration(s) this one "
            "does not have): restore it with that version."
        )
    return backup


async def restore_into(backup: OpenedBackup, engine: str, target: str, shown_as: str) -> Contents:
    """Restore into the empty database `target` (a SQLite path or a PostgreSQL URL, `shown_as` without
    its password) and read it back."""
    if engine == "sqlite":
        sqlite.refuse_unless_empty(Path(target))
        sqlite.restore(backup.dump(), Path(target))
        return sqlite.contents(Path(target), integrity=True)
    await postgres.restore(backup.dump(), target, shown_as)
    connection = await postgres.connect(target)
    try:
        return await postgres.contents(connection, integrity=True)
    finally:
        await connection.close()


async def restore_backup(settings: Settings, path: Path) -> Checked:
    """Restore the backup at `path` into the configured database, which must be empty."""
    database = settings.database_url
    target = str(database.sqlite_path) if database.engine == "sqlite" else database.url
    with opened(settings, path) as backup:
        restored = await restore_into(backup, database.engine, target, str(database))
    return Checked(backup.manifest, *findings(backup.manifest, restored))


async def verify_backup(settings: Settings, path: Path) -> Checked:
    """Restore the backup at `path` into a scratch database (a temporary SQLite file, or a new database
    on the PostgreSQL server), check it, and drop it."""
    database = settings.database_url
    with opened(settings, path) as backup:
        if database.engine == "sqlite":
            beside = database.sqlite_path.parent  # private, and where the same data already lives
            make_private_folder(beside)
            with tempfile.TemporaryDirectory(dir=beside, prefix=".verify-") as folder:
                scratch = str(Path(folder) / "verify.sqlite3")
                restored = await restore_into(backup, "sqlite", scratch, scratch)
        else:
            async with postgres.scratch_database(database.url) as scratch:
                restored = await restore_into(backup, "postgres", scratch, "(scratch)")
    return Checked(backup.manifest, *findings(backup.manifest, restored))
