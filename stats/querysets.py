"""Read paths over figures, as QuerySet methods."""

import datetime
from functools import cache

from django.apps import apps
from django.db import connection, connections, models, router
from django.db.models import Count, F, OuterRef, Subquery

# One claimant's count of one party's casualties of one category in one conflict, on one basis (a body's verified
# count and its reported count are two series); the quantity index's order.
QUANTITY = ["party_id", "category_id", "claimed_by_id", "conflict_id", "basis"]
# Which of several figures for one date wins: the latest-published report, then the latest recorded.
WINNER_FIRST = [
    F("period_end").desc(),
    F("report__published_on").desc(),
    F("recorded_at").desc(),
    F("id").desc(),
]
# The day, ISO week (its Monday) or month (its first day) a date falls in.
BUCKETS = {
    "day": lambda day: day,
    "week": lambda day: day - datetime.timedelta(days=day.weekday()),
    "month": lambda day: day.replace(day=1),
}


class FigureQuerySet(models.QuerySet):
    def get_by_natural_key(self, url, title, published_on, conflict, claimed_by, party, category, period_start,
                           period_end, basis):
        """Return the figure a fixture names by its report and the fields that make a claim unique."""
        report = self.model.report.field.related_model.objects.get_by_natural_key(url, title, published_on)
        return self.get(
            report=report,
            conflict__slug=conflict,
            claimed_by__slug=claimed_by,
            party__slug=party,
            category__slug=category,
            period_start=period_start,
            period_end=period_end,
            basis=basis,
        )

    def with_related(self) -> "FigureQuerySet":
        """Return figures with everything their JSON and citation need, in one query."""
        return self.select_related("conflict", "party", "category", "claimed_by", "report__publisher", "dataset")

    def cumulative(self) -> "FigureQuerySet":
        """Return only figures that count from the start of their conflict."""
        return self.filter(period_start__isnull=True)

    def same_quantity(self, figure) -> "FigureQuerySet":
        """Return the figures of the same claimant about the same party, category and conflict, on the same basis."""
        return self.filter(**{name: getattr(figure, name) for name in QUANTITY})

    def preceding_cumulative(self, figure):
        """Return the claimant's latest cumulative figure for the same quantity before `figure`'s date, or None."""
        return (
            self.cumulative()
            .same_quantity(figure)
            .filter(period_end__lt=figure.period_end)
            .exclude(pk=figure.pk)
            .select_related("report")
            .order_by(*WINNER_FIRST)
            .first()
        )

    def latest_per_quantity(self, as_of: datetime.date) -> "FigureQuerySet":
        """Return each claimant's most recent cumulative figure per conflict, party, category and basis, up to `as_of`.

        Per quantity (a GROUP BY over the cumulative index), the last day is one index seek and the winner among
        that day's figures a second: no sort of every figure, unlike a window over them all.
        """
        candidates = self.cumulative().filter(period_end__lte=as_of)
        last_day = (
            candidates.filter(**{name: OuterRef(OuterRef(name)) for name in QUANTITY})
            .order_by("-period_end")
            .values("period_end")[:1]
        )
        winner = (
            candidates.filter(**{name: OuterRef(name) for name in QUANTITY}, period_end=Subquery(last_day))
            .order_by(*WINNER_FIRST[1:])
            .values("pk")[:1]
        )
        quantities = (
            candidates.order_by().values(*QUANTITY).annotate(figures=Count("pk")).annotate(winner=Subquery(winner))
        )
        return self.model.objects.filter(pk__in=quantities.values("winner"))

    def series(self, interval: str) -> list[dict]:
        """Return one cumulative figure per day, ISO week or month (the last day's winner), oldest first.

        Each point (`id`, `period_end`, `value`, `value_low`, `value_high`) has `previous_value` and
        `previous_date`, the point before it in the series (None for the first). The figures come newest first in
        WINNER_FIRST order, from one range of the quantity index: the first of each day, week or month is its point.
        """
        rows = self.cumulative().order_by(*WINNER_FIRST).values(*SERIES_FIELDS)
        return series_of(rows, interval)

    def series_per_claimant(self, interval: str) -> dict[tuple[int, str], list[dict]]:
        """Return `series()` of each claimant and basis among these figures, keyed by (claimed_by_id, basis), from
        one query: the chart of a quantity draws every claimant's line at once."""
        rows = self.cumulative().order_by("claimed_by_id", "basis", *WINNER_FIRST).values(
            "claimed_by_id", "basis", *SERIES_FIELDS
        )
        lines: dict[tuple[int, str], list[dict]] = {}
        for row in rows:
            lines.setdefault((row["claimed_by_id"], row["basis"]), []).append(row)
        return {line: series_of(line_rows, interval) for line, line_rows in lines.items()}


SERIES_FIELDS = ["id", "period_end", "value", "value_low", "value_high"]


def series_of(rows, interval: str) -> list[dict]:
    """Return the points of one series from its figures in WINNER_FIRST order (see FigureQuerySet.series)."""
    bucket_of = BUCKETS[interval]
    points, taken = [], set()
    for row in rows:
        bucket = bucket_of(row["period_end"])
        if bucket not in taken:
            taken.add(bucket)
            points.append(row)
    points.reverse()
    previous = {"value": None, "period_end": None}
    for point in points:
        point["previous_value"], point["previous_date"] = previous["value"], previous["period_end"]
        previous = point
    return points


@cache
def data_version_sql() -> str:
    """Return the query for the latest revision time over every revision table of the app."""
    quote = connection.ops.quote_name
    tables = [
        model._meta.db_table
        for model in apps.get_app_config("stats").get_models()
        if model._meta.db_table.startswith("stats_historical")
    ]
    union = " UNION ALL ".join(f"SELECT MAX(history_date) AS changed FROM {quote(table)}" for table in tables)
    return f"SELECT MAX(changed) FROM ({union}) AS versions"


def data_version() -> str:
    """Return the time of the latest write of any claims data, from the revision tables (deletions included)."""
    # From the database lists are read from (a replica, where there are some), so the ETag matches the rows.
    with connections[router.db_for_read(apps.get_model("stats", "Figure"))].cursor() as cursor:
        cursor.execute(data_version_sql())
        (latest,) = cursor.fetchone()
    return str(latest)


def slug_pks(model, slugs: list[str]) -> dict[str, int]:
    """Return the primary key of each slug that exists, by one plain query.

    A list request looks up a slug or three; compiling an ORM query for each would cost more than running it.
    """
    reading = connections[router.db_for_read(model)]
    quote = reading.ops.quote_name
    with reading.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('slug')}, {quote(model._meta.pk.column)} FROM {quote(model._meta.db_table)} "
            f"WHERE {quote('slug')} IN ({', '.join(['%s'] * len(slugs))})",
            slugs,
        )
        return dict(cursor.fetchall())
