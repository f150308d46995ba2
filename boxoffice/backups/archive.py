"""Backup files: what each holds, how they are named, written, read, and how many are kept.

A backup file is sealed (see `sealing`); inside, a manifest comes first (the engine it was taken from,
when, every table's row count and every migration applied, all read from the same snapshot as the data),
then the engine's own dump: a SQLite database file (zlib-compressed) or `pg_dump --format=custom` output
(compressed by pg_dump). The manifest lets a restore be checked against what was backed up.

Files are named by the UTC time they were taken (`boxoffice-20261204T092500Z.backup`), so their names
sort in time order; one is written under a temporary name and renamed only once complete and on disk, so
a backup that failed half-way never looks like one, and is never counted when old backups are pruned.
The writer keeps an exclusive lock on its partial file; one left by a writer that was killed (the lock
went with it) is deleted by the next backup.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import struct
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from boxoffice.backups.sealing import Damaged, NotABackup, SealedWriter, WrongKey, unsealed
from boxoffice.errors import Refused

NAME = re.compile(r"^boxoffice-(\d{8}T\d{6}Z)\.backup$")
PARTIAL_PATTERN = ".boxoffice-*.backup.partial"
ABANDONED_AFTER_SECONDS = 60  # a partial file younger than this may be one whose writer is still locking it
MANIFEST_LENGTH = struct.Struct(">I")
ZLIB_LEVEL = 1  # most of the gain for little time: a large database must back up and restore quickly


class BackupRefused(Refused):
    """A backup, restore or check that could not be done; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Manifest:
    engine: str  # "sqlite" or "postgres"
    taken_at: str  # ISO 8601, UTC
    tables: dict[str, int]  # row counts, from the same snapshot as the data
    migrations: list[str]  # the ids of the migrations applied
    server: str  # the SQLite library's or the PostgreSQL server's version
    compression: str = "none"  # of the dump that follows: "zlib" or "none"

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def backup_name(taken_at: datetime) -> str:
    return f"boxoffice-{taken_at.astimezone(UTC):%Y%m%dT%H%M%SZ}.backup"


class NewBackup:
    """A backup file being written in `folder`, readable by its owner only: the manifest first, then the
    engine's dump through `write`. It takes its final name only when the block ends without an error;
    otherwise the partial file is deleted.

        with NewBackup(folder, key, manifest) as backup:
            for chunk in dump:
                backup.write(chunk)
    """

    def __init__(self, folder: Path, key: bytes, manifest: Manifest) -> None:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise BackupRefused(f"The backup folder {folder} cannot be made: {error.strerror}.") from None
        self.folder, self.key, self.manifest = folder, key, manifest
        self.path = folder / backup_name(datetime.fromisoformat(manifest.taken_at))
        self.partial = folder / f".{self.path.name}.partial"
        self.compressor = zlib.compressobj(ZLIB_LEVEL) if manifest.compression == "zlib" else None

    def __enter__(self) -> NewBackup:
        if self.path.exists():
            raise BackupRefused(f"{self.path} already exists: one backup a second at most.")
        try:
            descriptor = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as error:
            raise BackupRefused(
                f"Cannot write into the backup folder {self.folder}: {error.strerror}."
            ) from None
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        remove_abandoned_partials(self.folder)
        self.file = os.fdopen(descriptor, "wb")
        self.writer = SealedWriter(self.file, self.key)
        header = json.dumps(asdict(self.manifest)).encode()
        self.writer.write(MANIFEST_LENGTH.pack(len(header)) + header)
        return self

    def write(self, chunk: bytes) -> None:
        self.writer.write(self.compressor.compress(chunk) if self.compressor else chunk)

    def __exit__(self, exception_type: object, exception: object, traceback: object) -> None:
        try:
            if exception is None:
                if self.compressor:
                    self.writer.write(self.compressor.flush())
                self.writer.close()
                self.file.flush()
                os.fsync(self.file.fileno())
            self.file.close()
            if exception is None:
                os.rename(self.partial, self.path)
                fsync_folder(self.folder)
        finally:
            if self.partial.exists():
                self.partial.unlink()


def remove_abandoned_partials(folder: Path) -> None:
    """Delete the partial files of backups whose writer died: old enough, and not locked by anyone."""
    for partial in folder.glob(PARTIAL_PATTERN):
        try:
            if partial.stat().st_mtime > time.time() - ABANDONED_AFTER_SECONDS:
                continue
            descriptor = os.open(partial, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a backup is being written into it
        else:
            partial.unlink(missing_ok=True)
        finally:
            os.close(descriptor)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` survive a power cut."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class OpenedBackup:
    """A backup file being read: its manifest, then its dump as a stream of authenticated chunks.

    The dump's chunks are each authenticated before they are handed out, but a damaged later part is
    only found when it is reached: whoever takes the dump must treat everything it took as void when
    iterating raises BackupRefused."""

    def __init__(self, path: Path, keys: Sequence[bytes]) -> None:
        self.path = path
        try:
            self.file = path.open("rb")
        except FileNotFoundError:
            raise BackupRefused(f"There is no file {path}.") from None
        except IsADirectoryError:
            raise BackupRefused(f"{path} is a folder, not a backup file.") from None
        except PermissionError:
            raise BackupRefused(f"{path} cannot be read: permission denied.") from None
        self.chunks = self.guarded(unsealed(self.file, keys))
        try:
            self.manifest = self.read_manifest()
        except BackupRefused:
            self.file.close()
            raise

    def __enter__(self) -> OpenedBackup:
        return self

    def __exit__(self, *exception: object) -> None:
        self.file.close()

    def guarded(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        try:
            yield from chunks
        except NotABackup:
            raise BackupRefused(
                f"{self.path} is not a Boxoffice backup (or is cut short in its first bytes)."
            ) from None
        except WrongKey:
            raise BackupRefused(
                f"{self.path} was made with a backup key that is not in BOXOFFICE_BACKUP_KEYS; "
                "add the key it was made with."
            ) from None
        except Damaged:
            raise BackupRefused(
                f"{self.path} is damaged: it was cut short or altered after it was written, so it "
                "cannot be trusted. Use another backup."
            ) from None

    def read_exactly(self, count: int, buffer: bytearray) -> bytes:
        while len(buffer) < count:
            chunk = next(self.chunks, None)
            if chunk is None:
                raise BackupRefused(f"{self.path} is not a Boxoffice backup: its contents are incomplete.")
            buffer += chunk
        taken = bytes(buffer[:count])
        del buffer[:count]
        return taken

    def read_manifest(self) -> Manifest:
        buffer = bytearray()
        (length,) = MANIFEST_LENGTH.unpack(self.read_exactly(MANIFEST_LENGTH.size, buffer))
        try:
            manifest = Manifest(**json.loads(self.read_exactly(length, buffer)))
        except (ValueError, TypeError):
            raise BackupRefused(
                f"{self.path} is not a Boxoffice backup: its manifest is unreadable."
            ) from None
        self.rest = bytes(buffer)
        return manifest

    def dump(self) -> Iterator[bytes]:
        """The engine's dump, decompressed."""
        decompressor = zlib.decompressobj() if self.manifest.compression == "zlib" else None
        for chunk in self.dump_chunks():
            yield decompressor.decompress(chunk) if decompressor else chunk
        if decompressor:
            yield decompressor.flush()

    def dump_chunks(self) -> Iterator[bytes]:
        yield self.rest
        yield from self.chunks


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `folder` (by the time in their names); other files
    are never touched. Returns those deleted."""
    backups = sorted((path for path in folder.iterdir() if NAME.match(path.name)), reverse=True)
    removed = backups[keep:]
    for path in removed:
        path.unlink()
    return removed
