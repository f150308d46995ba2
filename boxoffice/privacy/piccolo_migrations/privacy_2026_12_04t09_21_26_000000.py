from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T09:21:26:000000"
VERSION = "1.38.0"
DESCRIPTION = "Tell each person of a breach at most once"

INDEX_NAME = "breach_notice_breach_contact"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="privacy", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(f"CREATE UNIQUE INDEX {INDEX_NAME} ON breach_notice (breach, contact)")

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX {INDEX_NAME}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)

    return manager
