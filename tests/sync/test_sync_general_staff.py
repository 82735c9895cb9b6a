"""The General Staff's series synced from a real local origin serving its real past versions, in order."""

import dataclasses
import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from stats import versions
from stats.models import DataVersion, Feed, FeedState, Figure, HeldAction, HeldChange, Rejection, Report, SyncedRow
from stats.sync import decisions, lease
from stats.sync.converters import general_staff
from stats.sync.engine import implausible, sync
from tests.sync.conftest import ORIGINS, UPSTREAM

SPEC = general_staff.FEEDS[0]
PATH = "/data/russia_losses_personnel.json"
NO_PAGES = {"orc-losses": "http://127.0.0.1:9/nowhere.json"}  # nothing answers: rows come without addresses


def version(name: str) -> bytes:
    return next((UPSTREAM / "general-staff").glob(f"{name}_*.json")).read_bytes()


def synced(origin, name: str, **options):
    address = origin.put(PATH, version(name))
    return sync(SPEC, address=address, also=NO_PAGES, **options)


def value_on(day: str) -> int | None:
    figure = Figure.objects.filter(claimed_by__slug="ukraine-general-staff", period_end=day).first()
    return figure.value if figure else None


def data_version() -> int:
    return DataVersion.objects.count()


@pytest.fixture
def feed_at_2022(vocabularies, origin, quick_fetches):
    outcome = synced(origin, "2022-07-16T182450")
    assert outcome.failed == ""
    return outcome


def test_a_first_sync_applies_every_row_in_one_data_version(vocabularies, origin, quick_fetches):
    before = data_version()
    outcome = synced(origin, "2022-07-16T182450")
    assert (outcome.added, outcome.changed, outcome.removed, outcome.held) == (142, 0, 0, 0)
    assert str(outcome) == "petroivaniuk-war-dataset/personnel: added 142, changed 0, removed 0"
    assert data_version() == before + 1
    assert Figure.objects.filter(dataset__slug="petroivaniuk-war-dataset").count() == 142
    assert value_on("2022-07-15") == 38140
    feed = Feed.objects.get(name="personnel")
    assert feed.state == FeedState.CURRENT
    assert feed.checked_at is not None and feed.changed_at is not None
    revision = Figure.history.filter(period_end="2022-07-15").get()
    assert revision.history_change_reason.startswith("synced from petroivaniuk-war-dataset/personnel ")


def test_an_unchanged_origin_costs_one_304_and_writes_nothing(feed_at_2022, origin):
    before, checked = data_version(), Feed.objects.get().checked_at
    outcome = synced(origin, "2022-07-16T182450")
    assert str(outcome) == "petroivaniuk-war-dataset/personnel: unchanged"
    assert origin.statuses[-1] == 304 and origin.requests[-1][1] != ""
    assert data_version() == before
    assert Feed.objects.get().checked_at > checked


def test_the_same_content_under_another_etag_writes_nothing(feed_at_2022, origin):
    """A mirror without ETags, or an origin that changed its ETag: the content's hash says it is the same."""
    before = data_version()
    origin.answers[PATH] = lambda handler: handler.answer(200, version("2022-07-16T182450"), etag='"other"')
    outcome = sync(SPEC, address=origin.url(PATH), also=NO_PAGES)
    assert str(outcome).endswith(": unchanged")
    assert data_version() == before


def test_a_version_that_is_not_json_fails_whole(feed_at_2022, origin):
    before = data_version()
    outcome = synced(origin, "2022-07-16T181756")
    assert outcome.failed.startswith("version ") and "could not be read, nothing was changed" in outcome.failed
    assert data_version() == before
    feed = Feed.objects.get()
    assert feed.state == FeedState.FAILED and feed.message == outcome.failed
    assert Figure.objects.count() == 142


@pytest.mark.parametrize("answer, reason", [
    (lambda handler: handler.answer(500, b"oops"), "500"),
    (lambda handler: handler.answer(200, b"<!doctype html><html><body>Rate limited</body></html>",
                                    content_type="text/html"), "HTML"),
    (lambda handler: handler.answer(200, b'{"data": []}'), "list"),
    (lambda handler: handler.answer(200, b'[{"date": "2022-07-16", "personnel": 38'), "read"),
])
def test_a_failing_origin_fails_whole_with_its_reason(feed_at_2022, origin, answer, reason):
    before = data_version()
    origin.answers[PATH] = answer
    outcome = sync(SPEC, address=origin.url(PATH), also=NO_PAGES)
    assert reason in outcome.failed
    assert data_version() == before and Figure.objects.count() == 142
    assert Feed.objects.get().state == FeedState.FAILED


def test_a_timeout_and_an_oversized_body_fail_whole(feed_at_2022, origin, settings):
    from tests.sync.conftest import slow

    origin.answers[PATH] = slow(2, lambda handler: handler.answer(200, version("2023-05-09T143800")))
    outcome = sync(SPEC, address=origin.url(PATH), also=NO_PAGES)
    assert "time" in outcome.failed
    del origin.answers[PATH]
    settings.SYNC_FETCH_LIMITS = {**settings.SYNC_FETCH_LIMITS, "max_bytes": 10_000}
    outcome = synced(origin, "2023-05-09T143800")
    assert "10,000" in outcome.failed or "10000" in outcome.failed or "large" in outcome.failed
    assert Figure.objects.count() == 142


def test_new_days_apply_and_a_flapping_day_ends_as_the_origin_ends(feed_at_2022, origin):
    outcome = synced(origin, "2023-05-09T143800")
    assert (outcome.added, outcome.held) == (297, 1)
    correction = HeldChange.objects.get()  # the compiler corrected a past day in the meantime: held, not applied
    assert (correction.key, correction.action) == ("2022-04-01", HeldAction.CHANGE)
    assert correction.reason == "the origin changed it: value 17700 → 17800"
    assert value_on("2023-05-08") == 195620 and value_on("2022-04-01") == 17700
    decisions.reject(correction.pk)
    before = data_version()
    outcome = synced(origin, "2023-05-09T144827")  # the day just appended is removed
    assert (outcome.added, outcome.removed, outcome.held) == (0, 0, 1)
    held = HeldChange.objects.get()
    assert (held.key, held.action, held.reason) == ("2023-05-08", HeldAction.REMOVE, "the origin no longer has this row")
    assert value_on("2023-05-08") == 195620 and data_version() == before
    assert Feed.objects.get().state == FeedState.HELD
    assert str(synced(origin, "2023-05-09T144850")).endswith(": unchanged")  # added back: nothing left held
    assert not HeldChange.objects.exists() and Feed.objects.get().state == FeedState.CURRENT
    assert synced(origin, "2023-05-09T145304").held == 1
    assert synced(origin, "2023-05-09T145340").held == 0
    assert not HeldChange.objects.exists() and data_version() == before
    assert value_on("2023-05-08") == 195620


def test_a_year_typo_holds_both_rows_and_touches_nothing_until_put_right(feed_at_2022, origin):
    synced(origin, "2024-12-31T132035")
    decisions.approve(HeldChange.objects.get(key="2022-04-01").pk)
    assert value_on("2023-12-31") == 360010 and value_on("2022-04-01") == 17800
    before = data_version()
    outcome = synced(origin, "2025-01-01T153626")  # 2025-01-01 appended as "2024-01-01": two rows for one day
    assert (outcome.added, outcome.changed, outcome.held) == (0, 0, 2)
    held = list(HeldChange.objects.order_by("new__value"))
    assert [(change.key, change.action, change.new["value"]) for change in held] == [
        ("2023-12-31", HeldAction.CHOOSE, 360010), ("2023-12-31", HeldAction.CHOOSE, 790800)]
    assert value_on("2023-12-31") == 360010 and value_on("2024-12-31") is None
    assert data_version() == before
    outcome = synced(origin, "2025-01-01T154140")  # put right five minutes later
    assert (outcome.added, outcome.held) == (1, 0)
    assert value_on("2024-12-31") == 790800 and value_on("2023-12-31") == 360010
    assert data_version() == before + 1
    outcome = synced(origin, "2025-01-02T114518")  # the next morning's typo: "2024-01-02"
    assert (outcome.added, outcome.held) == (0, 2)
    assert set(HeldChange.objects.values_list("key", flat=True)) == {"2024-01-01"}


def test_the_past_is_readable_before_and_after_a_sync(feed_at_2022, origin):
    from stats.models import PastFigure
    from stats.past import reading

    before = versions.latest()[1]
    synced(origin, "2023-05-09T143800")
    with reading(before):
        assert PastFigure.objects.filter(claimed_by__slug="ukraine-general-staff").count() == 142
    assert Figure.objects.filter(claimed_by__slug="ukraine-general-staff").count() == 439


def test_a_curators_edit_survives_a_sync_and_a_later_origin_change_is_held(feed_at_2022, origin):
    figure = Figure.objects.get(period_end="2022-07-14")
    figure.value = 38001
    figure.save()
    synced(origin, "2023-05-09T143800")
    assert value_on("2022-07-14") == 38001
    body = version("2023-05-09T143800").replace(b'"personnel": 38000,', b'"personnel": 38005,', 1)
    assert body != version("2023-05-09T143800")
    outcome = sync(SPEC, address=origin.put(PATH, body), also=NO_PAGES)
    held = HeldChange.objects.get(key="2022-07-14")
    assert outcome.held == 2 and held.action == HeldAction.CHANGE
    assert "value 38000 → 38005" in held.reason and "a curator edited the figure" in held.reason
    assert held.old["value"] == "38001" and value_on("2022-07-14") == 38001


def test_approve_and_reject_through_the_command(feed_at_2022, origin, capsys):
    curator = get_user_model().objects.create_user("ada")
    synced(origin, "2023-05-09T143800")
    synced(origin, "2023-05-09T144827")
    call_command("sync", "petroivaniuk-war-dataset", "--reject", "--user", "ada")
    assert "petroivaniuk-war-dataset: rejected 2" in capsys.readouterr().out
    assert {rejection.rejected_by for rejection in Rejection.objects.all()} == {curator}
    assert synced(origin, "2023-05-09T144827").held == 0  # not proposed again while the origin says the same
    body = version("2023-05-09T143800").replace(b'"personnel": 38000,', b'"personnel": 38005,', 1)
    sync(SPEC, address=origin.put(PATH, body), also=NO_PAGES)
    assert HeldChange.objects.get().key == "2022-07-14"
    before = data_version()
    call_command("sync", "petroivaniuk-war-dataset", "--approve", "--user", "ada")
    assert value_on("2022-07-14") == 38005 and data_version() == before + 1
    revision = Figure.history.filter(period_end="2022-07-14").first()
    assert revision.history_user == curator and revision.history_change_reason.startswith("approved by ada")
    assert Feed.objects.get().state == FeedState.CURRENT


def test_a_choice_between_rows_waits_for_the_admin(feed_at_2022, origin, capsys):
    synced(origin, "2024-12-31T132035")
    synced(origin, "2025-01-01T153626")
    call_command("sync", "petroivaniuk-war-dataset", "--approve")
    assert "approved 1; 2 left for the admin" in capsys.readouterr().out
    chosen = HeldChange.objects.get(new__value=360010)
    decisions.approve(chosen.pk)
    assert not HeldChange.objects.exists()
    assert Rejection.objects.get().fingerprint != ""
    assert value_on("2023-12-31") == 360010


def test_a_figure_a_curator_deleted_is_held_once_not_added_back(feed_at_2022, origin):
    Figure.objects.get(period_end="2022-07-14").delete()
    synced(origin, "2023-05-09T143800")
    held = HeldChange.objects.get(key="2022-07-14")
    assert held.action == HeldAction.ADD
    assert held.reason == "a curator deleted this figure; the origin still has it"
    decisions.reject(held.pk)
    synced(origin, "2024-12-31T132035")
    assert not HeldChange.objects.filter(key="2022-07-14").exists() and value_on("2022-07-14") is None
    assert SyncedRow.objects.get(key="2022-07-14").figure is None


def test_two_syncs_never_overlap(feed_at_2022, origin):
    with lease.held(), pytest.raises(CommandError, match="another sync is running"):
        call_command("sync", "petroivaniuk-war-dataset", "--source", f"personnel={origin.url(PATH)}")
    call_command("sync", "petroivaniuk-war-dataset", "--source", f"personnel={origin.url(PATH)}",
                 "--source", f"personnel.orc-losses={NO_PAGES['orc-losses']}")


def test_the_command_names_each_feed_and_fails_when_one_failed(feed_at_2022, origin, capsys):
    origin.put(PATH, version("2022-07-16T181756"))
    with pytest.raises(CommandError, match="1 of 1 feed"):
        call_command("sync", "--source", f"personnel={origin.url(PATH)}")
    assert "petroivaniuk-war-dataset/personnel: failed: version" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--source names 'nope'"):
        call_command("sync", "--source", "nope=http://127.0.0.1:9/")
    with pytest.raises(CommandError, match="no feed syncs the dataset"):
        call_command("sync", "no-such-dataset")


def test_a_dry_run_changes_nothing(feed_at_2022, origin):
    before = data_version()
    outcome = synced(origin, "2023-05-09T143800", dry_run=True)
    assert str(outcome) == "petroivaniuk-war-dataset/personnel: would apply: added 297, changed 0, removed 0; held 1 for review"
    assert data_version() == before and Figure.objects.count() == 142
    assert SyncedRow.objects.count() == 142


def test_report_addresses_arrive_later_without_being_held(vocabularies, origin):
    shipped = (ORIGINS / SPEC.shipped).read_bytes()
    pages = (ORIGINS / SPEC.shipped_also["orc-losses"]).read_bytes()
    address = origin.put(PATH, shipped)
    sync(SPEC, address=address, also=NO_PAGES)
    assert Figure.objects.filter(report__url__isnull=False).count() == 0
    before = data_version()
    origin.files[PATH] = shipped + b"\n"  # a new version, the same rows
    outcome = sync(SPEC, address=address, also={"orc-losses": origin.put("/orc.json", pages)})
    assert outcome.held == 0 and outcome.changed > 1400
    assert Figure.objects.filter(report__url__isnull=False).count() == outcome.changed
    assert data_version() == before + 1
    origin.files[PATH] = shipped + b"\n\n"
    assert sync(SPEC, address=address, also=NO_PAGES).changed == 0  # unreadable now: nothing it added is removed
    assert Figure.objects.filter(report__url__isnull=False).count() > 1400


def test_no_ordinary_day_of_the_general_staffs_series_is_held():
    rows = general_staff.convert((ORIGINS / SPEC.shipped).read_bytes(), general_staff_origin())
    points = [(datetime.date.fromisoformat(row["period_end"]), int(row["value"])) for row in rows]
    held = [(day, value, implausible(points[:index], day, value))
            for index, (day, value) in enumerate(points) if implausible(points[:index], day, value)]
    assert held == []
    day = points[-1][0]
    assert implausible(points[:-1], day, points[-2][1] - 600).startswith("falls below the value of")
    assert "times the largest daily rise" in implausible(points[:-1], day, points[-2][1] + 50_000)
    monthly = [(datetime.date(2022, month, 1), 1000 * month) for month in range(1, 12)]
    assert implausible(monthly, datetime.date(2022, 12, 1), 10) == ""  # sparse: may fall freely


def general_staff_origin():
    from stats.sync.feeds import Origin

    return Origin(read=lambda name, **params: None)


def test_a_converters_own_error_fails_its_feed_and_a_later_304_makes_it_current_again(feed_at_2022, origin):
    def broken(body, origin):
        raise KeyError("personnel")

    before = data_version()
    spec = dataclasses.replace(SPEC, convert=broken)
    origin.put(PATH, version("2023-05-09T143800"))
    outcome = sync(spec, address=origin.url(PATH), also=NO_PAGES)
    assert outcome.failed.startswith("the converter failed on version ") and "KeyError: 'personnel'" in outcome.failed
    assert Feed.objects.get().state == FeedState.FAILED and data_version() == before
    origin.put(PATH, version("2022-07-16T182450"))  # the version the service holds: its ETag is answered with a 304
    assert str(sync(SPEC, address=origin.url(PATH), also=NO_PAGES)).endswith(": unchanged")
    assert origin.statuses[-1] == 304
    feed = Feed.objects.get()
    assert (feed.state, feed.message) == (FeedState.CURRENT, "")


def test_a_figure_recorded_before_the_sync_with_other_values_is_held_not_adopted(feed_at_2022, origin):
    """A curator typed in the morning's figure before the feed brought it: the sync neither adopts nor overwrites it."""
    import json

    from tests.factories import FigureFactory, ReportFactory

    earlier = Figure.objects.get(period_end="2022-07-15")
    report = ReportFactory(title="Enemy combat losses as of 17 July 2022", url=None,
                           published_on=datetime.date(2022, 7, 17))
    FigureFactory(report=report, conflict=earlier.conflict, party=earlier.party, category=earlier.category,
                  claimed_by=earlier.claimed_by, basis=earlier.basis, period_start=None,
                  period_end=datetime.date(2022, 7, 16), value=77777, qualifier="approximately", dataset=None)
    outcome = synced(origin, "2023-05-09T143800")
    assert (outcome.added, outcome.held) == (296, 2)
    held = HeldChange.objects.get(key="2022-07-16")
    assert held.action == HeldAction.CHANGE and held.reason.startswith("a figure recorded this claim before the sync")
    assert value_on("2022-07-16") == 77777
    decisions.approve(held.pk)
    origin_value = next(row["personnel"] for row in json.loads(version("2023-05-09T143800"))
                        if row["date"] == "2022-07-17")
    assert value_on("2022-07-16") == origin_value
    assert SyncedRow.objects.get(key="2022-07-16").figure.report == report


def test_a_curators_pick_between_two_rows_sticks_while_the_origin_keeps_both(feed_at_2022, origin):
    synced(origin, "2024-12-31T132035")
    decisions.approve(HeldChange.objects.get(key="2022-04-01").pk)
    synced(origin, "2025-01-01T153626")
    decisions.approve(HeldChange.objects.get(new__value=360010).pk)
    body = version("2025-01-01T153626")
    again = sync(SPEC, address=origin.put(PATH, body + b"\n"), also=NO_PAGES)  # the same rows, a new version
    assert again.held == 0 and not HeldChange.objects.exists()
    assert value_on("2023-12-31") == 360010


def test_an_approval_the_model_refuses_is_a_refusal_not_an_error(feed_at_2022, origin):
    body = version("2022-07-16T182450").replace(b'"personnel": 38000,', b'"personnel": 20000000000,', 1)
    sync(SPEC, address=origin.put(PATH, body + b"\n"), also=NO_PAGES)
    held = HeldChange.objects.get(key="2022-07-14")
    with pytest.raises(decisions.DecisionRefused, match="cannot be applied, nothing was changed"):
        decisions.approve(held.pk)
    assert value_on("2022-07-14") == 38000 and HeldChange.objects.filter(pk=held.pk).exists()


def test_a_lease_that_expired_and_was_taken_stops_its_sync(feed_at_2022):
    from stats.models import SyncLease

    with lease.held() as first:
        SyncLease.objects.update(expires_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
        with lease.held(), pytest.raises(lease.Busy, match="expired and another sync took it"):
            first.renew()


def test_enrichment_skips_a_bad_address_and_never_refills_what_a_curator_blanked(vocabularies, origin):
    import json

    shipped = (ORIGINS / SPEC.shipped).read_bytes()
    pages = json.loads((ORIGINS / SPEC.shipped_also["orc-losses"]).read_bytes())
    pages[0]["sourceUri"] = "javascript:alert(document.cookie)//"
    address = origin.put(PATH, shipped)
    sync(SPEC, address=address, also=NO_PAGES)
    origin.files[PATH] = shipped + b"\n"
    outcome = sync(SPEC, address=address, also={"orc-losses": origin.put("/orc.json", json.dumps(pages).encode())})
    assert outcome.changed > 1400 and not Report.objects.filter(url__startswith="javascript").exists()
    noted = Figure.objects.exclude(notes="").first()
    noted.notes = ""
    noted.save()
    origin.files[PATH] = shipped + b"\n\n"
    assert sync(SPEC, address=address, also={"orc-losses": origin.url("/orc.json")}).changed == 0
    noted.refresh_from_db()
    assert noted.notes == ""
