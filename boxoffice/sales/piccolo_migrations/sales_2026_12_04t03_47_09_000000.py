from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T03:47:09:000000"
VERSION = "1.38.0"
DESCRIPTION = "Complimentary orders were paid nothing: their totals, prices and payments become 0"

# Orders whose every payment is complimentary: given away whole.
GIVEN_AWAY = """
    SELECT c."order" FROM payment c WHERE c.method = 'complimentary'
      AND NOT EXISTS (SELECT 1 FROM payment m WHERE m."order" = c."order" AND m.method <> 'complimentary')
"""

BACKFILL = [
    # Until now every line was sold at its face value.
    "UPDATE order_line SET face_value = unit_price",
    f'UPDATE order_line SET unit_price = 0 WHERE "order" IN ({GIVEN_AWAY})',
    f'UPDATE "order" SET total = 0 WHERE id IN ({GIVEN_AWAY})',
    # A paid order where a dearer exchange was given away: its total counted the difference as paid.
    """
    UPDATE "order" SET total = total - (
        SELECT SUM(c.amount) FROM payment c WHERE c."order" = "order".id AND c.method = 'complimentary'
    )
    WHERE EXISTS (SELECT 1 FROM payment c WHERE c."order" = "order".id AND c.method = 'complimentary')
      AND EXISTS (SELECT 1 FROM payment m WHERE m."order" = "order".id AND m.method <> 'complimentary')
    """,
    "UPDATE payment SET amount = 0 WHERE method = 'complimentary'",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def backfill():
        for statement in BACKFILL:
            await engine_finder().run_ddl(statement)

    manager.add_raw(backfill)

    return manager
