"""What a database holds, read the same way on both engines, and whether a restored one is sound: the
schema of this version or an older one, the rows the backup counted, and the engine's own checks."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import boxoffice
from boxoffice.backups.archive import Manifest


@dataclass(frozen=True, slots=True)
class Contents:
    """A database as a backup or a check sees it."""

    tables: dict[str, int]  # every table, from the database's own catalogue, with its row count
    migrations: list[str]  # the ids of the migrations applied
    server: str
    problems: list[str] = field(default_factory=list)  # what the engine's integrity checks found


def known_migrations() -> set[str]:
    """The ids of every migration this version of the code has, in every app's migrations folder."""
    root = Path(boxoffice.__file__).parent
    ids = set()
    for module_file in root.glob("*/piccolo_migrations/*.py"):
        if module_file.name == "__init__.py":
            continue
        module = importlib.import_module(
            f"boxoffice.{module_file.parent.parent.name}.piccolo_migrations.{module_file.stem}"
        )
        ids.add(module.ID)
    return ids


def newer_migrations(migrations: list[str]) -> list[str]:
    """Migrations a backup records that this version does not have: it was taken by a newer version."""
    return sorted(set(migrations) - known_migrations())


def findings(manifest: Manifest, restored: Contents) -> tuple[list[str], list[str]]:
    """(what was checked and found right, what is wrong) about a restored database, in words."""
    good, wrong = [], []
    if restored.tables == manifest.tables:
        good.append(f"{len(manifest.tables)} tables, {manifest.rows:,} rows, as counted when it was taken")
    else:
        for table in sorted(set(manifest.tables) | set(restored.tables)):
            expected, found = manifest.tables.get(table), restored.tables.get(table)
            if expected != found:
                wrong.append(f"table {table}: {found} rows restored, {expected} backed up")
    unknown = newer_migrations(restored.migrations)
    pending = sorted(known_migrations() - set(restored.migrations))
    if unknown:
        wrong.append(
            f"{len(unknown)} migration(s) unknown to this version of Boxoffice: {', '.join(unknown)}"
        )
    elif pending:
        good.append(
            f"schema of an older version: {len(pending)} migration(s) to apply (`boxoffice migrate` does it)"
        )
    else:
        good.append(f"schema current: all {len(restored.migrations)} migrations applied")
    if restored.problems:
        wrong += restored.problems
    else:
        good.append(f"integrity checks passed ({restored.server})")
    return good, wrong
