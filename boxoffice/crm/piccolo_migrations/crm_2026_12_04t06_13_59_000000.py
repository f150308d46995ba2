from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T06:13:59:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index contacts in the orders the contact list sorts them by"

# Index names and what each covers, in SQL that SQLite and PostgreSQL both take.
INDEXES = {
    # The list's sort orders, exactly as `crm.contacts.SORT_SQL` writes them: a page is read in order.
    "contact_lower_last_name_lower_first_name_id": "contact (LOWER(last_name), LOWER(first_name), id)",
    "contact_created_at_id": "contact (created_at, id)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def create_indexes():
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
