"""Lists read straight from the database: one values() query, no model instances, no field objects per value.

A `ValuesReader` is derived from a serializer's own fields, so that a list and a single object cannot disagree
about which fields there are or where each comes from: relations by slug show the slug (a vocabulary's from the
process's copy, stats/vocabularies.py, in reads of the present; otherwise through a join), a relation by id its key,
model fields their column, and `Computed` fields are worked out from the values they name.
Rows stay the tuples the driver gives: numbers, and dates and times as Python values from PostgreSQL and as the
ISO text SQLite stores (read without converters: conflictdata/env.py; a time is written in the JSON's form by
`time_text`); the JSON renderer writes them as the serializer would.
"""

import functools
import inspect
import threading

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connections, models
from rest_framework import serializers

from stats import vocabularies
from stats.api.pagination import model_field
from stats.api.serializers import Computed


class ValuesReader:
    def __init__(self, serializer_class):
        # In the serializer's order: (field name, lookup path, None) or (field name, compute, {argument: path}).
        self.fields: list[tuple[str, object, dict | None]] = []
        model = serializer_class.Meta.model
        for name, field in serializer_class().fields.items():
            if isinstance(field, Computed):
                self.fields.append((name, field.compute, field.paths))
            elif isinstance(field, serializers.SlugRelatedField):
                self.fields.append((name, f"{field.source}__{field.slug_field}", None))
            elif isinstance(field, serializers.PrimaryKeyRelatedField) or self.is_column(model, field.source):
                self.fields.append((name, field.source, None))
            else:
                raise ImproperlyConfigured(f"{serializer_class.__name__}.{name} cannot be read from values().")
        paths = []
        for _name, source, arguments in self.fields:
            paths.extend(arguments.values() if arguments else [source])
        self.paths = list(dict.fromkeys(paths))
        # The paths to a field of a vocabulary or a report (stats/vocabularies.py): {path: (the relation's path, its
        # model, the field)}. Reads of the present select the first relation's id and show the rest from the process's
        # copies: `report__publisher__name` is the name of the source whose id is the `publisher` of the copied report.
        self.kept: dict[str, tuple[str, type, str]] = {}
        pending = list(self.paths)
        while pending:
            path = pending.pop()
            *relations, field = path.split("__")
            related = model
            for relation in relations:
                related = related._meta.get_field(relation).related_model
            if relations and related in vocabularies.MODELS and path not in self.kept:
                self.kept[path] = ("__".join(relations), related, field)
                vocabularies.keep(related, field)
                pending.append("__".join(relations))
        self.present_paths = list(dict.fromkeys(self.selected(path) for path in self.paths))
        # The paths to a time: SQLite, read without converters (conflictdata/env.py), gives the text it stores.
        self.times = {path for path in self.paths if isinstance(model_field(model, path), models.DateTimeField)}
        self.representations: dict[tuple, tuple] = {}  # per order of columns (and times' form), written out once
        self.lock = threading.Lock()

    def selected(self, path: str) -> str:
        """Return the path a read of the present selects to show `path`: itself, or the first relation on its way."""
        while path in self.kept:
            path = self.kept[path][0]
        return path

    @staticmethod
    def is_column(model, name: str) -> bool:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return field.concrete and not field.is_relation

    def values(self, queryset, extra_paths=(), kept=True):
        """Return `queryset` as values() of every path the representation needs, plus `extra_paths` (the ordering).

        With `kept` (reads of the present), the vocabularies' fields are the ids of the relations, shown from the
        process's copies; without (the past), the fields themselves, joined.
        """
        return queryset.values(*dict.fromkeys([*(self.present_paths if kept else self.paths), *extra_paths]))

    @staticmethod
    def fetch(queryset) -> list[tuple]:
        """Return the rows of a values() queryset as tuples in the order of its columns (select_names())."""
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
        return read(queryset.db, sql, params)

    def represent(self, rows: list[tuple], names: tuple[str, ...], alias: str) -> list[dict]:
        """Return each row (a tuple of the columns `names`, read from the database `alias`) as the serializer
        represents it."""
        if not rows:
            return []
        represent, kept = self.representation(names, times_as_text(alias))
        if not kept:
            return represent(rows)
        copies = vocabularies.copies()
        # The columns this request shows rows from: another thread may replace a copy's columns meanwhile.
        columns = {model: copies[model].columns for _relation, model, _field in kept}
        try:
            return represent(rows, *[columns[model][field] for _relation, model, field in kept])
        except KeyError:
            if not self.include(rows, names, kept, copies, columns, alias):
                raise  # not a row the copies lack
            return represent(rows, *[columns[model][field] for _relation, model, field in kept])

    def include(self, rows: list[tuple], names: tuple[str, ...], kept: list, copies: dict, columns: dict,
                alias: str) -> bool:
        """Put in `columns` ({model: a copy's columns}) the rows these `rows` show that they lack, read from `alias`
        and kept in the copies; return whether any was lacking. A relation through a copy (a report's publisher)
        leads to rows only once that copy holds the rows it passes through: the tables are read again until none
        lacks a row, or every relation has been followed to its end."""
        position = positions(names)

        def id_at(relation: str, row: tuple):
            if relation in position:
                return row[position[relation]]
            parent, model, field = self.kept[relation]
            return columns[model][field].get(id_at(parent, row))

        # Usually one round: a table after those its relations pass through (the sources after the reports).
        models = sorted(
            {model for _relation, model, _field in kept},
            key=lambda model: max(relation.count("__") for relation, of, _field in kept if of is model),
        )
        lacked = False
        # Each round finds the rows one copy further along every relation: as many rounds as the longest relation.
        for _round in range(1 + max(relation.count("__") for relation, _model, _field in kept)):
            lacking = False
            for model in models:
                ids = {id_at(relation, row) for row in rows for relation, of, _field in kept if of is model}
                if not vocabularies.holds(columns[model], model, ids):  # added since it was read, or too many to copy
                    columns[model] = vocabularies.include(copies[model], model, ids, alias)
                    lacking = lacked = True
            if not lacking:
                break
        return lacked

    def representation(self, names: tuple[str, ...], text_times: bool = False) -> tuple:
        """Return the function making the representation of rows of the columns `names`, written out once for them,
        and the vocabularies' fields it shows from the copies: (relation's path, model, field), its arguments after
        the rows. With `text_times`, the rows' times are SQLite's text, written as the JSON writes a time.

        What a loop over the fields would do for every value of every row is decided here, once: the function is
        one list comprehension of one dict display, `{"id": row[0], "party": kept_1[row[2]], …, "citation":
        compute_7(kept_4[row[17]], …, kept_9[kept_8[row[5]]])}` (the name of the report's publisher), which runs in
        half the time of the loop.
        """
        found = self.representations.get((names, text_times))
        if found is not None:
            return found
        position = positions(names)
        kept: dict[str, tuple[str, type, str]] = {}  # per path read from a copy, the copy's column

        def value(path: str) -> str:
            if path in position:
                read = f"row[{position[path]}]"
                return f"time_text({read})" if text_times and path in self.times else read
            kept.setdefault(path, self.kept[path])
            return f"kept_{list(kept).index(path)}[{value(self.kept[path][0])}]"

        namespace, entries = {"time_text": time_text}, []
        for number, (name, source, arguments) in enumerate(self.fields):
            if arguments is None:
                entries.append(f"{name!r}: {value(source)}")
            else:
                namespace[f"compute_{number}"] = source
                entries.append(f"{name!r}: compute_{number}({', '.join(given(source, arguments, value))})")
        parameters = "".join(f", kept_{index}" for index in range(len(kept)))
        code = f"def represent(rows{parameters}):\n    return [{{{', '.join(entries)}}} for row in rows]\n"
        exec(compile(code, f"<representation of {len(self.fields)} fields>", "exec"), namespace)
        with self.lock:
            return self.representations.setdefault((names, text_times), (namespace["represent"], list(kept.values())))


def given(compute, arguments: dict[str, str], value) -> list[str]:
    """Return how the representation passes `compute` its `arguments` ({argument: path}; `value(path)` reads one):
    by position, in the order of its parameters, where it takes them so (a call by position costs half as much as
    one by name: a citation has sixteen), otherwise by name."""
    try:
        parameters = inspect.signature(compute, follow_wrapped=False).parameters  # a wrapper's own, not what it wraps
    except ValueError:  # none of its own to read (a wrapper written in C, as lru_cache's): by name
        parameters = {}
    if parameters.keys() == arguments.keys() and all(
        parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        for parameter in parameters.values()
    ):
        return [value(arguments[argument]) for argument in parameters]
    return [f"{argument}={value(path)}" for argument, path in arguments.items()]


def times_as_text(alias: str) -> bool:
    """Return whether the database `alias` gives times as the text it stores: SQLite read without converters."""
    connection = connections[alias]
    return connection.vendor == "sqlite" and not connection.settings_dict["OPTIONS"].get("detect_types", 1)


def time_text(stored: str | None) -> str | None:
    """Return a time as SQLite stores it (`2024-12-16 09:30:00.123456`, in UTC) as the JSON writes a time."""
    return None if stored is None else f"{stored.replace(' ', 'T', 1)}Z"


def select_names(query) -> tuple[str, ...]:
    """Return the names of the columns a values() query selects, in their order."""
    return (*query.extra_select, *query.values_select, *query.annotation_select)


def positions(names: tuple[str, ...]) -> dict[str, int]:
    return {name: index for index, name in enumerate(names)}


@functools.cache
def keys_of(names: tuple[str, ...]):
    """Return how to read the value at a path (a column of `names`) of a row: the paginator's cursors need it."""
    position = positions(names)
    return lambda row, path: row[position[path]]


def read(alias: str, sql: str, params) -> list[tuple]:
    """Return the rows of `sql`, as the driver gives them.

    psycopg gives dates and times as Python objects, SQLite as the text it stores; Django's converters, called once
    per value, cost more than the query on a page of a hundred rows.
    """
    connection = connections[alias]
    with connection.cursor() as cursor:
        with_compiled_time_loader(cursor, connection)
        cursor.execute(sql, params)
        return cursor.fetchall()


def compiled_time_loader(execute, sql, params, many, context):
    """An execute wrapper (`connection.execute_wrapper()`): the statement's cursor reads times as read() does, with
    psycopg's compiled loader."""
    with_compiled_time_loader(context["cursor"], context["connection"])
    return execute(sql, params, many, context)


def with_compiled_time_loader(cursor, connection) -> None:
    """Let `cursor`, on PostgreSQL, read times with psycopg's compiled loader.

    Django gives every connection a loader of its own (psycopg's pure-Python one, then the time zone set again);
    where the connection's zone is UTC, which Django sets when USE_TZ is on, psycopg's compiled loader gives the same
    times with the same zone (`datetime.timezone.utc`), several times faster: Django's took 1.5 ms of a page of a
    hundred figures (two times each).
    """
    if connection.vendor != "postgresql" or not settings.USE_TZ or connection.timezone_name != "UTC":
        return
    import psycopg
    from psycopg.pq import Format

    loader = psycopg.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
    cursor.cursor.adapters.register_loader("timestamptz", loader)
