"""Each process's copy of the vocabularies: the conflicts, parties, categories, sources and datasets, and the reports.

They are few rows that change rarely, and nearly every request reads them: a list's filters name the vocabularies by
slug, and every figure of a list shows the slugs and names of its conflict, party, category, claimant and dataset,
and cites its report (title, day, address and publisher). Each process keeps the vocabularies' slugs and ids, and the
fields readers show (`keep()`), all read by one query when the data version has changed (with the version, from the
same database: a replica behind another is then read again, never kept under a version it has not reached). A list
of figures then reads its relations' ids and shows them from the copy, instead of joining six tables for every row.

A table of more than KEPT_ROWS rows is not copied whole: its slugs are looked up per request, and the rows a page
shows are read by their ids (and kept, up to KEPT_ROWS, while the version stands). The past (`as_recorded`) is never
read from the copies: a slug, a name or a title may have changed since.
"""

import threading
from dataclasses import dataclass

from django.db import connections, router

from stats import past, versions
from stats.models import Category, Conflict, Dataset, Party, Report, Source

# The tables copied; all but the reports are named by slug in a list's filters.
MODELS = (Conflict, Party, Category, Source, Dataset, Report)
NAMED = (Conflict, Party, Category, Source, Dataset)
KEPT_ROWS = 10_000
# Per table, the fields readers show from the copy (stats/api/reading.py asks), besides a vocabulary's slug.
shown: dict[type, list[str]] = {model: [] for model in MODELS}


@dataclass
class Copy:
    pks: dict[str, int] | None  # {slug: id} ({} for the reports: no slug); None for a table too large to copy
    columns: dict[str, dict]  # {field: {id: value}} of fields_of(), each with None: None (a null relation shows null)


# This process's copies, and the state of the data (versions.latest()) they were read at. Replaced whole, never by
# copies of an older state (a replica behind the one read before), so that a request goes on with those it was given.
kept: tuple[tuple, dict[type, Copy]] | None = None
lock = threading.Lock()


def forget() -> None:
    """Drop this process's copies: the next request reads them again."""
    global kept
    kept = None


def keep(model, field: str) -> None:
    """Keep `field` of `model` (a vocabulary, or the reports) in the copies from now on (a reader shows it)."""
    if field not in fields_of(model):  # a slug is always kept
        shown[model].append(field)
        forget()


def fields_of(model) -> list[str]:
    """Return the fields a copy of `model` holds: the slug, if it is named by one, then the fields readers show. Every
    row the copy holds has a value (or None) in each, under its id."""
    return ["slug", *shown[model]] if model in NAMED else shown[model]


def holds(columns: dict[str, dict], model, ids: set) -> bool:
    """Return whether `columns` (of a copy of `model`) hold every row of `ids`."""
    fields = fields_of(model)
    return not fields or ids <= columns[fields[0]].keys()


def copies() -> dict[type, Copy]:
    """Return this process's copies of the vocabularies and reports, read again when the data version has changed."""
    global kept
    state, found = versions.latest(), kept
    if found is not None and found[0] == state:
        return found[1]
    alias = router.db_for_read(Conflict)
    state = versions.latest(using=alias)
    fresh = read_copies(alias)
    with lock:
        if kept is None or kept[0][0] <= state[0]:
            kept = (state, fresh)
    return fresh


def read_copies(alias: str) -> dict[type, Copy]:
    """Return a copy of every vocabulary and of the reports, read by one query (up to one row more than KEPT_ROWS of
    each)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    # One place per field; where a table lacks it, a null of its type (PostgreSQL's UNION needs one type).
    types = {"slug": Conflict._meta.get_field("slug").cast_db_type(connection)}
    for model in MODELS:
        for field in shown[model]:
            types.setdefault(field, model._meta.get_field(field).cast_db_type(connection))
    fields = list(types)
    copied = [model for model in MODELS if fields_of(model)]  # the reports, once a reader shows them
    parts = []
    for number, model in enumerate(copied):
        columns = [
            quote(model._meta.get_field(field).column) if field in fields_of(model) else f"CAST(NULL AS {types[field]})"
            for field in fields
        ]
        selected = ", ".join(
            f"{column} AS c{place}"
            for place, column in enumerate([str(number), quote(model._meta.pk.column), *columns])
        )
        parts.append(
            f"SELECT * FROM (SELECT {selected} FROM {quote(model._meta.db_table)} LIMIT {KEPT_ROWS + 1}) AS v{number}"
        )
    rows = []
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts))
            rows = cursor.fetchall()
    fresh = {model: Copy(None, {}) for model in MODELS}  # the reports while no reader shows them: nothing to keep
    for number, model in enumerate(copied):
        own = [row[1:] for row in rows if row[0] == number]
        if len(own) > KEPT_ROWS:
            fresh[model] = Copy(None, {field: {None: None} for field in fields_of(model)})
            continue
        columns = {field: {row[0]: row[1 + fields.index(field)] for row in own} for field in fields_of(model)}
        for column in columns.values():
            column[None] = None
        fresh[model] = Copy({row[1]: row[0] for row in own} if model in NAMED else {}, columns)
    return fresh


def include(copy: Copy, model, ids: set, alias: str) -> dict[str, dict]:
    """Return the columns of `copy` (of the vocabulary `model`) holding the rows `ids`, those it lacks read from
    `alias` by one query: rows added since it was read, or of a table too large to copy. Later requests find them
    there too."""
    fields = fields_of(model)
    # New dicts, put in place at once: a thread showing rows from the old ones goes on undisturbed.
    columns = {field: dict(values) for field, values in copy.columns.items()}
    if copy.pks is None and len(columns[fields[0]]) + len(ids) > KEPT_ROWS:  # too large: keep what is asked now
        columns = {field: {None: None} for field in fields}
    missing = [pk for pk in ids if pk not in columns[fields[0]]]
    if missing:
        for pk, *values in rows_where(model, [model._meta.pk.name, *fields], model._meta.pk.name, missing, alias):
            for field, value in zip(fields, values, strict=True):
                columns[field][pk] = value
    copy.columns = columns
    return columns


def slug_pks(model, slugs: list[str]) -> dict[str, int]:
    """Return the primary key of each slug that exists.

    From the copy; a vocabulary too large to copy, and the past, by one plain query per request.
    """
    if past.is_past(past.twin(model)):
        return slugs_and_pks(past.twin(model), slugs)  # a slug is looked up as it was at the moment read
    pks = copies()[model].pks if model in NAMED else None
    if pks is None:
        return slugs_and_pks(model, slugs)
    return {slug: pks[slug] for slug in slugs if slug in pks}


def slugs_and_pks(model, slugs: list[str]) -> dict[str, int]:
    """Return {slug: primary key} of the given slugs that exist, by one plain query."""
    return dict(rows_where(model, ["slug", model._meta.pk.name], "slug", slugs))


def rows_where(model, fields: list[str], key: str, values: list, alias: str | None = None) -> list[tuple]:
    """Return `fields` of the rows of `model` whose field `key` is one of `values`, by one plain query."""
    reading = connections[alias or router.db_for_read(model)]
    quote = reading.ops.quote_name
    column = {name: quote(model._meta.get_field(name).column) for name in {*fields, key}}
    with reading.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(column[name] for name in fields)} FROM {quote(model._meta.db_table)} "
            f"WHERE {column[key]} IN ({', '.join(['%s'] * len(values))})",
            values,
        )
        return cursor.fetchall()
