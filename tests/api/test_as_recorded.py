"""Reads of the past: every read as the data stood at a moment (`as_recorded`), the data version that names it, and
citations that pin it. Answers are recorded live as the data changes, then asked for again of the past."""

import csv
import datetime
import io
import time
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stats import versions
from stats.csvformat import FIGURE_CSV_COLUMNS
from stats.models import DataVersion, Figure, Source
from stats.sync.feeds import all_feeds
from tests.factories import CategoryFactory, ConflictFactory, PartyFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db

READS = [
    "/api/v1/figures/?ordering=id",
    "/api/v1/figures/?claimed_by=general-staff&ordering=-value",
    "/api/v1/figures/latest/?as_of=2024-12-31",
    "/api/v1/series/?party=russia-armed-forces&category=total&claimed_by=general-staff",
    "/api/v1/compare/?party=russia-armed-forces&category=total&as_of=2024-12-31",
    "/api/v1/sources/",
    "/api/v1/reports/",
    "/api/v1/conflicts/",
    "/api/v1/datasets/",
]


@pytest.fixture
def vocabulary(db):
    return {
        "conflict": ConflictFactory(), "party": PartyFactory(slug="russia-armed-forces"),
        "category": CategoryFactory(slug="total"), "claimant": SourceFactory(slug="general-staff", name="General Staff"),
    }


def body(response) -> dict | list | bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    data = response.json()
    if isinstance(data, dict):
        data = {key: value for key, value in data.items() if key not in ("data_version", "as_recorded")}
    return data


def snapshot(api, at: str | None = None, figures: tuple[int, ...] = ()) -> dict:
    """Return every read's answer (and each given figure's detail), keyed by its address: now, or as recorded `at`."""
    answers = {}
    details = [f"/api/v1/figures/{pk}/" for pk in figures]
    for path in [*READS, "/api/v1/figures/export/?ordering=id", *details]:
        address = path if at is None else f"{path}{'&' if '?' in path else '?'}{urlencode({'as_recorded': at})}"
        response = api.get(address)
        assert response.status_code == (404 if path in details and response.status_code == 404 else 200), path
        answers[path] = (response.status_code, body(response))
    return answers


def moment_now() -> str:
    """Return the last data version's commit time, as as_recorded takes it (the state just after the last write)."""
    return DataVersion.objects.order_by("-number").first().committed_at.isoformat()


def figure_body(vocabulary, report, **changes) -> dict:
    return {
        "conflict": vocabulary["conflict"].slug, "party": "russia-armed-forces", "category": "total",
        "claimed_by": "general-staff", "report": report.pk, "value": 765110, "period_end": "2024-12-16",
        "qualifier": "approximately", "basis": "claimed", **changes,
    }


def test_every_read_of_a_past_moment_gives_what_it_gave_then(api, curator_api, vocabulary):
    recorded, made = {}, []

    def record():
        time.sleep(0.002)  # each write its own moment
        at = moment_now()
        recorded[at] = (tuple(made), snapshot(api, figures=tuple(made)))

    report = ReportFactory(published_on=datetime.date(2024, 12, 17), url="https://example.org/1217")
    created = curator_api.post("/api/v1/figures/", figure_body(vocabulary, report), format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    made.append(pk)
    record()
    assert curator_api.patch(f"/api/v1/figures/{pk}/", {"value": 765200}, format="json").status_code == 200
    record()
    second = curator_api.post("/api/v1/figures/", figure_body(vocabulary, report, value=763510,
                                                                period_end="2024-12-15"), format="json")
    assert second.status_code == 201
    made.append(second.json()["id"])
    record()
    renamed = curator_api.patch("/api/v1/sources/general-staff/", {"name": "General Staff of Ukraine"}, format="json")
    assert renamed.status_code == 200
    record()
    assert curator_api.delete(f"/api/v1/figures/{pk}/").status_code == 204
    record()
    _figures, last_answers = recorded[list(recorded)[-1]]
    assert last_answers[f"/api/v1/figures/{pk}/"] == (404, {"detail": "No Figure matches the given query."})
    for at, (figures, answers) in recorded.items():
        assert snapshot(api, at, figures=figures) == answers, at
    assert_spans_follow_one_another()


def test_a_renamed_source_shows_its_old_name_and_a_deleted_figure_is_there(api, curator_api, vocabulary):
    report = ReportFactory(published_on=datetime.date(2024, 12, 17))
    pk = curator_api.post("/api/v1/figures/", figure_body(vocabulary, report), format="json").json()["id"]
    before = moment_now()
    curator_api.patch("/api/v1/sources/general-staff/", {"name": "Renamed", "slug": "renamed"}, format="json")
    curator_api.delete(f"/api/v1/figures/{pk}/")
    past = api.get(f"/api/v1/figures/{pk}/", {"as_recorded": before})
    assert past.status_code == 200
    assert past.json()["citation"].startswith("General Staff claimed about 765,110 ")
    assert past.json()["claimed_by"] == "general-staff"
    # The old slug still resolves for that moment, and not now.
    assert [row["id"] for row in api.get("/api/v1/figures/", {"claimed_by": "general-staff",
                                                              "as_recorded": before}).json()["results"]] == [pk]
    assert api.get("/api/v1/figures/", {"claimed_by": "general-staff"}).status_code == 400
    assert api.get(f"/api/v1/figures/{pk}/").status_code == 404


def test_a_text_search_of_the_past_finds_the_words_as_they_were(api, curator_api, vocabulary):
    report = ReportFactory(published_on=datetime.date(2024, 12, 17), title="Daily losses")
    pk = curator_api.post("/api/v1/figures/", figure_body(vocabulary, report, quote="Alpha Brigade counted"),
                          format="json").json()["id"]
    before = moment_now()
    curator_api.patch(f"/api/v1/figures/{pk}/", {"quote": "Bravo Brigade counted"}, format="json")
    edited = moment_now()
    curator_api.delete(f"/api/v1/figures/{pk}/")

    def found(words: str, at: str | None = None) -> list[int]:
        params = {"q": words} if at is None else {"q": words, "as_recorded": at}
        response = api.get("/api/v1/figures/", params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert (found("alpha", before), found("bravo", before), found("daily alp", before)) == ([pk], [], [pk])
    assert (found("alpha", edited), found("BRAVO", edited)) == ([], [pk])
    assert (found("bravo"), found("alpha")) == ([], [])


def test_a_figure_created_since_is_not_there_and_before_anything_is_empty(api, curator_api, vocabulary):
    before_any = (timezone.now() - datetime.timedelta(days=3650)).isoformat()
    report = ReportFactory(published_on=datetime.date(2024, 12, 17))
    first = moment_now()
    curator_api.post("/api/v1/figures/", figure_body(vocabulary, report), format="json")
    assert api.get("/api/v1/figures/", {"as_recorded": first}).json()["count"] == 0
    assert api.get("/api/v1/figures/", {"as_recorded": before_any}).json() == {
        "count": 0, "next": None, "previous": None, "results": [],
    }
    assert api.get("/api/v1/figures/").json()["count"] == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "Give a time in ISO 8601, like 2025-03-03T10:00:00Z."),
        ("2999-01-01T00:00:00Z", "This moment is in the future: the data can be read as it stood up to now."),
        ("2024-13-01T00:00:00Z", "Give a time in ISO 8601, like 2025-03-03T10:00:00Z."),
    ],
)
def test_a_malformed_or_future_moment_is_a_400_naming_as_recorded(api, db, value, message):
    for path in ("/api/v1/figures/", "/api/v1/compare/", "/api/v1/sources/", "/api/v1/figures/export/"):
        response = api.get(path, {"as_recorded": value})
        assert response.status_code == 400
        assert response.json()["errors"]["as_recorded"] == [message]


def test_history_and_deleted_keep_refusing_as_recorded(api, db):
    for path in ("/api/v1/figures/1/history/", "/api/v1/figures/deleted/?since=2024-01-01T00:00:00Z"):
        response = api.get(path, {"as_recorded": "2024-01-01T00:00:00Z"})
        assert response.status_code == 400
        assert "as_recorded" in response.json()["errors"]


def test_every_read_names_its_data_version_and_a_settled_past_is_cached_for_a_day(api, curator_api, vocabulary):
    report = ReportFactory(published_on=datetime.date(2024, 12, 17))
    version = versions.current()
    curator_api.post("/api/v1/figures/", figure_body(vocabulary, report), format="json")
    assert versions.current() == version + 1
    now = api.get("/api/v1/figures/")
    assert now["X-Data-Version"] == str(version + 1)
    assert "Cache-Control" not in now
    pk = now.json()["results"][0]["id"]
    assert api.get(f"/api/v1/figures/{pk}/")["X-Data-Version"] == str(version + 1)
    recent = api.get("/api/v1/figures/", {"as_recorded": moment_now()})
    assert recent["X-Data-Version"] == str(version + 1)
    assert "Cache-Control" not in recent  # a write begun before it may still be committing
    settled = api.get("/api/v1/figures/", {"as_recorded": (timezone.now() - datetime.timedelta(minutes=2)).isoformat()})
    assert settled["X-Data-Version"] == "0"  # before this test's first write
    assert settled["Cache-Control"] == "public, max-age=86400"  # not immutable: a redaction changes the past
    compare = api.get("/api/v1/compare/", {"party": "russia-armed-forces", "category": "total"}).json()
    assert (compare["data_version"], compare["as_recorded"]) == (version + 1, None)


def test_a_write_takes_one_version_and_its_revisions_carry_its_commit_time(curator_api, vocabulary):
    report = ReportFactory(published_on=datetime.date(2024, 12, 17))
    before = versions.current()
    pk = curator_api.post("/api/v1/figures/", figure_body(vocabulary, report), format="json").json()["id"]
    committed = DataVersion.objects.get(number=before + 1).committed_at
    assert Figure.history.get(id=pk).history_date == committed
    assert versions.at(committed) == (before + 1, committed)
    assert versions.at(committed - datetime.timedelta(microseconds=1))[0] == before


def test_a_write_finds_its_revisions_by_a_plan_for_their_date_on_postgresql():
    """Reads are planned for any values (settings); a write's revisions, a few among many of one date after an
    import, are found by a plan for their date, which seeks the index instead of reading the whole table."""
    if connection.vendor != "postgresql":
        pytest.skip("plans are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)
    with versions.recorded_write():
        SourceFactory()
    with connection.cursor() as cursor:  # the write has ended; the test's own transaction goes on
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_custom_plan",)


def test_the_importer_the_admin_and_the_shipped_data_each_write_one_version(admin_client, vocabulary, tmp_path):
    rows = io.StringIO()
    writer = csv.DictWriter(rows, fieldnames=FIGURE_CSV_COLUMNS, restval="")
    writer.writeheader()
    for day, value in ((15, 763510), (16, 765110)):
        writer.writerow({
            "conflict": vocabulary["conflict"].slug, "party": "russia-armed-forces", "category": "total",
            "claimed_by": "general-staff", "value": value, "qualifier": "exact", "basis": "claimed",
            "period_end": f"2024-12-{day}", "date_precision": "day", "report_url": "https://example.org/r",
            "report_title": "Losses", "report_published_on": "2024-12-17",
        })
    path = tmp_path / "figures.csv"
    path.write_text(rows.getvalue(), encoding="utf-8")
    before = versions.current()
    call_command("import_figures", str(path), stdout=io.StringIO())
    assert versions.current() == before + 1
    committed = DataVersion.objects.get(number=before + 1).committed_at
    assert {revision.history_date for revision in Figure.history.all()} == {committed}
    figure = Figure.objects.get(value=765110)
    change = reverse("admin:stats_figure_change", args=[figure.pk])
    form = admin_client.get(change).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    response = admin_client.post(change, {**data, "value": 765200, "period_end": "2024-12-16"})
    assert response.status_code == 302
    assert versions.current() == before + 2
    assert Figure.history.filter(id=figure.pk).latest().history_date == DataVersion.objects.get(
        number=before + 2
    ).committed_at
    call_command("load_shipped_data", stdout=io.StringIO())
    feeds = len(all_feeds())  # the shipped fixtures in one version, then each feed's first sync in one version
    assert versions.current() == before + 3 + feeds
    assert DataVersion.objects.filter(number__gt=before + 2).count() == 1 + feeds
    call_command("load_shipped_data", stdout=io.StringIO())  # nothing to add: no write, no version
    assert versions.current() == before + 3 + feeds


def test_a_touch_keeps_the_past_updated_at_and_is_no_entry_of_a_figures_history(api, curator_api, vocabulary):
    report = ReportFactory(published_on=datetime.date(2024, 12, 17))
    pk = curator_api.post("/api/v1/figures/", figure_body(vocabulary, report), format="json").json()["id"]
    before = api.get(f"/api/v1/figures/{pk}/").json()
    at = moment_now()
    time.sleep(0.002)
    curator_api.patch("/api/v1/sources/general-staff/", {"name": "Renamed"}, format="json")
    assert api.get(f"/api/v1/figures/{pk}/").json()["updated_at"] > before["updated_at"]
    assert api.get(f"/api/v1/figures/{pk}/", {"as_recorded": at}).json() == before
    history = api.get(f"/api/v1/figures/{pk}/history/").json()
    assert [entry["change"] for entry in history] == ["created"]


def test_a_refused_write_takes_no_version(curator_api, vocabulary):
    before = versions.current()
    response = curator_api.post("/api/v1/figures/", {"value": -1}, format="json")
    assert response.status_code == 400
    assert versions.current() == before


def test_cite_retrieved_names_the_day_the_version_and_the_address_that_gives_it_again(api, curator_api, vocabulary):
    report = ReportFactory(published_on=datetime.date(2024, 12, 17), url="https://example.org/r")
    pk = curator_api.post("/api/v1/figures/", figure_body(vocabulary, report), format="json").json()["id"]
    figure = api.get(f"/api/v1/figures/{pk}/", {"cite": "retrieved"}).json()
    committed = DataVersion.objects.order_by("-number").first()
    stamp = committed.committed_at.isoformat().replace("+00:00", "Z").replace(":", "%3A")
    today = timezone.now()
    assert figure["citation_retrieved"] == (
        f"{figure['citation'].removesuffix('.')}, retrieved from conflictdata on {today.day} {today:%B} {today.year} "
        f"(data version {committed.number}), http://testserver/api/v1/figures/{pk}/?as_recorded={stamp}."
    )
    listed = api.get("/api/v1/figures/", {"cite": "retrieved"}).json()["results"][0]
    assert listed["citation_retrieved"] == figure["citation_retrieved"]
    again = api.get(f"/api/v1/figures/{pk}/?as_recorded={stamp}")
    assert again.json()["citation"] == figure["citation"]
    assert "citation_retrieved" not in api.get(f"/api/v1/figures/{pk}/").json()
    assert api.get("/api/v1/figures/", {"cite": "yes"}).status_code == 400


def test_the_pages_read_the_past_and_say_so(client, curator_api, vocabulary):
    report = ReportFactory(published_on=datetime.date(2024, 12, 17))
    curator_api.post("/api/v1/figures/", figure_body(vocabulary, report), format="json")
    before = moment_now()
    curator_api.patch("/api/v1/sources/general-staff/", {"name": "Renamed Staff"}, format="json")
    html = client.get("/conflicts/russia-ukraine/russia-armed-forces/total/", {"as_recorded": before}).content.decode()
    assert "You are reading the data as recorded on" in html
    assert ">General Staff</a>" in html and "Renamed Staff" not in html
    assert client.get("/", {"as_recorded": "soon"}).status_code == 400


writes = st.lists(st.sampled_from(["create", "edit", "rename", "delete"]), min_size=1, max_size=6)


@given(sequence=writes)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_sequence_of_writes_reads_back_at_each_moment(api, curator_api, vocabulary, sequence):
    """Whatever the writes, the figure list as of each moment is the list as it was just after that moment's write."""
    Figure.objects.all().delete()
    report = ReportFactory(published_on=datetime.date(2024, 12, 31))
    recorded, made, day = {}, [], 1
    for write in sequence:
        if write == "create" or not made:
            response = curator_api.post("/api/v1/figures/", figure_body(vocabulary, report, value=day,
                                                                        period_end=f"2024-12-{day:02d}"), format="json")
            assert response.status_code == 201
            made.append(response.json()["id"])
            day += 1
        elif write == "edit":
            curator_api.patch(f"/api/v1/figures/{made[-1]}/", {"value": 10_000 + day}, format="json")
            day += 1
        elif write == "rename":
            curator_api.patch("/api/v1/sources/general-staff/", {"name": f"General Staff {day}"}, format="json")
            day += 1
        else:
            curator_api.delete(f"/api/v1/figures/{made.pop()}/")
        recorded[moment_now()] = api.get("/api/v1/figures/?ordering=id").json()
    for at, answer in recorded.items():
        assert api.get("/api/v1/figures/", {"ordering": "id", "as_recorded": at}).json() == answer
    assert_spans_follow_one_another()


def assert_spans_follow_one_another():
    """Each revision's span ends where the next revision of its row begins; a row's last revision is open."""
    for model in (Figure, Source):
        spans = {}
        for revision in model.history.order_by("id", "history_date", "history_id"):
            spans.setdefault(revision.id, []).append((revision.history_date, revision.history_end))
        for row, dated in spans.items():
            assert [end for _date, end in dated] == [date for date, _end in dated[1:]] + [None], (model, row)
