"""What the pages show, read through the API's own paths: `latest_per_quantity` (latest, compare), the compare
question and the series of each claimant (series)."""

import datetime
import hashlib
import pickle
from dataclasses import dataclass, field
from functools import cached_property
from itertools import groupby

from django.conf import settings
from django.core.cache import cache

from stats import versions
from stats.api import analysis
from stats.pages import charts
from stats.pages.drawings import drawing_slot

CHART_SECONDS = 24 * 3600


@dataclass
class Quantity:
    """One party's casualties of one category in one conflict, and the latest claim of each claimant about it."""

    conflict: object
    party: object
    category: object
    claims: list = field(default_factory=list)

    @cached_property
    def compared(self) -> dict:
        """Return the claims compared like with like, as compare's `groups` and `older` (its default recent days)."""
        return analysis.compare_groups(self.claims)


# The order people read a conflict's quantities in; other categories follow by name.
CATEGORY_ORDER = ["killed", "total", "injured", "missing", "captured"]


def quantities(figures, as_of: datetime.date) -> list[Quantity]:
    """Return the quantities of `figures` with the latest claim of each claimant and basis up to `as_of` (one query),
    by conflict (oldest first), party and category (killed first), the claims highest first."""
    latest = figures.latest_per_quantity(as_of).with_related().order_by(
        "conflict__started_on", "conflict__name", "party__name", "category__name", "-value", "claimed_by__name"
    )
    found = []
    for (conflict, party, category), claims in groupby(latest, key=lambda f: (f.conflict, f.party, f.category)):
        found.append(Quantity(conflict, party, category, list(claims)))

    def order(quantity):
        slug = quantity.category.slug
        rank = CATEGORY_ORDER.index(slug) if slug in CATEGORY_ORDER else len(CATEGORY_ORDER)
        return (quantity.conflict.started_on, quantity.conflict.name, quantity.party.name, rank, quantity.category.name)

    return sorted(found, key=order)


def chart_lines(conflict, party, category, query: dict) -> list[charts.Line]:
    """Return the cumulative series of every claimant (and basis) of the quantity, as chart lines, highest first:
    the wide CSV's columns (`claimant_lines`), so a chart and its data say the same."""
    lines = []
    for line in analysis.claimant_lines(conflict, party, category, query):
        points = [{"date": row["period_end"], "value": row["value"], "value_low": row["value_low"],
                   "value_high": row["value_high"], "qualifier": row["qualifier"],
                   "date_precision": row["date_precision"]} for row in line.points]
        lines.append(charts.Line(label=line.label, points=points, claimed_by=line.slug, basis=line.basis,
                                 claimant=line.name))
    lines.sort(key=lambda line: (-line.points[-1]["value"], line.label))
    return charts.styled(lines)


def remembered(key_parts: tuple, build):
    """Return `build()`, remembered for as long as the data stays at the version it is read at.

    `key_parts` are the normalised question (never the client's own spelling of it). A drawing no one remembered
    takes a drawing slot first (stats/pages/drawings.py: TooManyDrawings beyond CHART_DRAWINGS_AT_ONCE); one larger
    than CHART_CACHE_MAX_BYTES is served but not kept.
    """
    key = "page:" + hashlib.blake2b(repr((versions.state_key(), *key_parts)).encode(), digest_size=16).hexdigest()
    found = cache.get(key)
    if found is None:
        with drawing_slot():
            found = build()
        if len(pickle.dumps(found, pickle.HIGHEST_PROTOCOL)) <= settings.CHART_CACHE_MAX_BYTES:
            cache.set(key, found, CHART_SECONDS)
    return found
