from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T03:19:25:000000"
VERSION = "1.38.0"
DESCRIPTION = "Campaign messages already in the outbox are sent at most once"

# The kinds that marketing.campaigns gives its messages; from now on each message says so itself.
CAMPAIGN_KINDS = "('campaign', 'campaign_test')"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="mail", description=DESCRIPTION)

    async def mark_campaign_messages():
        await engine_finder().run_ddl(
            f"UPDATE outbox_message SET at_most_once = TRUE WHERE kind IN {CAMPAIGN_KINDS}"
        )

    manager.add_raw(mark_campaign_messages)

    return manager
