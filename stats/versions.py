"""The data version: a counter that every committed write increases by one, and each version's commit time.

A write runs inside `recorded_write()`: one transaction that, as it ends, takes the counter's row lock (writers wait
for one another there), reads the clock, stamps every revision the write made with that time, and records the new
version with it. A long import's revisions so carry the time it committed, not the time it began, and a reader asking
for the data as it stood at any moment (`as_recorded`) finds each write whole, or not at all.

Revisions made inside a recorded write are dated PENDING until it ends, so that they can be found again (the history
tables index their dates). A save made outside any recorded write (a shell, a test's factory) makes a version of its
own, dated by its revision.
"""

import datetime
import functools
import hashlib
import threading
from contextlib import contextmanager

from django.apps import apps
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connections, router, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from stats import bulk, past

# The date of a recorded write's revisions until it ends (no reader sees it: the write has not committed).
PENDING = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)
# How long the cache keeps what was remembered about one data version (a count, a series' conflict).
REMEMBERED_SECONDS = 3600
COUNTER = "stats_dataversioncounter"
LOG = "stats_dataversion"

state = threading.local()


def history_tables() -> list[str]:
    return [
        model._meta.db_table for model in apps.get_app_config("stats").get_models()
        if model._meta.db_table.startswith("stats_historical")
    ]


def depth() -> int:
    return getattr(state, "depth", 0)


@contextmanager
def recorded_write(using: str | None = None):
    """Run a write as one transaction that ends by taking the next data version (see the module's docstring)."""
    alias = using or router.db_for_write(apps.get_model("stats", "Figure"))
    outermost = depth() == 0
    with transaction.atomic(using=alias):
        state.depth = depth() + 1
        if outermost:
            state.wrote, state.at_commit = False, []
        try:
            yield
            if outermost and state.wrote and not transaction.get_rollback(using=alias):
                commit_version(alias)
        finally:
            state.depth -= 1
            if outermost:
                state.at_commit = []


def recorded(function):
    """Make `function` a recorded write (see `recorded_write()`)."""

    @functools.wraps(function)
    def write(*args, **kwargs):
        with recorded_write():
            return function(*args, **kwargs)

    return write


def revision_time() -> datetime.datetime:
    """Return the date to give a revision made now: PENDING inside a recorded write (marking that it wrote)."""
    if depth():
        state.wrote = True
        write_held_revisions(PENDING)  # revisions are written in the order they are made
        return PENDING
    return timezone.now()


def record_created(model, after: int, last: int, *, user=None, reason: str | None = None,
                   at_commit: bool = False) -> None:
    """Write a "created" revision of each row of `model` whose id is above `after` and at most `last`, as the row
    now is, with one INSERT … SELECT: the revisions of a bulk insert.

    With `at_commit` (for a write that changes these rows no more, such as an import that is a recorded write of
    its own), they are written as the write commits, already dated with its time: a million revisions written
    dated PENDING would be written again to be dated. Should the write make any other revision first, they are
    written just before it, dated PENDING as any other, so that the revisions keep the order they were made in.
    """
    history = model.history.model
    quote = connections[router.db_for_write(model)].ops.quote_name
    table, columns = quote(model._meta.db_table), [field for field in history._meta.concrete_fields
                                                   if not field.primary_key]
    revision = {"history_type": "+", "history_user_id": getattr(user, "pk", None),
                "history_change_reason": reason, "history_end": None}
    targets = ", ".join(quote(field.column) for field in columns)
    sources = ", ".join(
        "%s" if field.attname in revision or field.attname == "history_date"
        else quote(model._meta.get_field(field.name).column)
        for field in columns
    )
    values = [field.attname for field in columns if field.attname in revision or field.attname == "history_date"]

    def write(date: datetime.datetime) -> None:
        connection = connections[router.db_for_write(model)]
        given = {**revision, "history_date": connection.ops.adapt_datetimefield_value(date)}
        with connection.cursor() as cursor, bulk.indexes_built_after(connection, history._meta.db_table, last - after):
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({targets}) SELECT {sources} FROM {table} "
                f"WHERE {quote('id')} > %s AND {quote('id')} <= %s ORDER BY {quote('id')}",
                [*(given[name] for name in values), after, last],
            )

    if at_commit and depth():
        state.wrote = True
        state.at_commit.append(write)
    else:
        write(revision_time())


def write_held_revisions(date: datetime.datetime) -> None:
    """Write the revisions `record_created` holds until the write commits, dated `date`."""
    held, state.at_commit = getattr(state, "at_commit", []), []
    for write in held:
        write(date)


def commit_version(alias: str) -> int:
    """Take the next version (waiting for the counter's row lock), stamp the write's revisions with the time, now."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        plan_for_values(connection, cursor)
        number = next_version(cursor, quote)
        forget_latest()
        now = timezone.now()
        stamp, pending = (connection.ops.adapt_datetimefield_value(value) for value in (now, PENDING))
        for table in history_tables():
            cursor.execute(f"UPDATE {quote(table)} SET {quote('history_date')} = %s "
                           f"WHERE {quote('history_date')} = %s", [stamp, pending])
            end_spans(cursor, quote(table), stamp)
        write_held_revisions(now)  # rows created in this write: no earlier revision of theirs to end
        cursor.execute(f"INSERT INTO {quote(LOG)} ({quote('number')}, {quote('committed_at')}) VALUES (%s, %s)",
                       [number, stamp])
    return number


def plan_for_values(connection, cursor) -> None:
    """Have PostgreSQL plan the rest of this transaction's statements for their values.

    Reads are planned once per connection for any values (settings: `plan_cache_mode`), but a write's revisions
    are found by their date: a handful among, after an import, a million revisions of one date. A plan for any
    date reads the whole revision table (a minute per write on a million figures); a plan for the date seeks it.
    """
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")


def end_spans(cursor, table: str, stamp) -> None:
    """End, at `stamp`, the span of every revision that a revision stamped `stamp` follows (the same row's earlier
    revisions; of a row's revisions in one write, all but the last end as they begin, and so are never read)."""
    cursor.execute(
        f"UPDATE {table} SET history_end = %s WHERE history_id IN ("
        f"SELECT earlier.history_id FROM {table} AS written JOIN {table} AS earlier ON earlier.id = written.id "
        "AND earlier.history_end IS NULL AND earlier.history_id <> written.history_id "
        "AND (earlier.history_date < written.history_date OR earlier.history_id < written.history_id) "
        "WHERE written.history_date = %s)",
        [stamp, stamp],
    )


def next_version(cursor, quote) -> int:
    """Increase the counter by one, holding its row lock until the transaction ends; return the new version.

    An upsert: the row is there from migration 0007 on, but a test's flush of every table empties it too.
    """
    number = quote("number")
    cursor.execute(f"INSERT INTO {quote(COUNTER)} ({quote('id')}, {number}) VALUES (1, 1) ON CONFLICT ({quote('id')}) "
                   f"DO UPDATE SET {number} = {quote(COUNTER)}.{number} + 1 RETURNING {number}")
    return cursor.fetchone()[0]


def revision_pending(sender, history_instance, **kwargs):
    """Date a revision made inside a recorded write PENDING, until the write ends."""
    if depth():
        history_instance.history_date = revision_time()


def revision_alone(sender, history_instance, using=None, **kwargs):
    """Make a version of its own for a revision made outside any recorded write, dated by the revision."""
    if depth():
        return
    connection = connections[using or router.db_for_write(sender)]
    quote = connection.ops.quote_name
    stamp = connection.ops.adapt_datetimefield_value(history_instance.history_date)
    with connection.cursor() as cursor:
        plan_for_values(connection, cursor)
        number = next_version(cursor, quote)
        forget_latest()
        cursor.execute(f"INSERT INTO {quote(LOG)} ({quote('number')}, {quote('committed_at')}) VALUES (%s, %s)",
                       [number, stamp])
        end_spans(cursor, quote(sender._meta.db_table), stamp)


def connect() -> None:
    pre_create_historical_record.connect(revision_pending, dispatch_uid="stats.versions.pending")
    post_create_historical_record.connect(revision_alone, dispatch_uid="stats.versions.alone")
    request_started.connect(begin_request, dispatch_uid="stats.versions.begin_request")
    request_finished.connect(end_request, dispatch_uid="stats.versions.end_request")


def begin_request(**kwargs) -> None:
    state.in_request, state.latest, state.redactions = True, None, None


def end_request(**kwargs) -> None:
    state.in_request, state.latest, state.redactions = False, None, None


def forget_latest() -> None:
    state.latest = state.redactions = None


def current(using: str | None = None) -> int:
    """Return the data version as it is now (from the database lists are read from)."""
    return latest(using)[0]


def latest(using: str | None = None) -> tuple[int, object]:
    """Return the data version now and what tells it apart from every other state that had its number (its commit
    time: a restored backup, or a test's rolled-back writes, may number another state alike).

    A request reads it once, however many times it asks (until a write of its own commits), from the database it
    first read it from (or from `using`, read again if that is another); outside requests, it is read every time.
    This is WSGI's model: one request at a time per thread.
    """
    in_request = getattr(state, "in_request", False)
    if in_request and state.latest is not None and using in (None, state.latest[0]):
        return state.latest[1]
    alias = using or router.db_for_read(apps.get_model("stats", "Figure"))
    connection = connections[alias]
    quote = connection.ops.quote_name
    number = quote("number")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT counter.{number}, log.{quote('committed_at')} FROM {quote(COUNTER)} AS counter "
            f"LEFT JOIN {quote(LOG)} AS log ON log.{number} = counter.{number} WHERE counter.{quote('id')} = 1"
        )
        row = cursor.fetchone()
    found = (row[0], committed_time(row[1])) if row else (0, None)
    if in_request and state.latest is None:
        state.latest = (alias, found)
    return found


def redactions() -> int:
    """Return how many redactions were made (stats/redactions.py): what, besides its version and moment, names an
    answer about the past, which changes only by a redaction. Read once per request, as `latest()` is."""
    in_request = getattr(state, "in_request", False)
    if in_request and getattr(state, "redactions", None) is not None:
        return state.redactions
    connection = connections[router.db_for_read(apps.get_model("stats", "Figure"))]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('redactions')} FROM {quote(COUNTER)} WHERE {quote('id')} = 1")
        row = cursor.fetchone()
    found = row[0] if row else 0
    if in_request:
        state.redactions = found
    return found


def count_redaction(alias: str) -> None:
    """Increase the redaction counter, inside a recorded write, which then takes a version (the revisions it redacts
    are written without a revision of their own)."""
    if not depth():
        raise RuntimeError("A redaction is counted inside a recorded write.")
    state.wrote = True
    connection = connections[alias]
    quote = connection.ops.quote_name
    redactions = quote("redactions")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(COUNTER)} ({quote('id')}, {quote('number')}, {redactions}) VALUES (1, 0, 1) "
            f"ON CONFLICT ({quote('id')}) DO UPDATE SET {redactions} = {quote(COUNTER)}.{redactions} + 1"
        )
    forget_latest()


def remembered(find, *question):
    """Return `find()`, remembered in the cache (shared by every process with REDIS_URL) under `question`, which names
    the data version it is about: any write makes a new version, hence a new question. `find()` never gives None."""
    key = "remembered:" + hashlib.blake2b("|".join(map(str, question)).encode(), digest_size=16).hexdigest()
    found = cache.get(key)
    if found is None:
        found = find()
        cache.set(key, found, REMEMBERED_SECONDS)
    return found


def at(moment: datetime.datetime | None, using: str | None = None) -> tuple[int, datetime.datetime | None]:
    """Return the version the data was at `moment` (None: the latest), and its commit time (0 and None before the
    first one)."""
    alias = using or router.db_for_read(apps.get_model("stats", "Figure"))
    connection = connections[alias]
    quote = connection.ops.quote_name
    up_to, params = "", []
    if moment is not None:
        up_to, params = f"WHERE {quote('committed_at')} <= %s ", [connection.ops.adapt_datetimefield_value(moment)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('number')}, {quote('committed_at')} FROM {quote(LOG)} {up_to}"
            f"ORDER BY {quote('number')} DESC LIMIT 1",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return 0, None
    return row[0], committed_time(row[1])


def committed_time(value) -> datetime.datetime | None:
    """Return a commit time as read from the version log (SQLite may give text, or a time without its zone, UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def state_key() -> str:
    """Return what names the state of the data a request reads: the version now, or the version a past moment
    selects, with its commit time (so that every moment between two writes reads, and is remembered as, one state)
    and how many redactions were made (a redaction changes the past; any other write makes a new version)."""
    moment = past.moment()
    if moment is None:
        return str(current())
    number, committed = at(moment)
    return f"{number}@{committed.isoformat() if committed is not None else ''}#{redactions()}"


@recorded  # its revisions' spans are ended as the write commits
def record_revisions(queryset, *, history_type: str) -> None:
    """Write a revision of every row of `queryset` as it now is, by one INSERT … SELECT (an update() writes none)."""
    model = queryset.model
    history = model.history.model
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    revision = {"history_date": connection.ops.adapt_datetimefield_value(revision_time()),
                "history_type": history_type, "history_change_reason": None, "history_end": None,
                "history_user_id": user.pk if user is not None and user.is_authenticated else None}
    columns = [field for field in history._meta.concrete_fields if not field.primary_key]
    copied = [field.attname for field in columns if field.attname not in revision]
    sql, params = queryset.values_list(*copied).query.sql_with_params()
    targets = [quote(field.column) for field in columns if field.attname not in revision]
    targets += [quote(name) for name in revision]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(targets)}) "
            f"SELECT *, {', '.join(['%s'] * len(revision))} FROM ({sql}) AS current_rows",
            [*revision.values(), *params],  # the outer SELECT's placeholders come first
        )
