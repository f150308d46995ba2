from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-04T10:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "A trigram index over what the box office finds orders by: reference, buyer's name and e-mail"

# The same text as `boxoffice.sales.order_records.SEARCH_TEXT`: PostgreSQL uses its index only for that
# very expression, so the two change together (tests/integration/sales/test_order_search.py checks the plan).
SEARCH_TEXT = "LOWER(reference) || ' ' || LOWER(first_name) || ' ' || LOWER(last_name) || ' ' || LOWER(email)"
FIELDS = "reference, first_name, last_name, email"

SQLITE_FORWARDS = [
    # As contact_search: contentful FTS5 with the trigram tokenizer, kept in step by triggers, so that
    # erasure (which blanks the buyer's fields) takes the buyer out of it too.
    "CREATE VIRTUAL TABLE order_search USING fts5(body, tokenize = 'trigram', detail = 'none')",
    f'INSERT INTO order_search (rowid, body) SELECT id, {SEARCH_TEXT} FROM "order"',
    f"""CREATE TRIGGER order_search_added AFTER INSERT ON "order" BEGIN
        INSERT INTO order_search (rowid, body) SELECT new.id, {SEARCH_TEXT} FROM "order" WHERE id = new.id;
    END""",
    f"""CREATE TRIGGER order_search_changed AFTER UPDATE OF {FIELDS} ON "order" BEGIN
        DELETE FROM order_search WHERE rowid = old.id;
        INSERT INTO order_search (rowid, body) SELECT new.id, {SEARCH_TEXT} FROM "order" WHERE id = new.id;
    END""",
    """CREATE TRIGGER order_search_deleted AFTER DELETE ON "order" BEGIN
        DELETE FROM order_search WHERE rowid = old.id;
    END""",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER order_search_deleted",
    "DROP TRIGGER order_search_changed",
    "DROP TRIGGER order_search_added",
    "DROP TABLE order_search",
]
POSTGRES_FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f'CREATE INDEX order_search ON "order" USING gin (({SEARCH_TEXT}) gin_trgm_ops)',
    # The planner's estimate of how many orders a word finds comes from this index's statistics.
    'ANALYZE "order"',
]
POSTGRES_BACKWARDS = ["DROP INDEX order_search"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for statement in POSTGRES_FORWARDS if isinstance(engine, PostgresEngine) else SQLITE_FORWARDS:
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        for statement in POSTGRES_BACKWARDS if isinstance(engine, PostgresEngine) else SQLITE_BACKWARDS:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)

    return manager
