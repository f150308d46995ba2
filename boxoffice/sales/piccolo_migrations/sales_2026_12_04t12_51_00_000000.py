from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-04T12:51:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Performances seated already get a key for their copy of the plan"

# 32 random hex digits, as `secrets.token_hex(16)` makes for a performance seated from now on
FILL = "UPDATE performance SET seating_key = {} WHERE seating_plan IS NOT NULL"
SQLITE_KEY = "lower(hex(randomblob(16)))"
POSTGRES_KEY = "md5(random()::text || clock_timestamp()::text || id::text)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def fill():
        engine = engine_finder()
        await engine.run_ddl(FILL.format(POSTGRES_KEY if isinstance(engine, PostgresEngine) else SQLITE_KEY))

    async def empty():
        await engine_finder().run_ddl("UPDATE performance SET seating_key = ''")

    manager.add_raw(fill)
    manager.add_raw_backwards(empty)

    return manager
