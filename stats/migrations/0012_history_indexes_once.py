"""The figures' revisions lose the single-column indexes that a wider one already begins with (id, claimed_by, party,
report): every revision a write makes was written in each.

Only the indexes are dropped: altering the fields would make SQLite copy the whole table, through the past views
that read it."""

import django.db.models.deletion
from django.db import migrations, models


COLUMNS = ["id", "claimed_by_id", "party_id", "report_id"]


def drop_indexes(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "stats_historicalfigure")
    for name, index in constraints.items():
        if index["index"] and not index["primary_key"] and index["columns"] in [[column] for column in COLUMNS]:
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def make_indexes(apps, schema_editor):
    for column in COLUMNS:
        schema_editor.execute(f"CREATE INDEX stats_historicalfigure_{column}_single ON stats_historicalfigure ({column})")


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0011_curators_decide_held_changes'),
    ]

    operations = [migrations.SeparateDatabaseAndState(database_operations=[
        migrations.RunPython(drop_indexes, make_indexes),
    ], state_operations=[
        migrations.AlterField(
            model_name='historicalfigure',
            name='claimed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, help_text='Who makes the claim.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='stats.source'),
        ),
        migrations.AlterField(
            model_name='historicalfigure',
            name='id',
            field=models.BigIntegerField(auto_created=True, blank=True, verbose_name='ID'),
        ),
        migrations.AlterField(
            model_name='historicalfigure',
            name='party',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, help_text='Whose casualties are counted.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='stats.party'),
        ),
        migrations.AlterField(
            model_name='historicalfigure',
            name='report',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, help_text='Where the claim was recorded.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='stats.report'),
        ),
    ])]
