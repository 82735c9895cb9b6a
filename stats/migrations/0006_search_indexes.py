"""Trigram search indexes of figures (quote, notes, report title) and reports (title, summary), kept by triggers."""

from django.db import migrations

from stats import search


def install(apps, schema_editor):
    search.install(schema_editor.connection)


def remove(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table in search.DOCUMENTS:
            index = search.search_table(table)
            if schema_editor.connection.vendor == "postgresql":
                cursor.execute(f"DROP TABLE IF EXISTS {index}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {index}_sync ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {index}_upkeep ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {index}_sync()")
            else:
                for name in search.TRIGGERS["sqlite"]:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"DROP TABLE IF EXISTS {index}")
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS stats_report_title_in_figures ON stats_report")
            cursor.execute("DROP FUNCTION IF EXISTS stats_report_title_in_figures()")


class Migration(migrations.Migration):
    dependencies = [("stats", "0005_datasets")]

    operations = [migrations.RunPython(install, remove)]
