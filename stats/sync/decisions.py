"""A curator's decisions on the changes a sync held: approve (one recorded write in the curator's name) or reject
(not proposed again until the origin changes that row again)."""

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from stats import versions
from stats.importing import ImportRefused
from stats.models import (
    Category,
    Conflict,
    Feed,
    FeedState,
    Figure,
    HeldAction,
    HeldChange,
    LabelMapping,
    Party,
    Rejection,
    Source,
    SyncedRow,
)
from stats.sync.engine import RELATION_COLUMNS, add_rows, claim_of, figure_claim, fingerprint

RELATED_MODELS = {"conflict": Conflict, "party": Party, "category": Category, "claimed_by": Source}
NULLABLE = {"value_low", "value_high", "period_start"}


class DecisionRefused(Exception):
    """The decision cannot be made as asked; the message says why."""


def has_one_answer(held: HeldChange) -> bool:
    """Whether approving or rejecting needs nothing more: not a choice between rows, not an unknown label."""
    return held.action != HeldAction.CHOOSE and not held.label


def approve(held_id: int, *, user=None, source: Source | None = None) -> str:
    """Apply one held change; for a choice, this row (the others are rejected); for an unknown label, `source`
    (kept as the label's mapping). Return what was done, in words."""
    try:
        with versions.recorded_write():
            return decided(held_id, user, source)
    except (ValidationError, ImportRefused, DatabaseError) as error:
        messages = getattr(error, "messages", None) or [str(error)]
        raise DecisionRefused(f"the change cannot be applied, nothing was changed: {'; '.join(messages)}") from None


def decided(held_id: int, user, source: Source | None) -> str:
    """Apply one held change inside the caller's recorded write; return what was done."""
    held = locked(held_id)
    feed = held.feed
    row = dict(held.new) if held.new is not None else None
    if held.label:
        if source is None:
            raise DecisionRefused(f"the claimant label '{held.label}' needs a source to be approved")
        LabelMapping.objects.get_or_create(feed=feed, label=held.label,
                                           defaults={"source": source, "mapped_by": user})
        row["claimed_by"] = source.slug
    reason = f"approved by {user or 'the sync command'}: synced from {feed} {feed.version}"
    current = SyncedRow.objects.filter(feed=feed, key=held.key).select_related("figure").first()
    if current is None and held.figure_id is not None:  # a figure recorded before the sync: adopt it, then change
        current = SyncedRow.objects.create(feed=feed, key=held.key, figure_id=held.figure_id, claim=held.old or {},
                                           fingerprint="")
        current.figure = Figure.objects.get(pk=held.figure_id)
    if held.action == HeldAction.REMOVE:
        if current is not None and current.figure is not None:
            delete_figure(current.figure, reason, user)
        if current is not None:
            current.delete()
        done = f"{held.key}: removed"
    elif current is not None and current.figure is not None:
        change_figure(current, row, reason, user)
        done = f"{held.key}: changed"
    else:
        add_rows(feed, [(held.key, row)], reason=reason, user=user)
        done = f"{held.key}: added"
    others = HeldChange.objects.filter(feed=feed, key=held.key).exclude(pk=held.pk)
    reject_all(others, user)
    held.delete()
    settle(feed)
    return done


def reject(held_id: int, *, user=None) -> str:
    with transaction.atomic():
        held = locked(held_id)
        reject_all(HeldChange.objects.filter(pk=held.pk), user)
        settle(held.feed)
    return f"{held.key}: rejected"


def locked(held_id: int) -> HeldChange:
    """Return the held change, its feed locked first (as a sync locks it), so that a decision and a sync never
    deadlock and a sync's recomputed queue is never decided unseen."""
    feed_id = HeldChange.objects.filter(pk=held_id).values_list("feed_id", flat=True).first()
    if feed_id is not None:
        Feed.objects.select_for_update().filter(pk=feed_id).first()
    held = HeldChange.objects.select_for_update().select_related("feed").filter(pk=held_id).first()
    if held is None:
        raise DecisionRefused(f"held change {held_id} is no longer held (decided, or recomputed by a sync since)")
    return held


def reject_all(queryset, user) -> None:
    for held in queryset:
        Rejection.objects.get_or_create(feed_id=held.feed_id, key=held.key, fingerprint=held.fingerprint,
                                        defaults={"rejected_by": user})
        held.delete()


def settle(feed: Feed) -> None:
    """Set the feed's state from what is still held."""
    feed.refresh_from_db()
    if feed.state in (FeedState.HELD, FeedState.CURRENT):
        feed.state = FeedState.HELD if feed.held_changes.exists() else FeedState.CURRENT
        if feed.state == FeedState.CURRENT:
            feed.message = ""
        feed.save(update_fields=["state", "message"])


def delete_figure(figure: Figure, reason: str, user) -> None:
    figure._change_reason = reason
    figure._history_user = user
    figure.delete()


def change_figure(current: SyncedRow, row: dict, reason: str, user) -> None:
    """Set the figure's claim fields to the row's, through the model's own checks."""
    figure = Figure.objects.select_for_update().get(pk=current.figure_id)
    for name, text in claim_of(row).items():
        if name in RELATION_COLUMNS:
            value = RELATED_MODELS[name].objects.filter(slug=text).first()
            if value is None:
                raise DecisionRefused(f"no {name} has the slug '{text}'")
        elif name in NULLABLE and text == "":
            value = None
        else:
            value = text
        setattr(figure, name, value)
    figure.full_clean(exclude=["report"])
    figure._change_reason = reason
    figure._history_user = user
    figure.save()
    current.claim = figure_claim(figure)
    current.fingerprint = fingerprint(claim_of(row))
    current.save(update_fields=["claim", "fingerprint"])


def decide_all(dataset: str, *, approving: bool, user=None) -> tuple[list[str], int]:
    """Approve or reject every held change of the dataset that has one answer; return what was done and how many
    were left for the admin (choices between rows, unknown labels)."""
    held = list(HeldChange.objects.filter(feed__dataset__slug=dataset).order_by("feed", "key", "id"))
    done, left = [], 0
    for change in held:
        if not has_one_answer(change):
            left += 1
            continue
        done.append(approve(change.pk, user=user) if approving else reject(change.pk, user=user))
    return done, left
