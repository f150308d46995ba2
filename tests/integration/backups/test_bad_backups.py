"""Backups that must not restore, and settings that must not run, on both engines: each is refused with
a message that says what is wrong, the command exits non-zero, and no database changes. Also how
backups are named, protected and pruned."""

from __future__ import annotations

import base64
import fcntl
import os
import secrets
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from boxoffice.backups.archive import NewBackup, OpenedBackup
from boxoffice.backups.sealing import SEGMENT_BYTES, new_backup_key
from boxoffice.crm.contacts import ContactDetails, upsert_contact
from boxoffice.crm.tables import ContactNote
from tests.conftest import POSTGRES_URL
from tests.support.backups import (
    BACKUP_KEY,
    backup_file,
    boxoffice,
    current_database_url,
    empty_database,
    is_empty,
    newest_backup,
)
from tests.support.staff import make_staff
from tests.support.tables import every_row

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def larger_than_three_segments() -> None:
    """A note of random text (which compresses little), so the backup spans several sealed segments and
    a damaged one near the end is found only after the first ones went to the restore."""
    contact_id = await upsert_contact(ContactDetails("Ada", "Lovelace", "ada@example.org"), NOW)
    await ContactNote.insert(
        ContactNote(contact=contact_id, text=secrets.token_urlsafe(4 * SEGMENT_BYTES), created_at=NOW)
    )


def damaged_copies(backup: Path) -> dict[str, Path]:
    """The backup cut short at its end, at a segment's edge and inside its header, and with one byte
    changed near its end."""
    content = backup.read_bytes()
    copies = {
        "cut short": content[:-100],
        "cut at a segment's edge": content[: len(content) - (len(content) - 68) % (SEGMENT_BYTES + 16)],
        "altered": content[:-5000] + bytes([content[-5000] ^ 1]) + content[-4999:],
    }
    paths = {}
    for name, damaged in copies.items():
        path = backup.with_name(name.replace(" ", "-").replace("'", "") + ".backup")
        path.write_bytes(damaged)
        paths[name] = path
    return paths


async def test_damaged_files_wrong_keys_and_missing_files_are_refused_and_change_nothing(database, tmp_path):
    await make_staff("admin")
    await larger_than_three_segments()
    backup = await backup_file(tmp_path)
    assert backup.stat().st_size > 3 * SEGMENT_BYTES
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("shopping list\n")

    async with empty_database(tmp_path) as target:
        refusals = {
            "wrong key": (backup, {"backup_keys": new_backup_key()}, "not in BOXOFFICE_BACKUP_KEYS"),
            "no key": (backup, {"backup_keys": None}, "BOXOFFICE_BACKUP_KEYS is not set"),
            "missing": (tmp_path / "gone.backup", {}, "There is no file"),
            "not a backup": (not_a_backup, {}, "is not a Boxoffice backup"),
            **{
                name: (path, {}, "is damaged: it was cut short or altered")
                for name, path in damaged_copies(backup).items()
            },
        }
        for name, (path, settings, message) in refusals.items():
            for command in ("restore", "verify-backup") if name in {"wrong key", "altered"} else ("restore",):
                refused = await boxoffice(
                    command, str(path), database_url=target, folder=tmp_path, **settings
                )
                assert refused.returncode != 0, (name, command)
                assert message in refused.stderr, (name, command, refused.stderr)
                assert "Traceback" not in refused.stderr
                assert await is_empty(target), (name, command)

        restored = await boxoffice("restore", str(backup), database_url=target, folder=tmp_path)
        assert restored.returncode == 0, restored.stderr  # the good file still restores
        assert (await every_row(target))["contact_note"] == (await every_row(current_database_url()))[
            "contact_note"
        ]


async def test_verify_backup_restores_into_a_scratch_database_and_says_so(database, tmp_path):
    await make_staff("admin")
    backup = await backup_file(tmp_path)
    before = await every_row(current_database_url())

    verified = await boxoffice(
        "verify-backup", str(backup), database_url=current_database_url(), folder=tmp_path
    )

    assert verified.returncode == 0, verified.stderr
    assert "ok: schema current" in verified.stdout
    assert "ok: integrity checks passed" in verified.stdout
    assert "rows, as counted when it was taken" in verified.stdout
    assert verified.stdout.strip().endswith(f"{backup.name} restores.")
    assert await every_row(current_database_url()) == before  # the live database was not touched


@pytest.mark.skipif(not POSTGRES_URL, reason="needs both engines at hand")
async def test_a_backup_restores_only_into_the_engine_it_came_from(database, tmp_path):
    backup = await backup_file(tmp_path)
    target = tmp_path / "other.sqlite3"

    refused = await boxoffice("restore", str(backup), database_url=f"sqlite:///{target}", folder=tmp_path)

    assert refused.returncode != 0
    assert "is a backup of a PostgreSQL database" in refused.stderr and not target.exists()


async def test_backups_are_named_by_time_private_and_only_the_newest_are_kept(database, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o700)
    older = [folder / f"boxoffice-2026010{day}T030000Z.backup" for day in (1, 2, 3)]
    for path in older:
        path.write_bytes(b"an older backup")
    unrelated = folder / "README.txt"
    unrelated.write_text("copied off-site nightly")
    started = datetime.now(UTC).replace(microsecond=0)

    made = await boxoffice("backup", database_url=current_database_url(), folder=folder, backup_keep="2")

    assert made.returncode == 0, made.stderr
    newest = newest_backup(folder)
    taken_at = datetime.strptime(newest.name, "boxoffice-%Y%m%dT%H%M%SZ.backup").replace(tzinfo=UTC)
    assert started <= taken_at <= datetime.now(UTC)
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [older[2].name, newest.name, unrelated.name]
    )
    assert f"Deleted 2 older backup(s), keeping the newest 2: {older[1].name}, {older[0].name}" in made.stdout
    assert stat.S_IMODE(os.stat(newest).st_mode) == 0o600


async def test_a_backup_killed_half_way_leaves_a_partial_file_the_next_backup_deletes(database, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o700)
    abandoned = folder / ".boxoffice-20260101T030000Z.backup.partial"  # its writer was killed
    being_written = folder / ".boxoffice-20260102T030000Z.backup.partial"  # by a backup still running
    just_made = folder / ".boxoffice-20260103T030000Z.backup.partial"  # not yet locked by its writer
    for partial in (abandoned, being_written, just_made):
        partial.write_bytes(b"half a backup")
    an_hour_ago = datetime.now(UTC).timestamp() - 3600
    for partial in (abandoned, being_written):
        os.utime(partial, (an_hour_ago, an_hour_ago))
    writer = os.open(being_written, os.O_WRONLY)
    fcntl.flock(writer, fcntl.LOCK_EX)
    try:
        made = await boxoffice("backup", database_url=current_database_url(), folder=folder)
    finally:
        os.close(writer)

    assert made.returncode == 0, made.stderr
    assert not abandoned.exists() and being_written.exists() and just_made.exists()


async def test_a_backup_folder_that_cannot_be_written_is_reported(database, tmp_path):
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")

    failed = await boxoffice("backup", database_url=current_database_url(), folder=blocked / "backups")

    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    assert str(blocked) in failed.stderr


@pytest.mark.skipif(bool(POSTGRES_URL), reason="settings are read the same way on either engine")
@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("backup_keys", "too-short", "BOXOFFICE_BACKUP_KEYS: key 1 of 1 is not 32 bytes in URL-safe base64"),
        ("backup_keys", " , ", "BOXOFFICE_BACKUP_KEYS: no key given"),
        ("backup_keep", "0", "BOXOFFICE_BACKUP_KEEP: must be 1 or more"),
        ("backup_keep", "all", "BOXOFFICE_BACKUP_KEEP: 'all' is not a whole number"),
        ("backup_dir", " ", "BOXOFFICE_BACKUP_DIR: name a folder"),
    ],
)
async def test_bad_backup_settings_stop_the_command_with_the_variable_named(
    database, tmp_path, setting, value, message
):
    refused = await boxoffice(
        "backup", database_url=current_database_url(), folder=tmp_path, **{setting: value}
    )

    assert refused.returncode != 0 and message in refused.stderr
    assert list(tmp_path.glob("*.backup")) == []


def rewritten(backup: Path, folder: Path, **changes: object) -> Path:
    """The same backup with its manifest changed, sealed again under the same key (as a newer version of
    Boxoffice, or a faulty one, would have written it)."""
    key = base64.urlsafe_b64decode(BACKUP_KEY)
    with OpenedBackup(backup, [key]) as original:
        manifest = replace(original.manifest, **changes)
        with NewBackup(folder, key, manifest) as copy:
            for chunk in original.dump():
                copy.write(chunk)
    return copy.path


async def test_a_newer_versions_backup_is_refused_and_a_miscounted_one_fails_its_check(database, tmp_path):
    await make_staff("admin")
    backup = await backup_file(tmp_path)
    with OpenedBackup(backup, [base64.urlsafe_b64decode(BACKUP_KEY)]) as opened:
        manifest = opened.manifest
    newer = rewritten(
        backup,
        tmp_path / "newer",
        migrations=[*manifest.migrations, "2099-01-01T00:00:00:000000"],
    )
    miscounted = rewritten(
        backup,
        tmp_path / "miscounted",
        tables={**manifest.tables, "staff_user": manifest.tables["staff_user"] + 1},
    )

    async with empty_database(tmp_path) as target:
        refused = await boxoffice("restore", str(newer), database_url=target, folder=tmp_path)
        assert refused.returncode != 0 and "was taken by a newer version of Boxoffice" in refused.stderr
        assert await is_empty(target)

    checked = await boxoffice(
        "verify-backup", str(miscounted), database_url=current_database_url(), folder=tmp_path
    )
    assert checked.returncode != 0
    assert "PROBLEM: table staff_user: 1 rows restored, 2 backed up" in checked.stderr
    assert "do not rely on it" in checked.stderr
