from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T06:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Indexes for what's on: an event's performances in time order, a performance's cheapest ticket"

# Piccolo's tables declare one-column indexes only, so these two-column ones are written out here.
# performance (event, starts_at): an event's performances to come, in order, and whether one is its
#   first in a date range (what's on pages by each event's first performance); it also serves the
#   foreign key performance.event.
# ticket_type (performance, currency, price): a performance's cheapest ticket ("from £10") read from the
#   index alone; it also serves the foreign key ticket_type.performance.
INDEXES = [
    "CREATE INDEX IF NOT EXISTS performance_event_starts_at ON performance (event, starts_at)",
    "CREATE INDEX IF NOT EXISTS ticket_type_performance_currency_price ON ticket_type (performance, currency, price)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES:
            await engine_finder().run_ddl(statement)

    async def drop_indexes():
        for name in ("performance_event_starts_at", "ticket_type_performance_currency_price"):
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
