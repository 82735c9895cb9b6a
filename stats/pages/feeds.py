"""Atom feeds of the claims recorded most recently: everything, a conflict's, a quantity's.

One entry per figure added or corrected, newest first, read from the figures' revisions (django-simple-history),
which a redaction rewrites in place (stats/redactions.py): a redacted text reads as redacted here too. A touch (a
revision that changed none of the figure's fields: its report or a source was renamed, services.figures_touch) is
no entry. A deleted figure's entries are dropped: its page is gone, and the claim with it.

ETag and Last-Modified are the data version's, checked before the feed is read; the pages' rate limit applies (its
views are stats/pages/urls.py's), a 304 free as for a page.
"""

import datetime
import re
from dataclasses import dataclass
from functools import wraps

from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.http import http_date

from stats import versions
from stats.api.analysis import TRACKED_FIELDS
from stats.api.mixins import etag_for
from stats.citations import (
    ATTRIBUTION_PATHS,
    CITATION_PATHS,
    QUALIFIER_WORDS,
    format_attribution,
    format_citation,
    format_day,
)
from stats.models import Category, Conflict, Figure, Party

ENTRIES = 100
# Revisions read at a time, and at most this many times: touches are skipped, and a source renamed touches all of
# its figures at once; past that many, the feed shows the entries found among them.
BATCH = 200
BATCHES = 5
RELATIONS = ["conflict", "party", "category", "claimed_by", "report__publisher", "dataset"]
CITED = ["conflict", "party", "category", "claimed_by", "report"]
RELATION_FIELDS = {"conflict", "party", "category", "claimed_by", "report", "dataset"}
# How a correction names each field it changed (period_end and date_precision read as one: the day counted to).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FIELD_WORDS = {
    "conflict": "conflict", "party": "party", "category": "category", "claimed_by": "claimant", "report": "report",
    "value": "value", "value_low": "low end", "value_high": "high end", "qualifier": "hedge", "basis": "basis",
    "period_start": "counted from", "period_end": "counted to", "quote": "quote", "notes": "notes",
    "dataset": "dataset",
}
# Free text a correction names without quoting: an entry stays one line long.
UNQUOTED = {"quote", "notes"}


@dataclass
class Scope:
    """What a feed covers (None: every conflict, party or category) and the service's address to link from."""

    base: str
    conflict: Conflict | None = None
    party: Party | None = None
    category: Category | None = None


@dataclass
class Entry:
    """One figure added or corrected, as a feed shows it."""

    title: str
    link: str
    guid: str
    recorded: datetime.datetime
    content: str


def follow(record, path: str):
    """Return the value at a lookup path such as `report__publisher__name` (None past a missing relation)."""
    for name in path.split("__"):
        record = getattr(record, name)
        if record is None:
            break
    return record


def in_words(record, field: str) -> str:
    """Return a revision's `field` as a correction names it: 38,005; 16 December 2024; General Staff."""
    value = follow(record, field)
    if field in ("value", "value_low", "value_high"):
        return "none" if value is None else f"{value:,}"
    if field == "period_end":
        return format_day(value, record.date_precision)
    if field == "period_start":
        return "the conflict's start" if value is None else format_day(value)
    if field in ("qualifier", "basis"):
        return getattr(record, f"get_{field}_display")().lower()
    if value is None:
        return "none" if getattr(record, f"{field}_id") is None else "(deleted since)"
    return getattr(value, "title", None) or getattr(value, "name", str(value))


def corrections(before, after) -> list[str]:
    """Return what a revision changed, one phrase per field: "value 38,000 → 38,005", "quote changed"."""
    changed = []
    for field in TRACKED_FIELDS:
        if field == "date_precision":
            continue  # said with the day counted to: "counted to 16 December 2024 → December 2024"
        key = f"{field}_id" if field in RELATION_FIELDS else field
        differs = getattr(before, key) != getattr(after, key)
        if field == "period_end":
            differs = differs or before.date_precision != after.date_precision
        if not differs:
            continue
        if field in UNQUOTED:
            changed.append(f"{FIELD_WORDS[field]} changed")
        else:
            changed.append(f"{FIELD_WORDS[field]} {in_words(before, field)} → {in_words(after, field)}")
    return changed


def title_of(record) -> str:
    """Return a claim in words: "NATO officials: about 500,000 killed among Russian armed forces, counted to …"."""
    return (f"{record.claimed_by.name}: {QUALIFIER_WORDS[record.qualifier]}{record.value:,} "
            f"{record.category.name.lower()} among {record.party.name}, "
            f"counted to {format_day(record.period_end, record.date_precision)}")


def entry_of(record, before, base: str) -> Entry | None:
    """Return the entry of a revision: its claim in words, its citation and attribution; None for a touch, and for a
    revision that names a row deleted since (an old report, after its figures were moved to another)."""
    if any(getattr(record, name) is None for name in CITED):
        return None
    changed = corrections(before, record) if before is not None and record.history_type == "~" else []
    if record.history_type == "~" and before is not None and not changed:
        return None
    title = title_of(record)
    lines = [format_citation(**{name: follow(record, path) for name, path in CITATION_PATHS.items()})]
    if record.history_type == "~":
        title = f"Corrected: {title}"
        lines.insert(0, f"Corrected: {'; '.join(changed)}." if changed else "Corrected.")
    attribution = format_attribution(**{name: follow(record, path) for name, path in ATTRIBUTION_PATHS.items()})
    if attribution:
        lines.append(attribution)
    if record.quote:
        lines.append(f"In the report's words: “{record.quote}”")
    link = base + reverse("figure", args=[record.id])
    return Entry(title=xml_safe(title), link=link, guid=f"{link}#revision-{record.history_id}",
                 recorded=record.history_date, content="".join(f"<p>{escape(xml_safe(line))}</p>" for line in lines))


def xml_safe(text: str) -> str:
    """Return text XML 1.0 can carry: a control character (a PDF's page break pasted into a quote) becomes U+FFFD,
    instead of making the whole feed unwritable."""
    return CONTROL_CHARACTERS.sub("\ufffd", text)


def revisions_of(scope: Scope):
    """Return the revisions that may be entries of the feed (additions and changes of figures that still exist),
    newest first, with what their citation names."""
    narrowed = {name: getattr(scope, name) for name in ("conflict", "party", "category") if getattr(scope, name)}
    return (
        Figure.history.filter(history_type__in=["+", "~"], **narrowed)
        .filter(Exists(Figure.objects.filter(pk=OuterRef("id"))))
        .select_related(*RELATIONS)
        .order_by("-history_date", "-history_id")
    )


def predecessors(batch: list) -> dict[int, object]:
    """Return, by revision id, the revision each change in `batch` follows (one query; none without a change).

    A revision's span ends when the next one begins (stats/versions.py): the revisions it follows ended no earlier
    than the oldest change here."""
    changes = [record for record in batch if record.history_type == "~"]
    if not changes:
        return {}
    earlier = list(
        Figure.history.filter(id__in={record.id for record in changes},
                              history_end__gte=min(record.history_date for record in changes))
        .select_related(*RELATIONS)
    )
    found = {}
    for record in changes:
        mark = (record.history_date, record.history_id)
        before = [other for other in earlier if other.id == record.id and (other.history_date, other.history_id) < mark]
        if before:
            found[record.history_id] = max(before, key=lambda other: (other.history_date, other.history_id))
    return found


def feed_entries(scope: Scope, limit: int = ENTRIES) -> list[Entry]:
    """Return the newest `limit` entries of a feed: two queries per batch of revisions, touches skipped."""
    revisions, entries, older = revisions_of(scope), [], None
    for _ in range(BATCHES):
        page = revisions if older is None else revisions.filter(
            Q(history_date__lt=older.history_date) | Q(history_date=older.history_date, history_id__lt=older.history_id)
        )
        batch = list(page[:BATCH])
        before = predecessors(batch)
        for record in batch:
            entry = entry_of(record, before.get(record.history_id), scope.base)
            if entry is not None:
                entries.append(entry)
        if len(entries) >= limit or len(batch) < BATCH:
            break
        older = batch[-1]
    return entries[:limit]


class ClaimsAtom(Atom1Feed):
    """Atom whose entries carry their citation as `content` (HTML, one paragraph per line)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})


class ClaimsFeed(Feed):
    """Every claim recorded, newest first."""

    feed_type = ClaimsAtom
    author_name = "conflictdata"

    def get_object(self, request, **slugs) -> Scope:
        return Scope(base=request.build_absolute_uri("/").rstrip("/"))

    def title(self, scope: Scope) -> str:
        return "conflictdata: claims added and corrected"

    def subtitle(self, scope: Scope) -> str:
        return (f"The last {ENTRIES} casualty claims recorded or corrected, newest first, each with its citation "
                "and the report it appeared in.")

    def page(self, scope: Scope) -> str:
        return reverse("home")

    def link(self, scope: Scope) -> str:
        return scope.base + self.page(scope)

    def address(self, scope: Scope) -> str:
        return reverse("claims-feed")

    def feed_url(self, scope: Scope) -> str:
        return scope.base + self.address(scope)

    def items(self, scope: Scope) -> list[Entry]:
        return feed_entries(scope)

    def item_title(self, entry: Entry) -> str:
        return entry.title

    def item_link(self, entry: Entry) -> str:
        return entry.link

    def item_guid(self, entry: Entry) -> str:
        return entry.guid

    def item_description(self, entry: Entry) -> None:
        """Return no summary: the entry's content says it whole."""
        return None

    def item_extra_kwargs(self, entry: Entry) -> dict:
        return {"content": entry.content}

    def item_pubdate(self, entry: Entry) -> datetime.datetime:
        return entry.recorded

    def item_updateddate(self, entry: Entry) -> datetime.datetime:
        return entry.recorded


class ConflictFeed(ClaimsFeed):
    """A conflict's claims recorded, newest first."""

    def get_object(self, request, *, slug: str) -> Scope:
        return Scope(base=request.build_absolute_uri("/").rstrip("/"), conflict=get_object_or_404(Conflict, slug=slug))

    def title(self, scope: Scope) -> str:
        return f"conflictdata: {scope.conflict.name}, claims added and corrected"

    def page(self, scope: Scope) -> str:
        return reverse("conflict", args=[scope.conflict.slug])

    def address(self, scope: Scope) -> str:
        return reverse("conflict-feed", args=[scope.conflict.slug])


class QuantityFeed(ClaimsFeed):
    """A quantity's claims recorded, newest first (404, as its page, when no figure counts it)."""

    def get_object(self, request, *, conflict: str, party: str, category: str) -> Scope:
        scope = Scope(
            base=request.build_absolute_uri("/").rstrip("/"), conflict=get_object_or_404(Conflict, slug=conflict),
            party=get_object_or_404(Party, slug=party), category=get_object_or_404(Category, slug=category),
        )
        if not Figure.objects.filter(conflict=scope.conflict, party=scope.party, category=scope.category).exists():
            raise Http404(f"No figure counts {scope.category.name.lower()} among {scope.party.name} in "
                          f"{scope.conflict.name}.")
        return scope

    def title(self, scope: Scope) -> str:
        return (f"conflictdata: {scope.party.name}: {scope.category.name.lower()} ({scope.conflict.name}), "
                "claims added and corrected")

    def page(self, scope: Scope) -> str:
        return reverse("quantity", args=[scope.conflict.slug, scope.party.slug, scope.category.slug])

    def address(self, scope: Scope) -> str:
        return reverse("quantity-feed", args=[scope.conflict.slug, scope.party.slug, scope.category.slug])


def as_of_data_version(feed):
    """Make a feed's ETag and Last-Modified those of the data version, checked before the feed is read: a reader
    polling a feed that no write changed gets a 304 for the price of one query."""

    @wraps(feed)
    def view(request, *args, **kwargs):
        feed.get_object(request, *args, **kwargs)  # an unknown slug is a 404, whatever the request's conditions
        number, committed = versions.latest()
        etag = etag_for("feed", number, committed, request.path)
        modified = int(committed.timestamp()) if committed is not None else None
        response = get_conditional_response(request, etag=etag, last_modified=modified)
        if response is None:
            response = feed(request, *args, **kwargs)
        response["ETag"] = etag
        if modified is not None:
            response["Last-Modified"] = http_date(modified)
        return response

    return view


claims_feed = as_of_data_version(ClaimsFeed())
conflict_feed = as_of_data_version(ConflictFeed())
quantity_feed = as_of_data_version(QuantityFeed())
