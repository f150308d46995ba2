from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-04T06:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "A trigram index over what staff search contacts by, and the name order contact lists sort in"

# The same text as `boxoffice.crm.contacts.SEARCH_TEXT`: PostgreSQL uses its index only for that very
# expression, so the two change together (tests/integration/crm/test_contact_search.py checks the plan).
SEARCH_TEXT = (
    "LOWER(first_name) || ' ' || LOWER(last_name) || ' ' || LOWER(email) || ' ' || "
    "REPLACE(phone, ' ', '') || ' ' || REPLACE(LOWER(postcode), ' ', '')"
)
FIELDS = "first_name, last_name, email, phone, postcode, erased_at"

SQLITE_FORWARDS = [
    # Contentful FTS5 with the trigram tokenizer: LIKE '%word%' on it is answered from the index.
    "CREATE VIRTUAL TABLE contact_search USING fts5(body, tokenize = 'trigram', detail = 'none')",
    f"INSERT INTO contact_search (rowid, body) SELECT id, {SEARCH_TEXT} FROM contact WHERE erased_at IS NULL",
    f"""CREATE TRIGGER contact_search_added AFTER INSERT ON contact WHEN new.erased_at IS NULL BEGIN
        INSERT INTO contact_search (rowid, body) SELECT new.id, {SEARCH_TEXT} FROM contact WHERE id = new.id;
    END""",
    f"""CREATE TRIGGER contact_search_changed AFTER UPDATE OF {FIELDS} ON contact BEGIN
        DELETE FROM contact_search WHERE rowid = old.id;
        INSERT INTO contact_search (rowid, body)
            SELECT new.id, {SEARCH_TEXT} FROM contact WHERE id = new.id AND erased_at IS NULL;
    END""",
    """CREATE TRIGGER contact_search_deleted AFTER DELETE ON contact BEGIN
        DELETE FROM contact_search WHERE rowid = old.id;
    END""",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER contact_search_deleted",
    "DROP TRIGGER contact_search_changed",
    "DROP TRIGGER contact_search_added",
    "DROP TABLE contact_search",
]
POSTGRES_FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX contact_search ON contact USING gin (({SEARCH_TEXT}) gin_trgm_ops) WHERE erased_at IS NULL",
]
POSTGRES_BACKWARDS = ["DROP INDEX contact_search"]
# Contact lists sort by name unless asked otherwise.
NAME_ORDER = (
    "CREATE INDEX contact_name_order ON contact (LOWER(last_name), LOWER(first_name), id) "
    "WHERE erased_at IS NULL"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        postgres = isinstance(engine, PostgresEngine)
        for statement in [*(POSTGRES_FORWARDS if postgres else SQLITE_FORWARDS), NAME_ORDER]:
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        postgres = isinstance(engine, PostgresEngine)
        for statement in ["DROP INDEX contact_name_order", *(POSTGRES_BACKWARDS if postgres else SQLITE_BACKWARDS)]:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)

    return manager
