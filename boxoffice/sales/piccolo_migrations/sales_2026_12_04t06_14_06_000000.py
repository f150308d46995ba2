from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T06:14:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index performances by event and time, and orders by status, newest first"

# Index names and what each covers, in SQL that SQLite and PostgreSQL both take.
INDEXES = {
    # An event's performances, soonest first (the event page, staff's event page, exchanges).
    "performance_event_starts_at": "performance (event, starts_at)",
    # The order list filtered on a status, newest first; replaces the index on status alone.
    "order_status_id": '"order" (status, id)',
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def create_indexes():
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
