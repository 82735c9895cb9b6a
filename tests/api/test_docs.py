"""The OpenAPI schema, its documentation pages, CORS, and the query cost of every list."""

import re

import pytest
from django.core.management import call_command

from stats import vocabularies
from stats.models import Figure
from tests.factories import FigureFactory, PartyFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_without_warnings(capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_the_schema_describes_every_figure_filter_and_error(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/figures/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    expected = {
        "conflict", "party", "category", "claimed_by", "publisher", "report", "dataset", "qualifier", "basis",
        "date_precision",
        "period_end_after", "period_end_before", "published_after", "published_before", "value_min", "value_max",
        "cumulative", "independent", "updated_since", "q", "ordering", "page", "page_size", "cursor",
    }
    assert expected <= set(parameters)
    assert all(parameters[name].get("description") for name in expected)
    assert {"200", "304", "400", "404", "406"} <= set(operation["responses"])
    assert {} in operation["security"]
    assert operation["tags"] == ["figures"]
    assert [tag["name"] for tag in schema["tags"]][:3] == ["figures", "compare", "series"]
    write = schema["paths"]["/api/v1/figures/{id}/"]["patch"]
    assert {"400", "401", "403", "404", "409", "412"} <= set(write["responses"])
    assert {} not in write["security"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_documentation_pages_are_served_without_a_cdn(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "cdn" not in response.content.decode().lower()
    assert "/static/drf_spectacular_sidecar/" in response.content.decode()
    # Under the Content-Security-Policy no page may run an inline script: every script has a src.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode()) == []


def test_swagger_uis_start_up_script_is_served_apart(client):
    response = client.get("/api/docs/", {"script": ""})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_the_home_page_links_docs_api_and_admin(client):
    content = client.get("/").content.decode()
    for link in ('href="/api/docs/"', 'href="/api/v1/"', 'href="/admin/"', 'href="/api/redoc/"'):
        assert link in content


def test_browsers_on_other_origins_may_read_the_api_and_its_etag(api, figure):
    response = api.get("/api/v1/figures/", HTTP_ORIGIN="https://newsroom.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]


def many_figures():
    for _ in range(4):
        FigureFactory(report=ReportFactory(publisher=SourceFactory()), claimed_by=SourceFactory(affiliation=PartyFactory()))


def test_the_figure_list_takes_three_queries_whatever_its_size(api, django_assert_num_queries):
    many_figures()
    # 1 the data version (ETag), 2 the vocabularies (kept in the process while the version stands), 3 the count, 4 the
    # page: the relations' ids, their slugs and names shown from the kept vocabularies
    with django_assert_num_queries(4):
        response = api.get("/api/v1/figures/")
    assert response.json()["count"] == 4
    # 1 the data version, 2 the count, 3 the page
    with django_assert_num_queries(3):
        response = api.get("/api/v1/figures/", {"ordering": "value"})
    assert response.json()["count"] == 4
    many_figures()
    api.get("/api/v1/figures/")  # the first list of the new data version reads the vocabularies again
    with django_assert_num_queries(3):
        response = api.get("/api/v1/figures/", {"ordering": "value"})
    assert response.json()["count"] == 8


def test_slug_filters_read_each_vocabulary_once_per_data_version(api, django_assert_num_queries, figure):
    many_figures()
    # 1 the data version, 2 the vocabularies' slugs and ids (kept in the process for this version), 3 the count, 4 the
    # page
    with django_assert_num_queries(4):
        response = api.get("/api/v1/figures/", {"party": figure.party.slug})
    assert [row["id"] for row in response.json()["results"]] == [figure.id]
    other = Figure.objects.select_related("party").exclude(pk=figure.pk).first()
    # 1 the data version, 2 the count, 3 the page: the slug is resolved from the kept parties
    with django_assert_num_queries(3):
        response = api.get("/api/v1/figures/", {"party": other.party.slug})
    assert [row["id"] for row in response.json()["results"]] == [other.id]


@pytest.mark.parametrize("resource", ["conflicts", "parties", "sources", "categories", "reports"])
def test_other_lists_take_three_queries(api, django_assert_num_queries, resource):
    many_figures()
    # 1 the data version, 2 the count, 3 the page (with affiliation or publisher joined)
    with django_assert_num_queries(3):
        assert api.get(f"/api/v1/{resource}/").status_code == 200


def test_the_export_takes_two_queries(api, django_assert_num_queries):
    many_figures()
    # 1 the data version, 2 the rows with their relations joined
    with django_assert_num_queries(2):
        response = api.get("/api/v1/figures/export/")
        assert len(b"".join(response.streaming_content).splitlines()) == 5


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/figures/", "/api/v1/sources/", "/api/v1/reports/"])
def test_the_browsable_api_renders_for_readers_and_curators(client, curator, figure, path):
    assert client.get(path, HTTP_ACCEPT="text/html").status_code == 200
    client.force_login(curator)
    response = client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    detail = client.get(f"/api/v1/figures/{figure.pk}/", HTTP_ACCEPT="text/html")
    assert detail.status_code == 200


def test_a_vocabulary_too_large_to_keep_is_looked_up_per_request(api, django_assert_num_queries, figure, monkeypatch):
    many_figures()
    monkeypatch.setattr(vocabularies, "KEPT_ROWS", 2)  # fewer than the parties, categories and sources
    assert api.get("/api/v1/figures/", {"party": figure.party.slug}).status_code == 200
    other = Figure.objects.select_related("party", "category", "claimed_by").exclude(pk=figure.pk).first()
    # 1 the data version, 2 the slug looked up (the parties are not read whole again), 3 the count, 4 the page, 5-8
    # the party, category, report and sources (claimant, and the report's publisher) it shows, read by their ids
    with django_assert_num_queries(8):
        response = api.get("/api/v1/figures/", {"party": other.party.slug})
    [row] = response.json()["results"]
    assert (row["id"], row["party"], row["category"], row["claimed_by"]) == (
        other.id, other.party.slug, other.category.slug, other.claimed_by.slug
    )
    assert row["citation"] == other.citation
