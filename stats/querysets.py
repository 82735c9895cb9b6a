"""Read paths over figures, as QuerySet methods."""

from django.apps import apps
from django.db import connection, models


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
        return self.select_related("conflict", "party", "category", "claimed_by", "report__publisher")

    def cumulative(self) -> "FigureQuerySet":
        """Return only figures that count from the start of their conflict."""
        return self.filter(period_start__isnull=True)

    def same_quantity(self, figure) -> "FigureQuerySet":
        """Return the figures of the same claimant about the same party, category and conflict."""
        return self.filter(
            conflict_id=figure.conflict_id,
            claimed_by_id=figure.claimed_by_id,
            party_id=figure.party_id,
            category_id=figure.category_id,
        )

    def preceding_cumulative(self, figure):
        """Return the claimant's latest cumulative figure for the same quantity before `figure`'s date, or None."""
        return (
            self.cumulative()
            .same_quantity(figure)
            .filter(period_end__lt=figure.period_end)
            .exclude(pk=figure.pk)
            .select_related("report")
            .order_by("-period_end", "-report__published_on", "-recorded_at", "-id")
            .first()
        )


def data_version() -> str:
    """Return the time of the latest write of any claims data, from the revision tables (deletions included)."""
    tables = [
        model._meta.db_table
        for model in apps.get_app_config("stats").get_models()
        if model._meta.db_table.startswith("stats_historical")
    ]
    quote = connection.ops.quote_name
    union = " UNION ALL ".join(f"SELECT MAX(history_date) AS changed FROM {quote(table)}" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(changed) FROM ({union}) AS versions")
        (latest,) = cursor.fetchone()
    return str(latest)
