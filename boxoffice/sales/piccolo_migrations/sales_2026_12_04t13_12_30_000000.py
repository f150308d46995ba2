from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T13:12:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "The sales summary filled from every payment, refund and ticket so far"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def backfill():
        # The summary as the sales services keep it (boxoffice.sales.summary), counted once from the start.
        from boxoffice.sales.summary import recount
        from boxoffice.sales.tables import SalesSummary

        await recount()
        # Without statistics the planners read a year's summary by performance, not by its hours.
        await SalesSummary.raw("ANALYZE sales_summary")

    async def empty():
        from boxoffice.sales.tables import SalesSummary

        await SalesSummary.delete(force=True)

    manager.add_raw(backfill)
    manager.add_raw_backwards(empty)
    return manager
