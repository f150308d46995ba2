from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T09:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index the outbox by when each message was queued, for the e-mail report and the dashboard"

INDEXES = {"outbox_message_created_at": "outbox_message (created_at)"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="mail", description=DESCRIPTION)

    async def create_indexes():
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
