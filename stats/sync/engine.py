"""Sync one feed: fetch its origin's newest version, convert it, compare it with what the service holds, apply what
is mechanical in one recorded write and hold what is doubtful for a curator.

What the service holds for a feed is its `SyncedRow`s: per key, the claim fields of the origin's row as last
applied, and the figure it became. A version's rows are compared with them key by key:

- a key the service does not hold: a new claim; it applies, unless it breaks a daily series (`implausible()`), its
  claimant label is unknown, or a curator rejected that very row before;
- a key whose claim fields are the same: nothing to do, but an address or a quote the row now has and the figure's
  report lacked is filled in (enrichment arriving later is not a doubtful change);
- a key whose claim fields differ, or that is gone from the version: held (the sync never changes or removes a figure
  by itself), and so is a figure a curator deleted while the origin still has it (once);
- two rows of the version with one key: both held; the figure the service holds stays as it is.

Held changes are recomputed at every sync against the newest version: a change the origin takes back leaves the
queue by itself. A model's new run (`Feed.model_run`) replaces the last run's figures in one write, at most once a
day. A feed's first sync (nothing held from it yet) applies everything its converter yields.
"""

import csv
import dataclasses
import datetime
import hashlib
import io
import itertools
import json
import logging
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from stats import bulk, versions
from stats.addresses import as_uri
from stats.csvformat import FIGURE_CSV_COLUMNS
from stats.importing import ImportRefused, RowError, figures_import, in_chunks
from stats.models import (
    Dataset,
    Feed,
    FeedState,
    Figure,
    HeldAction,
    HeldChange,
    OriginFile,
    Rejection,
    Report,
    Source,
    SyncedRow,
)
from stats.sync import feeds as declared
from stats.sync.feeds import Origin, Unreadable
from stats.sync.fetching import FetchFailed, fetch

log = logging.getLogger("conflictdata.sync")

CLAIM_COLUMNS = ["conflict", "party", "category", "claimed_by", "value", "value_low", "value_high", "qualifier",
                 "basis", "period_start", "period_end", "date_precision"]
RELATION_COLUMNS = ["conflict", "party", "category", "claimed_by"]
REMOVED = "removed"
# A daily series: a claimant whose cumulative figures for a quantity are at most this many days apart.
DAILY_GAP = 7
# A new day of a daily series is held when its rise per day exceeds this many times the largest rise per day the
# series ever had (at least RISES_NEEDED reports in): a typo's extra digit, not a war's worst day. Tested on the
# General Staff's whole series and on Gaza's, whose deadliest days after a ceasefire it lets through.
JUMP = 5
RISES_NEEDED = 8
# The gaps whose median tells a daily series from a sparse one: the last this many.
GAPS_SEEN = 30
# What a feed keeps of an origin's ETag and Last-Modified (an origin may send anything).
VERSION_LENGTH = 200
LAST_MODIFIED_LENGTH = 100
# Also-read files fetched per sync at most (a day's note each): the rest wait for the next sync.
ALSO_READS_PER_SYNC = 60


@dataclass
class Outcome:
    feed: str
    added: int = 0
    changed: int = 0
    removed: int = 0
    held: int = 0
    failed: str = ""
    note: str = ""
    dry_run: bool = False

    def __str__(self):
        if self.failed:
            return f"{self.feed}: failed: {self.failed}"
        parts = []
        if self.added or self.changed or self.removed:
            verb = "would apply: " if self.dry_run else ""
            parts.append(f"{verb}added {self.added}, changed {self.changed}, removed {self.removed}")
        if self.held:
            parts.append(f"held {self.held} for review")
        if self.note:
            parts.append(self.note)
        return f"{self.feed}: {'; '.join(parts) or 'unchanged'}"


@dataclass
class Plan:
    add: list[tuple[str, dict]] = field(default_factory=list)
    fill: list[tuple[SyncedRow, dict]] = field(default_factory=list)
    remove: list[SyncedRow] = field(default_factory=list)
    forget: list[SyncedRow] = field(default_factory=list)
    unreject: list[str] = field(default_factory=list)
    held: list[HeldChange] = field(default_factory=list)
    run: str = ""
    note: str = ""
    deferred: bool = False  # a new run that waits: its version is not recorded, so that the next sync reads it again


def claim_of(row: dict) -> dict:
    """Return a row's claim fields as text, as the comparison sees them."""
    return {name: "" if row.get(name) is None else str(row[name]) for name in CLAIM_COLUMNS}


def figure_claim(figure: Figure) -> dict:
    """Return a figure's claim fields as text, in the form `claim_of()` gives a row's."""
    claim = {}
    for name in CLAIM_COLUMNS:
        value = getattr(figure, name)
        if name in RELATION_COLUMNS:
            value = value.slug
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        claim[name] = "" if value is None else str(value)
    return claim


def fingerprint(claim: dict) -> str:
    return hashlib.sha256(json.dumps(claim, sort_keys=True).encode()).hexdigest()


def describe(claim: dict | None) -> str:
    """Return a claim in a few words: value, band, day."""
    if not claim:
        return "nothing"
    value = f"{int(claim['value']):,}" if claim["value"].isdigit() else claim["value"]
    band = f" ({claim['value_low']}–{claim['value_high']})" if claim["value_low"] or claim["value_high"] else ""
    period = f"{claim['period_start']} to {claim['period_end']}" if claim["period_start"] else claim["period_end"]
    return f"{value}{band} {claim['claimed_by'] or '?'} {claim['party']} {claim['category']}, {period}"


def differences(old: dict, new: dict) -> str:
    changed = [f"{name} {old[name] or '(blank)'} → {new[name] or '(blank)'}"
               for name in CLAIM_COLUMNS if old.get(name) != new.get(name)]
    return "; ".join(changed)


def group_of(claim: dict) -> tuple:
    return tuple(claim[name] for name in ("conflict", "party", "category", "claimed_by", "basis"))


def implausible(points: list[tuple[datetime.date, int]], day: datetime.date, value: int) -> str:
    """Return why a new cumulative value breaks its daily series, or "" (a sparse series may rise or fall freely).

    `points` are the series' other (day, value) pairs, sorted by day.
    """
    before = [point for point in points if point[0] < day]
    after = [point for point in points if point[0] > day]
    if not before:
        return ""
    recent = before[-GAPS_SEEN - 1:]
    gaps = [(later[0] - earlier[0]).days for earlier, later in itertools.pairwise(recent)]
    last_day, last_value = before[-1]
    if (day - last_day).days > DAILY_GAP or (gaps and statistics.median(gaps) > DAILY_GAP):
        return ""
    if value < last_value:
        return f"falls below the value of {last_day} ({last_value:,}) in a daily series"
    if after and (after[0][0] - day).days <= DAILY_GAP and value > after[0][1]:
        return f"rises above the value of {after[0][0]} ({after[0][1]:,}) in a daily series"
    if len(before) > RISES_NEEDED:
        largest = max(1, *((later[1] - earlier[1]) / max((later[0] - earlier[0]).days, 1)
                           for earlier, later in itertools.pairwise(before)))
        rise = (value - last_value) / max((day - last_day).days, 1)
        if rise > JUMP * largest:
            return (f"rises by {value - last_value:,} since {last_day}, more than {JUMP} times the largest daily "
                    f"rise the series ever had ({largest:,.0f} a day)")
    return ""


class AlsoReader:
    """Read a feed's also-read files for its converter: kept in `OriginFile`, so that a day's note is fetched once
    and a file that cannot be read now gives what it gave before."""

    def __init__(self, feed: Feed, spec: declared.Feed, addresses: dict[str, str], allow_files: bool):
        self.feed, self.spec, self.addresses, self.allow_files = feed, spec, addresses, allow_files
        self.kept = {(kept.name, kept.params): kept for kept in OriginFile.objects.filter(feed=feed)}
        self.fetches = 0
        self.new: dict[tuple[str, str], OriginFile] = {}

    def read(self, name: str, **params) -> bytes | None:
        template = self.addresses.get(name)
        if template is None:
            raise Unreadable(f"the converter asked for an also-read file '{name}' the feed does not declare")
        params_text = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
        kept = self.new.get((name, params_text)) or self.kept.get((name, params_text))
        per_day = bool(params)
        if kept is not None and per_day:
            return bytes(kept.body)
        if per_day and "://" in template and self.fetches >= ALSO_READS_PER_SYNC:
            return None
        self.fetches += 1
        try:
            fetched = fetch(template.format(**params), previous=kept, allow_files=self.allow_files, **fetch_limits())
        except (FetchFailed, KeyError):
            return bytes(kept.body) if kept is not None else None
        if fetched.unchanged:
            return bytes(kept.body)
        self.new[(name, params_text)] = OriginFile(
            feed=self.feed, name=name, params=params_text, body=fetched.body, etag=fetched.etag,
            last_modified=fetched.last_modified, sha256=fetched.sha256, read_at=timezone.now(),
        )
        return fetched.body

    def keep(self) -> None:
        """Store what was read (inside the sync's write)."""
        bulk.upsert(connection, list(self.new.values()), unique_fields=["feed", "name", "params"],
                    update_fields=["body", "etag", "last_modified", "sha256", "read_at"])


def fetch_limits() -> dict:
    """Return the fetching limits a deployment set (SYNC_FETCH_LIMITS), else fetch()'s own: ~10 s to connect, 60 s
    a try, two retries, 50 MB."""
    return dict(getattr(settings, "SYNC_FETCH_LIMITS", {}))


def feed_row(spec: declared.Feed) -> Feed | None:
    dataset = Dataset.objects.filter(slug=spec.dataset).first()
    if dataset is None:
        return None
    feed, _ = Feed.objects.get_or_create(dataset=dataset, name=spec.name)
    return feed


def sync(spec: declared.Feed, **options) -> Outcome:
    """Sync one feed (see `synced()`); whatever goes wrong fails this feed with its reason, never the others."""
    try:
        return synced(spec, **options)
    except Exception as error:
        log.exception("the sync of %s failed", spec.label)
        outcome = Outcome(spec.label, dry_run=options.get("dry_run", False))
        feed = feed_row(spec)
        if feed is not None:
            return failed(feed, outcome, f"{type(error).__name__}: {error}", outcome.dry_run)
        outcome.failed = f"{type(error).__name__}: {error}"
        return outcome


def synced(
    spec: declared.Feed,
    *,
    address: str | None = None,
    also: dict[str, str] | None = None,
    allow_files: bool = False,
    commit: str | None = None,
    dry_run: bool = False,
    today: datetime.date | None = None,
) -> Outcome:
    """Sync one feed from `address` (its configured address by default); return what was done, in words."""
    outcome = Outcome(spec.label, dry_run=dry_run)
    feed = feed_row(spec)
    if feed is None:
        outcome.failed = f"no dataset has the slug '{spec.dataset}' (load the vocabularies first)"
        return outcome
    today = today or timezone.now().date()
    address = address or spec.configured_address()
    try:
        fetched = fetch(address, previous=feed if feed.sha256 else None, allow_files=allow_files, **fetch_limits())
    except FetchFailed as error:
        return failed(feed, outcome, error.reason, dry_run)
    version = (fetched.etag.strip('"') or commit or fetched.sha256[:12])[:VERSION_LENGTH]
    fetched = dataclasses.replace(fetched, etag=fetched.etag[:VERSION_LENGTH],
                                  last_modified=fetched.last_modified[:LAST_MODIFIED_LENGTH])
    if fetched.unchanged:
        outcome.held = feed.held_changes.count()
        if not dry_run:
            state = FeedState.HELD if outcome.held else FeedState.CURRENT
            Feed.objects.filter(pk=feed.pk).update(
                checked_at=timezone.now(), etag=fetched.etag or feed.etag, state=state,
                last_modified=fetched.last_modified or feed.last_modified,
                message=feed.message if feed.state == state else "",
            )
        return outcome
    reader = AlsoReader(feed, spec, {**spec.configured_also(), **(also or {})}, allow_files)
    try:
        rows = spec.convert(fetched.body, Origin(read=reader.read, commit=commit, today=today))
    except Unreadable as error:
        return failed(feed, outcome, f"version {version} could not be read, nothing was changed: {error}", dry_run)
    except Exception as error:  # a converter's own bug must fail its feed, not the sync of the others
        log.exception("the converter of %s failed on version %s", spec.label, version)
        return failed(feed, outcome, f"the converter failed on version {version}, nothing was changed: "
                                     f"{type(error).__name__}: {error}", dry_run)
    reason = f"synced from {spec.label} {version}"
    refused = ""
    with versions.recorded_write():
        feed = Feed.objects.select_for_update().get(pk=feed.pk)
        plan = compare(feed, spec, rows, today)
        try:
            with transaction.atomic():
                apply(feed, plan, reason=reason, outcome=outcome)
        except (ImportRefused, DatabaseError) as error:
            transaction.set_rollback(True)
            refused = f"version {version} was refused, nothing was changed: {error}"
        else:
            outcome.held = len(plan.held)
            outcome.note = plan.note
            if dry_run:
                transaction.set_rollback(True)
                return outcome
            reader.keep()
            record(feed, plan, outcome, fetched, version, today)
    if refused:
        return failed(feed, outcome, refused, dry_run)
    return outcome


def record(feed: Feed, plan: Plan, outcome: Outcome, fetched, version: str, today: datetime.date) -> None:
    """Record the feed's state after an applied sync: what was read, what is held, when."""
    now = timezone.now()
    feed.checked_at = now
    if outcome.added or outcome.changed or outcome.removed:
        feed.changed_at = now
    if not plan.deferred:
        feed.version, feed.etag, feed.last_modified, feed.sha256 = (
            version, fetched.etag, fetched.last_modified, fetched.sha256)
    feed.state = FeedState.HELD if plan.held else FeedState.CURRENT
    feed.message = held_message(plan.held) or plan.note
    if plan.run:
        feed.run, feed.run_applied_on = plan.run, today
    feed.save()


def failed(feed: Feed, outcome: Outcome, reason: str, dry_run: bool) -> Outcome:
    outcome.failed = reason
    if not dry_run:
        Feed.objects.filter(pk=feed.pk).update(state=FeedState.FAILED, message=reason)
    return outcome


def held_message(held: list[HeldChange]) -> str:
    if not held:
        return ""
    first = held[0]
    more = f" (and {len(held) - 1} more)" if len(held) > 1 else ""
    return f"{len(held)} change(s) held for review; first: {first.key}: {first.reason}{more}"


def compare(feed: Feed, spec: declared.Feed, rows: list[dict], today: datetime.date) -> Plan:
    """Decide, key by key, what of a version applies and what is held."""
    mappings = {mapping.label: mapping.source.slug for mapping in feed.label_mappings.select_related("source")}
    for row in rows:
        if not row["claimed_by"] and row.get("label") in mappings:
            row["claimed_by"] = mappings[row["label"]]
    synced = {row.key: row for row in feed.rows.select_related(
        "figure__conflict", "figure__party", "figure__category", "figure__claimed_by", "figure__report")}
    rejected = set(feed.rejections.values_list("key", "fingerprint"))
    by_key = defaultdict(list)
    for row in rows:
        by_key[spec.key(row)].append(row)
    plan = Plan()
    if spec.model_run:
        run = run_of(rows)
        if not synced or run != feed.run:
            plan.run = run
        if synced and run != feed.run:
            if feed.run_applied_on == today:
                plan.note = "a new run of the model waits until tomorrow (one run a day at most)"
                plan.run, plan.deferred = "", True
                return plan
            return replace_run(plan, synced, by_key)
        if synced:
            marks = {key: fingerprint(claim_of(found[0])) for key, found in by_key.items()}
            if marks != {key: held.fingerprint for key, held in synced.items()}:
                plan.note = "the model's run was re-estimated under the same report; it waits for the next run"
            return plan
    first = not synced
    series = defaultdict(list)
    for held in synced.values():
        if held.figure is not None and not held.claim["period_start"] and held.claim["value"].isdigit():
            series[group_of(held.claim)].append((datetime.date.fromisoformat(held.claim["period_end"]),
                                                 int(held.claim["value"])))
    for points in series.values():
        points.sort()
    for key, found in sorted(by_key.items()):
        if (key, REMOVED) in rejected:
            plan.unreject.append(key)  # the row is back: a later removal is a new question
        found = [row for row in found if (key, fingerprint(claim_of(row))) not in rejected]
        if not found:
            continue
        if len(found) > 1:
            plan.held.extend(hold(feed, key, HeldAction.CHOOSE, synced.get(key), row,
                                  f"{len(found)} rows of this version claim this for the same key; the figure held "
                                  "is untouched until a curator picks one")
                             for row in found)
            continue
        row = found[0]
        claim = claim_of(row)
        mark = fingerprint(claim)
        current = synced.get(key)
        if not row["claimed_by"]:
            action = HeldAction.ADD if current is None else HeldAction.CHANGE
            plan.held.append(hold(feed, key, action, current, row,
                                  f"the claimant label '{row.get('label', '')}' is not mapped to a source yet"))
            continue
        if current is None and spec.partial and repeats(series, claim):
            continue  # a partial version restating the newest total on a later day: not a new claim
        if current is None:
            why = "" if first else implausible_row(series, claim)
            if why:
                plan.held.append(hold(feed, key, HeldAction.ADD, None, row, why))
                continue
            plan.add.append((key, row))
            if not claim["period_start"] and claim["value"].isdigit():
                points = series[group_of(claim)]
                points.append((datetime.date.fromisoformat(claim["period_end"]), int(claim["value"])))
                points.sort()
        elif current.figure is None:
            plan.held.append(hold(feed, key, HeldAction.ADD, current, row,
                                  "a curator deleted this figure; the origin still has it"))
        elif mark == current.fingerprint:
            plan.fill.append((current, row))
        else:
            edited = figure_claim(current.figure) != current.claim
            why = f"the origin changed it: {differences(current.claim, claim)}"
            if edited:
                why += " (and a curator edited the figure since it was synced)"
            plan.held.append(hold(feed, key, HeldAction.CHANGE, current, row, why))
    if not spec.partial:
        for key, current in sorted(synced.items()):
            if key in by_key:
                continue
            if current.figure is None:
                plan.forget.append(current)
            elif (key, REMOVED) not in rejected:
                plan.held.append(hold(feed, key, HeldAction.REMOVE, current, None,
                                      "the origin no longer has this row"))
    return plan


def implausible_row(series: dict, claim: dict) -> str:
    if claim["period_start"] or not claim["value"].isdigit():
        return ""
    points = series.get(group_of(claim), [])
    return implausible(points, datetime.date.fromisoformat(claim["period_end"]), int(claim["value"]))


def repeats(series: dict, claim: dict) -> bool:
    """Whether the claim's value is the one its series last held before its day."""
    if claim["period_start"] or not claim["value"].isdigit():
        return False
    day = datetime.date.fromisoformat(claim["period_end"])
    before = [value for point_day, value in series.get(group_of(claim), []) if point_day < day]
    return bool(before) and before[-1] == int(claim["value"])


def hold(feed: Feed, key: str, action: str, current: SyncedRow | None, row: dict | None, reason: str) -> HeldChange:
    figure = current.figure if current is not None else None
    old = figure_claim(figure) if figure is not None else None
    return HeldChange(
        feed=feed, key=key, action=action, figure=figure, old=old, new=row,
        fingerprint=fingerprint(claim_of(row)) if row is not None else REMOVED, reason=reason,
        label=row.get("label", "") if row is not None and not row["claimed_by"] else "",
    )


def run_of(rows: list[dict]) -> str:
    """Return what names a model's run: its report(s)."""
    reports = sorted({f"{row['report_title']}|{row['report_url']}|{row['report_published_on']}" for row in rows})
    return hashlib.sha256("\n".join(reports).encode()).hexdigest()[:16] + " " + (reports[0][:250] if reports else "")


def replace_run(plan: Plan, synced: dict, by_key: dict) -> Plan:
    """Replace the last run's figures by the new run's (a curator's edit of one of them is kept as it is)."""
    for current in synced.values():
        if current.figure is not None and figure_claim(current.figure) != current.claim:
            plan.forget.append(current)
        else:
            plan.remove.append(current)
    for key, found in sorted(by_key.items()):
        plan.add.extend((key, row) for row in found[:1])
    return plan


def apply(feed: Feed, plan: Plan, *, reason: str, outcome: Outcome, user=None) -> None:
    """Write the plan: figures, the rows they came from, the filled reports, the held changes."""
    removed_ids = [current.figure_id for current in plan.remove if current.figure_id]
    for figure in Figure.objects.filter(pk__in=removed_ids):
        figure._change_reason = reason
        figure._history_user = user
        figure.delete()
    SyncedRow.objects.filter(pk__in=[current.pk for current in [*plan.remove, *plan.forget]]).delete()
    outcome.removed = len(removed_ids)
    Rejection.objects.filter(feed=feed, key__in=plan.unreject, fingerprint=REMOVED).delete()
    new, clashing = [], []
    found = figures_of([row for _, row in plan.add])
    for key, row in plan.add:
        figure = find(found, row)
        if figure is not None and figure_claim(figure) != claim_of(row):
            clashing.append((key, row, figure))
        else:
            new.append((key, row))
    added = add_rows(feed, new, reason=reason, user=user)
    outcome.added = len(added)
    plan.held.extend(
        HeldChange(feed=feed, key=key, action=HeldAction.CHANGE, figure=figure, old=figure_claim(figure), new=row,
                   fingerprint=fingerprint(claim_of(row)),
                   reason=f"a figure recorded this claim before the sync, with other values (by hand, or imported): "
                          f"{differences(figure_claim(figure), claim_of(row))}")
        for key, row, figure in clashing
    )
    outcome.changed += fill(plan.fill, reason=reason, user=user)
    HeldChange.objects.filter(feed=feed).delete()
    HeldChange.objects.bulk_create(plan.held)


def add_rows(feed: Feed, rows: list[tuple[str, dict]], *, reason: str, user=None) -> list[Figure]:
    """Import the rows (the importer's checks, reports and revisions) and record which figure each became."""
    if not rows:
        return []
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=FIGURE_CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for _, row in rows:
        writer.writerow(row)
    text.seek(0)
    figures_import(source=text, update_existing=False, user=user, reason=reason)
    found = figures_of([row for _, row in rows])
    synced = []
    figures = []
    for key, row in rows:
        figure = find(found, row)
        if figure is None:  # the importer changed what identifies the claim (its dates, say): say which row
            raise ImportRefused([RowError(0, [], f"the row with key {key} was imported but cannot be found again")])
        figures.append(figure)
        synced.append(SyncedRow(feed=feed, key=key, figure=figure, claim=figure_claim(figure),
                                fingerprint=fingerprint(claim_of(row)), words=words_of(figure)))
    bulk.upsert(connection, synced, unique_fields=["feed", "key"],
                update_fields=["figure", "claim", "fingerprint", "words"])
    return figures


def words_of(figure: Figure) -> dict:
    return {"quote": figure.quote, "notes": figure.notes, "report_url": figure.report.url or ""}


def find(found: dict, row: dict) -> Figure | None:
    """Return the figure recording the row's claim: by its identity, else without its start (the importer settles a
    start equal to the conflict's to none)."""
    identity = identity_of_row(row)
    return found.get(identity) or found.get((*identity[:-3], "", *identity[-2:]))


def identity_of_row(row: dict) -> tuple:
    url = as_uri(row["report_url"]) if row["report_url"] else ""
    report = url or (row["report_title"], str(row["report_published_on"]))
    return (report, *(str(row[name]) for name in RELATION_COLUMNS), str(row["period_start"] or ""),
            str(row["period_end"]), str(row["basis"]))


def identity_of_figure(figure: Figure) -> tuple:
    report = figure.report.url or (figure.report.title, figure.report.published_on.isoformat())
    return (report, *(getattr(figure, name).slug for name in RELATION_COLUMNS),
            figure.period_start.isoformat() if figure.period_start else "", figure.period_end.isoformat(),
            figure.basis)


def figures_of(rows: list[dict]) -> dict[tuple, Figure]:
    """Return the figures recording the rows' claims, by identity, with their relations and reports attached.

    The relations come from one read of each vocabulary and the reports from one read of those named, rather than a
    join per figure: a first sync reads thousands of figures and would make five more objects for each."""
    claimants = {row["claimed_by"] for row in rows}
    days = {str(row["period_end"]) for row in rows}
    figures = list(in_chunks(Figure.objects.filter(claimed_by__slug__in=claimants), "period_end", sorted(days)))
    related = {name: {item.pk: item for item in Figure._meta.get_field(name).related_model.objects.all()}
               for name in RELATION_COLUMNS}
    related["report"] = {report.pk: report for report in
                         in_chunks(Report.objects.all(), "pk", {figure.report_id for figure in figures})}
    found = {}
    for figure in figures:
        for name, items in related.items():
            Figure._meta.get_field(name).set_cached_value(figure, items[getattr(figure, f"{name}_id")])
        found[identity_of_figure(figure)] = figure
    return found


def fill(pairs: list[tuple[SyncedRow, dict]], *, reason: str, user=None) -> int:
    """Fill in what a row now has and its figure lacked: the report's address (and publisher), the quote, the notes.

    Only a blank the sync itself left (a curator's blank stays blank), only an http(s) address that passes the model's
    own check and no other report has; never blanks anything: an also-read file that could not be read removes
    nothing it added before."""
    filled = 0
    publishers = {}
    for current, row in pairs:
        figure = current.figure
        report = figure.report
        written = current.words or words_of(figure)
        changed = False
        url = address_or_blank(row["report_url"])
        if url and not report.url and not written.get("report_url") and not Report.objects.filter(url=url).exists():
            report.url = url
            if row["publisher"]:
                slug = row["publisher"]
                publishers.setdefault(slug, Source.objects.filter(slug=slug).first())
                report.publisher = publishers[slug] or report.publisher
            report._change_reason = reason
            report._history_user = user
            report.save()
            changed = True
        words = {name: row[name] for name in ("quote", "notes")
                 if row[name] and not getattr(figure, name) and not written.get(name)}
        if words:
            for name, text in words.items():
                setattr(figure, name, text)
            figure._change_reason = reason
            figure._history_user = user
            figure.save()
            changed = True
        if changed:
            current.words = words_of(figure)
            current.save(update_fields=["words"])
        filled += changed
    return filled


def address_or_blank(text: str) -> str:
    """Return an address an origin gave as the URI the service stores, or "" when it is not a valid http(s) one."""
    if not text:
        return ""
    url = as_uri(text)
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return ""
    return url
