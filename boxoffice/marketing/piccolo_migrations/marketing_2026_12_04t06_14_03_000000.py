from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T06:14:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index the consent ledger for a contact's latest row per channel, and recipients by campaign and status"

# Index names and what each covers, in SQL that SQLite and PostgreSQL both take.
INDEXES = {
    # A contact's latest consent on a channel (ORDER BY recorded_at DESC, id DESC LIMIT 1), asked of
    # every contact when an audience is counted: one probe. Replaces the index on contact alone.
    "consent_record_contact_channel_recorded_at_id": "consent_record (contact, channel, recorded_at, id)",
    # The worker takes a campaign's next pending recipients in id order; with the status in the index
    # it never steps over the thousands released before them. Replaces the index on campaign alone.
    "campaign_recipient_campaign_status_id": "campaign_recipient (campaign, status, id)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketing", description=DESCRIPTION)

    async def create_indexes():
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
