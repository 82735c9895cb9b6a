"""Writes that touch several rows, each inside one transaction."""

from collections import Counter
from pathlib import Path

from django.core import serializers
from django.db.models import Q
from django.utils import timezone

from stats import versions
from stats.importing import figures_import
from stats.models import Category, Conflict, Dataset, Figure, Party, Report, Source


@versions.recorded
def shipped_data_load(*, directory: Path) -> Counter:
    """Add the shipped rows a database lacks, file by file in name order; never change a row that exists.

    JSON files are Django fixtures with natural keys; CSV files are figures in the export's format, loaded by the
    importer. Rows are matched by natural key (a slug; a report's address, or its title and date; a figure's
    claim), so a curator's later edit of any other field survives every reload. Return the rows added per model.
    """
    added = Counter()
    for path in sorted([*directory.glob("*.json"), *directory.glob("*.csv")]):
        if path.suffix == ".csv":
            result = figures_import(source=path, update_existing=False)
            added["figures"] += result.created
            added["reports"] += result.reports_created
            continue
        with path.open(encoding="utf-8") as stream:
            for deserialized in serializers.deserialize("json", stream):
                row = deserialized.object
                if row.pk is not None:  # the natural key found it: the row is there, maybe edited since
                    continue
                row.full_clean()
                row.save()
                added[row._meta.verbose_name_plural] += 1
    return +added


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
