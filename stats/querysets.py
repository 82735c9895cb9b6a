"""Read paths over figures, as QuerySet methods."""

import datetime
import json

from django.db import connections, models
from django.db.models import F, Max
from django.db.models.expressions import RawSQL

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

        Three short steps, none of which evaluates the filters that chose the figures more than once per statement
        (correlated subqueries would, once per quantity: a text search's matches found ten thousand times): the
        last day of each quantity among the figures asked for (a GROUP BY) with the figures of that day (a seek of
        the quantity index each); which of those were asked for (a value filter may leave out one of a day's
        figures); the winner among a day's figures (WINNER_FIRST), picked here.
        """
        candidates = self.cumulative().filter(period_end__lte=as_of).order_by()
        last_days = candidates.values(*QUANTITY).annotate(last_day=Max("period_end"))
        last_days_sql, params = last_days.query.sql_with_params()
        reading = connections[self.db]
        figures = reading.ops.quote_name(self.model._meta.db_table)
        reports = reading.ops.quote_name(self.model.report.field.related_model._meta.db_table)
        on_last_day = (" AND ".join(f"figure.{name} = last.{name}" for name in QUANTITY)
                       + " AND figure.period_start IS NULL AND figure.period_end = last.day")
        # On PostgreSQL each quantity's last day is sought in the quantity index (LATERAL, kept apart by OFFSET 0):
        # guessing thousands of quantities where there are a few hundred, it would otherwise hash-join every figure
        # of the table, a cost growing with the table where the answer does not.
        figures_on_last_day = (
            f"JOIN LATERAL (SELECT * FROM {figures} AS figure WHERE {on_last_day} OFFSET 0) AS figure ON true"
            if reading.vendor == "postgresql" else f"JOIN {figures} AS figure ON {on_last_day}"
        )
        with reading.cursor() as cursor:
            cursor.execute(
                f"WITH last({', '.join(QUANTITY)}, day) AS ({last_days_sql})"
                f" SELECT figure.id, {', '.join(f'figure.{name}' for name in QUANTITY)},"
                # A subquery per figure, not a join: the past's views misled PostgreSQL's estimates into joining
                # every report to every figure.
                f" (SELECT published_on FROM {reports} AS report WHERE report.id = figure.report_id),"
                f" figure.recorded_at FROM last {figures_on_last_day}",
                params,
            )
            last_figures = cursor.fetchall()
        on_last_days = id_in(self.model, [row[0] for row in last_figures], reading)
        asked = set(candidates.filter(on_last_days).values_list("pk", flat=True))
        winners: dict[tuple, tuple] = {}
        for pk, *quantity, published_on, recorded_at in last_figures:
            if pk in asked:
                rank = (published_on, recorded_at, pk)
                winners[tuple(quantity)] = max(rank, winners.get(tuple(quantity), rank))
        return self.model.objects.filter(id_in(self.model, sorted(rank[-1] for rank in winners.values()), reading))

    def series(self, interval: str) -> list[dict]:
        """Return one cumulative figure per day, ISO week or month (the last day's winner), oldest first.

        Each point (`id`, `period_end`, `value`, `value_low`, `value_high`) has `previous_value` and
        `previous_date`, the point before it in the series (None for the first). The figures come newest first in
        WINNER_FIRST order, from one range of the quantity index: the first of each day, week or month is its point.
        """
        return series_of(self.series_candidates(), interval)

    def series_candidates(self) -> "FigureQuerySet":
        """Return the values (SERIES_FIELDS) of the cumulative figures among these, in WINNER_FIRST order: `series()`
        takes the first of each day, week or month."""
        return self.cumulative().order_by(*WINNER_FIRST).values(*SERIES_FIELDS)

    def series_per_claimant(self, interval: str) -> dict[tuple[int, str], list[dict]]:
        """Return `series()` of each claimant and basis among these figures, keyed by (claimed_by_id, basis), from
        one query: the chart of a quantity draws every claimant's line at once, and words its claims (their hedge and
        how exactly their day is known)."""
        rows = self.cumulative().order_by("claimed_by_id", "basis", *WINNER_FIRST).values(
            "claimed_by_id", "basis", "qualifier", "date_precision", *SERIES_FIELDS
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


def id_in(model, ids: list[int], connection):
    """Return the condition that a row of `model` has one of the given ids, in one parameter: a list of any length,
    where one parameter per id would meet the database's limit on parameters.

    On PostgreSQL `id = ANY(array)`, not `id IN (SELECT unnest(array))`: that subquery is one more relation for the
    planner to order, and a list with every relation joined has more than it orders freely (join_collapse_limit),
    so that it joined every figure before keeping the few asked for (`compare` grew with the table).
    """
    if connection.vendor == "postgresql":
        column = f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name('id')}"
        return RawSQL(f"{column} = ANY(%s)", [ids], output_field=models.BooleanField())
    return models.Q(pk__in=RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)]))
