"""ETags on every GET, 304 for a current copy, 412 for a write against a stale one."""

import datetime

import pytest

from stats.models import Figure
from tests.factories import ConflictFactory, DatasetFactory, FigureFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/figures/", "/api/v1/figures/export/", "/api/v1/parties/", "/api/schema/"]
)
def test_every_get_has_an_etag_and_answers_304_when_current(api, figure, path):
    response = api.get(path)
    assert response.status_code == 200
    etag = response["ETag"]
    again = api.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag


def test_a_detail_etag_is_stable_and_changes_with_the_figure(api, figure):
    url = f"/api/v1/figures/{figure.pk}/"
    etag = api.get(url)["ETag"]
    assert api.get(url)["ETag"] == etag
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    figure.value = 765111
    figure.save()
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_list_etag_changes_when_any_figure_changes_or_goes(api, figure):
    etag = api.get("/api/v1/figures/")["ETag"]
    other = FigureFactory(period_end=datetime.date(2024, 12, 1))
    second = api.get("/api/v1/figures/", HTTP_IF_NONE_MATCH=etag)
    assert second.status_code == 200
    other.delete()
    assert api.get("/api/v1/figures/", HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 200


def test_an_etag_depends_on_the_query(api, figure):
    assert api.get("/api/v1/figures/")["ETag"] != api.get("/api/v1/figures/?cumulative=true")["ETag"]


def test_a_write_with_a_current_if_match_succeeds(curator_api, figure):
    url = f"/api/v1/figures/{figure.pk}/"
    etag = curator_api.get(url)["ETag"]
    response = curator_api.patch(url, {"value": 765200}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert curator_api.get(url)["ETag"] == response["ETag"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_write_with_a_stale_if_match_gets_412_and_changes_nothing(curator_api, figure, method):
    url = f"/api/v1/figures/{figure.pk}/"
    stale = curator_api.get(url)["ETag"]
    Figure.objects.filter(pk=figure.pk).update(value=765300)  # another curator's edit
    Figure.objects.get(pk=figure.pk).save()
    body = {"value": 1} if method != "delete" else None
    response = getattr(curator_api, method)(url, body, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert "If-Match" in response.json()["detail"]
    assert Figure.objects.get(pk=figure.pk).value == 765300


def test_a_stale_if_match_on_a_vocabulary_gets_412(curator_api, figure):
    url = f"/api/v1/parties/{figure.party.slug}/"
    stale = curator_api.get(url)["ETag"]
    assert curator_api.patch(url, {"name": "First"}, format="json").status_code == 200
    response = curator_api.patch(url, {"name": "Second"}, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert curator_api.get(url).json()["name"] == "First"


def test_renaming_a_claimant_changes_its_figures_for_updated_since_and_etags(curator_api, figure):
    Figure.objects.filter(pk=figure.pk).update(updated_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    url = f"/api/v1/figures/{figure.pk}/"
    etag = curator_api.get(url)["ETag"]
    response = curator_api.patch(
        f"/api/v1/sources/{figure.claimed_by.slug}/", {"name": "General Staff of Ukraine"}, format="json"
    )
    assert response.status_code == 200
    fresh = curator_api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    assert fresh.json()["citation"].startswith("General Staff of Ukraine claimed")
    assert curator_api.get("/api/v1/figures/", {"updated_since": "2024-06-01T00:00:00Z"}).json()["count"] == 1


def test_a_dataset_whose_licence_changes_changes_its_figures_attribution(curator_api):
    figure = FigureFactory(dataset=DatasetFactory(slug="economist", attribution="The Economist"))
    Figure.objects.filter(pk=figure.pk).update(updated_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    url = f"/api/v1/figures/{figure.pk}/"
    etag = curator_api.get(url)["ETag"]
    response = curator_api.patch("/api/v1/datasets/economist/", {"licence": "CC-BY-SA-4.0"}, format="json")
    assert response.status_code == 200
    fresh = curator_api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    assert fresh.json()["attribution"] == "Compiled by The Economist, CC BY-SA 4.0."
    assert curator_api.get("/api/v1/figures/", {"updated_since": "2024-06-01T00:00:00Z"}).json()["count"] == 1


def test_a_report_edited_in_the_admin_changes_its_figures(admin_client, figure):
    Figure.objects.filter(pk=figure.pk).update(updated_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    report = figure.report
    admin_client.post(
        f"/admin/stats/report/{report.pk}/change/",
        {
            "title": "Renamed", "url": report.url, "archived_url": "", "publisher": "",
            "published_on": "2024-12-17", "language": "", "summary": "",
            "figures-TOTAL_FORMS": "0", "figures-INITIAL_FORMS": "0",
            "figures-MIN_NUM_FORMS": "0", "figures-MAX_NUM_FORMS": "1000",
        },
    )
    assert Figure.objects.get(pk=figure.pk).updated_at.year > 2024


def test_a_write_with_if_match_to_a_figure_deleted_since_gets_412(curator_api, figure):
    url = f"/api/v1/figures/{figure.pk}/"
    etag = curator_api.get(url)["ETag"]
    assert curator_api.delete(url).status_code == 204
    response = curator_api.patch(url, {"value": 1}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert "deleted since you read it" in response.json()["detail"]
    assert curator_api.patch(url, {"value": 1}, format="json").status_code == 404  # without If-Match: not found


def test_a_patch_writes_only_the_fields_it_names_and_its_revision_says_so(curator_api, api, figure):
    url = f"/api/v1/figures/{figure.pk}/"
    before = api.get(url).json()
    response = curator_api.patch(url, {"notes": "Read from the table."}, format="json")
    assert response.status_code == 200
    after = api.get(url).json()
    assert {name for name in after if after[name] != before[name]} == {"notes", "updated_at"}
    assert api.get(f"{url}history/").json()[0]["changes"] == [
        {"field": "notes", "old": "", "new": "Read from the table."}
    ]


def test_a_patch_also_writes_what_the_models_rules_settle_from_the_fields_it_names(curator_api):
    figure = FigureFactory(period_start=datetime.date(2023, 1, 1), period_end=datetime.date(2024, 12, 16))
    ConflictFactory(slug="from-2023", started_on=datetime.date(2023, 1, 1))
    response = curator_api.patch(f"/api/v1/figures/{figure.pk}/", {"conflict": "from-2023"}, format="json")
    assert response.status_code == 200
    figure.refresh_from_db()
    # The period now runs from the conflict's start, spelled as null (Figure.clean).
    assert (figure.conflict.slug, figure.period_start, response.json()["cumulative"]) == ("from-2023", None, True)
