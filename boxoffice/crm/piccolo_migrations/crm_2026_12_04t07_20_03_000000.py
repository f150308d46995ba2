from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T07:20:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "Contacts in name order have one index, contact_name_order"

# Two migrations made the same index of the contact list's name order at once; contact_name_order
# (of the contacts not removed, which are all that list shows) stays.
NAME = "contact_lower_last_name_lower_first_name_id"
COVERED = "contact (LOWER(last_name), LOWER(first_name), id)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {NAME}")

    async def create_index():
        await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {NAME} ON {COVERED}")

    manager.add_raw(drop_index)
    manager.add_raw_backwards(create_index)

    return manager
