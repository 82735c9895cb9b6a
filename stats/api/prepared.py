"""Numbered pages of a list whose SQL is compiled once per shape of question, then bound to each request's values.

Building a page's query through the ORM (filters, the reader's joins, order, slice) and compiling it costs more than
the database takes to run it. The ORM stays the one place the query is declared: what is kept is what it compiled.

A question's *shape* is what decides the text of its SQL: which filters it gives, how many values each list has, the
booleans, the ordering, the page (its offset, or a cursor's direction) and its size. Its *values* (ids of slugs,
dates, numbers, texts, a cursor's keys) are bound as parameters. The first request of a shape builds its page twice,
once with its own values and once with a stand-in for each (values no real question holds), and so learns which value
each parameter comes from; it keeps the statement only if both builds have one text and the statement bound to the
request's own values gives exactly the parameters the ORM gave. A shape whose SQL does not follow (a text search's
terms, which become a search expression) is remembered as not kept and always built through the ORM, as are reads of
the past.

`PreparedQuery` keeps the statements of one other query the same way (a series' points), per model, the past's twins
included: its shape is which of its values are None.
"""

import datetime
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.db import connections, router

from stats.api.pagination import order_by_args, ordering_with_tiebreak, seek_page
from stats.api.reading import read, select_names

# Statements kept per process (the least recently used give way): questions have few usual shapes.
MAX_SHAPES = 512
# Stand-ins, told apart by adding their index: within every column's range. A parameter of the query that happens to
# equal one only makes the check fail, and the shape is then built by the ORM.
STAND_IN_INTEGER = 2_000_000_000
STAND_IN_DAY = datetime.date(1111, 1, 1)
STAND_IN_TEXT = "\u2063stand-in "


@dataclass(frozen=True)
class Statement:
    sql: str
    # Per parameter: (index of the value it is, how the ORM adapts that value or None, None), or, for a parameter
    # that is no value of the question's, (None, None, the parameter).
    binding: tuple[tuple[int | None, object, object], ...]
    names: tuple[str, ...]  # its columns

    def bind(self, values: list) -> list:
        return [
            constant if index is None else values[index] if adapt is None else adapt(values[index])
            for index, adapt, constant in self.binding
        ]


class PreparedPages:
    """The statements of one list's pages, per shape of question, read by `reader` (a ValuesReader).

    A page is `("offset", n)` (a numbered page) or `("seek", back)` (a cursor's: the rows after, or before, the
    cursor's keys, which are bound like the filters' values).
    """

    def __init__(self, reader):
        self.reader = reader
        self.statements: OrderedDict[tuple, Statement] = OrderedDict()  # the least recently used first
        self.unkept: set[tuple] = set()  # shapes whose SQL does not follow them
        self.orderings: dict[tuple, list[tuple[str, bool]]] = {}
        self.lock = threading.Lock()

    def question(self, filterset) -> tuple[tuple, list] | None:
        """Return the shape of `filterset`'s (valid) question, told apart per kind of database and list, and its
        values; or None where it is built through the ORM."""
        split = shape_and_values(filterset.form.cleaned_data)
        if split is None:
            return None
        shape, values = split
        vendor = connections[filterset.queryset.db].vendor
        shape = (vendor, type(filterset), filterset.queryset.model, shape)
        return None if shape in self.unkept else (shape, values)

    def ordering(self, filterset, shape: tuple, values: list) -> list[tuple[str, bool]]:
        """Return the order of a question's rows, with its tie-break (what a cursor is read against)."""
        ordering = self.orderings.get(shape)
        if ordering is None:
            ordering = ordering_with_tiebreak(filtered(filterset, iter(values)))
            with self.lock:
                if len(self.orderings) < MAX_SHAPES:
                    self.orderings[shape] = ordering
        return ordering

    def statement(self, filterset, shape: tuple, values: list, page: tuple, size: int) -> Statement | None:
        """Return the statement of this page of the question (its values, then a cursor's keys, in `values`), or
        None where the page must be built through the ORM."""
        key = (shape, page, size)
        with self.lock:
            statement = self.statements.get(key)
            if statement is not None:
                self.statements.move_to_end(key)
                return statement
        statement = self.learn(filterset, values, page, size)
        with self.lock:
            if statement is None:
                if len(self.unkept) < MAX_SHAPES:
                    self.unkept.add(shape)
            else:
                self.statements[key] = statement
                if len(self.statements) > MAX_SHAPES:
                    self.statements.popitem(last=False)
        return statement

    def build(self, filterset, values: list, page: tuple, size: int):
        """Return the page's values() queryset with `values` in the places of the question's own (and of the
        cursor's keys)."""
        taken = iter(values)
        queryset = filtered(filterset, taken)
        ordering = ordering_with_tiebreak(queryset)
        rows = self.reader.values(queryset, [path for path, _descending in ordering])
        if page[0] == "offset":
            return rows.order_by(*order_by_args(ordering))[page[1] : page[1] + size]
        return seek_page(rows, ordering, list(taken), page[1], size)

    def learn(self, filterset, values: list, page: tuple, size: int) -> Statement | None:
        """Build the page with the request's values and with stand-ins; return its statement, or None if its SQL
        does not follow its shape."""
        return learned(lambda given: self.build(filterset, given, page, size), values)

    def read(self, alias: str, statement: Statement, values: list) -> list[tuple]:
        """Return the page's rows (tuples of `statement.names`), as the reader's fetch() would."""
        return read(alias, statement.sql, statement.bind(values))


class PreparedQuery:
    """The statements of one values() query, `build(model, values)`, per model (a live one or its past twin),
    database and shape: which of its values are None (`IS NULL`, or a filter left out)."""

    def __init__(self, build):
        self.build = build
        self.statements: dict[tuple, Statement] = {}
        self.unkept: set[tuple] = set()  # shapes whose SQL does not follow them
        self.lock = threading.Lock()

    def rows(self, model, values: list) -> tuple[tuple[str, ...], list[tuple]]:
        """Return the names of the query's columns and its rows (as read() gives them) for these values."""
        alias = router.db_for_read(model)
        shape = (model, alias, tuple(value is None for value in values))
        statement = self.statements.get(shape)
        if statement is None and shape not in self.unkept:
            statement = learned(lambda given: self.build(model, given).using(alias), values)
            with self.lock:
                if statement is None:
                    self.unkept.add(shape)
                elif len(self.statements) < MAX_SHAPES:
                    self.statements[shape] = statement
        if statement is None:
            built = self.build(model, values).using(alias)
            sql, params = built.query.get_compiler(alias).as_sql()
            return select_names(built.query), read(alias, sql, params)
        return statement.names, read(alias, statement.sql, statement.bind(values))


def learned(build, values: list) -> Statement | None:
    """Build a values() query (`build(values)`) with the given values and with stand-ins (None stays None); return
    its statement, or None if its SQL does not follow its shape."""
    built = build(values)
    stand_ins = [None if value is None else stand_in(index, value) for index, value in enumerate(values)]
    stood_in = build(stand_ins)
    connection = connections[built.db]
    sql, params = built.query.get_compiler(built.db).as_sql()
    stand_in_sql, stand_in_params = stood_in.query.get_compiler(built.db).as_sql()
    if sql != stand_in_sql or len(params) != len(stand_in_params):
        return None
    forms = {}
    for index, value in enumerate(stand_ins):
        if value is not None:
            for adapt in adapters(value, connection):
                forms.setdefault(adapt(value) if adapt else value, (index, adapt))
    binding = []
    for parameter in stand_in_params:
        try:
            index, adapt = forms.get(parameter, (None, None))
        except TypeError:  # not hashable, so no stand-in
            index, adapt = None, None
        binding.append((index, adapt, parameter if index is None else None))
    statement = Statement(sql=sql, binding=tuple(binding), names=select_names(built.query))
    return statement if statement.bind(values) == list(params) else None


def filtered(filterset, values):
    """Return the filterset's queryset filtered by its question with the next of `values` (an iterator) in the
    places of the question's own, as FilterSet.filter_queryset() does."""
    queryset = filterset.queryset.all()
    for name, value in with_values(filterset.form.cleaned_data, values).items():
        queryset = filterset.filters[name].filter(queryset, value)
    return queryset


def shape_and_values(cleaned: dict) -> tuple[tuple, list] | None:
    """Split a question's cleaned filters into what decides its SQL's text and the values bound into it."""
    shape, values = [], []
    for name, value in cleaned.items():
        if value is None or isinstance(value, bool):
            shape.append((name, value))
        elif name == "ordering":
            shape.append((name, tuple(value)))
        elif isinstance(value, list):
            items = list(dict.fromkeys(value))  # as `IN` reads them: the ORM leaves out repeated values
            if not all(bindable(item) for item in items):
                return None
            shape.append((name, len(items)))
            values.extend(items)
        elif bindable(value):
            shape.append((name, type(value).__name__))
            values.append(value)
        else:
            return None
    return tuple(shape), values


def with_values(cleaned: dict, taken) -> dict:
    """Return `cleaned` with the next of `taken` (an iterator) in the places shape_and_values() took them from."""
    rebuilt = {}
    for name, value in cleaned.items():
        if value is None or isinstance(value, bool) or name == "ordering":
            rebuilt[name] = value
        elif isinstance(value, list):
            rebuilt[name] = [next(taken) for _item in dict.fromkeys(value)]
        else:
            rebuilt[name] = next(taken)
    return rebuilt


def bindable(value) -> bool:
    return isinstance(value, int | str | datetime.date) and not isinstance(value, bool)


def stand_in(index: int, value):
    """Return a value of `value`'s type that no real question holds, told apart by `index`."""
    if isinstance(value, datetime.datetime):
        return datetime.datetime(1111, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(seconds=index + 1)
    if isinstance(value, datetime.date):
        return STAND_IN_DAY + datetime.timedelta(days=index + 1)
    if isinstance(value, int):
        return STAND_IN_INTEGER + index
    return f"{STAND_IN_TEXT}{index}"


def adapters(value, connection) -> list:
    """Return the ways the ORM may turn `value` into a parameter: as it is, or as a date or time column takes it."""
    if isinstance(value, datetime.datetime):
        return [None, connection.ops.adapt_datetimefield_value]
    if isinstance(value, datetime.date):
        return [None, connection.ops.adapt_datefield_value]
    return [None]
