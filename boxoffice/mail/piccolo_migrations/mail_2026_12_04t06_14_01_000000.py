from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T06:14:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index the outbox for orphaned claims, for retention by age, and by recipient for erasure and export"

# Index names and what each covers, in SQL that SQLite and PostgreSQL both take.
INDEXES = {
    # Every claim looks for messages no living worker holds (claimed or sending, claimed_by NULL). Without
    # this, SQLite reads them off the index on claimed_by, where every message ever sent is NULL too.
    "outbox_message_status_claimed_by": "outbox_message (status, claimed_by)",
    # Retention deletes sent, failed and uncertain messages older than its period.
    "outbox_message_status_created_at": "outbox_message (status, created_at)",
    # Erasure and the right of access find every e-mail to a person by `LOWER(recipient) IN (...)`.
    "outbox_message_lower_recipient": "outbox_message (LOWER(recipient))",
}


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
