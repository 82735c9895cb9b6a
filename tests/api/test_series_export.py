"""A quantity as a wide CSV for charting tools (`/api/v1/series/export/`): a row per day, a column per claimant."""

import csv
import datetime
import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from stats.limits import ExportRateThrottle
from stats.models import Figure
from tests.factories import CategoryFactory, ConflictFactory, FigureFactory, PartyFactory, SourceFactory

pytestmark = pytest.mark.django_db

ADDRESS = "/api/v1/series/export/"
RUSSIAN_KILLED = {"party": "russia-armed-forces", "category": "killed"}


def table(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def column(rows: list[list[str]], name: str) -> dict[str, str]:
    """Return the non-empty cells of the column headed `name`, by date."""
    index = rows[0].index(name)
    return {row[0]: row[index] for row in rows[1:] if row[index]}


@pytest.fixture
def quantity(db):
    """Two claimants of one quantity: one on two days, one on a day of its own and the first one's second."""
    shared = {"conflict": ConflictFactory(slug="russia-ukraine"), "party": PartyFactory(slug="russia-armed-forces"),
              "category": CategoryFactory(slug="killed")}
    staff = SourceFactory(slug="general-staff", name="General Staff")
    economist = SourceFactory(slug="the-economist", name="The Economist")
    FigureFactory(**shared, claimed_by=staff, value=100, period_end=datetime.date(2024, 1, 1))
    FigureFactory(**shared, claimed_by=staff, value=150, period_end=datetime.date(2024, 1, 3))
    FigureFactory(**shared, claimed_by=economist, value=90, value_low=80, value_high=120,
                  qualifier=Figure.Qualifier.EXACT, basis=Figure.Basis.ESTIMATED, period_end=datetime.date(2024, 1, 2))
    FigureFactory(**shared, claimed_by=economist, value=140, basis=Figure.Basis.ESTIMATED,
                  period_end=datetime.date(2024, 1, 3))
    return shared


def test_the_shipped_russian_killed_has_a_column_per_claimant_holding_its_series(api):
    call_command("load_shipped_data", stdout=io.StringIO())
    rows = table(api.get(ADDRESS, RUSSIAN_KILLED))

    cumulative = Figure.objects.filter(party__slug="russia-armed-forces", category__slug="killed").cumulative()
    names = sorted(set(cumulative.values_list("claimed_by__name", flat=True)))
    assert rows[0] == ["date", *names]
    days = sorted({day.isoformat() for day in cumulative.values_list("period_end", flat=True)})
    assert [row[0] for row in rows[1:]] == days
    assert all(len(row) == len(rows[0]) for row in rows)
    for slug, name in [("mediazona", "Mediazona"), ("the-economist", "The Economist"),
                       ("ukraine-general-staff", "General Staff of the Armed Forces of Ukraine")]:
        series = api.get("/api/v1/series/", {**RUSSIAN_KILLED, "claimed_by": slug}).json()
        assert len(series["points"]) > 1 or slug == "ukraine-general-staff"
        assert column(rows, name) == {point["date"]: str(point["value"]) for point in series["points"]}


def test_a_claimant_counting_on_two_bases_has_a_column_for_each_and_bands_their_ends(api):
    call_command("load_shipped_data", stdout=io.StringIO())
    question = {"party": "west-bank-palestinians", "category": "killed"}
    ocha = "UN Office for the Coordination of Humanitarian Affairs (OCHA)"
    rows = table(api.get(ADDRESS, question))
    assert f"{ocha} (claimed)" in rows[0] and f"{ocha} (confirmed)" in rows[0]
    for basis in ("claimed", "confirmed"):
        series = api.get("/api/v1/series/", {**question, "claimed_by": "ocha", "basis": basis}).json()
        assert column(rows, f"{ocha} ({basis})") == {point["date"]: str(point["value"]) for point in series["points"]}
    assert column(rows, f"{ocha} (confirmed)")["2024-08-02"] == "582"

    banded = table(api.get(ADDRESS, {**question, "bands": "true"}))
    start = banded[0].index(f"{ocha} (claimed)")
    assert banded[0][start:start + 6] == [
        f"{ocha} (claimed)", f"{ocha} (claimed) low", f"{ocha} (claimed) high",
        f"{ocha} (confirmed)", f"{ocha} (confirmed) low", f"{ocha} (confirmed) high",
    ]
    only_confirmed = table(api.get(ADDRESS, {**question, "basis": "confirmed", "claimed_by": "ocha"}))
    assert only_confirmed[0] == ["date", ocha]


def test_each_day_any_claimant_spoke_is_a_row_with_gaps_left_empty(api, quantity):
    assert table(api.get(ADDRESS, RUSSIAN_KILLED)) == [
        ["date", "General Staff", "The Economist"],
        ["2024-01-01", "100", ""],
        ["2024-01-02", "", "90"],
        ["2024-01-03", "150", "140"],
    ]


def test_bands_add_each_claimants_low_and_high_after_its_column(api, quantity):
    assert table(api.get(ADDRESS, {**RUSSIAN_KILLED, "bands": "true"})) == [
        ["date", "General Staff", "General Staff low", "General Staff high", "The Economist", "The Economist low",
         "The Economist high"],
        ["2024-01-01", "100", "", "", "", "", ""],
        ["2024-01-02", "", "", "", "90", "80", "120"],
        ["2024-01-03", "150", "", "", "140", "", ""],
    ]


def test_a_day_with_several_figures_shows_the_one_series_chooses(api, quantity):
    later = FigureFactory(**quantity, claimed_by=SourceFactory(slug="kyiv", name="Kyiv"), value=5,
                          period_end=datetime.date(2024, 1, 1), report__published_on=datetime.date(2024, 1, 9))
    FigureFactory(**quantity, claimed_by=later.claimed_by, value=4, period_end=datetime.date(2024, 1, 1),
                  report__published_on=datetime.date(2024, 1, 2))
    series = api.get("/api/v1/series/", {**RUSSIAN_KILLED, "claimed_by": "kyiv"}).json()
    assert [point["value"] for point in series["points"]] == [5]
    assert column(table(api.get(ADDRESS, RUSSIAN_KILLED)), "Kyiv") == {"2024-01-01": "5"}


def test_it_narrows_by_claimant_independence_and_days(api, quantity):
    assert table(api.get(ADDRESS, {**RUSSIAN_KILLED, "claimed_by": "the-economist"}))[0] == ["date", "The Economist"]
    rows = table(api.get(ADDRESS, {**RUSSIAN_KILLED, "start": "2024-01-02", "end": "2024-01-02"}))
    assert rows == [["date", "The Economist"], ["2024-01-02", "90"]]  # the General Staff said nothing that day
    # The factories' sources speak for no party.
    assert table(api.get(ADDRESS, {**RUSSIAN_KILLED, "independent": "false"})) == [["date"]]
    assert table(api.get(ADDRESS, {**RUSSIAN_KILLED, "independent": "true"}))[0] == ["date", "General Staff",
                                                                                     "The Economist"]


def test_the_past_is_read_as_it_stood(api, quantity):
    time.sleep(0.002)
    before = timezone.now().isoformat()
    time.sleep(0.002)
    FigureFactory(**quantity, claimed_by=SourceFactory(slug="kyiv", name="Kyiv"), value=7,
                  period_end=datetime.date(2024, 1, 4))

    then = table(api.get(ADDRESS, {**RUSSIAN_KILLED, "as_recorded": before}))
    now = table(api.get(ADDRESS, RUSSIAN_KILLED))
    assert then[0] == ["date", "General Staff", "The Economist"]
    assert [row[0] for row in then[1:]] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert now[0] == ["date", "General Staff", "Kyiv", "The Economist"]
    assert now[-1] == ["2024-01-04", "", "7", ""]


@pytest.mark.parametrize("accept", ["application/json", "text/html", "*/*", "garbage;;q=x", None])
def test_it_is_csv_whatever_the_accept_header(api, quantity, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    assert table(api.get(ADDRESS, RUSSIAN_KILLED, **headers))[0] == ["date", "General Staff", "The Economist"]


@pytest.mark.parametrize(("question", "named"), [
    ({"category": "killed"}, "party"),
    ({"party": "russia-armed-forces"}, "category"),
    ({**RUSSIAN_KILLED, "category": "kiled"}, "category"),
    ({**RUSSIAN_KILLED, "start": "2024-02-30"}, "start"),
    ({**RUSSIAN_KILLED, "bands": "maybe"}, "bands"),
    ({**RUSSIAN_KILLED, "basis": "guessed"}, "basis"),
    ({**RUSSIAN_KILLED, "as_recorded": "yesterday"}, "as_recorded"),
    ({**RUSSIAN_KILLED, "format": "json"}, "format"),
])
def test_a_bad_parameter_is_a_json_400_naming_it(api, quantity, question, named):
    response = api.get(ADDRESS, question, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == [named]


def test_a_party_in_two_conflicts_needs_its_conflict(api, quantity):
    FigureFactory(conflict=ConflictFactory(slug="another"), party=quantity["party"], category=quantity["category"])
    response = api.get(ADDRESS, RUSSIAN_KILLED)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["conflict"]
    rows = table(api.get(ADDRESS, {**RUSSIAN_KILLED, "conflict": "russia-ukraine"}))
    assert rows[0] == ["date", "General Staff", "The Economist"]


def test_a_name_a_spreadsheet_would_run_is_neutralised(api, quantity):
    FigureFactory(**quantity, claimed_by=SourceFactory(slug="formula", name="=HYPERLINK(\"x\")"), value=1)
    rows = table(api.get(ADDRESS, {**RUSSIAN_KILLED, "bands": "true"}))
    assert rows[0][1:4] == ["'=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\") low", "'=HYPERLINK(\"x\") high"]


def test_two_claimants_of_one_name_are_told_apart_by_slug(api, quantity):
    FigureFactory(**quantity, claimed_by=SourceFactory(slug="staff-2", name="General Staff"), value=1)
    rows = table(api.get(ADDRESS, RUSSIAN_KILLED))
    assert rows[0] == ["date", "General Staff [general-staff]", "General Staff [staff-2]", "The Economist"]


def test_its_headers_name_the_file_open_it_to_every_origin_and_let_it_be_kept_an_hour(api, quantity):
    response = api.get(ADDRESS, RUSSIAN_KILLED, HTTP_ORIGIN="https://app.datawrapper.de")
    assert response["Content-Disposition"] == 'attachment; filename="russia-ukraine-russia-armed-forces-killed.csv"'
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["X-Data-Version"]

    unchanged = api.get(ADDRESS, RUSSIAN_KILLED, HTTP_IF_NONE_MATCH=response["ETag"], HTTP_ACCEPT="text/html")
    assert unchanged.status_code == 304
    assert unchanged.content == b""  # a 304 has no body
    assert unchanged["ETag"] == response["ETag"]
    assert unchanged["Cache-Control"] == "public, max-age=3600"

    FigureFactory(**quantity, claimed_by=SourceFactory(), value=1)  # a new data version
    assert api.get(ADDRESS, RUSSIAN_KILLED, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200


def test_the_api_root_and_schema_name_it(api):
    assert api.get("/api/v1/").json()["series_export"].endswith(ADDRESS)
    operation = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"][ADDRESS]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/csv"]
    assert operation["summary"] and operation["description"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert set(parameters) == {"party", "category", "conflict", "claimed_by", "independent", "basis", "start", "end",
                               "as_recorded", "bands"}
    assert all(parameter.get("description") for parameter in parameters.values())
    assert parameters["party"]["required"] and parameters["category"]["required"]


def test_it_counts_against_the_exports_limit_and_a_304_does_not(api, quantity, monkeypatch):
    monkeypatch.setattr(ExportRateThrottle, "THROTTLE_RATES", {"export": "2/minute"})
    first = api.get(ADDRESS, RUSSIAN_KILLED)
    assert api.get(ADDRESS, RUSSIAN_KILLED, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert api.get("/api/v1/figures/export/").status_code == 200
    refused = api.get(ADDRESS, RUSSIAN_KILLED)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["detail"].startswith("Request was throttled.")
