"""The feeds' admin (stats/sync_admin.py): feeds read only, and a page per feed to approve or reject held changes."""

import datetime
import importlib.util
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from stats.models import Feed, FeedState, Figure, HeldAction, HeldChange, LabelMapping, Rejection, SyncedRow
from stats.services import vocabularies_load
from stats.sync import feeds as declared
from stats.sync.converters.general_staff import FEEDS, ORC_LOSSES, convert
from stats.sync.engine import claim_of, fingerprint, sync
from stats.sync.feeds import Origin
from tests.factories import DatasetFactory, SourceFactory

pytestmark = pytest.mark.django_db

FEED = FEEDS[0]
UPSTREAM = Path(__file__).parent / "data" / "upstream" / "general-staff"
FIRST = UPSTREAM / "2024-12-31T132035_9adc8d6.json"
# The day appended with the typo year: two rows for the day counted to 2023-12-31 (360,010 and 790,800).
TYPO_YEAR = UPSTREAM / "2025-01-01T153626_4d628ed.json"


@pytest.fixture(autouse=True)
def converters_present(monkeypatch):
    """Declare only the feeds whose converters are in the tree (the others are being written on other branches)."""
    present = [module for module in declared.CONVERTERS if importlib.util.find_spec(module) is not None]
    monkeypatch.setattr(declared, "CONVERTERS", present)


def synced_from(address: Path, tmp_path: Path):
    """Sync the General Staff's feed from a file, its also-read file unreachable (it only enriches)."""
    return sync(FEED, address=str(address), also={ORC_LOSSES: str(tmp_path / "unreachable.json")}, allow_files=True)


def version_with(tmp_path: Path, values: dict[str, int]) -> Path:
    """Write the first version with the personnel of some report days (`date`) changed, as a compiler edits."""
    entries = json.loads(FIRST.read_bytes())
    for entry in entries:
        entry["personnel"] = values.get(entry["date"], entry["personnel"])
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(entries))
    return path


def figure_of(key: str) -> Figure:
    return SyncedRow.objects.select_related("figure").get(key=key).figure


def decided(client: Client, feed: Feed, data: dict) -> list[str]:
    """Post a decision on the feed's page; return the messages the page it leads back to shows."""
    response = client.post(page_of(feed), data, follow=True)
    assert response.redirect_chain == [(page_of(feed), 302)]
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def feed(tmp_path) -> Feed:
    """The General Staff's feed after a first sync, which applies everything."""
    vocabularies_load()
    assert "added 1041" in str(synced_from(FIRST, tmp_path))
    return Feed.objects.get(name=FEED.name)


@pytest.fixture
def curator_client(client, curator) -> Client:
    client.force_login(curator)
    return client


def page_of(feed: Feed) -> str:
    return reverse("admin:stats_feed_change", args=[feed.pk])


def held_ids(**filters) -> list[int]:
    return list(HeldChange.objects.filter(**filters).order_by("id").values_list("pk", flat=True))


def test_the_list_shows_each_feed_s_state_address_and_held_count(admin_client, feed, tmp_path):
    synced_from(TYPO_YEAR, tmp_path)
    response = admin_client.get(reverse("admin:stats_feed_changelist"))
    assert response.status_code == 200
    [row] = response.context["cl"].result_list
    assert (row.state, row.held_count, row.version) == (FeedState.HELD, 2, row.version)
    content = response.content.decode()
    assert FEED.address in content
    assert "changes held for review" in content
    assert '<td class="field-held">2</td>' in content
    assert "never from the admin" in content
    assert page_of(feed) in content


def test_the_list_shows_a_deployment_s_mirror_and_a_feed_no_code_declares(admin_client, feed, monkeypatch):
    monkeypatch.setenv(FEED.setting(), "https://mirror.example.org/personnel.json")
    Feed.objects.create(dataset=DatasetFactory(), name="gone")
    content = admin_client.get(reverse("admin:stats_feed_changelist")).content.decode()
    assert "https://mirror.example.org/personnel.json" in content
    assert "declared nowhere in code" in content


def test_the_list_takes_a_fixed_number_of_queries(admin_client, django_assert_num_queries):
    for name in ("one", "two", "three"):
        Feed.objects.create(dataset=DatasetFactory(), name=name)
    # The session, the user, the user's two kinds of second-factor device, the datasets of the filter, the count of
    # feeds filtered and of all feeds, then the feeds with their datasets and held counts.
    with django_assert_num_queries(8):
        response = admin_client.get(reverse("admin:stats_feed_changelist"))
    assert len(response.context["cl"].result_list) == 3


def test_the_feed_page_shows_the_figure_as_held_beside_the_origin_s_rows(curator_client, feed, tmp_path):
    synced_from(TYPO_YEAR, tmp_path)
    held = figure_of("2023-12-31")
    content = curator_client.get(page_of(feed)).content.decode()
    assert content.count("<td>2 rows of this version claim this for the same key") == 2
    assert reverse("admin:stats_figure_change", args=[held.pk]) in content
    assert content.count("360,010") == 3  # the figure as held, once per held row, and the origin's first row
    assert content.count("790,800") == 1
    assert "choose one (1 of 2)" in content
    assert "Enemy combat losses as of 1 January 2024" in content
    assert content.count('name="held"') == 2


def test_approving_a_change_writes_it_in_the_curator_s_name(curator_client, curator, feed, tmp_path):
    synced_from(version_with(tmp_path, {"2024-12-17": 764510}), tmp_path)
    [held_id] = held_ids(action=HeldAction.CHANGE)
    assert decided(curator_client, feed, {"held": [held_id], "_approve": "Approve"}) == ["Approved 1 held change(s): 2024-12-16: changed"]
    figure = figure_of("2024-12-16")
    assert figure.value == 764510
    revision = figure.history.latest()
    assert revision.history_user == curator
    assert revision.history_change_reason.startswith("approved by curator")
    feed.refresh_from_db()
    assert (feed.state, HeldChange.objects.count()) == (FeedState.CURRENT, 0)


def test_rejecting_a_change_keeps_the_figure_and_records_the_rejection(curator_client, curator, feed, tmp_path):
    synced_from(version_with(tmp_path, {"2024-12-17": 764510}), tmp_path)
    [held] = HeldChange.objects.all()
    assert decided(curator_client, feed, {"held": [held.pk], "_reject": "Reject"}) == ["Rejected 1 held change(s): 2024-12-16: rejected"]
    assert figure_of("2024-12-16").value == 765110
    assert not HeldChange.objects.exists()
    rejection = Rejection.objects.get()
    assert (rejection.key, rejection.fingerprint, rejection.rejected_by) == ("2024-12-16", held.fingerprint, curator)


def test_approving_several_changes_at_once(curator_client, feed, tmp_path):
    synced_from(version_with(tmp_path, {"2024-12-17": 764510, "2024-12-18": 766000, "2024-12-19": 767000}),
                tmp_path)
    first, second, third = held_ids()
    assert decided(curator_client, feed, {"held": [first, third], "_approve": "Approve"}) == ["Approved 2 held change(s): 2024-12-16: changed; 2024-12-18: changed"]
    assert [figure_of(key).value for key in ("2024-12-16", "2024-12-17", "2024-12-18")] == [764510, 766690, 767000]
    assert held_ids() == [second]


def test_approve_all_decides_every_change_shown_and_leaves_a_choice(curator_client, feed, tmp_path):
    synced_from(version_with(tmp_path, {"2024-12-17": 764510, "2024-12-18": 766000}), tmp_path)
    shown = held_ids()
    choice = [HeldChange.objects.create(feed=feed, key="2024-12-29", action=HeldAction.CHOOSE, reason="two rows",
                                        old=None, new=None, fingerprint=mark) for mark in ("a", "b")]
    shown += [held.pk for held in choice]
    assert decided(curator_client, feed, {"shown": shown, "_approve_all": "Approve all"}) == [
        "Approved 2 held change(s): 2024-12-16: changed; 2024-12-17: changed",
        "2 held change(s) were left for you to answer: pick one row of a key claimed twice, or a source for an "
        "unknown claimant label.",
    ]
    assert held_ids() == [held.pk for held in choice]


def test_reject_all_rejects_every_change_shown_and_none_held_since(curator_client, feed, tmp_path):
    synced_from(TYPO_YEAR, tmp_path)
    shown = held_ids()
    later = HeldChange.objects.create(feed=feed, key="2024-12-29", action=HeldAction.REMOVE, reason="gone",
                                      fingerprint="removed")
    assert decided(curator_client, feed, {"shown": shown, "_reject_all": "Reject all"}) == [
        "Rejected 2 held change(s): 2023-12-31: rejected; 2023-12-31: rejected"
    ]
    assert held_ids() == [later.pk]
    assert Rejection.objects.count() == 2
    assert figure_of("2023-12-31").value == 360010


def test_approving_the_chosen_row_of_a_key_claimed_twice_rejects_the_other(curator_client, feed, tmp_path):
    synced_from(TYPO_YEAR, tmp_path)
    right, typo = HeldChange.objects.order_by("id")
    assert (right.new["value"], typo.new["value"]) == (360010, 790800)
    assert decided(curator_client, feed, {"held": [right.pk], "_approve": "Approve"}) == ["Approved 1 held change(s): 2023-12-31: changed"]
    assert figure_of("2023-12-31").value == 360010
    assert not HeldChange.objects.exists()
    assert Rejection.objects.get().fingerprint == typo.fingerprint
    feed.refresh_from_db()
    assert feed.state == FeedState.CURRENT


def test_ticking_both_rows_of_a_key_claimed_twice_decides_nothing(curator_client, feed, tmp_path):
    synced_from(TYPO_YEAR, tmp_path)
    both = held_ids()
    assert decided(curator_client, feed, {"held": both, "_approve": "Approve"}) == [
        "2023-12-31: pick one of the rows claiming it (approving one rejects the others); nothing was decided for it."
    ]
    assert held_ids() == both


def unmapped_row(tmp_path) -> dict:
    """Return the origin's row for a day the service does not hold, its claimant a label no source is mapped to."""
    row = convert(FIRST.read_bytes(), Origin(read=lambda name, **params: None))[-1]
    return {**row, "claimed_by": "", "value": 800000, "period_end": "2025-01-31",
            "report_title": "Enemy combat losses as of 1 February 2025", "report_published_on": "2025-02-01"}


def test_approving_an_unknown_label_needs_a_source_and_keeps_the_mapping(curator_client, curator, feed, tmp_path):
    row = unmapped_row(tmp_path)
    held = HeldChange.objects.create(feed=feed, key="2025-01-31", action=HeldAction.ADD, new=row, label="ЗСУ",
                                     fingerprint=fingerprint(claim_of(row)), reason="the label is not mapped")
    page = curator_client.get(page_of(feed)).content.decode()
    assert f'name="source-{held.pk}"' in page
    assert decided(curator_client, feed, {"held": [held.pk], "_approve": "Approve"}) == ["2025-01-31: not approved: the claimant label 'ЗСУ' needs a source to be approved"]
    source = SourceFactory()
    chosen = {"held": [held.pk], f"source-{held.pk}": source.pk, "_approve": "Approve"}
    assert decided(curator_client, feed, chosen) == ["Approved 1 held change(s): 2025-01-31: added"]
    figure = figure_of("2025-01-31")
    assert (figure.claimed_by, figure.value, figure.period_end) == (source, 800000, datetime.date(2025, 1, 31))
    mapping = LabelMapping.objects.get()
    assert (mapping.feed, mapping.label, mapping.source, mapping.mapped_by) == (feed, "ЗСУ", source, curator)


def test_a_decision_on_a_change_already_decided_says_so(curator_client, feed, tmp_path):
    synced_from(version_with(tmp_path, {"2024-12-17": 764510}), tmp_path)
    [held_id] = held_ids()
    decided(curator_client, feed, {"held": [held_id], "_reject": "Reject"})
    for decision in ("_approve", "_reject"):
        assert decided(curator_client, feed, {"held": [held_id], decision: "Decide"}) == [f"held change {held_id} is no longer held (decided, or recomputed by a sync "
                                  "since): reload the page"]
    assert figure_of("2024-12-16").value == 765110


def test_deciding_needs_the_permission(client, django_user_model, feed, tmp_path):
    synced_from(version_with(tmp_path, {"2024-12-17": 764510}), tmp_path)
    [held_id] = held_ids()
    reader = django_user_model.objects.create_user("reader", is_staff=True)
    client.force_login(reader)
    assert client.get(page_of(feed)).status_code == 403
    reader.user_permissions.add(*Permission.objects.filter(codename__in=["view_feed", "view_heldchange"]))
    page = client.get(page_of(feed))
    assert page.status_code == 200
    assert 'name="held"' not in page.content.decode()
    response = client.post(page_of(feed), {"held": [held_id], "_approve": "Approve"})
    assert response.status_code == 403
    assert held_ids() == [held_id]
    assert figure_of("2024-12-16").value == 765110


def test_a_decision_without_the_form_s_csrf_token_is_refused(curator, feed, tmp_path):
    synced_from(version_with(tmp_path, {"2024-12-17": 764510}), tmp_path)
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    response = client.post(page_of(feed), {"held": held_ids(), "_approve": "Approve"})
    assert response.status_code == 403
    assert len(held_ids()) == 1


def test_no_admin_address_adds_changes_or_deletes_a_feed(admin_client, feed):
    assert admin_client.get(reverse("admin:stats_feed_add")).status_code == 403
    assert admin_client.post(reverse("admin:stats_feed_add"), {"name": "x"}).status_code == 403
    assert admin_client.post(reverse("admin:stats_feed_delete", args=[feed.pk]), {"post": "yes"}).status_code == 403
    forged = {"address": "http://169.254.169.254/", "name": "other", "state": "current"}
    assert decided(admin_client, feed, forged) == ["No held change was chosen: nothing was decided."]
    changelist = admin_client.get(reverse("admin:stats_feed_changelist"))
    assert 'name="action"' not in changelist.content.decode()
    assert FEED.address in changelist.content.decode()
    assert "169.254.169.254" not in changelist.content.decode()
    assert list(Feed.objects.values_list("name", "state")) == [("personnel", FeedState.CURRENT)]
    assert "address" not in {field.name for field in Feed._meta.get_fields()}


def test_the_curators_group_may_see_feeds_and_decide(curator):
    assert curator.has_perms(["stats.view_feed", "stats.view_heldchange", "stats.decide_heldchange"])
    assert not curator.has_perm("stats.change_feed")

