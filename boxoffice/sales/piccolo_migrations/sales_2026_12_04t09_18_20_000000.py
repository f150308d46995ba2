from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T09:18:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "Seats are unique: one label per row of a plan or performance, one price per ticket type and zone"

# Piccolo's tables declare one-column indexes only, so these unique ones are written out here.
# plan_seat (plan, section, row, label): a plan never has the same seat twice.
# performance_seat (performance, section, row, label): nor does a performance's copy, so a seat named on
#   a ticket is one seat.
# zone_price (ticket_type, zone): one price for a ticket type in a zone.
INDEXES = {
    "plan_seat_plan_section_row_label": "plan_seat (plan, section, row, label)",
    "performance_seat_performance_section_row_label": "performance_seat (performance, section, row, label)",
    "zone_price_ticket_type_zone": "zone_price (ticket_type, zone)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def create_indexes():
        for name, columns in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {columns}")

    async def drop_indexes():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
