"""Pages: page and page_size, full-URL next/previous, a keyset cursor in next, clear errors at the edges."""

import datetime
from urllib.parse import parse_qs, urlparse

import pytest

from tests.api.conftest import ids
from tests.factories import ConflictFactory, FigureFactory, PartyFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven(db) -> list[int]:
    """Seven cumulative figures of one claimant on consecutive days; ids in default order (latest first)."""
    conflict, party, source, report = ConflictFactory(), PartyFactory(), SourceFactory(), ReportFactory()
    figures = [
        FigureFactory(conflict=conflict, party=party, claimed_by=source, report=report,
                      period_end=datetime.date(2024, 12, day), value=1000 + day)
        for day in range(1, 8)
    ]
    return [figure.pk for figure in reversed(figures)]


def test_the_envelope_has_count_next_previous_results(api, seven):
    body = api.get("/api/v1/figures/", {"page_size": 3}).json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 7
    assert body["previous"] is None
    assert body["next"].startswith("http://testserver/api/v1/figures/?")
    assert parse_qs(urlparse(body["next"]).query)["page_size"] == ["3"]
    assert "cursor" in parse_qs(urlparse(body["next"]).query)


def test_following_next_visits_every_row_once_in_order(api, seven):
    url, seen, previous_links = "/api/v1/figures/?page_size=3", [], []
    while url:
        response = api.get(url)
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 7
        seen += ids(response)
        previous_links.append(body["previous"])
        url = body["next"]
    assert seen == seven
    assert previous_links[:2] == [None, "http://testserver/api/v1/figures/?page_size=3"]
    assert previous_links[2].startswith("http://testserver/api/v1/figures/?cursor=")


def test_following_next_under_a_custom_ordering(api, seven):
    url, seen = "/api/v1/figures/?page_size=2&ordering=value", []
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == list(reversed(seven))


@pytest.mark.filterwarnings("error:DateTimeField .* received a naive datetime:RuntimeWarning")
def test_following_next_and_previous_under_an_ordering_by_time(api, seven):
    # Lists read times as the driver gives them (from SQLite, without their zone): the cursor's keys and the JSON
    # must still be the times in UTC that a single figure shows.
    from stats.models import Figure

    for step, figure in enumerate(Figure.objects.order_by("id")):
        Figure.objects.filter(pk=figure.pk).update(
            updated_at=datetime.datetime(2025, 1, 1, 12, 0, 0, 250000 * (step % 2), tzinfo=datetime.UTC)
            + datetime.timedelta(minutes=7 - step)
        )
    url, seen, pages = "/api/v1/figures/?page_size=2&ordering=updated_at", [], []
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        pages.append(body)
        url = body["next"]
    assert seen == sorted(seven, reverse=True)  # the last made was updated first
    first = pages[0]["results"][0]
    assert first["updated_at"] == api.get(f"/api/v1/figures/{first['id']}/").json()["updated_at"]
    assert first["updated_at"] == "2025-01-01T12:01:00Z"
    assert pages[0]["results"][1]["updated_at"] == "2025-01-01T12:02:00.250000Z"
    back, seen_back = pages[-1]["previous"], []
    while back:
        body = api.get(back).json()
        seen_back = [row["id"] for row in body["results"]] + seen_back
        back = body["previous"]
    assert seen_back == seen[: len(seen_back)] and len(seen_back) == 6


def test_a_numbered_page_gives_the_same_rows(api, seven):
    assert ids(api.get("/api/v1/figures/", {"page_size": 3, "page": 2})) == seven[3:6]
    assert ids(api.get("/api/v1/figures/", {"page_size": 3, "page": 3})) == seven[6:]


def test_the_default_page_size_is_100_and_the_limit_1000(api, seven):
    assert len(ids(api.get("/api/v1/figures/"))) == 7
    assert api.get("/api/v1/figures/", {"page_size": 1000}).status_code == 200
    response = api.get("/api/v1/figures/", {"page_size": 1001})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page_size"]


def test_a_page_past_the_end_is_a_json_404_naming_page(api, seven):
    response = api.get("/api/v1/figures/", {"page_size": 3, "page": 4})
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Page 4 is past the end: there are 3 pages of 3.",
        "errors": {"page": ["Page 4 is past the end: there are 3 pages of 3."]},
    }
    assert api.get("/api/v1/figures/", {"page": 101}).status_code == 404  # 10,000 rows deep: still numbered


@pytest.mark.parametrize(("page", "page_size"), [(10**17, 100), (102, 100), (12, 1000), (10002, 1)])
def test_a_page_deeper_than_ten_thousand_rows_is_a_400_pointing_to_the_cursor(api, seven, page, page_size):
    response = api.get("/api/v1/figures/", {"page": page, "page_size": page_size})
    assert response.status_code == 400
    assert response.json()["errors"] == {"page": [
        "Pages are numbered only for the first 10,000 rows: to go deeper, follow the `next` links (their `cursor` "
        "seeks straight to the next rows, however deep)."
    ]}


def test_following_previous_links_back_visits_every_page_in_order(api, seven):
    url, pages = "/api/v1/figures/?page_size=3", []
    while url:
        body = api.get(url).json()
        pages.append((ids_of(body), body["previous"]))
        url = body["next"]
    back = pages[-1][1]
    seen = [pages[-1][0]]
    while back:
        assert "page=" not in back  # no link the API gives is a numbered page that could be refused as too deep
        body = api.get(back).json()
        seen.insert(0, ids_of(body))
        back = body["previous"]
    assert seen == [rows for rows, _previous in pages]


def ids_of(body: dict) -> list[int]:
    return [row["id"] for row in body["results"]]


def test_a_remembered_count_follows_every_write(api, curator_api, seven):
    # Counts are remembered per version of the data: each write makes a new version, hence a fresh count.
    assert api.get("/api/v1/figures/", {"page_size": 2}).json()["count"] == 7
    latest = api.get(f"/api/v1/figures/{seven[0]}/").json()
    created = curator_api.post("/api/v1/figures/", {
        **{name: latest[name] for name in ("conflict", "party", "category", "claimed_by", "report")},
        "value": 1, "period_end": "2024-11-01",
    }, format="json")
    assert created.status_code == 201, created.json()
    assert api.get("/api/v1/figures/", {"page_size": 2}).json()["count"] == 8
    assert curator_api.delete(f"/api/v1/figures/{created.json()['id']}/").status_code == 204
    assert api.get("/api/v1/figures/", {"page_size": 2}).json()["count"] == 7


def test_an_empty_list_is_one_empty_page(api, db):
    assert api.get("/api/v1/figures/").json() == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("cursor", ["garbage", "eyJuIjoyfQ:1abc:def", "%00", "a" * 500])
def test_a_garbage_cursor_is_a_400(api, seven, cursor):
    response = api.get("/api/v1/figures/", {"cursor": cursor})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


def test_a_cursor_with_page_is_a_400(api, seven):
    next_url = api.get("/api/v1/figures/", {"page_size": 3}).json()["next"]
    response = api.get(next_url + "&page=2")
    assert response.status_code == 400
    assert response.json()["errors"] == {"cursor": ["Give either cursor or page, not both."]}


def test_a_cursor_from_another_ordering_is_a_400(api, seven):
    next_url = api.get("/api/v1/figures/", {"page_size": 3}).json()["next"]
    response = api.get(next_url + "&ordering=value")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


def test_every_list_pages_the_same_way(api):
    for number in range(3):
        PartyFactory(slug=f"party-{number}", name=f"Party {number}")
    body = api.get("/api/v1/parties/", {"page_size": 2}).json()
    assert [row["slug"] for row in body["results"]] == ["party-0", "party-1"]
    assert [row["slug"] for row in api.get(body["next"]).json()["results"]] == ["party-2"]


def test_public_url_is_the_base_of_every_link_the_service_gives(api, client, seven, settings):
    settings.PUBLIC_URL = "https://data.example.org"
    body = api.get("/api/v1/figures/", {"page_size": 3}, HTTP_HOST="localhost:8000").json()
    assert body["next"].startswith("https://data.example.org/api/v1/figures/?")
    assert api.get(body["next"].removeprefix("https://data.example.org")).json()["previous"] == (
        "https://data.example.org/api/v1/figures/?page_size=3"
    )
    assert api.get("/api/v1/").json()["figures"] == "https://data.example.org/api/v1/figures/"


def test_public_url_must_be_a_scheme_and_a_host(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from conflictdata.env import env_public_url

    monkeypatch.setenv("PUBLIC_URL", "https://data.example.org:8443/")
    assert env_public_url("PUBLIC_URL") == "https://data.example.org:8443"
    for wrong in ("data.example.org", "https://data.example.org/api", "ftp://x"):
        monkeypatch.setenv("PUBLIC_URL", wrong)
        with pytest.raises(ImproperlyConfigured, match=r"^PUBLIC_URL must be the service.s address"):
            env_public_url("PUBLIC_URL")
