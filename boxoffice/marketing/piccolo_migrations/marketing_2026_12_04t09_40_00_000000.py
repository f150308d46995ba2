from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T09:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The consent report counts the months it shows from one index, consent_record_month"

# The consent report counts the ledger's entries of a few months by month, channel, source and whether
# consent was granted: this index holds all of that, in time order, so the report reads those months'
# entries from it alone, not two million rows. It also serves every other look-up by `recorded_at`, in
# place of the one-column index it replaces.
INDEX = "CREATE INDEX IF NOT EXISTS consent_record_month ON consent_record (recorded_at, channel, source, granted)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketing", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(INDEX)

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS consent_record_month")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    manager.alter_column(
        table_class_name="ConsentRecord",
        tablename="consent_record",
        column_name="recorded_at",
        db_column_name="recorded_at",
        params={"index": False},
        old_params={"index": True},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    return manager
