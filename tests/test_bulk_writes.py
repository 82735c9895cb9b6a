"""The importer's fast path for large writes: indexes built after (SQLite), the search index filled once, revisions
written as the write commits; and everything it guarantees kept: all or nothing, history, search, one data version."""

import datetime
import io

import pytest
from django.db import connection
from django.test import Client

from stats import search, versions
from stats.importing import ImportRefused, figures_import
from stats.models import DataVersion, Figure, Report
from tests.factories import CategoryFactory, ConflictFactory, PartyFactory, SourceFactory
from tests.test_importing import csv_text, row

pytestmark = pytest.mark.django_db

# Above stats.bulk's threshold (10,000 rows, more than the table holds): SQLite builds the indexes after the rows.
LARGE = 12_000


@pytest.fixture
def vocabulary(db):
    ConflictFactory()
    for slug in ("russia-armed-forces", "ukraine-armed-forces"):
        PartyFactory(slug=slug)
    CategoryFactory(slug="total")
    SourceFactory(slug="general-staff")
    SourceFactory(slug="mod")


def large_file(rows: int = LARGE, **first_changes) -> str:
    """`rows` daily claims, 100 a report: two parties' counts for 50 days a report; `first_changes` to the first."""
    first = datetime.date(2022, 3, 1)
    lines = []
    for number in range(rows):
        day = first + datetime.timedelta(days=number // 2)
        report = number // 100
        published = first + datetime.timedelta(days=report * 50 + 50)  # the day after its last
        lines.append(row(
            party=("russia-armed-forces", "ukraine-armed-forces")[number % 2], value=str(1000 + number),
            period_end=day.isoformat(), report_title=f"Bulletin number {report} of the staff",
            report_url=f"https://example.org/bulletins/{report}", report_published_on=published.isoformat(),
            qualifier="exact",
        ))
    lines[0].update(first_changes)
    return csv_text(lines)


def indexes() -> dict[str, set[str]]:
    """Return the names of the indexes of the figures, reports and their revisions."""
    tables = ["stats_figure", "stats_report", "stats_historicalfigure", "stats_historicalreport"]
    with connection.cursor() as cursor:
        return {table: {(name, tuple(index["columns"])) for name, index in
                        connection.introspection.get_constraints(cursor, table).items() if index["index"]}
                for table in tables}


def search_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {search.search_table('stats_figure')}")
        return cursor.fetchone()[0]


def found(q: str) -> int:
    response = Client().get("/api/v1/figures/", {"q": q, "page_size": 1}, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200, response.content
    return response.json()["count"]


def test_a_large_import_keeps_indexes_search_and_history_and_dates_its_revisions_as_it_commits(vocabulary):
    before, versions_before = indexes(), DataVersion.objects.count()
    result = figures_import(source=io.StringIO(large_file()))
    assert (result.created, result.reports_created) == (LARGE, LARGE // 100)
    assert indexes() == before  # every index is there again, the same
    assert set(search.TRIGGERS[connection.vendor]) <= search.installed_triggers(connection)
    assert search_rows() == LARGE
    assert found("Bulletin number 107 staff") == 100  # the report's title, in its figures' search documents
    version = DataVersion.objects.get(number=versions.current())
    assert DataVersion.objects.count() == versions_before + 1
    assert list(Figure.history.values_list("history_type", "history_date", "history_end").order_by().distinct()) == [
        ("+", version.committed_at, None)
    ]
    assert Figure.history.count() == LARGE
    assert list(Report.history.values_list("history_type", "history_date").order_by().distinct()) == [
        ("+", version.committed_at)
    ]
    # The triggers work again: an edit is found at once.
    figure = Figure.objects.order_by("pk").first()
    figure.notes = "Corrected after the audit"
    figure.save()
    assert found("audit") == 1


def test_a_large_import_refused_by_the_database_leaves_everything_as_it_was(vocabulary):
    before, versions_before, searched = indexes(), DataVersion.objects.count(), search_rows()
    # Only the database checks that a range is ordered: the first line is refused as the rows are written.
    with pytest.raises(ImportRefused) as refused:
        figures_import(source=io.StringIO(large_file(value_low="900", value_high="800")))
    assert [(error.line, error.columns) for error in refused.value.errors] == [(2, ["value_low", "value_high"])]
    assert (Figure.objects.count(), Report.objects.count(), Figure.history.count()) == (0, 0, 0)
    assert (indexes(), DataVersion.objects.count(), search_rows()) == (before, versions_before, searched)
    assert set(search.TRIGGERS[connection.vendor]) <= search.installed_triggers(connection)
    figures_import(source=io.StringIO(large_file(rows=100)))  # and the next import indexes its rows as before
    assert found("Bulletin staff") == 100


def test_an_import_that_creates_and_changes_writes_each_figures_revisions_in_order(vocabulary):
    figures_import(source=io.StringIO(csv_text([row(value="100")])))
    first = DataVersion.objects.get(number=versions.current())
    figures_import(source=io.StringIO(csv_text([row(value="200"), row(period_end="2024-12-15", value="50")])))
    second = DataVersion.objects.get(number=versions.current())
    changed = Figure.objects.get(value=200)
    assert list(changed.history.order_by("history_id").values_list(
        "history_type", "value", "history_date", "history_end")) == [
        ("+", 100, first.committed_at, second.committed_at), ("~", 200, second.committed_at, None)
    ]
    created = Figure.objects.get(value=50)
    assert list(created.history.values_list("history_type", "history_date", "history_end")) == [
        ("+", second.committed_at, None)
    ]
    # Held for the commit, the created figure's revision was written as soon as the write made another one.
    assert created.history.get().history_id < changed.history.latest("history_id").history_id


