"""Redactions of revisions' text (stats/redactions.py): their records, the permission to make them, and the counter
that past answers' ETags name; curators may read the records."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


def let_curators_read_redactions(apps, schema_editor):
    # As in 0002: the permissions of a new model exist only after every migration ran, unless made now.
    stats_config = apps.get_app_config("stats")
    stats_config.models_module = True
    create_permissions(stats_config, verbosity=0, apps=apps)
    stats_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    curators = Group.objects.filter(name="curators").first()
    if curators is not None:
        curators.permissions.add(
            *Permission.objects.filter(content_type__app_label="stats", codename="view_redaction")
        )


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0007_data_versions_and_the_past'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='dataversioncounter',
            name='redactions',
            field=models.BigIntegerField(db_default=0),
        ),
        migrations.CreateModel(
            name='Redaction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('model', models.CharField(help_text='The model of the row whose revision was redacted.', max_length=20)),
                ('object_id', models.BigIntegerField(help_text='The id of the row whose revision was redacted.')),
                ('revision', models.BigIntegerField(help_text='The revision chosen (its history_id in the revision table).')),
                ('fields', models.JSONField(help_text='The text fields redacted.')),
                ('revisions', models.JSONField(help_text='Every revision whose text was redacted: the one chosen and those that carried its words unchanged.')),
                ('reason', models.CharField(help_text='Why; it replaces the text, so it is public.', max_length=200)),
                ('redacted_at', models.DateTimeField()),
                ('redacted_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-redacted_at', '-id'],
                'permissions': [('redact_revision', 'Can redact the text of a revision')],
                'default_permissions': ['view'],
            },
        ),
        migrations.RunPython(let_curators_read_redactions, migrations.RunPython.noop),
    ]
