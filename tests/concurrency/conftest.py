"""Concurrency tests run many real clients against a real `boxoffice serve` process with several workers.

Each test gets a database of its own with the demo data: a SQLite file in its temporary folder, or the
PostgreSQL database `boxoffice_rush` (on the server of `POSTGRES_TEST_URL`, by default 127.0.0.1:5432 as
user `postgres`; with what follows `boxoffice_test` in that URL's database name after it, so that two
checkouts testing on one server keep apart), created before the test and dropped after it. Without a
reachable PostgreSQL server the PostgreSQL runs are skipped, except in CI (`CI=true`), where they fail.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.postgres import PostgresUnreachable, drop_database, recreate_database
from tests.support.rush import (
    Server,
    boxoffice,
    running_server,
    server_environment,
    sqlite_database_url,
    with_database_name,
)

POSTGRES_SERVER_URL = os.environ.get(
    "POSTGRES_TEST_URL", "postgresql://postgres@127.0.0.1:5432/boxoffice_test"
)
SERVER_WORKERS = 2


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on the engine the test is parametrised with ("sqlite" or "postgres")."""
    if request.param == "sqlite":
        yield sqlite_database_url(tmp_path / "boxoffice.sqlite3")
        return
    suffix = urlsplit(POSTGRES_SERVER_URL).path.strip("/").removeprefix("boxoffice_test")
    url = with_database_name(POSTGRES_SERVER_URL, f"boxoffice_rush{suffix}")
    try:
        asyncio.run(recreate_database(url))
    except PostgresUnreachable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is needed in CI and is unreachable: {error}")
        pytest.skip(f"PostgreSQL is unreachable: {error}")
    try:
        yield url
    finally:
        asyncio.run(drop_database(url))


@pytest.fixture
def demo_server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """`boxoffice serve --workers 2` on the demo data in `database_url`, stopped after the test."""
    env = server_environment(database_url)
    boxoffice(env, tmp_path, "demo")
    with running_server(env, tmp_path, workers=SERVER_WORKERS) as server:
        yield server
