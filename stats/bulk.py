"""What makes a large write fast: Python's garbage collector held, and on SQLite the tables' indexes built once, after
the rows are in.

Placing a million keys one by one in each of a table's dozen indexes takes four times as long as inserting the rows
bare and sorting each index's keys once. PostgreSQL is left alone: dropping an index there makes readers wait for
the write to end, and COPY keeps its inserts fast.
"""

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    """Hold Python's cyclic garbage collector while a large write makes millions of objects (rows, cells, values)
    that form no cycles: it would walk them all again and again, a fifth of a million-row import's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def indexes_built_after(connection, table: str, adding: int):
    """Inside a transaction, when `adding` rows are more than `table` holds, insert them without the table's
    indexes (the unique ones stay, to refuse a duplicate as it comes) and build those again as the block ends.

    SQLite's schema changes are part of the transaction: a write that fails keeps the indexes as they were, and
    readers see them whole throughout.
    """
    if connection.vendor != "sqlite" or adding < 10_000:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        (held,) = cursor.fetchone()
        if adding <= held:
            yield
            return
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
            "AND sql NOT LIKE 'CREATE UNIQUE%%'",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        yield
        for _name, sql in indexes:
            cursor.execute(sql)


def upsert(connection, objects: list, unique_fields: list[str], update_fields: list[str]) -> None:
    """Insert `objects` (of one model) with one executemany, each row already held under `unique_fields` updated in
    `update_fields` instead: bulk_create(update_conflicts=True) without its compiling of a statement per batch of a
    few dozen rows (SQLite's limit on parameters), which costs more than the writing."""
    if not objects:
        return
    meta = objects[0]._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    column = {field.name: field.column for field in fields}
    statement = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({', '.join(quote(column[name]) for name in unique_fields)}) DO UPDATE SET "
        + ", ".join(f"{quote(column[name])} = excluded.{quote(column[name])}" for name in update_fields)
    )
    with connection.cursor() as cursor:
        cursor.executemany(statement, [
            [field.get_db_prep_save(field.pre_save(item, True), connection) for field in fields] for item in objects
        ])


def check_references_now(connection, table: str) -> None:
    """On PostgreSQL, check at once the references of the rows just written to `table` (Django's foreign keys are
    checked as the transaction commits, by default): a million rows' checks took three times as long at the commit,
    after the write's other statements, as right after the rows; and a row refused now is refused inside the
    write's savepoint, where the importer says which."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        references = [
            name for name, constraint in connection.introspection.get_constraints(cursor, table).items()
            if constraint["foreign_key"]
        ]
        if references:
            names = ", ".join(connection.ops.quote_name(name) for name in references)
            cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
            cursor.execute(f"SET CONSTRAINTS {names} DEFERRED")  # as Django declares them, for the rest of the write
