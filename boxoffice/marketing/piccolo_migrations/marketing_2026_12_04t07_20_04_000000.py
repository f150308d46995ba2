from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T07:20:04:000000"
VERSION = "1.38.0"
DESCRIPTION = "A contact's latest consent has one index, consent_record_latest"

# Two migrations made the same index of a contact's latest consent on a channel at once;
# consent_record_latest stays.
NAME = "consent_record_contact_channel_recorded_at_id"
COVERED = "consent_record (contact, channel, recorded_at, id)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketing", description=DESCRIPTION)

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {NAME}")

    async def create_index():
        await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {NAME} ON {COVERED}")

    manager.add_raw(drop_index)
    manager.add_raw_backwards(create_index)

    return manager
