from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-21T08:10:21:230550"
VERSION = "1.38.0"
DESCRIPTION = "Make each policy version number unique per kind (one row per published version)"

INDEX_NAME = "policy_document_kind_version"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="venue", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            f"CREATE UNIQUE INDEX {INDEX_NAME} ON policy_document (kind, version)"
        )

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX {INDEX_NAME}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)

    return manager
