from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T06:16:36:000000"
VERSION = "1.38.0"
DESCRIPTION = "Dismiss a pair once; find likely duplicates through an index of each of their keys"

# The keys and conditions are those of `boxoffice.crm.duplicates.RULES`, written out as they were when
# this migration was made. Each index also holds the columns its key and condition read, so that the
# groups are counted from the index alone (a covering index on SQLite, an index-only scan on PostgreSQL).
INDEXES = {
    "dismissed_duplicate_pair": "CREATE UNIQUE INDEX dismissed_duplicate_pair"
    " ON dismissed_duplicate (contact, other_contact)",
    "contact_duplicate_email": "CREATE INDEX contact_duplicate_email"
    " ON contact ((LOWER(email)), email, erased_at) WHERE erased_at IS NULL AND email <> ''",
    "contact_duplicate_name_postcode": "CREATE INDEX contact_duplicate_name_postcode"
    " ON contact ((LOWER(first_name) || ' ' || LOWER(last_name) || ' ' || REPLACE(LOWER(postcode), ' ', '')),"
    " first_name, last_name, postcode, erased_at)"
    " WHERE erased_at IS NULL AND postcode <> '' AND (first_name <> '' OR last_name <> '')",
    "contact_duplicate_phone": "CREATE INDEX contact_duplicate_phone"
    " ON contact ((REPLACE(phone, ' ', '')), phone, erased_at) WHERE erased_at IS NULL AND phone <> ''",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES.values():
            await engine_finder().run_ddl(statement)

    async def drop_indexes():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
