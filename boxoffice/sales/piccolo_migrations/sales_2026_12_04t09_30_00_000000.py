from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "A contact's orders are found, counted and paged, newest first, through (contact, created_at, id)"

# The contact record shows a contact's latest orders and their tickets a page at a time: this index
# gives them in that order, so a page reads its own rows only. It also finds a contact's orders by
# `contact` alone (erasure, merging, audiences), in place of the one-column index it replaces.
INDEX = 'CREATE INDEX IF NOT EXISTS order_contact_created_at ON "order" (contact, created_at, id)'


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(INDEX)

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS order_contact_created_at")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    manager.alter_column(
        table_class_name="Order",
        tablename="order",
        column_name="contact",
        db_column_name="contact",
        params={"index": False},
        old_params={"index": True},
        column_class=Integer,
        old_column_class=Integer,
        schema=None,
    )

    return manager
