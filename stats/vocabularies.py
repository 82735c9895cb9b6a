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
    state: tuple  # versions.latest() when it was read
    pks: dict[str, int] | None  # {slug: id}; None for a vocabulary too large to copy
    columns: dict[str, dict]  # {field: {id: value}}, each with None: None (a null relation shows null)


# Per vocabulary, this process's copy (all read together, at one state).
kept: dict[type, Copy] = {}
lock = threading.Lock()


def keep(model, field: str) -> None:
    """Keep `field` of the vocabulary `model` in the copies from now on (a reader shows it)."""
    if field != "slug" and field not in shown[model]:  # the slug is always kept
        shown[model].append(field)
        kept.clear()


def copies() -> dict[type, Copy]:
    """Return this process's copies of the vocabularies, read again when the data version has changed."""
    state = versions.latest()
    if all(kept.get(model) is not None and kept[model].state == state for model in MODELS):
        return kept
    alias = router.db_for_read(Conflict)
    state = versions.latest(using=alias)
    fresh = read_copies(alias, state)
    with lock:
        kept.update(fresh)
    return fresh


def read_copies(alias: str, state: tuple) -> dict[type, Copy]:
    """Return a copy of every vocabulary, read by one query (up to one row more than KEPT_ROWS of each)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = list(dict.fromkeys(field for model in MODELS for field in shown[model]))  # one place per field
    parts = []
    for number, model in enumerate(MODELS):
        columns = [quote(model._meta.get_field(field).column) if field in shown[model] else "NULL" for field in fields]
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
            fresh[model] = Copy(state, None, {field: {None: None} for field in ["slug", *shown[model]]})
            continue
        columns = {"slug": {row[0]: row[1] for row in own}}
        for field in shown[model]:
            place = 2 + fields.index(field)
            columns[field] = {row[0]: row[place] for row in own}
        for column in columns.values():
            column[None] = None
        fresh[model] = Copy(state, {row[1]: row[0] for row in own}, columns)
    return fresh


def include(model, ids: set) -> None:
    """Add to the copy of the vocabulary `model` those of the rows `ids` it lacks (rows added since it was read, or
    of a vocabulary too large to copy), by one query."""
    copy = copies()[model]
    fields = ["slug", *shown[model]]
    missing = [pk for pk in ids if pk not in copy.columns["slug"]]
    if not missing:
        return
    # New dicts, put in place at once: a thread showing rows from the old ones goes on undisturbed.
    columns = {field: dict(values) for field, values in copy.columns.items()}
    if copy.pks is None and len(columns["slug"]) + len(missing) > KEPT_ROWS:  # too large: keep what is asked now
        columns = {field: {None: None} for field in fields}
    for pk, *values in rows_where(model, [model._meta.pk.name, *fields], model._meta.pk.name, missing):
        for field, value in zip(fields, values, strict=True):
            columns[field][pk] = value
    copy.columns = columns


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


def rows_where(model, fields: list[str], key: str, values: list) -> list[tuple]:
    """Return `fields` of the rows of `model` whose field `key` is one of `values`, by one plain query."""
    reading = connections[router.db_for_read(model)]
    quote = reading.ops.quote_name
    column = {name: quote(model._meta.get_field(name).column) for name in {*fields, key}}
    with reading.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(column[name] for name in fields)} FROM {quote(model._meta.db_table)} "
            f"WHERE {column[key]} IN ({', '.join(['%s'] * len(values))})",
            values,
        )
        return cursor.fetchall()
