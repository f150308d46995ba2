from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-21T09:50:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Put each tag on a contact at most once"

INDEX_NAME = "contact_tag_contact_tag"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(f"CREATE UNIQUE INDEX {INDEX_NAME} ON contact_tag (contact, tag)")

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX {INDEX_NAME}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)

    return manager
