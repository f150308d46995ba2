from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey

ID = "2026-12-04T07:20:02:433385"
VERSION = "1.38.0"
DESCRIPTION = "Ticket types are found by performance through (performance, currency, price) alone"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="sales", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="TicketType",
        tablename="ticket_type",
        column_name="performance",
        db_column_name="performance",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    return manager
