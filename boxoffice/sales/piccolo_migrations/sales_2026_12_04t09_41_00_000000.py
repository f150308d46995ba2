from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T09:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "Indexes for reports: refunds and tickets by time, tickets by performance and status, orders by buyer"
)

# Index names and what each covers, in SQL that SQLite and PostgreSQL both take (boxoffice.reports).
INDEXES = {
    # The sales report and the dashboard read a range of refunds by when they were made (payments
    # already have theirs on created_at).
    "refund_created_at": "refund (created_at)",
    # Tickets issued in a range (sales report, dashboard, pickup curve).
    "ticket_issued_at": "ticket (issued_at)",
    # A performance's sold tickets counted from the index alone (capacity, attendance, dashboard bars);
    # it also serves the foreign key ticket.performance.
    "ticket_performance_status": "ticket (performance, status)",
    # Orders placed in a range. Whether a buyer bought before a range (audience: new or returning) is
    # read through order_contact_created_at, made by the migration before this one.
    "order_created_at": '"order" (created_at)',
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def create_indexes():
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
