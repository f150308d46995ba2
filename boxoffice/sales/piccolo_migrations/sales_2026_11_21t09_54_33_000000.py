from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-21T09:54:33:000000"
VERSION = "1.38.0"
DESCRIPTION = "Make each refund request key unique, so one refund form refunds once"

INDEX_NAME = "refund_request_key"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(f"CREATE UNIQUE INDEX {INDEX_NAME} ON refund (request_key)")

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX {INDEX_NAME}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)

    return manager
