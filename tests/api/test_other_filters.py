"""Filters of the lists other than figures."""

import datetime

import pytest

from tests.factories import PartyFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["slug"] for row in response.json()["results"]]


def test_parties_filter_by_kind_and_country(api):
    PartyFactory(slug="army", kind="armed_forces", country="RU")
    PartyFactory(slug="people", kind="civilians", country="UA")
    assert slugs(api.get("/api/v1/parties/", {"kind": "civilians"})) == ["people"]
    assert slugs(api.get("/api/v1/parties/", {"kind": "civilians,armed_forces"})) == ["army", "people"]
    assert slugs(api.get("/api/v1/parties/", {"country": "ru"})) == ["army"]


def test_sources_filter_by_kind_country_affiliation_and_independence(api):
    army = PartyFactory(slug="army")
    SourceFactory(slug="staff", name="A staff", kind="military", country="UA", affiliation=army)
    SourceFactory(slug="monitor", name="B monitor", kind="international_organization", country="", affiliation=None)
    assert slugs(api.get("/api/v1/sources/", {"kind": "military"})) == ["staff"]
    assert slugs(api.get("/api/v1/sources/", {"country": "UA"})) == ["staff"]
    assert slugs(api.get("/api/v1/sources/", {"affiliation": "army"})) == ["staff"]
    assert slugs(api.get("/api/v1/sources/", {"independent": "true"})) == ["monitor"]
    assert slugs(api.get("/api/v1/sources/", {"independent": "false"})) == ["staff"]
    response = api.get("/api/v1/sources/", {"affiliation": "navy"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"affiliation": ["No party has the slug 'navy'."]}


def test_reports_filter_by_publisher_dates_and_words(api):
    ministry = SourceFactory(slug="ministry")
    first = ReportFactory(title="Combat losses of the enemy", publisher=ministry, published_on=datetime.date(2024, 12, 16))
    second = ReportFactory(title="Daily update", summary="Losses", published_on=datetime.date(2024, 12, 17))

    def report_ids(**params):
        response = api.get("/api/v1/reports/", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert report_ids(publisher="ministry") == [first.pk]
    assert report_ids(published_after="2024-12-17") == [second.pk]
    assert report_ids(published_before="2024-12-16") == [first.pk]
    assert report_ids(q="losses") == [second.pk, first.pk]
    assert report_ids(q="enemy combat") == [first.pk]
