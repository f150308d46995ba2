"""The schema and demo data, on whichever engine this run uses."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from boxoffice.config import get_settings, parse_database_url
from boxoffice.db import PooledSQLiteEngine, current_engine, engine_for, migrate, write_transaction
from boxoffice.demo import seed_demo
from boxoffice.sales.piccolo_migrations import sales_2026_12_04t03_47_09_000000 as face_value_backfill
from boxoffice.sales.tables import Event, Order, OrderLine, Payment, Performance, TicketType, Venue
from tests.conftest import POSTGRES_URL
from tests.integration.conftest import app_table_names
from tests.support.postgres import drop_database, recreate_database


@pytest.fixture
async def empty_database(tmp_path: Path) -> AsyncIterator[None]:
    """A database with nothing in it at all, not even the migrations table."""
    engine = current_engine()
    if isinstance(engine, PooledSQLiteEngine):
        configured_path = engine.path
        engine.path = str(tmp_path / "empty.sqlite3")
        yield
        await engine.close_pool()
        engine.path = configured_path
    else:
        assert isinstance(engine, PostgresEngine)
        empty_url = POSTGRES_URL + "_empty"
        await recreate_database(empty_url)
        configured_dsn = engine.config["dsn"]
        engine.config["dsn"] = empty_url
        yield
        engine.config["dsn"] = configured_dsn
        await drop_database(empty_url)


def apps_with_migrations() -> set[str]:
    return {
        config.app_name
        for config in Finder().get_app_registry().app_configs.values()
        if any(path.name != "__init__.py" for path in Path(config.migrations_folder_path).glob("*.py"))
    }


async def existing_tables() -> set[str]:
    engine = current_engine()
    if isinstance(engine, PooledSQLiteEngine):
        rows = await engine.run_querystring(
            QueryString("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
    else:
        rows = await engine.run_querystring(
            QueryString(
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        )
    return {row["name"] for row in rows}


async def test_migrations_build_every_table_from_an_empty_database(empty_database):
    assert not set(app_table_names()) & await existing_tables()

    await migrate()

    assert set(app_table_names()) <= await existing_tables()
    applied = await Migration.select(Migration.app_name, Migration.name)
    assert {row["app_name"] for row in applied} == apps_with_migrations()


async def test_migrating_again_changes_nothing(empty_database):
    await migrate()
    applied = await Migration.count()
    await migrate()
    assert await Migration.count() == applied


async def test_a_database_migrated_when_the_venue_tables_were_the_storefront_app_migrates_cleanly(
    empty_database,
):
    await migrate()
    await Migration.update({Migration.app_name: "storefront"}).where(Migration.app_name == "venue")
    applied = await Migration.count()

    await migrate()

    assert await Migration.count() == applied
    assert await Migration.count().where(Migration.app_name == "storefront") == 0
    assert await Migration.count().where(Migration.app_name == "venue") == 2


async def test_demo_twice_leaves_one_copy(database):
    assert await seed_demo() is True
    counts = [await table.count() for table in (Venue, Event, Performance, TicketType)]
    assert counts[1] >= 3 and counts[2] >= 9

    assert await seed_demo() is False
    assert [await table.count() for table in (Venue, Event, Performance, TicketType)] == counts


async def test_demo_performances_are_in_the_future(database):
    await seed_demo()
    assert await Performance.count().where(Performance.starts_at <= datetime.now(UTC)) == 0


async def test_a_failed_write_transaction_leaves_nothing_behind(database):
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await Venue(name="Half-made", slug="half-made").save()
            raise RuntimeError("interrupted")
    assert not await Venue.exists().where(Venue.slug == "half-made")


async def test_sqlite_connections_use_wal_and_wait_when_busy(database):
    engine = current_engine()
    if not isinstance(engine, PooledSQLiteEngine):
        pytest.skip("SQLite only")
    async with engine.pooled_connection() as connection:
        async with connection.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())["journal_mode"] == "wal"
        async with connection.execute("PRAGMA busy_timeout") as cursor:
            assert next(iter((await cursor.fetchone()).values())) >= 5000
        async with connection.execute("PRAGMA foreign_keys") as cursor:
            assert (await cursor.fetchone())["foreign_keys"] == 1


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.skipif(bool(POSTGRES_URL), reason="PostgreSQL's files belong to the server")
async def test_a_new_sqlite_database_and_its_log_are_for_the_owner_only(tmp_path, usual_umask):
    folder = tmp_path / "data"
    settings = replace(
        get_settings(), database_url=parse_database_url(f"sqlite:///{folder}/boxoffice.sqlite3")
    )
    engine = engine_for(settings)
    try:
        async with engine.pooled_connection() as connection:
            await connection.execute("CREATE TABLE note (text TEXT)")
            await connection.execute("INSERT INTO note VALUES ('kept in the log until a checkpoint')")
            await connection.commit()
            modes = {file.name: stat.S_IMODE(file.stat().st_mode) for file in folder.iterdir()}
    finally:
        await engine.close_pool()

    assert modes == {
        "boxoffice.sqlite3": 0o600,
        "boxoffice.sqlite3-wal": 0o600,
        "boxoffice.sqlite3-shm": 0o600,
    }
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.skipif(bool(POSTGRES_URL), reason="PostgreSQL's files belong to the server")
def test_an_existing_sqlite_database_is_made_private_when_opened(tmp_path, usual_umask):
    database = tmp_path / "boxoffice.sqlite3"
    for file in (database, tmp_path / "boxoffice.sqlite3-wal", tmp_path / "boxoffice.sqlite3-shm"):
        file.touch(mode=0o644)

    engine_for(replace(get_settings(), database_url=parse_database_url(f"sqlite:///{database}")))

    assert {file.name: stat.S_IMODE(file.stat().st_mode) for file in tmp_path.iterdir()} == {
        "boxoffice.sqlite3": 0o600,
        "boxoffice.sqlite3-wal": 0o600,
        "boxoffice.sqlite3-shm": 0o600,
    }


async def test_complimentary_orders_sold_before_face_values_were_kept_are_corrected_to_nothing_paid(show):
    """Complimentary payments were once recorded at face value; the sales migration that keeps face values
    makes them worth 0, keeps what they would have cost, and leaves money actually paid alone."""
    performance_id, types = show
    adult = types["Adult"]

    async def old_order(
        reference: str, total: int, prices: list[int], payments: list[tuple[str, int]]
    ) -> int:
        [order] = await Order.insert(
            Order(reference=reference, channel="box_office", status="paid", currency="GBP", total=total)
        ).returning(Order.id)
        for price in prices:
            await OrderLine.insert(
                OrderLine(
                    order=order["id"],
                    performance=performance_id,
                    ticket_type=adult,
                    description="The Tempest · Adult",
                    quantity=1,
                    unit_price=price,
                )
            )
        for method, amount in payments:
            await Payment.insert(Payment(order=order["id"], method=method, amount=amount, currency="GBP"))
        return order["id"]

    given = await old_order("COMP0001", 2400, [2400], [("complimentary", 2400)])
    upgraded = await old_order("UPGR0001", 3000, [2400, 3000], [("cash", 2400), ("complimentary", 600)])
    sold = await old_order("CASH0001", 2400, [2400], [("cash", 2400)])

    await (await face_value_backfill.forwards()).run()

    totals = {row["id"]: row["total"] for row in await Order.select(Order.id, Order.total)}
    assert totals == {given: 0, upgraded: 2400, sold: 2400}
    lines = await OrderLine.select(OrderLine.order, OrderLine.unit_price, OrderLine.face_value).order_by(
        OrderLine.id
    )
    assert lines == [
        {"order": given, "unit_price": 0, "face_value": 2400},
        {"order": upgraded, "unit_price": 2400, "face_value": 2400},
        {"order": upgraded, "unit_price": 3000, "face_value": 3000},
        {"order": sold, "unit_price": 2400, "face_value": 2400},
    ]
    payments = await Payment.select(Payment.order, Payment.method, Payment.amount).order_by(Payment.id)
    assert [(row["order"], row["method"], row["amount"]) for row in payments] == [
        (given, "complimentary", 0),
        (upgraded, "cash", 2400),
        (upgraded, "complimentary", 0),
        (sold, "cash", 2400),
    ]
