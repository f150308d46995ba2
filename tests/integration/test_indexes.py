"""Every foreign key column leads an index, read back from the migrated schema of whichever engine this run
uses.

Neither SQLite nor PostgreSQL indexes the referencing side of a foreign key by itself, and Piccolo's
ForeignKey asks for no index either. Without one, listing a parent's children (an order's tickets, a
contact's consent) reads the whole child table, and so does every delete of a parent, whose children the
engine must check. The foreign keys and indexes are read from the database's own catalogue, for every
table the apps register, so a table or foreign key added later is checked without this test changing.
An index counts when the foreign key's columns come first in it (a UNIQUE constraint's index too); a
partial index does not, since it leaves rows out.
"""

from __future__ import annotations

from collections.abc import Iterable

from piccolo.querystring import QueryString

from boxoffice.db import PooledSQLiteEngine, current_engine
from tests.integration.conftest import app_table_names

Columns = tuple[str | None, ...]  # None stands for an expression in an index

SQLITE_FOREIGN_KEYS = (
    'SELECT id, seq, "from" AS column_name FROM pragma_foreign_key_list({}) ORDER BY id, seq'
)
SQLITE_INDEXES = "SELECT name FROM pragma_index_list({}) WHERE partial = 0"
SQLITE_INDEX_COLUMNS = "SELECT name AS column_name FROM pragma_index_info({}) ORDER BY seqno"

POSTGRES_FOREIGN_KEYS = """
    SELECT c.conname AS id, k.position AS seq, a.attname AS column_name
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, position)
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
    WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = {}
    ORDER BY c.conname, k.position
"""
# Key columns only (not INCLUDE ones); attnum 0 is an expression, which joins no attribute.
POSTGRES_INDEX_COLUMNS = """
    SELECT ic.relname AS id, k.position AS seq, a.attname AS column_name
    FROM pg_index i
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
    LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0
    WHERE n.nspname = current_schema() AND t.relname = {} AND i.indpred IS NULL
      AND k.position <= i.indnkeyatts
    ORDER BY ic.relname, k.position
"""


async def fetch(sql: str, *values: object) -> list[dict]:
    return await current_engine().run_querystring(QueryString(sql, *values))


def grouped(rows: Iterable[dict]) -> list[Columns]:
    """Rows of (id, seq, column_name), ordered, as one tuple of column names per id."""
    columns: dict[object, list[str | None]] = {}
    for row in rows:
        columns.setdefault(row["id"], []).append(row["column_name"])
    return [tuple(names) for names in columns.values()]


async def foreign_keys(table: str) -> list[Columns]:
    """The referencing columns of each foreign key of the table."""
    if isinstance(current_engine(), PooledSQLiteEngine):
        return grouped(await fetch(SQLITE_FOREIGN_KEYS, table))
    return grouped(await fetch(POSTGRES_FOREIGN_KEYS, table))


async def indexes(table: str) -> list[Columns]:
    """The key columns of each full (not partial) index of the table, in order."""
    if not isinstance(current_engine(), PooledSQLiteEngine):
        return grouped(await fetch(POSTGRES_INDEX_COLUMNS, table))
    found = []
    for index in await fetch(SQLITE_INDEXES, table):
        rows = await fetch(SQLITE_INDEX_COLUMNS, index["name"])
        found.append(tuple(row["column_name"] for row in rows))
    return found


def leads(index: Columns, foreign_key: Columns) -> bool:
    """Whether the foreign key's columns, in any order, are the first columns of the index."""
    return set(index[: len(foreign_key)]) == set(foreign_key)


async def unindexed_foreign_keys(tables: Iterable[str]) -> tuple[int, list[str]]:
    """How many foreign keys the tables have, and those that lead no index, as "table.column"."""
    checked, missing = 0, []
    for table in sorted(tables):
        table_indexes = await indexes(table)
        for foreign_key in await foreign_keys(table):
            checked += 1
            if not any(leads(index, foreign_key) for index in table_indexes):
                missing.append(f"{table}.{'+'.join(str(name) for name in foreign_key)}")
    return checked, sorted(missing)


async def test_every_foreign_key_column_leads_an_index(database):
    checked, missing = await unindexed_foreign_keys(app_table_names())

    assert checked >= 20, f"only {checked} foreign keys were found: the schema was not read"
    assert not missing, "foreign key columns that lead no index: " + ", ".join(missing)


async def test_a_foreign_key_without_an_index_is_found_and_one_with_an_index_is_not(database):
    """The check itself, on tables made here: it must see a bare foreign key, an index that only starts
    later or leaves rows out must not hide it, and a UNIQUE constraint's index counts."""
    statements = [
        "CREATE TABLE probe_parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE probe_child (id INTEGER PRIMARY KEY, bare INTEGER REFERENCES probe_parent (id),"
        " later INTEGER REFERENCES probe_parent (id), partly INTEGER REFERENCES probe_parent (id),"
        " led INTEGER REFERENCES probe_parent (id), sole INTEGER UNIQUE REFERENCES probe_parent (id))",
        "CREATE INDEX probe_child_id_later ON probe_child (id, later)",
        "CREATE INDEX probe_child_partly ON probe_child (partly) WHERE partly > 0",
        "CREATE INDEX probe_child_led ON probe_child (led, id)",
    ]
    engine = current_engine()
    try:
        for statement in statements:
            await engine.run_ddl(statement)

        checked, missing = await unindexed_foreign_keys(["probe_child"])
    finally:
        await engine.run_ddl("DROP TABLE IF EXISTS probe_child")
        await engine.run_ddl("DROP TABLE IF EXISTS probe_parent")

    assert checked == 5
    assert missing == ["probe_child.bare", "probe_child.later", "probe_child.partly"]
