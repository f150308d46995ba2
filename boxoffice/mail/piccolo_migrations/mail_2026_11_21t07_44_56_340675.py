from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-21T07:44:56:340675"
VERSION = "1.38.0"
DESCRIPTION = "Index the outbox by status and next attempt for the claim query"

INDEX_NAME = "outbox_message_status_next_attempt_at"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="mail", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            f"CREATE INDEX {INDEX_NAME} ON outbox_message (status, next_attempt_at)"
        )

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX {INDEX_NAME}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)

    return manager
