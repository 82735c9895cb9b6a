"""Datasets: the compilations figures were taken from, with their licences; curators may curate them."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
import stats.models
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


def let_curators_curate_datasets(apps, schema_editor):
    # As in 0002: the permissions are made after all migrations on a fresh database, so make them now.
    stats_config = apps.get_app_config("stats")
    stats_config.models_module = True
    create_permissions(stats_config, verbosity=0, apps=apps)
    stats_config.models_module = None
    curators = apps.get_model("auth", "Group").objects.filter(name="curators").first()
    if curators is not None:
        codenames = [f"{action}_dataset" for action in ("add", "change", "delete", "view")]
        curators.permissions.add(
            *apps.get_model("auth", "Permission").objects.filter(content_type__app_label="stats", codename__in=codenames)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0004_addresses_as_uris'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Dataset',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(help_text='Short identifier used in URLs and filters.', max_length=100)),
                ('name', models.CharField(max_length=200)),
                ('url', stats.models.AddressField(blank=True, help_text='Where the compilation comes from.', max_length=1000)),
                ('licence', models.CharField(help_text="The compilation's licence as an SPDX identifier (CC-BY-4.0, MIT, Unlicense…), or NOASSERTION when its terms are not stated.", max_length=100, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9.+-]*(?: (?:AND|OR|WITH) [A-Za-z0-9][A-Za-z0-9.+-]*)*$', 'Give an SPDX licence identifier, like CC-BY-4.0, MIT or Unlicense, or NOASSERTION when the terms are unknown.')])),
                ('attribution', models.CharField(blank=True, help_text='The credit its licence asks for, e.g. “The Economist”.', max_length=300)),
                ('retrieved', models.CharField(blank=True, help_text='Which state of the origin was read: its commit, or the day it was read.', max_length=100)),
                ('description', models.TextField(blank=True)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalDataset',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('slug', models.SlugField(help_text='Short identifier used in URLs and filters.', max_length=100)),
                ('name', models.CharField(max_length=200)),
                ('url', stats.models.AddressField(blank=True, help_text='Where the compilation comes from.', max_length=1000)),
                ('licence', models.CharField(help_text="The compilation's licence as an SPDX identifier (CC-BY-4.0, MIT, Unlicense…), or NOASSERTION when its terms are not stated.", max_length=100, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9.+-]*(?: (?:AND|OR|WITH) [A-Za-z0-9][A-Za-z0-9.+-]*)*$', 'Give an SPDX licence identifier, like CC-BY-4.0, MIT or Unlicense, or NOASSERTION when the terms are unknown.')])),
                ('attribution', models.CharField(blank=True, help_text='The credit its licence asks for, e.g. “The Economist”.', max_length=300)),
                ('retrieved', models.CharField(blank=True, help_text='Which state of the origin was read: its commit, or the day it was read.', max_length=100)),
                ('description', models.TextField(blank=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical dataset',
                'verbose_name_plural': 'historical datasets',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RemoveIndex(
            model_name='figure',
            name='figure_quantity_idx',
        ),
        migrations.AddConstraint(
            model_name='dataset',
            constraint=models.UniqueConstraint(fields=('slug',), name='dataset_unique_slug', violation_error_code='unique', violation_error_message='A dataset with this slug already exists.'),
        ),
        migrations.AddField(
            model_name='figure',
            name='dataset',
            field=models.ForeignKey(blank=True, db_index=False, help_text="The compilation the figure was taken from; empty for a curator's own entry.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='figures', to='stats.dataset'),
        ),
        migrations.AddField(
            model_name='historicalfigure',
            name='dataset',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text="The compilation the figure was taken from; empty for a curator's own entry.", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='stats.dataset'),
        ),
        migrations.AddIndex(
            model_name='figure',
            index=models.Index(fields=['dataset', 'period_end', 'id'], name='figure_dataset_idx'),
        ),
        migrations.AddIndex(
            model_name='figure',
            index=models.Index(fields=['party', 'category', 'claimed_by', 'conflict', 'basis', 'period_start', 'period_end'], name='figure_quantity_idx'),
        ),
        migrations.AddField(
            model_name='historicaldataset',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(let_curators_curate_datasets, migrations.RunPython.noop),
    ]
