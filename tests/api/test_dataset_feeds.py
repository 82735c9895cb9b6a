"""A dataset's `feeds`: each feed declared in code beside what the sync last recorded of it, read-only."""

import datetime

import pytest
from django.utils import timezone

from stats.models import Feed, HeldChange
from stats.sync import status
from stats.sync.converters.general_staff import FEEDS as GENERAL_STAFF
from stats.sync.feeds import Feed as Declaration
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db

CHECKED = datetime.datetime(2026, 8, 9, 6, 0, tzinfo=datetime.UTC)
CHANGED = datetime.datetime(2026, 8, 9, 6, 1, tzinfo=datetime.UTC)


def declared(dataset: str, *names: str) -> dict:
    """Return declarations of feeds `names` of `dataset`, as stats/sync/feeds.py would make them."""
    return {
        (dataset, name): Declaration(dataset=dataset, name=name, address=f"https://origin.example.org/{name}.json",
                                     convert=lambda body, origin: [], key=lambda row: row["period_end"])
        for name in names
    }


@pytest.fixture
def declarations(monkeypatch):
    """Declare feeds of the test's choosing instead of the converters' (which other branches are still adding)."""
    chosen = {}
    monkeypatch.setattr(status, "declarations", lambda: chosen)
    return chosen


def held(feed: Feed, count: int) -> None:
    HeldChange.objects.bulk_create(
        HeldChange(feed=feed, key=f"2026-08-0{day}", action="change", fingerprint="f", reason="changed")
        for day in range(1, count + 1)
    )


def test_a_dataset_shows_its_synced_and_its_never_synced_feeds(api, declarations):
    dataset = DatasetFactory(slug="tfp")
    declarations.update(declared("tfp", "gaza", "west-bank"))
    gaza = Feed.objects.create(dataset=dataset, name="gaza", state="held", checked_at=CHECKED, changed_at=CHANGED,
                               version='"etag-1"', message="held 2 for review", etag='"etag-1"', sha256="a" * 64)
    held(gaza, 2)
    response = api.get("/api/v1/datasets/tfp/")
    assert response.status_code == 200
    assert response.json()["feeds"] == [
        {"name": "gaza", "address": "https://origin.example.org/gaza.json", "state": "held",
         "checked_at": "2026-08-09T06:00:00Z", "changed_at": "2026-08-09T06:01:00Z", "version": '"etag-1"',
         "held": 2, "message": "held 2 for review"},
        {"name": "west-bank", "address": "https://origin.example.org/west-bank.json", "state": "never",
         "checked_at": None, "changed_at": None, "version": "", "held": 0, "message": ""},
    ]


def test_the_address_is_the_configured_one_and_a_feed_no_longer_declared_has_none(api, declarations, monkeypatch):
    dataset = DatasetFactory(slug="tfp")
    declarations.update(declared("tfp", "gaza"))
    monkeypatch.setenv("FEED_TFP_GAZA_URL", "https://mirror.example.org/gaza.json")
    Feed.objects.create(dataset=dataset, name="lebanon", state="failed", message="failed: HTTP 500")
    feeds = api.get("/api/v1/datasets/tfp/").json()["feeds"]
    assert [(feed["name"], feed["address"], feed["state"]) for feed in feeds] == [
        ("gaza", "https://mirror.example.org/gaza.json", "never"),
        ("lebanon", "", "failed"),
    ]


def test_the_feeds_declared_in_code_show_before_any_sync(api):
    DatasetFactory(slug="petroivaniuk-war-dataset")
    (feed,) = api.get("/api/v1/datasets/petroivaniuk-war-dataset/").json()["feeds"]
    assert (feed["name"], feed["address"], feed["state"]) == ("personnel", GENERAL_STAFF[0].address, "never")


def test_a_dataset_without_feeds_shows_an_empty_list(api, declarations):
    DatasetFactory(slug="own")
    assert api.get("/api/v1/datasets/own/").json()["feeds"] == []


def test_the_list_reads_every_dataset_s_feeds_in_a_fixed_number_of_queries(api, declarations,
                                                                          django_assert_num_queries):
    for number in range(4):
        dataset = DatasetFactory(slug=f"compilation-{number}")
        declarations.update(declared(dataset.slug, "daily", "weekly"))
        for name in ("daily", "weekly"):
            held(Feed.objects.create(dataset=dataset, name=name, state="held", checked_at=CHECKED), number)
    # The data version; the feeds' fingerprint (ETag); the count; the page of datasets; their feeds with held counts.
    with django_assert_num_queries(5):
        response = api.get("/api/v1/datasets/")
    listed = {row["slug"]: [(feed["name"], feed["held"]) for feed in row["feeds"]] for row in response.json()["results"]}
    assert listed == {f"compilation-{number}": [("daily", number), ("weekly", number)] for number in range(4)}


def test_a_sync_s_bookkeeping_changes_the_etag_without_a_data_version(api, declarations):
    dataset = DatasetFactory(slug="tfp")
    declarations.update(declared("tfp", "gaza"))
    feed = Feed.objects.create(dataset=dataset, name="gaza", state="current", checked_at=CHECKED)
    for address in ("/api/v1/datasets/", "/api/v1/datasets/tfp/"):
        first = api.get(address)
        assert api.get(address, headers={"If-None-Match": first["ETag"]}).status_code == 304
    Feed.objects.filter(pk=feed.pk).update(checked_at=CHECKED + datetime.timedelta(hours=1))
    for address in ("/api/v1/datasets/", "/api/v1/datasets/tfp/"):
        again = api.get(address, headers={"If-None-Match": first["ETag"]})
        assert again.status_code == 200
        assert again.json()["feeds" if address.endswith("tfp/") else "results"]


def test_feeds_are_read_only(curator_api, declarations):
    DatasetFactory(slug="tfp")
    declarations.update(declared("tfp", "gaza"))
    response = curator_api.patch("/api/v1/datasets/tfp/", {"feeds": [{"name": "gaza", "address": "http://10.0.0.1/"}]},
                                 format="json")
    assert response.status_code == 200
    assert response.json()["feeds"][0]["address"] == "https://origin.example.org/gaza.json"
    assert not Feed.objects.exists()


def test_an_answer_as_recorded_shows_no_feeds(api, declarations):
    dataset = DatasetFactory(slug="tfp")
    declarations.update(declared("tfp", "gaza"))
    Feed.objects.create(dataset=dataset, name="gaza", state="current", checked_at=CHECKED)
    moment = timezone.now().isoformat()
    assert api.get("/api/v1/datasets/tfp/", {"as_recorded": moment}).json()["feeds"] is None
    (row,) = api.get("/api/v1/datasets/", {"as_recorded": moment}).json()["results"]
    assert (row["slug"], row["feeds"]) == ("tfp", None)
    assert api.get("/api/v1/datasets/tfp/").json()["feeds"][0]["state"] == "current"
