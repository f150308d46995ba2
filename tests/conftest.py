"""Test-wide set-up. It runs before any test module imports Boxoffice, because the settings are read once
and the process's one engine is made from them (`boxoffice.db.current_engine`): the database URL must
point at the test database first.

`BOXOFFICE_TEST_DATABASE_URL=postgresql://...` runs the suites on PostgreSQL (a database of that name is
created, and dropped afterwards); without it they run on SQLite files in a temporary folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.support.fake_stripe",
    "tests.support.figures",
    "tests.support.shop",
    "tests.support.smtp",
]

TEST_RUN_DIR = Path(tempfile.mkdtemp(prefix="boxoffice-tests-"))
POSTGRES_URL = os.environ.get("BOXOFFICE_TEST_DATABASE_URL", "")
os.environ["BOXOFFICE_DATABASE_URL"] = POSTGRES_URL or f"sqlite:///{TEST_RUN_DIR}/template.sqlite3"
os.environ["BOXOFFICE_SECRET_KEY"] = "test-secret-key-that-is-long-enough-to-use"
os.environ["BOXOFFICE_CATALOG_CACHE_SECONDS"] = "0"  # tests read their own writes; one test turns it on
os.environ["BOXOFFICE_ENCRYPTION_KEYS"] = "G7nH0m8x5mQy0hEJ6fNqkQm3J2yq3kQm3J2yq3kQm3I="


def pytest_sessionstart(session: pytest.Session) -> None:
    if not POSTGRES_URL:
        return
    from tests.support.postgres import PostgresUnreachable, recreate_database

    try:
        asyncio.run(recreate_database(POSTGRES_URL))
    except PostgresUnreachable as error:
        if os.environ.get("CI") == "true":
            pytest.exit(f"PostgreSQL is needed in CI and is unreachable: {error}", returncode=3)
        pytest.exit(f"PostgreSQL suites skipped, the server is unreachable: {error}", returncode=0)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(TEST_RUN_DIR, ignore_errors=True)
    if POSTGRES_URL:
        from tests.support.postgres import PostgresUnreachable, drop_database

        with contextlib.suppress(PostgresUnreachable):
            asyncio.run(drop_database(POSTGRES_URL))
