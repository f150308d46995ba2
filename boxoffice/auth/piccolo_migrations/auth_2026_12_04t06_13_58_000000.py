from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T06:13:58:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index the audit log by actor and by action, newest first, and by object"

# Index names and what each covers, in SQL that SQLite and PostgreSQL both take.
INDEXES = {
    # The audit log page filters on who or on what, and lists the newest first (highest id).
    "audit_entry_actor_id": "audit_entry (actor, id)",
    "audit_entry_action_id": "audit_entry (action, id)",
    # One object's history: an order's, or a contact's audited changes (shown, exported, erased).
    "audit_entry_object_type_object_id": "audit_entry (object_type, object_id)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="auth", description=DESCRIPTION)

    async def create_indexes():
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
