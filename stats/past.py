"""Reads of the past: any read, as the data stood at a moment (`as_recorded`), through the same read paths.

Every model of the claims has a read-only twin (PastFigure, PastSource, …) with the same fields and relations, over a
database view of its revision table that holds, for each row, the revision whose span (from its `history_date` to
its `history_end`, the next revision's time: stats/versions.py keeps it) holds the moment, unless that is its
deletion. The moment is the request's: a function the views call (`as_recorded()` on SQLite, registered on each
connection) or a setting of the session (`conflictdata.as_recorded` on PostgreSQL, set for the request). So the
FilterSets, readers, analysis and pages read the past simply by being handed the twins (`twin()`): the figures that
existed then, with the values they had then, their report, claimant, party, category, conflict and dataset as they
were then.

Cost: a past read reads revisions instead of rows (as many more as there were edits), each checked against the
moment by two comparisons of its own columns; the revision tables carry the indexes the lists need. A write ends
the span of each row's previous revision (an index probe per revision written).
"""

import contextvars
import datetime
import re
from contextlib import contextmanager

from django.db import connections, models, router
from django.db.backends.signals import connection_created
from django.utils import timezone
from django.utils.dateparse import parse_datetime

moment_var: contextvars.ContextVar[datetime.datetime | None] = contextvars.ContextVar("as_recorded", default=None)
TWINS: dict[type, type] = {}
PAST_MODELS: set[type] = set()
# What the twins take over from the live models besides their fields: the properties and methods reads use.
BEHAVIOUR = ["__str__", "cumulative", "citation", "attribution", "follow", "independent"]
SETTING = "conflictdata.as_recorded"
# The revision tables' indexes that past reads use, besides the (id, history_date, history_id) each one gets (for
# ending spans, stats/versions.py).
HISTORY_INDEXES = {
    "stats_historicalfigure": {
        "quantity": ["party_id", "category_id", "claimed_by_id", "conflict_id", "basis", "period_start", "period_end"],
        "period_end": ["period_end", "id"],
        "claimed_by": ["claimed_by_id", "period_end", "id"],
        "report": ["report_id"],
        # The orderings' columns, each followed by the row's id: a revision table's rowid is the revision's, not
        # the row's, so the tie-break has to be in the index.
        "value": ["value", "id"],
        "updated_at": ["updated_at", "id"],
    },
    "stats_historicalreport": {"published_on": ["published_on", "id"]},
    "stats_historicalsource": {"slug": ["slug"]},
    "stats_historicalparty": {"slug": ["slug"]},
    "stats_historicalcategory": {"slug": ["slug"]},
    "stats_historicalconflict": {"slug": ["slug"]},
    "stats_historicaldataset": {"slug": ["slug"]},
}


# The times `as_recorded` takes, whole: a day, then optionally a time of day (to the microsecond) and an offset.
# Python's own parser takes more than it should (anything after `Z\x00`, any character between the day and the time,
# digits past the microsecond), so a value is matched whole before it is parsed: nothing is dropped from it.
MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?", re.ASCII
)


def parse_moment(text: str) -> datetime.datetime:
    """Return the moment `as_recorded` names (an ISO 8601 time; without an offset, UTC), or raise ValueError saying
    what is wrong."""
    text = text.strip(" ")  # spaces only: a control character is part of the value, hence wrong
    try:
        at = parse_datetime(text) if MOMENT.fullmatch(text) else None
    except ValueError:
        at = None
    if at is None:
        raise ValueError("Give a time in ISO 8601, like 2025-03-03T10:00:00Z.")
    if at.tzinfo is None:
        at = at.replace(tzinfo=datetime.UTC)
    try:
        at = at.astimezone(datetime.UTC)
    except (OverflowError, ValueError):
        raise ValueError("Give a time between the years 1 and 9999, in UTC.") from None
    if at > timezone.now():
        raise ValueError("This moment is in the future: the data can be read as it stood up to now.")
    return at


def moment() -> datetime.datetime | None:
    """Return the moment the reads of this request are about, or None for the present."""
    return moment_var.get()


def twin(model: type) -> type:
    """Return `model`, or its past twin when this request reads the past."""
    if moment_var.get() is None:
        return model
    return TWINS.get(model, model)


def is_past(model: type) -> bool:
    """Return whether `model` is a past twin."""
    return model in PAST_MODELS


def rebased(queryset):
    """Return a queryset of the past twin of `queryset`'s model with the same relations joined (the views' base)."""
    model = twin(queryset.model)
    if model is queryset.model:
        return queryset
    past = model._default_manager.all()
    past.query.select_related = queryset.query.select_related
    return past


def past_table(model: type) -> str:
    return f"stats_past_{model._meta.model_name}"


def make_twins(live_models: list[type], module: str) -> list[type]:
    """Return the past twins of `live_models` (declared in `module`), relations between them pointing to twins."""
    twins = []
    names = {model: f"Past{model.__name__}" for model in live_models}
    for model in live_models:
        attributes = {"__module__": module}
        for field in model._meta.concrete_fields:
            if field.is_relation:
                target = field.remote_field.model  # a class: the models are not all loaded yet
                # Nullable, so that reads join relations with LEFT JOIN: the database then walks the figures (in
                # the order asked, up to the page) and looks each relation up, instead of starting from the small
                # views of the vocabularies and sorting every figure they lead to (SQLite's choice otherwise).
                attributes[field.name] = models.ForeignKey(
                    f"stats.{names[target]}" if target in names else target, on_delete=models.DO_NOTHING,
                    db_constraint=False, related_name="+", null=True, blank=field.blank,
                    db_column=field.column, db_index=False, help_text=field.help_text,
                )
            else:
                attributes[field.name] = field.clone()
        for name in BEHAVIOUR:
            if name in model.__dict__ and name not in attributes:  # a field of that name stays a field
                attributes[name] = model.__dict__[name]
        manager = model._default_manager
        if type(manager) is not models.Manager and hasattr(manager, "_queryset_class"):
            attributes["objects"] = manager._queryset_class.as_manager()
        attributes["Meta"] = type("Meta", (), {
            "managed": False, "db_table": past_table(model), "app_label": "stats",
            "ordering": model._meta.ordering, "verbose_name": model._meta.verbose_name,
            "verbose_name_plural": model._meta.verbose_name_plural,
        })
        past = type(names[model], (models.Model,), attributes)
        TWINS[model] = past
        PAST_MODELS.add(past)
        twins.append(past)
    return twins


def moment_sql(vendor: str) -> str:
    if vendor == "sqlite":
        return "as_recorded()"
    return f"NULLIF(current_setting('{SETTING}', true), '')::timestamptz"


def view_sql(model: type, vendor: str) -> str:
    """Return the statement that makes `model`'s past view: the revision of each row whose span holds the moment,
    unless it is a deletion."""
    history = model.history.model._meta.db_table
    columns = ", ".join(f'h."{field.column}"' for field in model._meta.concrete_fields)
    at = moment_sql(vendor)
    return (
        f"CREATE VIEW {past_table(model)} AS SELECT {columns} FROM {history} AS h "
        f"WHERE h.history_date <= {at} AND (h.history_end IS NULL OR h.history_end > {at}) "
        "AND h.history_type <> '-'"
    )


def install(connection) -> None:
    """Make (again) the past views of every twinned model and the revision tables' indexes they read through."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    with connection.cursor() as cursor:
        for model in TWINS:
            history = model.history.model._meta.db_table
            cursor.execute(f"DROP VIEW IF EXISTS {past_table(model)}")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {history}_as_of ON {history} (id, history_date, history_id)"
            )
            for name, columns in HISTORY_INDEXES.get(history, {}).items():
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {history}_{name} ON {history} ({', '.join(columns)})")
            cursor.execute(view_sql(model, connection.vendor))


def sqlite_moment() -> str | None:
    """The `as_recorded()` of SQLite's views: the request's moment as SQLite stores times, or NULL (no past)."""
    at = moment_var.get()
    if at is None:
        return None
    return at.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ")


def register(sender, connection, **kwargs) -> None:
    """Give each new SQLite connection the function its past views call."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("as_recorded", 0, sqlite_moment, deterministic=True)


connection_created.connect(register, dispatch_uid="stats.past.register")


@contextmanager
def reading(at: datetime.datetime | None):
    """Make the reads inside read the data as it stood `at` (the present when None)."""
    if at is None:
        yield
        return
    token = moment_var.set(at)
    alias = router.db_for_read(next(iter(TWINS)))
    connection = connections[alias]
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, false)", [SETTING, at.isoformat()])
        yield
    finally:
        moment_var.reset(token)
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, '', false)", [SETTING])


def streamed(content, at: datetime.datetime | None):
    """Yield `content` (a response's stream) read as the data stood `at`: the rows are fetched as it is sent."""
    with reading(at):
        yield from content
