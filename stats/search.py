"""Text search that stays cheap on a million figures: words of three letters or more, looked up in a trigram index.

`q` means the same everywhere (the API's lists and the pages): at most MAX_WORDS distinct words of at least
MIN_LENGTH characters, each found as a substring, ignoring case, in any of the fields searched; every word required.

Figures are searched in their quote, notes and report title, reports in their title and summary, through a search
document per row ("quote, newline, notes, newline, title": a word holds no newline, so it never spans two fields)
kept by the database itself, with triggers on every write, whoever makes it (the API, the admin, the importer's
`executemany`, a migration): on SQLite an FTS5 table with the trigram tokenizer (SQLite 3.34+), on PostgreSQL a table
with a pg_trgm GIN index. `install()` makes them, and makes them again (refilled) if a migration dropped them.
"""

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db.models.expressions import RawSQL

MIN_LENGTH = 3
MAX_WORDS = 8
RULE = (
    f"Give at most {MAX_WORDS} distinct words of at least {MIN_LENGTH} characters each; every word must appear (a "
    "part of a word will do, ignoring case)."
)


def search_words(q: str) -> list[str]:
    """Return the distinct words of `q`, or raise a ValidationError that says the rule."""
    words = list(dict.fromkeys(word for word in q.split()))
    distinct = list({word.casefold(): word for word in words}.values())
    short = [word for word in distinct if len(word) < MIN_LENGTH]
    if short:
        raise ValidationError(f"{RULE} Too short: {', '.join(repr(word) for word in short)}.")
    if len(distinct) > MAX_WORDS:
        raise ValidationError(f"{RULE} This gives {len(distinct)}.")
    if not distinct:
        raise ValidationError(RULE)
    return distinct


# What each searched table's document is made of, as SQL over one of its rows (`row`); a figure's document joins
# its report's title.
DOCUMENTS = {
    "stats_figure": (
        "row.quote || char(10) || row.notes || char(10) || (SELECT title FROM stats_report WHERE id = row.report_id)"
    ),
    "stats_report": "row.title || char(10) || row.summary",
}
SEARCHED_COLUMNS = {"stats_figure": ["quote", "notes", "report_id"], "stats_report": ["title", "summary"]}


def search_table(table: str) -> str:
    return f"{table}_search"


def sqlite_statements(table: str) -> tuple[list[str], list[str]]:
    """Return the statements that make a table's FTS5 index and its triggers, and those that fill it."""
    index, document = search_table(table), DOCUMENTS[table]
    columns = ", ".join(SEARCHED_COLUMNS[table])
    make = [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {index} USING fts5(document, tokenize = 'trigram case_sensitive 0')",
        f"CREATE TRIGGER IF NOT EXISTS {index}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {index} (rowid, document) VALUES (new.id, {document.replace('row.', 'new.')}); END",
        f"CREATE TRIGGER IF NOT EXISTS {index}_update AFTER UPDATE OF {columns} ON {table} BEGIN "
        f"UPDATE {index} SET document = {document.replace('row.', 'new.')} WHERE rowid = new.id; END",
        f"CREATE TRIGGER IF NOT EXISTS {index}_delete AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM {index} WHERE rowid = old.id; END",
    ]
    if table == "stats_report":  # a report's new title is in its figures' documents too
        figure_document = DOCUMENTS["stats_figure"].replace("(SELECT title FROM stats_report WHERE id = row.report_id)",
                                                            "new.title")
        make.append(
            "CREATE TRIGGER IF NOT EXISTS stats_report_title_in_figures AFTER UPDATE OF title ON stats_report BEGIN "
            f"UPDATE stats_figure_search SET document = (SELECT {figure_document} FROM stats_figure AS row "
            "WHERE row.id = stats_figure_search.rowid) "
            "WHERE rowid IN (SELECT id FROM stats_figure WHERE report_id = new.id); END"
        )
    fill = [
        f"DELETE FROM {index}",
        f"INSERT INTO {index} (rowid, document) SELECT row.id, {document} FROM {table} AS row",
    ]
    return make, fill


# On PostgreSQL, a transaction's setting that holds the triggers' row-by-row upkeep (indexed_at_end).
AT_END = "conflictdata.search_at_end"


def postgresql_statements(table: str) -> tuple[list[str], list[str]]:
    """Return the statements that make a table's trigram-indexed search table and its triggers, and those that fill
    it."""
    index = search_table(table)
    document = DOCUMENTS[table].replace("char(10)", "E'\\n'")
    columns = ", ".join(SEARCHED_COLUMNS[table])
    make = [
        f"CREATE TABLE IF NOT EXISTS {index} (id bigint PRIMARY KEY, document text NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {index}_trigram ON {index} USING gin (document gin_trgm_ops)",
        f"""CREATE OR REPLACE FUNCTION {index}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM {index} WHERE id = OLD.id;
            ELSE
                INSERT INTO {index} (id, document) SELECT row.id, {document} FROM {table} AS row WHERE row.id = NEW.id
                ON CONFLICT (id) DO UPDATE SET document = EXCLUDED.document;
            END IF;
            RETURN NULL;
        END $$""",
        f"DROP TRIGGER IF EXISTS {index}_sync ON {table}",  # its name until rows could be indexed at the end
        f"DROP TRIGGER IF EXISTS {index}_upkeep ON {table}",
        f"CREATE TRIGGER {index}_upkeep AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {table} "
        f"FOR EACH ROW WHEN (current_setting('{AT_END}', true) IS DISTINCT FROM 'on') "
        f"EXECUTE FUNCTION {index}_sync()",
    ]
    if table == "stats_report":
        figure_document = DOCUMENTS["stats_figure"].replace("char(10)", "E'\\n'")
        make += [
            f"""CREATE OR REPLACE FUNCTION stats_report_title_in_figures() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE stats_figure_search AS search SET document = {figure_document}
                FROM stats_figure AS row WHERE row.report_id = NEW.id AND search.id = row.id;
                RETURN NULL;
            END $$""",
            "DROP TRIGGER IF EXISTS stats_report_title_in_figures ON stats_report",
            "CREATE TRIGGER stats_report_title_in_figures AFTER UPDATE OF title ON stats_report "
            "FOR EACH ROW EXECUTE FUNCTION stats_report_title_in_figures()",
        ]
    fill = [f"DELETE FROM {index}", f"INSERT INTO {index} (id, document) SELECT row.id, {document} FROM {table} AS row"]
    return make, fill


TRIGGERS = {
    "sqlite": ["stats_figure_search_insert", "stats_figure_search_update", "stats_figure_search_delete",
               "stats_report_search_insert", "stats_report_search_update", "stats_report_search_delete",
               "stats_report_title_in_figures"],
    "postgresql": ["stats_figure_search_upkeep", "stats_report_search_upkeep", "stats_report_title_in_figures"],
}


def installed_triggers(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {name for (name,) in cursor.fetchall()}


def install(connection) -> bool:
    """Make the search indexes and their triggers where any is missing, and fill them anew; return whether it did.

    On SQLite a migration that remakes a table (how SQLite alters one) drops its triggers: after every migration
    (stats.apps), this notices and puts them back, with the index refilled from the rows as they are.
    """
    if connection.vendor not in TRIGGERS:
        return False
    if set(TRIGGERS[connection.vendor]) <= installed_triggers(connection):
        return False
    statements = sqlite_statements if connection.vendor == "sqlite" else postgresql_statements
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table in DOCUMENTS:
            make, fill = statements(table)
            for statement in make + fill:
                cursor.execute(statement)
    return True


@contextmanager
def indexed_at_end(connection, table: str, after: int):
    """Inside a transaction, insert rows into `table` without its search index's per-row upkeep, then index every
    row above id `after` with one INSERT … SELECT as the block ends.

    For a bulk write holding the table's write lock (no other writer adds rows meanwhile). SQLite drops the insert
    trigger and makes it again inside the transaction (a write that fails leaves it as it was); on PostgreSQL the
    trigger holds its upkeep while a setting local to the transaction says so (a failed write's savepoint undoes
    it). Without the trigger (no search index installed), the rows are inserted as they would be.
    """
    if table not in DOCUMENTS:
        yield
        return
    index, document = search_table(table), DOCUMENTS[table]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [f"{index}_insert"])
            found = cursor.fetchone()
            if found is None:
                yield
                return
            cursor.execute(f"DROP TRIGGER {index}_insert")
            yield
            cursor.execute(f"INSERT INTO {index} (rowid, document) SELECT row.id, {document} FROM {table} AS row "
                           "WHERE row.id > %s", [after])
            cursor.execute(found[0])
            return
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass",
                       [f"{index}_upkeep", table])
        if cursor.fetchone() is None:
            yield
            return
        cursor.execute("SELECT set_config(%s, 'on', true)", [AT_END])
        yield
        document = document.replace("char(10)", "E'\\n'")
        cursor.execute(f"INSERT INTO {index} (id, document) SELECT row.id, {document} FROM {table} AS row "
                       "WHERE row.id > %s", [after])
        cursor.execute("SELECT set_config(%s, 'off', true)", [AT_END])


def like_pattern(word: str) -> str:
    """Return a LIKE pattern finding `word` anywhere (its own %, _ and \\ taken literally)."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def matching_ids(table: str, words: list[str], vendor: str) -> RawSQL:
    """Return the ids of the rows of `table` whose search document holds every word, as a subquery."""
    index = search_table(table)
    if vendor == "sqlite":
        expression = " AND ".join('"' + word.replace('"', '""') + '"' for word in words)
        return RawSQL(f"SELECT rowid FROM {index} WHERE {index} MATCH %s", [expression])
    conditions = " AND ".join(["document ILIKE %s"] * len(words))
    return RawSQL(f"SELECT id FROM {index} WHERE {conditions}", [like_pattern(word) for word in words])
