"""Pages of any list: `page` and `page_size`, and a keyset `cursor` in `next` so that deep pages stay fast."""

import datetime
from functools import reduce

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, Q
from django.db.models.constants import LOOKUP_SEP
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.utils import timezone
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from stats import versions
from stats.api.errors import PageNotFound, ParameterError

CURSOR_SALT = "conflictdata.pagination.cursor"
# Deeper than this, a numbered page would make the database count past every row before it: `cursor` seeks instead.
MAX_OFFSET = 10_000


def counted(count, request, version: str | None, page_parameters: set[str]) -> int:
    """Return `count()` (the number of rows of the list), remembered in the cache for as long as the data stays at
    `version`.

    A list's pages, and every client asking the same question, share one count: a broad filter's count scans its
    matches once per change of the data, not once per page. The question is the path and its parameters other than
    the page's (and the day, which the defaults of some parameters depend on); any write makes a new version.
    """
    if version is None:
        return count()
    question = sorted((name, value) for name, value in request.query_params.items() if name not in page_parameters)
    return versions.remembered(count, "count", version, timezone.localdate(), request.path, question)


def ordering_with_tiebreak(queryset) -> list[tuple[str, bool]]:
    """Return the queryset's ordering as (path, descending) pairs, ending with the primary key.

    Ties are broken by `id` in the direction of the first ordering field, so that every row has one place.
    """
    names = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    ordering = [(name.lstrip("-"), name.startswith("-")) for name in names]
    ordering = [("id" if path == "pk" else path, descending) for path, descending in ordering]
    if not any(path == "id" for path, _descending in ordering):
        ordering.append(("id", ordering[0][1] if ordering else False))
    return ordering


def order_by_args(ordering: list[tuple[str, bool]]) -> list[str]:
    return [f"-{path}" if descending else path for path, descending in ordering]


def value_at(row, path: str):
    """Return the value at `report__published_on`-style `path` of a model instance."""
    return reduce(getattr, path.split(LOOKUP_SEP), row)


def model_field(model, path: str):
    *relations, name = path.split(LOOKUP_SEP)
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def after(ordering: list[tuple[str, bool]], keys: list):
    """Return the condition for rows that come after `keys` in `ordering` (a keyset, or seek, condition).

    When every column runs the same way, the condition is one row comparison, `(period_end, id) < (…, …)`, which
    PostgreSQL seeks to in a matching index and plans quickly; otherwise (and on SQLite, which Django gives the
    expanded form) it is spelled out column by column.
    """
    path, descending = ordering[0]
    bound = Q(**{f"{path}__{'lte' if descending else 'gte'}": keys[0]})  # lets the database seek in the index
    if len({descending for _path, descending in ordering}) == 1 and connection.features.supports_tuple_lookups:
        beyond = TupleLessThan if descending else TupleGreaterThan
        return bound & Q(beyond(Tuple(*[F(path) for path, _descending in ordering]), list(keys)))
    condition = None
    for index in reversed(range(len(ordering))):
        path, descending = ordering[index]
        step = Q(**{f"{path}__{'lt' if descending else 'gt'}": keys[index]})
        condition = step if condition is None else step | (Q(**{path: keys[index]}) & condition)
    return bound & condition


def reversed_ordering(ordering: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    return [(path, not descending) for path, descending in ordering]


def seek_page(queryset, ordering: list[tuple[str, bool]], keys: list, back: bool, size: int):
    """Return the `size` rows of `queryset` after `keys` in `ordering` or, going `back`, the rows before them, read
    backwards from them (the caller puts them back in order)."""
    seek = reversed_ordering(ordering) if back else ordering
    return queryset.order_by(*order_by_args(seek)).filter(after(seek, keys))[:size]


def encode_key(value):
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)  # as SQLite gives a stored time: in UTC, without its zone
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def utc_if_naive(value):
    """Return a key read from a cursor; a time without its zone is one SQLite gave as the text it stores, in UTC."""
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value


class KeysetPagination(BasePagination):
    """Numbered pages whose `next` link seeks from the last row instead of counting rows from the start."""

    page_size = 100
    max_page_size = 1000
    page_query_param = "page"
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"

    def query_parameters(self) -> set[str]:
        return {self.page_query_param, self.page_size_query_param, self.cursor_query_param}

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ParameterError(
                {self.page_size_query_param: [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_page_number(self, request) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not raw.isdigit() or int(raw) < 1 or len(raw) > 18:
            raise ParameterError({self.page_query_param: ["Give a whole number from 1 up."]})
        return int(raw)

    def decode_cursor(self, raw: str, ordering, model) -> tuple[int, list, bool]:
        """Return the page number a cursor leads to, the keys of the row it seeks from, and whether it goes back."""
        message = "This cursor is not valid for this list: follow the `next` link as given, or start from page 1."
        try:
            cursor = signing.loads(raw, salt=CURSOR_SALT)
            page_number, names, keys, back = cursor["n"], cursor["o"], cursor["k"], cursor.get("b", False)
            if names != order_by_args(ordering) or not isinstance(page_number, int) or len(keys) != len(ordering):
                raise ValueError("ordering changed")
            if not isinstance(back, bool):
                raise ValueError("direction")
            keys = [
                utc_if_naive(model_field(model, path).to_python(key))
                for (path, _desc), key in zip(ordering, keys, strict=True)
            ]
        except (signing.BadSignature, ValueError, TypeError, KeyError, ValidationError):
            raise ParameterError({self.cursor_query_param: [message]}) from None
        return page_number, keys, back

    def encode_cursor(self, page_number: int, ordering, row, back: bool = False, key=value_at) -> str:
        """Return the cursor of page `page_number`: it seeks from `row` (its values at paths read by `key`), forward
        (the next page) or back."""
        cursor = {
            "n": page_number,
            "o": order_by_args(ordering),
            "k": [encode_key(key(row, path)) for path, _descending in ordering],
        }
        if back:
            cursor["b"] = True
        return signing.dumps(cursor, salt=CURSOR_SALT, compress=True)

    def paginate_queryset(self, queryset, request, view=None, fetch=list, counting=None, key=value_at):
        """Return the requested page of `queryset`, read by `fetch` (a faster reader may be given, with `key` to read
        a row's value at a path); count `counting` (the same rows without the joins a values() reader adds: a count
        joins only what the filters need) or, when not given, `queryset`."""
        ordering = ordering_with_tiebreak(queryset)
        offset = self.begin(request)
        queryset_in_order = queryset.order_by(*order_by_args(ordering))
        self.count = counted((queryset_in_order if counting is None else counting).count, request,
                             getattr(view, "data_version", None), self.query_parameters())

        if offset is None:
            self.page_number, keys, back = self.decode_cursor(
                request.query_params[self.cursor_query_param], ordering, queryset.model
            )
            rows = fetch(seek_page(queryset, ordering, keys, back, self.page_size_value))
            rows = rows[::-1] if back else rows
        else:
            rows = fetch(queryset_in_order[offset : offset + self.page_size_value]) if offset < self.count else []
        return self.end(rows, ordering, key)

    def begin(self, request) -> int | None:
        """Check the page's parameters; return the offset of a numbered page (None for a cursor's page)."""
        self.request = request
        params = request.query_params
        if self.cursor_query_param in params and self.page_query_param in params:
            raise ParameterError({self.cursor_query_param: ["Give either cursor or page, not both."]})
        self.page_size_value = self.get_page_size(request)
        if self.cursor_query_param in params:
            return None
        self.page_number = self.get_page_number(request)
        offset = (self.page_number - 1) * self.page_size_value
        if offset > MAX_OFFSET:
            raise ParameterError({self.page_query_param: [
                f"Pages are numbered only for the first {MAX_OFFSET:,} rows: to go deeper, follow the `next` "
                "links (their `cursor` seeks straight to the next rows, however deep)."
            ]})
        return offset

    def end(self, rows: list, ordering: list[tuple[str, bool]], key=value_at) -> list:
        """Return the page's rows (`self.count` known), with what its links need (the rows' values at paths read by
        `key`); a page past the end is a 404."""
        last_page = max(1, -(-self.count // self.page_size_value))
        if not rows and self.page_number > 1:
            raise PageNotFound(
                f"Page {self.page_number} is past the end: there {'is' if last_page == 1 else 'are'} "
                f"{last_page} page{'' if last_page == 1 else 's'} of {self.page_size_value}."
            )
        self.has_next = self.page_number < last_page and len(rows) == self.page_size_value
        self.next_cursor = self.previous_cursor = None
        if self.has_next:
            self.next_cursor = self.encode_cursor(self.page_number + 1, ordering, rows[-1], key=key)
        if self.page_number > 2 and rows:
            self.previous_cursor = self.encode_cursor(self.page_number - 1, ordering, rows[0], back=True, key=key)
        return rows

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, self.next_cursor)

    def get_previous_link(self) -> str | None:
        """Return the previous page's address: page 1's own, or a cursor seeking back (a numbered page might be
        deeper than pages are numbered)."""
        if self.page_number <= 1:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        if self.previous_cursor is None:
            return remove_query_param(url, self.cursor_query_param)
        return replace_query_param(url, self.cursor_query_param, self.previous_cursor)

    def get_paginated_response(self, data):
        return Response(
            {"count": self.count, "next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "description": "How many rows match, in all pages.", "example": 1626},
                "next": {
                    "type": "string", "nullable": True, "format": "uri",
                    "description": "The next page's full address, or null on the last page. Follow it as given.",
                },
                "previous": {
                    "type": "string", "nullable": True, "format": "uri",
                    "description": "The previous page's full address, or null on the first page.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param, "required": False, "in": "query",
                "description": f"Page number, from 1, for the first {MAX_OFFSET:,} rows ((page − 1) × page_size ≤ "
                f"{MAX_OFFSET:,}); deeper, follow the `cursor` of `next`. A page past the end is a 404.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 10**17},
            },
            {
                "name": self.page_size_query_param, "required": False, "in": "query",
                "description": f"Rows per page, from 1 to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.cursor_query_param, "required": False, "in": "query",
                "description": "Opaque position carried by `next` links; not to be written by hand. "
                "Not together with `page`.",
                "schema": {"type": "string"},
            },
        ]
