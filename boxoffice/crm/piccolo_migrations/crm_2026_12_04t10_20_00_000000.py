from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-04T10:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "PostgreSQL's contact search index covers every contact, so the planner knows how many a word finds"
)

# The same text as `boxoffice.crm.contacts.SEARCH_TEXT`. PostgreSQL estimates how many rows a LIKE on an
# expression finds from the statistics of an index over that expression, but never of a partial index:
# with `WHERE erased_at IS NULL` it guessed 20 of 200,000 contacts for "example.org" and read all of them
# through the index. Removed contacts are blanked, so indexing them costs next to nothing. ANALYZE
# gathers the new index's statistics now rather than at autovacuum's next pass. SQLite is unchanged.
SEARCH_TEXT = (
    "LOWER(first_name) || ' ' || LOWER(last_name) || ' ' || LOWER(email) || ' ' || "
    "REPLACE(phone, ' ', '') || ' ' || REPLACE(LOWER(postcode), ' ', '')"
)
FORWARDS = [
    "DROP INDEX contact_search",
    f"CREATE INDEX contact_search ON contact USING gin (({SEARCH_TEXT}) gin_trgm_ops)",
    "ANALYZE contact",
]
BACKWARDS = [
    "DROP INDEX contact_search",
    f"CREATE INDEX contact_search ON contact USING gin (({SEARCH_TEXT}) gin_trgm_ops) WHERE erased_at IS NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def run(statements: list[str]) -> None:
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            for statement in statements:
                await engine.run_ddl(statement)

    async def create():
        await run(FORWARDS)

    async def drop():
        await run(BACKWARDS)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)

    return manager
