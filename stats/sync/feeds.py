"""Feeds: the streams of claims the service syncs from its datasets' origins, declared in code.

A feed is one file an origin publishes (its main file), the files it also reads for what the main file lacks
(enrichment: a report's address, a quote, a dating), a converter that turns one version of the main file into rows in
the export's CSV columns, and the key that matches an origin's row to a figure the service holds. Addresses live
here, never in the database: a deployment may point a feed at a mirror with `FEED_<DATASET>_<FEED>_URL` (and an
also-read file with `FEED_<DATASET>_<FEED>_<NAME>_URL`), a run with `manage.py sync --source FEED=ADDRESS`; nothing
in the admin or the API can, so no one can make the server fetch an internal address.

Each converter module declares its feeds in `FEEDS`; `all_feeds()` gathers them.
"""

import datetime
import importlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

CONVERTERS = [
    "stats.sync.converters.general_staff",
    "stats.sync.converters.economist",
    "stats.sync.converters.mediazona",
    "stats.sync.converters.techforpalestine",
    "stats.sync.converters.israel_soldiers",
]


class Unreadable(Exception):
    """A version that cannot be read (not the expected format, truncated, a missing column, a value that does not
    parse): the whole version is refused and nothing changes. The message says why, in words."""


@dataclass(frozen=True)
class Origin:
    """What a converter may know besides its main file's bytes.

    `read(name, **params)` returns the bytes of an also-read file (the feed's `also_reads[name]`, its `{date}` and
    other fields filled from `params`), or None when it cannot be read now (unreachable, not there yet): the
    converter then yields its rows without what that file adds. `commit` is the origin's commit when it is known (the
    shipped copies name theirs), else None; `today` is the day of the sync (UTC).
    """

    read: Callable[..., bytes | None]
    commit: str | None = None
    today: datetime.date = field(default_factory=lambda: datetime.datetime.now(datetime.UTC).date())


@dataclass(frozen=True)
class Feed:
    dataset: str  # the dataset's slug
    name: str  # unique within the dataset
    address: str  # the main file at its origin
    convert: Callable[[bytes, Origin], list[dict]]
    key: Callable[[dict], str]
    description: str = ""
    also_reads: dict[str, str] = field(default_factory=dict)  # name -> address, may hold `{date}`
    cadence: datetime.timedelta = datetime.timedelta(days=1)  # how often the origin is expected to change
    # A run of a model: every version re-estimates the whole series; a new run replaces the last (at most daily).
    model_run: bool = False
    # A version holds only the newest claim(s), not the history: a row missing from it is not a removal.
    partial: bool = False
    # The shipped copies, relative to fixtures/origins/: the main file and each also-read file (with `{date}`).
    shipped: str = ""
    shipped_also: dict[str, str] = field(default_factory=dict)
    shipped_commit: str | None = None

    @property
    def label(self) -> str:
        return f"{self.dataset}/{self.name}"

    def setting(self, also: str | None = None) -> str:
        """Return the environment variable that overrides the main file's (or an also-read file's) address."""
        parts = [self.dataset, self.name, *([also] if also else []), "URL"]
        return "FEED_" + "_".join(re.sub(r"[^A-Z0-9]+", "_", part.upper()) for part in parts)

    def configured_address(self) -> str:
        return os.environ.get(self.setting()) or self.address

    def configured_also(self) -> dict[str, str]:
        return {name: os.environ.get(self.setting(name)) or address for name, address in self.also_reads.items()}


def all_feeds() -> list[Feed]:
    feeds = []
    for module in CONVERTERS:
        feeds.extend(importlib.import_module(module).FEEDS)
    return feeds


def feeds_of(dataset: str) -> list[Feed]:
    return [feed for feed in all_feeds() if feed.dataset == dataset]
