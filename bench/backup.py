"""Backup and restore times at a busy venue's size, on SQLite and PostgreSQL.

    .venv/bin/python bench/backup.py                      # both engines, the full scale data set
    .venv/bin/python bench/backup.py --engine sqlite --scale 0.1

Migrates a fresh database and seeds it in bulk with bench/scale_data.py (as bench/scale.py does: 1,000
events, 200,000 contacts, 1,000,000 tickets in 400,000 orders, 2,000,000 consent events, 1,000,000
outbox messages...), then runs, each as an operator would and timed from the outside: `boxoffice
backup`, `boxoffice verify-backup` of the file made, and `boxoffice restore` of it into a new, empty
database. Prints the database's and the backup's sizes and each time beside its target (restore
<= 60 s on SQLite). PostgreSQL uses `--postgres-url` (default `boxoffice_bench_backup` on
127.0.0.1:5432 as user `postgres`) and a second database beside it for the restore, both dropped,
created, and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness is shared with the tests
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_data import Size, load_postgres, load_sqlite, venue_data

from boxoffice.backups.sealing import new_backup_key
from tests.support.postgres import PostgresUnreachable, bench_database
from tests.support.rush import (
    boxoffice,
    database_version,
    fetch,
    machine_description,
    server_environment,
    with_database_name,
)

TARGETS = {"sqlite": {"restore": "<= 60 s"}, "postgres": {}}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--postgres-url", default="postgresql://postgres@127.0.0.1:5432/boxoffice_bench_backup"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="a fraction of the full data set")
    return parser.parse_args()


def timed(env: dict[str, str], workdir: Path, *command: str) -> tuple[float, str]:
    started = time.perf_counter()
    printed = boxoffice(env, workdir, *command)
    return time.perf_counter() - started, printed


def database_size(engine: str, database_url: str) -> int:
    if engine == "sqlite":
        path = Path(database_url.removeprefix("sqlite:///"))
        return sum(file.stat().st_size for file in path.parent.glob(path.name + "*"))
    [(size,)] = asyncio.run(fetch(database_url, "SELECT pg_database_size(current_database())"))
    return size


def seed(engine: str, env: dict[str, str], workdir: Path, database_url: str, scale: float) -> None:
    boxoffice(env, workdir, "migrate")
    started = time.perf_counter()
    tables = venue_data(Size().scaled(scale), datetime.now(UTC))
    if engine == "sqlite":
        counts = load_sqlite(database_url.removeprefix("sqlite:///"), tables)
    else:
        counts = asyncio.run(load_postgres(database_url, tables))
    print(
        f"seeded in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{n:,} {t}" for t, n in counts.items()),
        flush=True,
    )


def row(figure: str, seconds: float, target: str = "") -> None:
    print(f"{figure:<44} {seconds:8.1f} s   {'target ' + target if target else ''}", flush=True)


def run(engine: str, options: argparse.Namespace, workdir: Path, database_url: str, restore_url: str) -> None:
    env = {
        **server_environment(database_url),
        "BOXOFFICE_BACKUP_KEYS": new_backup_key(),
        "BOXOFFICE_BACKUP_DIR": str(workdir / "backups"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),  # this checkout's code, wherever run from
    }
    print(f"\n{engine}: {machine_description(asyncio.run(database_version(database_url)))}", flush=True)
    seed(engine, env, workdir, database_url, options.scale)
    print(f"{'database size':<44} {database_size(engine, database_url) / 1e6:8.0f} MB", flush=True)

    seconds, printed = timed(env, workdir, "backup")
    [backup] = (workdir / "backups").glob("boxoffice-*.backup")
    row("boxoffice backup", seconds)
    print(f"{'backup file size':<44} {backup.stat().st_size / 1e6:8.0f} MB   ({printed.strip()})", flush=True)
    seconds, _ = timed(env, workdir, "verify-backup", str(backup))
    row("boxoffice verify-backup", seconds)
    seconds, printed = timed({**env, "BOXOFFICE_DATABASE_URL": restore_url}, workdir, "restore", str(backup))
    row("boxoffice restore into an empty database", seconds, TARGETS[engine].get("restore", ""))
    print("  " + printed.strip().replace("\n", "\n  "), flush=True)


def main() -> int:
    options = arguments()
    engines = ["sqlite", "postgres"] if options.engine == "both" else [options.engine]
    if options.scale != 1.0:
        print(f"scale {options.scale}: a fraction of the full data set", flush=True)
    for engine in engines:
        with tempfile.TemporaryDirectory(prefix="boxoffice-bench-backup-") as folder:
            workdir = Path(folder)
            restored_name = options.postgres_url.rsplit("/", 1)[1] + "_restored"
            try:
                with (
                    bench_database(engine, options.postgres_url, workdir) as database_url,
                    bench_database(
                        engine, with_database_name(options.postgres_url, restored_name), workdir / "restored"
                    ) as restore_url,
                ):
                    run(engine, options, workdir, database_url, restore_url)
            except PostgresUnreachable as error:
                print(f"PostgreSQL is unreachable: {error}", file=sys.stderr)
                return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
