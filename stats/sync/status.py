"""What the API, the pages and `/health/` say of the feeds: each declared feed beside what the service knows of it.

Reads only: the state comes from the `Feed` rows the sync writes (one query), the addresses and cadences from the
declarations in code (stats/sync/feeds.py), matched by dataset and name. A feed declared but never synced has no row
yet and shows as `never`; a row whose declaration is gone (a converter removed or renamed) shows with no address.
"""

import datetime
import hashlib
import importlib
from dataclasses import dataclass
from functools import cache

from django.db.models import Count, Max, QuerySet

from stats.models import Feed, FeedState
from stats.sync import feeds

# A feed is stale when its last successful read is older than this many times its cadence.
STALE_AFTER_CADENCES = 3


@dataclass(frozen=True)
class FeedStatus:
    """One feed as the API shows it (`FeedSerializer`'s fields) and as /health/ judges it."""

    dataset: str
    name: str
    address: str
    state: str
    checked_at: datetime.datetime | None
    changed_at: datetime.datetime | None
    version: str
    held: int
    message: str
    cadence: datetime.timedelta | None  # None when the feed is no longer declared

    @property
    def label(self) -> str:
        return f"{self.dataset}/{self.name}"


@cache
def declarations() -> dict[tuple[str, str], feeds.Feed]:
    """Return the feeds declared in code by (dataset, name), read once per process.

    A converter module listed in `feeds.CONVERTERS` but not (yet) in this checkout is skipped rather than failing
    every dataset read: what it would declare simply is not shown.
    """
    declared = {}
    for module in feeds.CONVERTERS:
        try:
            found = importlib.import_module(module).FEEDS
        except ModuleNotFoundError as error:
            if error.name != module:
                raise
            continue
        declared.update({(feed.dataset, feed.name): feed for feed in found})
    return declared


def feed_rows() -> QuerySet:
    """Return the `Feed` rows with `held`, how many changes wait for a curator (one query with a count)."""
    return Feed.objects.select_related("dataset").annotate(held=Count("held_changes"))


def status_of(row: Feed | None, declaration: feeds.Feed | None) -> FeedStatus:
    """Return one feed's status from its row (None when never synced) and its declaration (None when gone)."""
    dataset, name = (declaration.dataset, declaration.name) if row is None else (row.dataset.slug, row.name)
    return FeedStatus(
        dataset=dataset, name=name,
        address=declaration.configured_address() if declaration else "",
        state=row.state if row else FeedState.NEVER,
        checked_at=row.checked_at if row else None,
        changed_at=row.changed_at if row else None,
        version=row.version if row else "",
        held=row.held if row else 0,
        message=row.message if row else "",
        cadence=declaration.cadence if declaration else None,
    )


def statuses(dataset_slug: str, rows: list[Feed]) -> list[FeedStatus]:
    """Return the status of every feed of a dataset, by name: those declared and those the service has rows of.

    `rows` are the dataset's rows from `feed_rows()` (prefetched by the API's list, so that no dataset queries).
    """
    known = {row.name: row for row in rows}
    declared = {name: feed for (dataset, name), feed in declarations().items() if dataset == dataset_slug}
    return [status_of(known.get(name), declared.get(name)) for name in sorted(known.keys() | declared.keys())]


def all_statuses() -> list[FeedStatus]:
    """Return the status of every feed declared or synced (one query)."""
    rows = {(row.dataset.slug, row.name): row for row in feed_rows()}
    shown = [status_of(row, declarations().get(key)) for key, row in rows.items()]
    shown += [status_of(None, feed) for key, feed in declarations().items() if key not in rows]
    return sorted(shown, key=lambda status: status.label)


def stale(now: datetime.datetime) -> list[str]:
    """Return, in words, each feed whose last successful read is older than `STALE_AFTER_CADENCES` cadences.

    A feed never read counts only when another was: on a new server before its first sync nothing has been read,
    and nothing is late; once one has, a feed still never read is.
    """
    found = all_statuses()
    if not any(status.checked_at for status in found):
        return []
    late = []
    for status in found:
        if status.cadence is None:
            continue
        if status.checked_at is None:
            late.append(f"{status.label} (never checked)")
        elif now - status.checked_at > STALE_AFTER_CADENCES * status.cadence:
            late.append(f"{status.label} (checked {status.checked_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC)")
    return late


def fingerprint() -> str:
    """Return a digest of every feed's status (one query), for the ETags of answers that show them: feeds change
    without a data version."""
    rows = feed_rows().order_by("dataset_id", "name").values_list(
        "dataset_id", "name", "state", "checked_at", "changed_at", "version", "message", "held"
    )
    addresses = sorted((key, feed.configured_address()) for key, feed in declarations().items())
    return hashlib.blake2b(repr((list(rows), addresses)).encode(), digest_size=8).hexdigest()


def last_checked(dataset_ids) -> dict[int, datetime.datetime]:
    """Return, per dataset id, the newest successful read of any of its feeds (datasets never read left out)."""
    newest = (Feed.objects.filter(dataset_id__in=dataset_ids, checked_at__isnull=False)
              .values("dataset_id").annotate(newest=Max("checked_at")).values_list("dataset_id", "newest"))
    return dict(newest)
