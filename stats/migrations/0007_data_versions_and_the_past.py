"""Data versions (a counter and each version's commit time), each revision's span, and the past twins of the models,
over views of the revision tables (stats/past.py).
"""

import django.core.validators
import django_countries.fields
import stats.models
from django.db import migrations, models
from django.db.models import Max
from django.utils import timezone

from stats import past

HISTORIES = ["historicalconflict", "historicalparty", "historicalsource", "historicalreport", "historicalcategory",
             "historicaldataset", "historicalfigure"]


def record_the_unrecorded(apps, schema_editor):
    """Give every row without a revision (made by a bulk write that records none) a creation revision dated now, so
    that reads of the past find it from now on."""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        for name in HISTORIES:
            history = apps.get_model("stats", name)
            live = apps.get_model("stats", name.removeprefix("historical"))
            columns = ", ".join(quote(field.column) for field in live._meta.concrete_fields)
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({columns}, history_date, history_type, "
                f"history_change_reason, history_user_id) SELECT {columns}, %s, '+', NULL, NULL "
                f"FROM {quote(live._meta.db_table)} AS row WHERE NOT EXISTS "
                f"(SELECT 1 FROM {quote(history._meta.db_table)} AS revision WHERE revision.id = row.id)",
                [now],
            )


def close_spans(apps, schema_editor):
    """End each revision recorded so far where the next revision of its row begins (stats.models.RevisionSpan)."""
    with schema_editor.connection.cursor() as cursor:
        for name in HISTORIES:
            table = schema_editor.connection.ops.quote_name(apps.get_model("stats", name)._meta.db_table)
            cursor.execute(
                f"UPDATE {table} SET history_end = following.next_date FROM ("
                "SELECT history_id, LEAD(history_date) OVER (PARTITION BY id ORDER BY history_date, history_id) "
                f"AS next_date FROM {table}) AS following "
                f"WHERE {table}.history_id = following.history_id AND following.next_date IS NOT NULL"
            )


def start_counting(apps, schema_editor):
    """Start the counter: version 1 for the data already there (dated by its latest revision), else 0."""
    latest = [
        apps.get_model("stats", name).objects.aggregate(latest=Max("history_date"))["latest"] for name in HISTORIES
    ]
    latest = [moment for moment in latest if moment is not None]
    apps.get_model("stats", "DataVersionCounter").objects.create(id=1, number=1 if latest else 0)
    if latest:
        apps.get_model("stats", "DataVersion").objects.create(number=1, committed_at=max(latest))


def drop_views(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for model in past.TWINS:
            cursor.execute(f"DROP VIEW IF EXISTS {past.past_table(model)}")


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0006_search_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='PastCategory',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(help_text='Short identifier used in URLs and filters.', max_length=100)),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True)),
            ],
            options={
                'verbose_name': 'category',
                'verbose_name_plural': 'categories',
                'db_table': 'stats_past_category',
                'ordering': ['name'],
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='PastConflict',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(help_text='Short identifier used in URLs and filters.', max_length=100)),
                ('name', models.CharField(max_length=200)),
                ('started_on', models.DateField(help_text='The day the conflict began; cumulative counts run from it.')),
                ('ended_on', models.DateField(blank=True, help_text='The day it ended; empty while it goes on.', null=True)),
                ('description', models.TextField(blank=True)),
            ],
            options={
                'verbose_name': 'conflict',
                'verbose_name_plural': 'conflicts',
                'db_table': 'stats_past_conflict',
                'ordering': ['name'],
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='PastDataset',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(help_text='Short identifier used in URLs and filters.', max_length=100)),
                ('name', models.CharField(max_length=200)),
                ('url', stats.models.AddressField(blank=True, help_text='Where the compilation comes from.', max_length=1000)),
                ('licence', models.CharField(help_text="The compilation's licence as an SPDX identifier (CC-BY-4.0, MIT, Unlicense…), or NOASSERTION when its terms are not stated.", max_length=100, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9.+-]*(?: (?:AND|OR|WITH) [A-Za-z0-9][A-Za-z0-9.+-]*)*$', 'Give an SPDX licence identifier, like CC-BY-4.0, MIT or Unlicense, or NOASSERTION when the terms are unknown.')])),
                ('retrieved', models.CharField(blank=True, help_text='Which state of the origin was read: its commit, or the day it was read.', max_length=100)),
                ('description', models.TextField(blank=True)),
            ],
            options={
                'verbose_name': 'dataset',
                'verbose_name_plural': 'datasets',
                'db_table': 'stats_past_dataset',
                'ordering': ['name'],
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='PastFigure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('value', models.BigIntegerField(help_text='The best figure the claim gives.', validators=[django.core.validators.MinValueValidator(0, 'The value cannot be negative.'), django.core.validators.MaxValueValidator(10000000000, 'The value cannot be above 10,000,000,000.')])),
                ('value_low', models.BigIntegerField(blank=True, help_text='Lower end of the range given, if any.', null=True, validators=[django.core.validators.MinValueValidator(0, 'The value cannot be negative.'), django.core.validators.MaxValueValidator(10000000000, 'The value cannot be above 10,000,000,000.')])),
                ('value_high', models.BigIntegerField(blank=True, help_text='Upper end of the range given, if any.', null=True, validators=[django.core.validators.MinValueValidator(0, 'The value cannot be negative.'), django.core.validators.MaxValueValidator(10000000000, 'The value cannot be above 10,000,000,000.')])),
                ('qualifier', models.CharField(choices=[('exact', 'Exact'), ('approximately', 'Approximately'), ('at_least', 'At least'), ('at_most', 'At most')], default='exact', help_text='How the source hedges the number: exact, about, at least, at most.', max_length=20)),
                ('basis', models.CharField(choices=[('claimed', 'Claimed (a statement by a source)'), ('estimated', 'Estimated (an analytical estimate)'), ('confirmed', 'Confirmed (a verified or named count)')], default='claimed', max_length=20)),
                ('period_start', models.DateField(blank=True, help_text='First day counted; empty when the count runs from the start of the conflict (cumulative).', null=True)),
                ('period_end', models.DateField(help_text="Last day counted (not the day of publication: a morning report on yesterday's losses ends yesterday).")),
                ('date_precision', models.CharField(choices=[('day', 'Day'), ('month', 'Month'), ('year', 'Year')], default='day', help_text="How exactly the end of the period is known. For a month or a year, the period ends on its last day, or on the report's date if that is earlier.", max_length=10)),
                ('quote', models.TextField(blank=True, help_text="The report's own words for this figure.")),
                ('notes', models.TextField(blank=True, help_text="Curators' remarks: how the figure was read, what is uncertain.")),
                ('recorded_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name': 'figure',
                'verbose_name_plural': 'figures',
                'db_table': 'stats_past_figure',
                'ordering': ['-period_end', '-id'],
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='PastParty',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(help_text='Short identifier used in URLs and filters.', max_length=100)),
                ('name', models.CharField(max_length=200)),
                ('kind', models.CharField(choices=[('armed_forces', 'Armed forces'), ('armed_group', 'Armed group'), ('civilians', 'Civilians'), ('population', 'Population'), ('other', 'Other')], max_length=20)),
                ('country', django_countries.fields.CountryField(blank=True, help_text='ISO 3166-1 alpha-2 code; empty when none applies.', max_length=2)),
            ],
            options={
                'verbose_name': 'party',
                'verbose_name_plural': 'parties',
                'db_table': 'stats_past_party',
                'ordering': ['name'],
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='PastReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=500)),
                ('url', stats.models.AddressField(blank=True, help_text="The report's address; unique. Empty when it has none (a printed statement, a broadcast).", max_length=2000, null=True)),
                ('archived_url', stats.models.AddressField(blank=True, help_text='A copy in a web archive.', max_length=2000)),
                ('published_on', models.DateField(help_text='The day it was published.')),
                ('language', models.CharField(blank=True, help_text='ISO 639-1 code of the language it is written in, like en or uk.', max_length=2, validators=[django.core.validators.RegexValidator('^[a-z]{2}$', 'Enter a two-letter ISO 639-1 code in lower case, like en or uk.')])),
                ('summary', models.TextField(blank=True)),
            ],
            options={
                'verbose_name': 'report',
                'verbose_name_plural': 'reports',
                'db_table': 'stats_past_report',
                'ordering': ['-published_on', '-id'],
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='PastSource',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(help_text='Short identifier used in URLs and filters.', max_length=100)),
                ('name', models.CharField(max_length=200)),
                ('kind', models.CharField(choices=[('government', 'Government'), ('military', 'Military'), ('international_organization', 'International organization'), ('ngo', 'Non-governmental organization'), ('media', 'Media'), ('research', 'Research'), ('individual', 'Individual')], max_length=30)),
                ('country', django_countries.fields.CountryField(blank=True, help_text='ISO 3166-1 alpha-2 code; empty when none applies.', max_length=2)),
                ('url', stats.models.AddressField(blank=True, help_text="The source's own web site.", max_length=1000)),
                ('description', models.TextField(blank=True)),
            ],
            options={
                'verbose_name': 'source',
                'verbose_name_plural': 'sources',
                'db_table': 'stats_past_source',
                'ordering': ['name'],
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='DataVersion',
            fields=[
                ('number', models.BigIntegerField(primary_key=True, serialize=False)),
                ('committed_at', models.DateTimeField(db_index=True)),
            ],
            options={
                'ordering': ['-number'],
            },
        ),
        migrations.CreateModel(
            name='DataVersionCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.BigIntegerField(default=0)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='dataversioncounter_one_row')],
            },
        ),
        migrations.AddField(
            model_name='historicalcategory',
            name='history_end',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='historicalconflict',
            name='history_end',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='historicaldataset',
            name='history_end',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='historicalfigure',
            name='history_end',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='historicalparty',
            name='history_end',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='historicalreport',
            name='history_end',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='history_end',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(record_the_unrecorded, migrations.RunPython.noop),
        # The views are made after every migrate, from the models as they then are (stats.apps, post_migrate).
        migrations.RunPython(migrations.RunPython.noop, drop_views),
        migrations.RunPython(close_spans, migrations.RunPython.noop),
        migrations.RunPython(start_counting, migrations.RunPython.noop),
    ]
