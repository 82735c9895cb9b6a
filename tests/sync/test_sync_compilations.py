"""The Economist's estimates, Tech for Palestine's Gaza series and The Economist's model synced from a real local
origin serving their real past versions; unknown claimant labels; two syncs at once."""

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stats.models import DataVersion, Feed, FeedState, Figure, HeldChange, LabelMapping, Source
from stats.sync import decisions
from stats.sync.converters import economist, techforpalestine
from stats.sync.engine import sync
from tests.sync.conftest import ORIGINS, UPSTREAM, slow

ESTIMATES = next(feed for feed in economist.FEEDS if feed.name == "estimates")
MODEL = next(feed for feed in economist.FEEDS if feed.name == "model-deaths")
GAZA = next(feed for feed in techforpalestine.FEEDS if feed.name == "gaza")
MADE_UP = (
    '15/06/2026,"150,000","200,000",,deaths,Made-up Observatory,https://www.example.org/russian-losses-2026,russia,\n'
)


def upstream(folder: str, name: str) -> bytes:
    return next((UPSTREAM / folder).glob(f"{name}*")).read_bytes()


def data_version() -> int:
    return DataVersion.objects.count()


def estimates(**filters) -> int:
    return Figure.objects.filter(dataset__slug="economist-ukraine-estimates", **filters).count()


def test_the_economists_rewrites_in_form_change_nothing_and_its_new_rows_apply(vocabularies, origin):
    address = origin.put("/estimates.csv", upstream("economist-ukraine", "estimates_2026-05-11"))
    assert str(sync(ESTIMATES, address=address)) == (
        "economist-ukraine-estimates/estimates: added 77, changed 0, removed 0")
    before = data_version()
    origin.put("/estimates.csv", upstream("economist-ukraine", "estimates_2026-06-17"))
    outcome = sync(ESTIMATES, address=address)  # six new rows; four dates and some line endings rewritten
    assert str(outcome) == "economist-ukraine-estimates/estimates: added 6, changed 0, removed 0"
    assert data_version() == before + 1
    assert estimates(claimed_by__slug="netherlands-mivd") == 3
    assert estimates(report__url="https://www.gchq.gov.uk/speech/gchq-annual-lecture-2026-as-delivered") == 1
    origin.put("/estimates.csv", (ORIGINS / ESTIMATES.shipped).read_bytes())
    assert sync(ESTIMATES, address=address).added == 6
    assert estimates() == 89 and not HeldChange.objects.exists()


def test_an_unknown_claimant_label_is_held_until_a_curator_maps_it_once(vocabularies, origin):
    june = upstream("economist-ukraine", "estimates_2026-06-17").rstrip(b"\r\n") + b"\n"
    address = origin.put("/estimates.csv", june)
    sync(ESTIMATES, address=address)
    before = data_version()
    origin.put("/estimates.csv", june + MADE_UP.encode())
    outcome = sync(ESTIMATES, address=address)
    assert (outcome.added, outcome.held) == (0, 1)
    held = HeldChange.objects.get()
    assert (held.label, held.reason) == (
        "Made-up Observatory", "the claimant label 'Made-up Observatory' is not mapped to a source yet")
    assert data_version() == before and Feed.objects.get(name="estimates").state == FeedState.HELD
    with pytest.raises(decisions.DecisionRefused, match="needs a source"):
        decisions.approve(held.pk)
    decisions.approve(held.pk, source=Source.objects.get(slug="bbc-russian"))
    assert LabelMapping.objects.get().source.slug == "bbc-russian"
    assert estimates(claimed_by__slug="bbc-russian", value=150000) == 1
    later = ('16/06/2026,"160,000","210,000",,deaths,Made-up Observatory,'
             'https://www.example.org/russian-losses-2026-june,russia,\n')
    origin.put("/estimates.csv", june + MADE_UP.encode() + later.encode())
    outcome = sync(ESTIMATES, address=address)  # the label is known now: its next row applies by itself
    assert (outcome.added, outcome.held) == (1, 0)
    assert estimates(claimed_by__slug="bbc-russian", value=160000) == 1


def test_gazas_compiler_only_fields_make_no_change_and_no_data_version(vocabularies, origin):
    address = origin.put("/casualties_daily.json", upstream("gaza-moh", "2025-02-13T084844"))
    first = sync(GAZA, address=address)
    assert first.added > 900 and first.held == 0
    before = data_version()
    origin.put("/casualties_daily.json", upstream("gaza-moh", "2025-02-13T090400"))  # sub-counts added to past rows
    assert str(sync(GAZA, address=address)) == "techforpalestine-datasets/gaza: unchanged"
    assert data_version() == before
    assert Feed.objects.get(name="gaza").version != ""
    origin.put("/casualties_daily.json", upstream("gaza-moh", "2025-03-20T111737"))
    sync(GAZA, address=address)
    before = data_version()
    origin.put("/casualties_daily.json", upstream("gaza-moh", "2025-03-26T090454"))
    outcome = sync(GAZA, address=address)  # six new days (one of them carried forward); ext_* rewritten
    assert str(outcome) == "techforpalestine-datasets/gaza: added 10, changed 0, removed 0"
    assert data_version() == before + 1


def test_a_models_new_run_replaces_the_last_one_at_most_once_a_day(vocabularies, origin):
    import datetime

    shipped = (ORIGINS / MODEL.shipped).read_bytes()
    address = origin.put("/deaths.csv", shipped)
    today = datetime.date(2026, 8, 22)
    assert sync(MODEL, address=address, today=today).added == 1640
    old = set(Figure.objects.filter(claimed_by__slug="the-economist").values_list("pk", flat=True))
    origin.put("/deaths.csv", shipped.replace(b"2026-08-21,1639,490321.", b"2026-08-21,1639,490999."))
    same_day = sync(MODEL, address=address, today=today)  # re-estimated, the same newest day: the same run
    assert (same_day.added, same_day.removed, same_day.held) == (0, 0, 0)
    assert "waits for the next run" in str(same_day)
    next_run = shipped.replace(b"2026-08-22,1640,NA,NA,NA,NA,NA",
                               b"2026-08-22,1640,490700.1,417500.2,579500.3,374100.4,643000.5")
    origin.put("/deaths.csv", next_run)
    assert "waits until tomorrow" in str(sync(MODEL, address=address, today=today))
    assert Figure.objects.filter(claimed_by__slug="the-economist").count() == 1640
    next_day = sync(MODEL, address=address, today=today + datetime.timedelta(days=1))
    assert (next_day.added, next_day.removed, next_day.held) == (1641, 1640, 0)
    assert not old & set(Figure.objects.filter(claimed_by__slug="the-economist").values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_the_second_exits_saying_so(origin):
    from stats.services import vocabularies_load

    vocabularies_load()
    path = "/casualties_daily.json"
    origin.answers[path] = slow(2, lambda handler: handler.answer(200, upstream("gaza-moh", "2025-02-13T084844")))
    errors = []

    def first():
        try:
            call_command("sync", "--source", f"gaza={origin.url(path)}")
        except Exception as error:
            errors.append(error)

    running = threading.Thread(target=first)
    running.start()
    while not origin.requests:
        threading.Event().wait(0.05)
    with pytest.raises(CommandError, match="another sync is running"):
        call_command("sync", "--source", f"gaza={origin.url(path)}")
    running.join()
    assert errors == []
    assert Feed.objects.get(name="gaza").state == FeedState.CURRENT
    call_command("sync", "--source", f"gaza={origin.url(path)}")  # the lease was given back


def test_no_day_of_gazas_series_is_held_as_a_jump():
    """The deadliest days after the ceasefire of March 2025 are far above the weeks before, not above the war's."""
    import datetime
    from collections import defaultdict

    from stats.sync.engine import implausible
    from stats.sync.feeds import Origin

    rows = GAZA.convert((ORIGINS / GAZA.shipped).read_bytes(), Origin(read=lambda name, **params: None))
    series = defaultdict(list)
    for row in rows:
        series[(row["claimed_by"], row["category"])].append(
            (datetime.date.fromisoformat(row["period_end"]), int(row["value"])))
    held = {}
    for quantity, points in series.items():
        points.sort()
        held[quantity] = [(day, reason) for index, (day, value) in enumerate(points)
                          if (reason := implausible(points[:index], day, value))
                          and "times the largest daily rise" in reason]
    assert held == {quantity: [] for quantity in series}


def test_mediazonas_readme_adds_a_claim_only_when_the_total_moves(vocabularies, origin):
    from stats.sync.converters import mediazona

    feed = mediazona.FEEDS[0]
    sync(feed, address=str(ORIGINS / feed.shipped), allow_files=True, commit=feed.shipped_commit)
    readme = "# MZCasualitiesExtractor\n\nAs of **{day}**, there have been **{total}** confirmed[^1] fatalities.\n"
    address = origin.put("/README.md", readme.format(day="2026-03-01", total=168142).encode())
    before = data_version()
    assert str(sync(feed, address=address)) == "mediazona-names-snapshots/total: unchanged"  # the same total, later
    assert data_version() == before
    origin.put("/README.md", readme.format(day="2026-03-02", total=168990).encode())
    assert sync(feed, address=address).added == 1
    newest = Figure.objects.filter(claimed_by__slug="mediazona").latest("period_end")
    assert (newest.value, str(newest.period_end)) == (168990, "2026-03-02")
    assert Figure.objects.filter(claimed_by__slug="mediazona").count() == 51
