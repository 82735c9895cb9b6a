"""Unknown and malformed input: a 400 naming it, JSON always, never a 500 (on SQLite and PostgreSQL)."""

import pytest
from django.test import override_settings

from tests.conftest import make_run_settings
from tests.factories import FigureFactory

pytestmark = pytest.mark.django_db


def test_an_unknown_parameter_is_a_400_naming_it_and_the_valid_ones(api, figure):
    response = api.get("/api/v1/figures/", {"catgory": "killed"})
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["catgory"]
    assert "Unknown parameter. This endpoint takes: as_recorded, basis, category, cite," in body["errors"]["catgory"][0]
    assert body["detail"].startswith("Invalid input. catgory: Unknown parameter.")


@pytest.mark.parametrize(
    ("params", "name", "message"),
    [
        ({"period_end_after": "2024-13-01"}, "period_end_after", "Enter a valid date."),
        ({"period_end_before": "16/12/2024"}, "period_end_before", "Enter a valid date."),
        ({"value_min": "-1"}, "value_min", "Ensure this value is greater than or equal to 0."),
        ({"value_max": "99999999999999999999999"}, "value_max",
         "Ensure this value is less than or equal to 10000000000."),
        ({"value_min": "ten"}, "value_min", "Enter a whole number."),
        ({"report": "abc"}, "report", "Enter a whole number."),
        ({"report": "99999999999999999999"}, "report", "Ensure this value is less than or equal to 9223372036854775807."),
        ({"cumulative": "yes"}, "cumulative", "Use true or false."),
        ({"independent": "1"}, "independent", "Use true or false."),
        ({"updated_since": "yesterday"}, "updated_since", "Enter a valid date/time."),
        ({"category": "killd"}, "category", "No category has the slug 'killd'."),
        ({"category": "killed,"}, "category", "Separate values with single commas; an empty value is not allowed."),
        ({"party": "not a slug"}, "party", "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."),
        ({"qualifier": "roughly"}, "qualifier", "'roughly' is not one of: exact, approximately, at_least, at_most."),
        ({"ordering": "votes"}, "ordering", "Select a valid choice. votes is not one of the available choices."),
        ({"q": "x" * 201}, "q", "Ensure this value has at most 200 characters (it has 201)."),
        ({"q": ""}, "q", "Give a value, or leave the parameter out."),
        ({"page_size": "0"}, "page_size", "Give a whole number from 1 to 1000."),
        ({"page_size": "1001"}, "page_size", "Give a whole number from 1 to 1000."),
        ({"page": "0"}, "page", "Give a whole number from 1 up."),
        ({"page": "-1"}, "page", "Give a whole number from 1 up."),
        ({"q": "war\x00"}, "q", "NUL characters are not allowed."),
        ({"category": "\x00"}, "category", "NUL characters are not allowed."),
    ],
)
def test_a_malformed_value_is_a_400_naming_the_parameter(api, figure, params, name, message):
    FigureFactory(category__slug="killed")
    response = api.get("/api/v1/figures/", params)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"] == {name: [message]}


def test_a_repeated_parameter_is_a_400(api, figure):
    response = api.get("/api/v1/figures/?party=a&party=b")
    assert response.status_code == 400
    assert response.json()["errors"] == {"party": ["Give this parameter once; separate several values with commas."]}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/figures/99999999999999999999999/",
        "/api/v1/figures/0/",
        "/api/v1/figures/abc/",
        "/api/v1/parties/%00/",
        "/api/v1/parties/a%00b/",
        "/api/v1/reports/123456789012345678/",
        "/api/v1/nowhere/",
    ],
)
def test_an_unknown_address_is_a_json_404(api, figure, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_detail_takes_no_filters(api, figure):
    response = api.get(f"/api/v1/figures/{figure.pk}/", {"party": "x"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["party"]


@pytest.mark.parametrize(
    "body",
    [
        {"value": "a\x00"},
        {"quote": "\x00"},
        {"party": "\x00"},
        {"conflict": "russia-ukraine\x00"},
        {"report": 2**70},
        {"value": 2**70},
        {"period_end": "2024-02-30"},
        {"period_end": 20241216},
        {"claimed_by": ["a", "b"]},
        {"value_low": {"a": 1}},
    ],
)
def test_garbage_in_a_body_is_a_400(curator_api, figure, body):
    response = curator_api.patch(f"/api/v1/figures/{figure.pk}/", body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == set(body)


def test_a_body_that_is_not_json_is_a_400(curator_api, figure):
    response = curator_api.patch(f"/api/v1/figures/{figure.pk}/", "{value: 1", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_a_body_in_another_format_is_a_415(curator_api, figure):
    response = curator_api.patch(f"/api/v1/figures/{figure.pk}/", "value=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.json() == {"detail": 'Unsupported media type "text/plain" in request.'}


def test_an_unsupported_method_is_a_405(curator_api, figure):
    response = curator_api.put("/api/v1/figures/?page=1")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/figures/?updated_since=0001-01-01T00:00:00%2B01:00",
        "/api/v1/figures/?updated_since=9999-12-31T23:59:59-01:00",
        "/api/v1/figures/deleted/?since=0001-01-01T00:00:00%2B01:00",
        "/api/v1/figures/deleted/?since=9999-12-31T23:59:59-01:00",
        "/api/v1/figures/latest/?as_of=9999-12-31",
        "/api/v1/figures/latest/?as_of=0001-01-01",
        "/api/v1/series/?party=p&category=c&claimed_by=s&start=0001-01-01&end=9999-12-31&interval=week",
        "/api/v1/series/?party=p&category=c&claimed_by=s&start=0001-01-01&end=9999-12-31&interval=month",
        "/api/v1/compare/?party=p&category=c&as_of=0001-01-01",
        "/api/v1/figures/?period_end_after=0001-01-01&period_end_before=9999-12-31&published_after=0001-01-01",
        "/api/v1/figures/?q=%25_%5C",
        "/api/v1/figures/999999999999999999/history/",
        "/api/v1/figures/?value_min=0&value_max=10000000000&report=9223372036854775807",
    ],
)
def test_extreme_dates_and_numbers_never_give_a_500(api, url):
    FigureFactory(party__slug="p", category__slug="c", claimed_by__slug="s")
    response = api.get(url)
    assert response.status_code in {200, 400, 404}, response.content
    if response.status_code == 400:
        assert response.json()["errors"]


def test_a_text_too_long_is_refused_before_trimming(curator_api, db):
    name = "\x1e" + "x" * 200
    response = curator_api.post("/api/v1/categories/", {"slug": "long", "name": name}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["Ensure this field has no more than 200 characters."]}


@pytest.mark.parametrize(
    "path", ["/api/v1/categories/%C2%84/", "/api/v1/nothing/", "/api/v1/figures/abc/", "/api/nothing", "/api/v1/series/x/"]
)
def test_an_address_no_route_matches_is_a_json_404_under_make_runs_debug_settings(client, path):
    with override_settings(**make_run_settings()):
        response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("Nothing is at /api/")


def test_an_error_page_of_djangos_own_under_the_api_is_json_in_debug_mode(client):
    # A host the settings do not allow: Django answers 400 before any view, with its HTML page in debug mode.
    with override_settings(**make_run_settings()):
        response = client.get("/api/v1/figures/", HTTP_HOST="elsewhere.example")
    assert response.status_code == 400
    assert response.json() == {"detail": "The request was refused (Bad Request)."}


def test_a_method_no_endpoint_has_is_a_405_whatever_the_parameters(api, db):
    # QUERY is a method name HTTP may get, and `query` is also the name of the views' own helper.
    response = api.generic("QUERY", "/api/v1/compare/?claimed_by=&party=0")
    assert response.status_code == 405
    assert response.json()["detail"] == 'Method "QUERY" not allowed.'


def test_a_body_nested_too_deep_is_a_400_not_a_crash(curator_api):
    response = curator_api.post("/api/v1/categories/", "[" * 200_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")
