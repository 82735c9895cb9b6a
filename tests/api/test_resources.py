"""Every resource: list, detail, and writes for curators only."""

import datetime

import pytest

from stats.models import Figure, Report
from tests.factories import (
    CategoryFactory,
    ConflictFactory,
    DatasetFactory,
    FigureFactory,
    PartyFactory,
    ReportFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

# resource path, factory, lookup attribute, a valid new body, a change
RESOURCES = {
    "conflicts": (
        ConflictFactory, "slug",
        {"slug": "gaza", "name": "Israel-Gaza war", "started_on": "2023-10-07", "ended_on": None, "description": ""},
        {"description": "From 7 October 2023."},
    ),
    "parties": (
        PartyFactory, "slug",
        {"slug": "gaza-civilians", "name": "Civilians in Gaza", "kind": "civilians", "country": "PS"},
        {"name": "Palestinians in Gaza"},
    ),
    "sources": (
        SourceFactory, "slug",
        {"slug": "gaza-moh", "name": "Gaza Ministry of Health", "kind": "government", "country": "PS",
         "affiliation": None, "url": "", "description": ""},
        {"kind": "ngo"},
    ),
    "categories": (
        CategoryFactory, "slug",
        {"slug": "displaced", "name": "Displaced", "description": "People forced from their homes."},
        {"name": "Internally displaced"},
    ),
    "reports": (
        ReportFactory, "id",
        {"title": "Daily report", "url": "https://example.org/daily", "archived_url": "", "publisher": None,
         "published_on": "2024-12-17", "language": "uk", "summary": ""},
        {"language": "en"},
    ),
    "datasets": (
        DatasetFactory, "slug",
        {"slug": "acled", "name": "ACLED export", "url": "https://acleddata.com/", "licence": "NOASSERTION",
         "attribution": "ACLED", "retrieved": "2026-11-01", "description": ""},
        {"licence": "CC-BY-4.0"},
    ),
}


def lookup_of(obj, attribute):
    return getattr(obj, attribute)


@pytest.mark.parametrize("resource", RESOURCES)
def test_anyone_lists_and_reads_a_resource(api, resource):
    factory, attribute, _body, _change = RESOURCES[resource]
    first, second = (factory(**({"slug": name} if attribute == "slug" else {})) for name in ("first", "second"))
    response = api.get(f"/api/v1/{resource}/")
    assert response.status_code == 200
    assert response.json()["count"] == 2
    listed = [row[attribute] for row in response.json()["results"]]
    assert sorted(map(str, listed)) == sorted(str(lookup_of(obj, attribute)) for obj in (first, second))
    detail = api.get(f"/api/v1/{resource}/{lookup_of(first, attribute)}/")
    assert detail.status_code == 200
    assert detail.json()[attribute] == lookup_of(first, attribute)


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_curator_creates_updates_and_deletes(curator_api, resource):
    _factory, attribute, body, change = RESOURCES[resource]
    created = curator_api.post(f"/api/v1/{resource}/", body, format="json")
    assert created.status_code == 201, created.json()
    key = created.json()[attribute]
    assert {name: created.json()[name] for name in body} == body
    changed = curator_api.patch(f"/api/v1/{resource}/{key}/", change, format="json")
    assert changed.status_code == 200, changed.json()
    assert {name: changed.json()[name] for name in change} == change
    assert curator_api.get(f"/api/v1/{resource}/{key}/").json() == changed.json()
    assert curator_api.delete(f"/api/v1/{resource}/{key}/").status_code == 204
    assert curator_api.get(f"/api/v1/{resource}/{key}/").status_code == 404


@pytest.mark.parametrize("resource", [*RESOURCES, "figures"])
def test_anonymous_writes_get_401_and_non_curators_403(api, member_api, resource, figure):
    for client, expected in ((api, 401), (member_api, 403)):
        assert client.post(f"/api/v1/{resource}/", {}, format="json").status_code == expected
        for method in (client.get, client.head, client.options):  # reads need no permission
            assert method(f"/api/v1/{resource}/").status_code == 200
    assert api.post(f"/api/v1/{resource}/", {}, format="json")["WWW-Authenticate"] == 'Token'
    assert Figure.objects.count() == 1


def test_a_non_curator_cannot_change_or_delete_a_figure(member_api, figure):
    assert member_api.patch(f"/api/v1/figures/{figure.pk}/", {"value": 1}, format="json").status_code == 403
    assert member_api.delete(f"/api/v1/figures/{figure.pk}/").status_code == 403
    assert Figure.objects.get().value == 765110


def test_a_figure_reads_with_every_field_slugs_cumulative_and_citation(api, figure):
    response = api.get(f"/api/v1/figures/{figure.pk}/")
    body = response.json()
    assert list(body) == [
        "id", "conflict", "party", "category", "claimed_by", "report", "value", "value_low", "value_high",
        "qualifier", "basis", "period_start", "period_end", "date_precision", "cumulative", "quote", "notes",
        "dataset", "citation", "attribution", "recorded_at", "updated_at",
    ]
    assert body["conflict"] == "russia-ukraine"
    assert body["party"] == figure.party.slug
    assert body["report"] == figure.report_id
    assert body["cumulative"] is True
    assert body["citation"] == figure.citation
    assert (body["dataset"], body["attribution"]) == (None, None)


def test_a_figure_from_a_dataset_credits_its_compiler_and_licence(api):
    figure = FigureFactory(dataset=DatasetFactory(slug="economist", attribution="The Economist", licence="CC-BY-4.0"))
    body = api.get(f"/api/v1/figures/{figure.pk}/").json()
    assert (body["dataset"], body["attribution"]) == ("economist", "Compiled by The Economist, CC BY 4.0.")
    listed = api.get("/api/v1/figures/", {"dataset": "economist"}).json()["results"]
    assert [(row["id"], row["attribution"]) for row in listed] == [(figure.pk, "Compiled by The Economist, CC BY 4.0.")]


@pytest.mark.parametrize(
    ("licence", "words"),
    [("MIT", "MIT licence"), ("Unlicense", "public domain (the Unlicense)"), ("NOASSERTION", "no licence stated"),
     ("GPL-3.0-only", "GPL-3.0-only")],
)
def test_an_attribution_names_the_licence_as_people_read_it(api, licence, words):
    figure = FigureFactory(dataset=DatasetFactory(attribution="", name="A compilation", licence=licence))
    assert api.get(f"/api/v1/figures/{figure.pk}/").json()["attribution"] == f"Compiled by A compilation, {words}."


def figure_body(figure: Figure, **changes) -> dict:
    body = {
        "conflict": figure.conflict.slug, "party": figure.party.slug, "category": figure.category.slug,
        "claimed_by": figure.claimed_by.slug, "report": figure.report_id, "value": 763510, "value_low": None,
        "value_high": None, "qualifier": "approximately", "basis": "claimed", "period_start": None,
        "period_end": "2024-12-15", "date_precision": "day", "quote": "", "notes": "",
    }
    body.update(changes)
    return body


def test_a_listed_figure_reads_exactly_as_the_figure_alone(api, figure):
    # Lists read values straight from the database (stats/api/reading.py), a single figure goes through the
    # serializer: both must give the same JSON, whatever is null, ranged, dated or published by whom.
    FigureFactory(
        value=1200, value_low=1000, value_high=1500, qualifier=Figure.Qualifier.AT_LEAST,
        period_start=datetime.date(2024, 12, 1), period_end=datetime.date(2024, 12, 15),
        report__publisher=SourceFactory(name="Ministry of Defence"), quote="“About 1,200.”", notes="Ünïcode ✓",
        dataset=DatasetFactory(),
    )
    FigureFactory(report__url=None, date_precision=Figure.DatePrecision.MONTH, period_end=datetime.date(2024, 11, 30))
    listed = api.get("/api/v1/figures/").json()["results"]
    assert len(listed) == 3
    for item in listed:
        alone = api.get(f"/api/v1/figures/{item['id']}/")
        assert item == alone.json()
        assert list(item) == list(alone.json())  # the same fields in the same order


def test_a_curator_records_a_figure_with_slugs(curator_api, curator, figure):
    response = curator_api.post("/api/v1/figures/", figure_body(figure), format="json")
    assert response.status_code == 201, response.json()
    created = Figure.objects.get(pk=response.json()["id"])
    assert (created.value, created.period_end, created.claimed_by) == (
        763510, datetime.date(2024, 12, 15), figure.claimed_by,
    )
    assert created.history.get().history_user == curator


def test_a_period_starting_with_the_conflict_is_stored_as_cumulative(curator_api, figure):
    response = curator_api.post("/api/v1/figures/", figure_body(figure, period_start="2022-02-24"), format="json")
    assert response.status_code == 201
    assert (response.json()["period_start"], response.json()["cumulative"]) == (None, True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"value": -1}, "value", "Ensure this value is greater than or equal to 0."),
        ({"value": 10**11}, "value", "Ensure this value is less than or equal to 10000000000."),
        ({"value_low": 9, "value_high": 3}, "non_field_errors", "The low end of the range cannot be above its high end."),
        ({"period_start": "2024-12-16", "period_end": "2024-12-01"}, "non_field_errors",
         "The period cannot end before it starts."),
        ({"period_start": "2021-01-01"}, "period_start", "The period cannot begin before the conflict did (2022-02-24)."),
        ({"period_end": "2024-12-18"}, "period_end", "The period cannot end after the report was published (2024-12-17)."),
        ({"period_end": "2024-12-16"}, "non_field_errors",
         "This report already records this claim (same claimant, party, category, period and basis)."),
        ({"party": "nobody"}, "party", "No party has the slug 'nobody'."),
        ({"report": 999999}, "report", 'Invalid pk "999999" - object does not exist.'),
        ({"report": "1"}, "report", "Give an id."),
        ({"value": "12"}, "value", "A valid integer is required."),
        ({"quote": "a\x00b"}, "quote", "Null characters are not allowed."),
        ({"qualifier": "roughly"}, "qualifier", '"roughly" is not a valid choice.'),
    ],
)
def test_a_bad_figure_is_a_400_naming_the_field(curator_api, figure, changes, field, message):
    response = curator_api.post("/api/v1/figures/", figure_body(figure, **changes), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][field] == [message]
    assert message in body["detail"]
    assert Figure.objects.count() == 1


def test_a_missing_field_is_named(curator_api, figure):
    body = figure_body(figure)
    del body["period_end"]
    response = curator_api.post("/api/v1/figures/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"period_end": ["This field is required."]}


def test_a_body_over_the_limit_is_a_413_and_changes_nothing(curator_api, figure):
    body = {**figure_body(figure), "period_end": "2024-12-15", "notes": "x" * 1_000_001}
    response = curator_api.post("/api/v1/figures/", body, format="json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The body is larger than 1,000,000 bytes: send a smaller one."}
    assert Figure.objects.count() == 1
    response = curator_api.patch(f"/api/v1/figures/{figure.pk}/", {"notes": "x" * 1_000_001}, format="json")
    assert response.status_code == 413
    figure.refresh_from_db()
    assert figure.notes == ""


def test_a_duplicate_slug_is_a_400_naming_the_slug(curator_api):
    PartyFactory(slug="taken")
    response = curator_api.post("/api/v1/parties/", {"slug": "taken", "name": "X", "kind": "other"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"slug": ["A party with this slug already exists."]}


def test_a_report_without_an_address_stores_null(curator_api):
    body = dict(RESOURCES["reports"][2], url="")
    response = curator_api.post("/api/v1/reports/", body, format="json")
    assert response.status_code == 201
    assert response.json()["url"] is None
    assert Report.objects.get().url is None


@pytest.mark.parametrize(
    ("resource", "used"),
    [("conflicts", "conflict"), ("parties", "party"), ("categories", "category"), ("sources", "claimed_by")],
)
def test_deleting_what_figures_use_is_a_409_naming_them(curator_api, figure, resource, used):
    target = getattr(figure, used)
    response = curator_api.delete(f"/api/v1/{resource}/{target.slug}/")
    assert response.status_code == 409
    assert response.json()["detail"].endswith(
        f"1 figures (ids {figure.pk}) still use it. Change or delete them first."
    )
    assert type(target).objects.filter(pk=target.pk).exists()


def test_deleting_a_report_with_figures_is_a_409(curator_api, figure):
    response = curator_api.delete(f"/api/v1/reports/{figure.report_id}/")
    assert response.status_code == 409
    assert f"1 figures (ids {figure.pk})" in response.json()["detail"]
    assert Report.objects.count() == 1


def test_a_curator_deletes_a_figure(curator_api, figure):
    assert curator_api.delete(f"/api/v1/figures/{figure.pk}/").status_code == 204
    assert Figure.objects.count() == 0
    assert figure.history.first().history_type == "-"


def test_sources_read_affiliation_as_a_slug_and_say_whether_independent(api):
    party = PartyFactory(slug="ukraine-armed-forces")
    SourceFactory(slug="general-staff", affiliation=party)
    SourceFactory(slug="ohchr", affiliation=None)
    rows = {row["slug"]: row for row in api.get("/api/v1/sources/").json()["results"]}
    assert (rows["general-staff"]["affiliation"], rows["general-staff"]["independent"]) == (
        "ukraine-armed-forces", False,
    )
    assert (rows["ohchr"]["affiliation"], rows["ohchr"]["independent"]) == (None, True)


def test_the_root_lists_every_resource(api):
    response = api.get("/api/v1/")
    assert response.status_code == 200
    assert set(response.json()) == {
        "conflicts", "parties", "sources", "categories", "reports", "datasets", "figures", "figures_export",
        "figures_latest", "series", "series_export", "compare", "datapackage", "schema", "docs", "guide", "feed",
    }
    assert response.json()["figures"] == "http://testserver/api/v1/figures/"
    assert response.json()["guide"] == "http://testserver/about/api/"
    assert response.json()["feed"] == "http://testserver/feeds/claims.atom"
