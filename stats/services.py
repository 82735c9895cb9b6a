"""Writes that touch several rows, each inside one transaction."""

from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.db.models import Q
from django.utils import timezone

from stats import versions
from stats.models import Category, Conflict, Dataset, Feed, FeedState, Figure, Party, Report, Source

VOCABULARIES = "01-vocabularies.json"


def fixtures_load(paths: list[Path]) -> Counter:
    """Add the rows of these Django fixtures (natural keys) that the database lacks; never change a row that exists
    (a curator's later edit survives every reload). Return the rows added per model."""
    added = Counter()
    for path in paths:
        with path.open(encoding="utf-8") as stream:
            for deserialized in serializers.deserialize("json", stream):
                row = deserialized.object
                if row.pk is not None:  # the natural key found it: the row is there, maybe edited since
                    continue
                row.full_clean()
                row.save()
                added[row._meta.verbose_name_plural] += 1
    return added


@versions.recorded
def vocabularies_load() -> Counter:
    """Add the shipped vocabularies (conflicts, parties, sources, categories, datasets) the database lacks: what a
    sync's claims need, so that `migrate` and `sync` make a working server."""
    return fixtures_load([settings.FIXTURES_DIR / VOCABULARIES])


def shipped_data_load(*, directory: Path) -> tuple[Counter, list]:
    """Load the shipped data into a database that lacks it: the JSON fixtures in `directory` (vocabularies, the
    founding article), then a first sync of every feed never synced, from the origins' files shipped in
    `directory / "origins"`, through the same converters as a sync from the origins. Feeds synced before are left
    alone (a later sync from the origin brings what is new). Return the rows added per model, and each feed's
    outcome."""
    from stats.sync import lease
    from stats.sync.engine import sync
    from stats.sync.feeds import all_feeds

    reports = Report.objects.count()
    with versions.recorded_write():
        added = fixtures_load(sorted(directory.glob("*.json")))
    outcomes = []
    with lease.held() as held:
        for feed in all_feeds():
            held.renew()
            if Feed.objects.filter(dataset__slug=feed.dataset, name=feed.name).exclude(state=FeedState.NEVER).exists():
                continue
            origins = directory / "origins"
            also = {name: str(origins / path) for name, path in feed.shipped_also.items()}
            outcome = sync(feed, address=str(origins / feed.shipped), also=also, allow_files=True,
                           commit=feed.shipped_commit)
            outcomes.append(outcome)
            added["figures"] += outcome.added
    added["reports"] = Report.objects.count() - reports
    return +added, outcomes


def figures_touch(*, changed) -> int:
    """Mark as updated now the figures whose JSON shows `changed` (its slug, name, title…); return how many.

    A figure's representation, citation and attribution include its conflict, party, category, claimant, report
    (with the report's publisher) and dataset, so a change to one of them is a change of the figure for
    `updated_since` and ETags.
    """
    shown_as = {
        Conflict: Q(conflict=changed),
        Party: Q(party=changed),
        Category: Q(category=changed),
        Report: Q(report=changed),
        Source: Q(claimed_by=changed) | Q(report__publisher=changed),
        Dataset: Q(dataset=changed),
    }
    condition = shown_as.get(type(changed))
    if condition is None:
        return 0
    touched = Figure.objects.filter(condition)
    count = touched.update(updated_at=timezone.now())
    if count:
        versions.record_revisions(touched, history_type="~")  # so that the past's updated_at is as it was
    return count
