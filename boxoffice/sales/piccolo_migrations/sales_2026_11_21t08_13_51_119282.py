from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-21T08:13:51:119282"
VERSION = "1.38.0"
DESCRIPTION = "Seats available start at each performance's capacity and each capped type's cap"


class Performance(Table, tablename="performance", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def count_available_seats():
        await Performance.raw("UPDATE performance SET available = capacity")
        await Performance.raw("UPDATE ticket_type SET available = cap WHERE cap IS NOT NULL")

    manager.add_raw(count_available_seats)
    return manager
