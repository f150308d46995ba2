from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T09:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The consent report counts paid online orders by month from one index"

# The consent report counts a few months' paid online orders and those whose buyer opted in: this index
# holds all it reads, so those months' orders are counted from it alone, not from every order.
INDEX = (
    'CREATE INDEX IF NOT EXISTS order_channel_status_created_at ON "order"'
    " (channel, status, created_at, marketing_opt_in)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(INDEX)

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS order_channel_status_created_at")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)

    return manager
