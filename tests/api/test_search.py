"""Text search: the rule for `q`, its meaning, and the trigram index that serves it, kept in step by every write."""

import io

import pytest
from django.db import connection

from stats import search
from stats.importing import figures_import
from stats.models import Figure, Report
from tests.api.conftest import ids
from tests.factories import FigureFactory, ReportFactory

pytestmark = pytest.mark.django_db


def found(api, q: str, path: str = "/api/v1/figures/") -> list[int]:
    response = api.get(path, {"q": q, "ordering": "id"})
    assert response.status_code == 200, response.json()
    return ids(response)


@pytest.fixture
def quotes(db) -> dict:
    return {
        "russian": FigureFactory(quote="Russian losses rose sharply", notes=""),
        "mixed": FigureFactory(quote="", notes="Ünïcode and ДАННЫЕ in the notes"),
        "title": FigureFactory(quote="", report=ReportFactory(title="Daily losses: the General Staff's report")),
        "percent": FigureFactory(quote="up 100%_ in a week", notes="a back\\slash"),
    }


def test_every_word_must_appear_as_a_part_of_a_word_ignoring_case(api, quotes):
    assert found(api, "russ") == [quotes["russian"].pk]
    assert found(api, "RUSSIAN losses") == [quotes["russian"].pk]
    assert found(api, "losses") == [quotes["russian"].pk, quotes["title"].pk]  # the quote, or the report's title
    assert found(api, "general staff") == [quotes["title"].pk]
    assert found(api, "russian general") == []  # every word, not any
    assert found(api, "ünï данн") == [quotes["mixed"].pk]  # case folded beyond ASCII
    assert found(api, "ÜNÏCODE") == [quotes["mixed"].pk]
    assert found(api, "100%_") == [quotes["percent"].pk]  # LIKE's own characters are taken literally
    assert found(api, "k\\sl") == [quotes["percent"].pk]
    assert found(api, 'los"ses') == []


def test_a_word_never_spans_two_fields(api):
    figure = FigureFactory(quote="ends with abc", notes="def starts it", report=ReportFactory(title="ghi"))
    assert found(api, "abc def ghi") == [figure.pk]
    assert found(api, "cdef") == []


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("ru", "Too short: 'ru'."),
        ("russian of losses", "Too short: 'of'."),
        ("one two three four five six seven eight nine", "This gives 9."),
        ("a b c", "Too short: 'a', 'b', 'c'."),
    ],
)
def test_a_short_word_or_a_ninth_is_a_400_saying_the_rule(api, db, q, message):
    for path in ("/api/v1/figures/", "/api/v1/reports/", "/api/v1/conflicts/", "/api/v1/figures/latest/",
                 "/api/v1/figures/export/"):
        response = api.get(path, {"q": q})
        assert response.status_code == 400, path
        assert response.json()["errors"]["q"] == [f"{search.RULE} {message}"]


def test_repeated_words_count_once(api, quotes):
    assert found(api, "losses LOSSES losses russian russian russian russian russian russian") == [quotes["russian"].pk]


def test_the_index_follows_every_write(api, curator_api, quotes):
    report = quotes["title"].report
    assert curator_api.patch(f"/api/v1/reports/{report.pk}/", {"title": "Weekly tally"}, format="json").status_code == 200
    assert found(api, "losses") == [quotes["russian"].pk]
    assert found(api, "tally") == [quotes["title"].pk]
    assert [row["id"] for row in api.get("/api/v1/reports/", {"q": "tally"}).json()["results"]] == [report.pk]
    figure = quotes["russian"]
    assert curator_api.patch(f"/api/v1/figures/{figure.pk}/", {"quote": "Nothing here"}, format="json").status_code == 200
    assert found(api, "russian") == []
    Figure.objects.filter(pk=quotes["mixed"].pk).update(notes="bulk edited")  # an update() writes no model
    assert found(api, "bulk") == [quotes["mixed"].pk]
    quotes["percent"].delete()
    assert found(api, "100%_") == []


def test_reports_are_searched_in_their_title_and_summary(api):
    first = ReportFactory(title="Flash update 12", summary="")
    second = ReportFactory(title="Weekly", summary="A flash of news")
    ReportFactory(title="Other", summary="")
    response = api.get("/api/v1/reports/", {"q": "flash"})
    assert sorted(row["id"] for row in response.json()["results"]) == sorted([first.pk, second.pk])


def test_the_importer_writes_through_the_index(api):
    FigureFactory(conflict__slug="russia-ukraine", party__slug="p", category__slug="c", claimed_by__slug="s")
    text = (
        "conflict,party,category,claimed_by,value,value_low,value_high,qualifier,basis,period_start,period_end,"
        "date_precision,report_title,report_url,report_published_on,publisher,quote,notes\n"
        "russia-ukraine,p,c,s,1,,,exact,claimed,,2024-01-01,day,Imported bulletin,,2024-01-02,,Zaporizhzhia,\n"
    )
    figures_import(source=io.StringIO(text))
    assert found(api, "zaporizh") == list(Figure.objects.filter(quote="Zaporizhzhia").values_list("pk", flat=True))
    assert found(api, "bulletin") != []


def plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return " ".join(row[-1] for row in cursor.fetchall())
        # A handful of test rows: take away the scans that would read them all, to see what the planner can use.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        text = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
        return text


def test_a_search_reads_the_trigram_index(quotes):
    queryset = Figure.objects.filter(pk__in=search.matching_ids("stats_figure", ["losses", "rose"], connection.vendor))
    sql, params = queryset.values("id").query.sql_with_params()
    if connection.vendor == "sqlite":
        assert "stats_figure_search VIRTUAL TABLE INDEX" in plan(sql, params)
    else:
        assert "stats_figure_search_trigram" in plan(sql, params)
    assert list(queryset.values_list("pk", flat=True)) == [quotes["russian"].pk]


def test_the_triggers_come_back_after_a_migration_drops_them(quotes, api):
    """SQLite remakes a table to alter it, which drops its triggers: after migrating they are put back, filled."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER stats_figure_search_update")
        else:
            cursor.execute("DROP TRIGGER stats_figure_search_upkeep ON stats_figure")
    Figure.objects.filter(pk=quotes["russian"].pk).update(quote="Changed while no trigger listened")
    assert search.install(connection) is True
    assert search.install(connection) is False  # nothing missing: nothing done
    assert found(api, "listened") == [quotes["russian"].pk]
    assert found(api, "sharply") == []
    assert Report.objects.count() >= 4
