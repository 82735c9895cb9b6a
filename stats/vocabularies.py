"""Each process's copy of the vocabularies: the conflicts, parties, categories, sources and datasets.

They are few rows that change rarely, and nearly every request reads them: a list's filters name them by slug, and
every figure of a list shows the slugs and names of its conflict, party, category, claimant, dataset and report's
publisher. Each process keeps their slugs and ids, and the fields readers show (`keep()`), all read by one query when
the data version has changed (with the version, from the same database: a replica behind another is then read again,
never kept under a version it has not reached). A list of figures then reads its relations' ids and shows them from
the copy, instead of joining five tables for every row.

A vocabulary of more than KEPT_ROWS rows is not copied whole: its slugs are looked up per request, and the rows a
page shows are read by their ids. The past (`as_recorded`) is never read from the copies: a slug or a name may have
changed since.
"""

import threading
from dataclasses import dataclass

from django.db import connections, router

from stats import past, versions
from stats.models import Category, Conflict, Dataset, Party, Source

MODELS = (Conflict, Party, Category, Source, Dataset)
KEPT_ROWS = 10_000
# Per vocabulary, the fields besides its slug that readers show from the copy (stats/api/reading.py asks).
shown: dict[type, list[str]] = {model: [] for model in MODELS}


@dataclass
class Copy:
    pks: dict[str, int] | None  # {slug: id}; None for a vocabulary too large to copy
    columns: dict[str, dict]  # {field: {id: value}}, each with None: None (a null relation shows null)


# This process's copies, and the state of the data (versions.latest()) they were read at. Replaced whole, never by
# copies of an older state (a replica behind the one read before), so that a request goes on with those it was given.
kept: tuple[tuple, dict[type, Copy]] | None = None
lock = threading.Lock()


def forget() -> None:
    """Drop this process's copies: the next request reads them again."""
    global kept
    kept = None


def keep(model, field: str) -> None:
    """Keep `field` of the vocabulary `model` in the copies from now on (a reader shows it)."""
    if field != "slug" and field not in shown[model]:  # the slug is always kept
        shown[model].append(field)
        forget()


def copies() -> dict[type, Copy]:
    """Return this process's copies of the vocabularies, read again when the data version has changed."""
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
    """Return a copy of every vocabulary, read by one query (up to one row more than KEPT_ROWS of each)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    # One place per field; where a vocabulary lacks it, a null of its type (PostgreSQL's UNION needs one type).
    types = {}
    for model in MODELS:
        for field in shown[model]:
            types.setdefault(field, model._meta.get_field(field).cast_db_type(connection))
    fields = list(types)
    parts = []
    for number, model in enumerate(MODELS):
        columns = [
            quote(model._meta.get_field(field).column) if field in shown[model] else f"CAST(NULL AS {types[field]})"
            for field in fields
        ]
        selected = ", ".join(
            f"{column} AS c{place}"
            for place, column in enumerate([str(number), quote(model._meta.pk.column), quote("slug"), *columns])
        )
        parts.append(
            f"SELECT * FROM (SELECT {selected} FROM {quote(model._meta.db_table)} LIMIT {KEPT_ROWS + 1}) AS v{number}"
        )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        rows = cursor.fetchall()
    fresh = {}
    for number, model in enumerate(MODELS):
        own = [row[1:] for row in rows if row[0] == number]
        if len(own) > KEPT_ROWS:
            fresh[model] = Copy(None, {field: {None: None} for field in ["slug", *shown[model]]})
            continue
        columns = {"slug": {row[0]: row[1] for row in own}}
        for field in shown[model]:
            place = 2 + fields.index(field)
            columns[field] = {row[0]: row[place] for row in own}
        for column in columns.values():
            column[None] = None
        fresh[model] = Copy({row[1]: row[0] for row in own}, columns)
    return fresh


def include(copy: Copy, model, ids: set, alias: str) -> dict[str, dict]:
    """Return the columns of `copy` (of the vocabulary `model`) holding the rows `ids`, those it lacks read from
    `alias` by one query: rows added since it was read, or of a vocabulary too large to copy. Later requests find
    them there too."""
    fields = ["slug", *shown[model]]
    # New dicts, put in place at once: a thread showing rows from the old ones goes on undisturbed.
    columns = {field: dict(values) for field, values in copy.columns.items()}
    if copy.pks is None and len(columns["slug"]) + len(ids) > KEPT_ROWS:  # too large: keep what is asked now
        columns = {field: {None: None} for field in fields}
    missing = [pk for pk in ids if pk not in columns["slug"]]
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
    pks = copies()[model].pks if model in shown else None
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
