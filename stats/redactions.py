"""Redactions: a curator takes back the text of a revision (personal data in a figure's notes, say) from every read
of the past, keeping its numbers, dates and relations.

A redaction replaces the words of the chosen text fields of one revision with "Redacted on <day>: <reason>", in that
revision and in the revisions next to it that carried the same words unchanged (an edit of another field copies them
forward; left there, they would show in `history/` as the next change and in the past between the two), and in the
row itself when those words are still its current text: the row is then saved with the redacted text, a revision of
its own (so its ETag and `updated_at` change, and mirrors see it). Empty fields stay empty. The same words written
again by a later edit are that revision's words, redacted on their own.

It is one recorded write (a new data version), and it increases the redaction counter that past answers' ETags and
cache keys name (stats/versions.py): the past changes by nothing else. The `Redaction` row records who, when, why and
which revisions. What it cannot reach: copies already taken (README, "Redactions").
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import router
from django.utils import timezone

from stats import versions
from stats.citations import format_day
from stats.models import Category, Conflict, Dataset, Figure, Redaction, Report, Source
from stats.services import figures_touch

# Each model's free text, the fields a redaction may take back. Names, slugs, addresses and numbers are what the
# claims are found and checked by: they are corrected by an edit, not redacted.
REDACTABLE = {
    Figure: ["quote", "notes"],
    Report: ["title", "summary"],
    Source: ["description"],
    Conflict: ["description"],
    Category: ["description"],
    Dataset: ["description"],
}
# The change reason of the row's own revision when a redaction takes back its current text.
REDACTION_REASON = "redaction"
REASON_MISSING = "Give the reason for the redaction: it replaces the text, where everyone reads it."


def redacted_text(day, reason: str) -> str:
    """Return what a redacted text reads: "Redacted on 7 December 2026: <reason>"."""
    return f"Redacted on {format_day(day)}: {reason}"


def revision_redact(*, model: type, revision: int, fields: list[str], reason: str,
                    user: AbstractBaseUser) -> Redaction:
    """Redact `fields` of revision `revision` of a `model` row (see the module's docstring); return the record.

    Raise ValidationError when the reason is missing or too long, a field is not one of the model's free text, or
    every field chosen is empty in that revision.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": [REASON_MISSING]})
    longest = Redaction._meta.get_field("reason").max_length
    if len(reason) > longest:
        raise ValidationError({"reason": [f"Give the reason in at most {longest} characters."]})
    unknown = sorted(set(fields) - set(REDACTABLE.get(model, [])))
    if unknown or not fields:
        allowed = ", ".join(REDACTABLE.get(model, [])) or "none"
        raise ValidationError({"fields": [f"Choose among the free text of a {model._meta.verbose_name}: {allowed}."]})
    history = model.history.model
    alias = router.db_for_write(model)
    with versions.recorded_write(using=alias):
        chosen = history.objects.using(alias).get(history_id=revision)
        # The row first, as every writer takes it: an edit begun meanwhile waits, then writes after the redaction.
        row = model.objects.using(alias).select_for_update().filter(pk=chosen.id).first()
        revisions = list(history.objects.using(alias).select_for_update().filter(id=chosen.id)
                         .order_by("history_date", "history_id"))
        now = timezone.now()
        text = redacted_text(timezone.localdate(now), reason)
        redacted, done, current = set(), [], []
        for field in fields:
            run = carrying(revisions, chosen.history_id, field)
            if not run:
                continue  # empty in this revision: nothing to take back
            history.objects.using(alias).filter(history_id__in=run).update(**{field: text})
            redacted.update(run)
            done.append(field)
            latest = revisions[-1]
            if row is not None and latest.history_id in run and latest.history_type != "-":
                current.append(field)
        if not redacted:
            raise ValidationError({"fields": ["There is nothing to redact: these fields are empty in this revision."]})
        if current:
            for field in current:
                setattr(row, field, text)
            row._history_user = user  # django-simple-history's way to name who made the revision, in a request or not
            # Its revision differs from the one before in nothing (that one is redacted too): the reason tells a
            # change form opened before it that the row changed (stats/admin.py, revision_in_words).
            row._change_reason = REDACTION_REASON
            row.save(using=alias, update_fields=current + (["updated_at"] if model is Figure else []))
            figures_touch(changed=row)
        versions.count_redaction(alias)
        return Redaction.objects.using(alias).create(
            model=model._meta.model_name, object_id=chosen.id, revision=chosen.history_id, fields=sorted(done),
            revisions=sorted(redacted), reason=reason, redacted_by=user, redacted_at=now,
        )


def carrying(revisions: list, chosen: int, field: str) -> list[int]:
    """Return the ids of the revisions (in order) around `chosen` that carry its words in `field` unchanged (none
    when they are empty)."""
    index = next(position for position, revision in enumerate(revisions) if revision.history_id == chosen)
    words = getattr(revisions[index], field)
    if not words:
        return []
    first = last = index
    while first > 0 and getattr(revisions[first - 1], field) == words:
        first -= 1
    while last + 1 < len(revisions) and getattr(revisions[last + 1], field) == words:
        last += 1
    return [revision.history_id for revision in revisions[first:last + 1]]
