"""Addresses stored as URIs: the field type that percent-encodes IRIs, and the addresses already stored, encoded."""

from django.db import migrations
from django.utils import timezone

import stats.models
from stats.addresses import as_uri

# (model, its address fields); the revisions too, so that they read as the data does.
ADDRESSES = [
    ("Report", ["url", "archived_url"]),
    ("Source", ["url"]),
    ("HistoricalReport", ["url", "archived_url"]),
    ("HistoricalSource", ["url"]),
]


def encode_addresses(apps, schema_editor):
    """Store every address as a URI; stop, naming them, if two reports' addresses would become one."""
    reports = apps.get_model("stats", "Report")
    owners: dict[str, list[int]] = {}
    for pk, url in reports.objects.exclude(url=None).order_by("pk").values_list("pk", "url"):
        owners.setdefault(as_uri(url), []).append(pk)
    clashes = {uri: pks for uri, pks in owners.items() if len(pks) > 1}
    if clashes:
        named = "; ".join(f"reports {', '.join(map(str, pks))} -> {uri}" for uri, pks in clashes.items())
        raise RuntimeError(
            f"These reports' addresses become one address as URIs; merge them, then migrate again: {named}"
        )
    changed_reports = set()
    for model_name, fields in ADDRESSES:
        model = apps.get_model("stats", model_name)
        pk_name = model._meta.pk.name
        for row in model.objects.only(pk_name, *fields).iterator(chunk_size=2000):
            changed = [name for name in fields if getattr(row, name) and as_uri(getattr(row, name)) != getattr(row, name)]
            if not changed:
                continue
            for name in changed:
                setattr(row, name, as_uri(getattr(row, name)))
            model.objects.filter(pk=row.pk).update(**{name: getattr(row, name) for name in changed})
            if model_name == "Report":
                changed_reports.add(row.pk)
    # Their figures' citations show the address: a change of the figure for `updated_since`.
    figures, now, changed_reports = apps.get_model("stats", "Figure"), timezone.now(), sorted(changed_reports)
    for start in range(0, len(changed_reports), 500):
        figures.objects.filter(report__in=changed_reports[start : start + 500]).update(updated_at=now)


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0003_figure_indexes_for_lists'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalreport',
            name='archived_url',
            field=stats.models.AddressField(blank=True, help_text='A copy in a web archive.', max_length=2000),
        ),
        migrations.AlterField(
            model_name='historicalreport',
            name='url',
            field=stats.models.AddressField(blank=True, help_text="The report's address; unique. Empty when it has none (a printed statement, a broadcast).", max_length=2000, null=True),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='url',
            field=stats.models.AddressField(blank=True, help_text="The source's own web site.", max_length=1000),
        ),
        migrations.AlterField(
            model_name='report',
            name='archived_url',
            field=stats.models.AddressField(blank=True, help_text='A copy in a web archive.', max_length=2000),
        ),
        migrations.AlterField(
            model_name='report',
            name='url',
            field=stats.models.AddressField(blank=True, help_text="The report's address; unique. Empty when it has none (a printed statement, a broadcast).", max_length=2000, null=True),
        ),
        migrations.AlterField(
            model_name='source',
            name='url',
            field=stats.models.AddressField(blank=True, help_text="The source's own web site.", max_length=1000),
        ),
        migrations.RunPython(encode_addresses, migrations.RunPython.noop),
    ]
