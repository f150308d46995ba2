"""Each integration test gets a migrated, empty database of its own and talks to the real app.

SQLite: the schema is migrated once into a template file, which every test copies (a few milliseconds).
PostgreSQL: the test database is migrated once, and every table is emptied before each test.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from piccolo.conf.apps import Finder

from boxoffice.auth.roles import ensure_builtin_roles
from boxoffice.bootstrap import prepare_database
from boxoffice.config import get_settings
from boxoffice.db import PooledSQLiteEngine, close_database, current_engine
from tests.support.app import app_client


@pytest.fixture(scope="session")
def migrated_schema() -> None:
    async def run() -> None:
        try:
            await prepare_database()
        finally:
            await close_database()

    asyncio.run(run())


def app_table_names() -> list[str]:
    return [table._meta.tablename for table in Finder().get_table_classes()]


@pytest.fixture
async def database(migrated_schema: None, tmp_path: Path) -> AsyncIterator[None]:
    engine = current_engine()
    if isinstance(engine, PooledSQLiteEngine):
        template = get_settings().database_url.sqlite_path
        test_copy = tmp_path / "boxoffice.sqlite3"
        shutil.copyfile(template, test_copy)
        engine.path = str(test_copy)
        try:
            yield
        finally:
            await engine.close_pool()
            engine.path = str(template)
    else:
        tables = ", ".join(f'"{name}"' for name in app_table_names())
        await engine.run_ddl(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        await ensure_builtin_roles()
        yield


@pytest.fixture
async def client(database: None) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(get_settings()) as http_client:
        yield http_client
