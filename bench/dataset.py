"""The benchmark's data: N generated figures, loaded through the project's own importer, and the import floor.

N figures across 10 parties, 5 categories and 200 claimants: each claimant publishes one report a day for N / 10,000
days (20,000 reports at a million figures), giving its cumulative count of each party and category, so that one
claimant, party and category is a series of N / 10,000 points and one category holds a fifth of the figures.

Django must be set up (by `bench/run.py`) before this module is imported.
"""

import csv
import datetime
import time
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction

from stats.csvformat import FIGURE_CSV_COLUMNS
from stats.importing import figures_import
from stats.models import Category, Conflict, Party, Source

PARTIES, CATEGORIES, CLAIMANTS = 10, 5, 200
QUANTITIES = PARTIES * CATEGORIES * CLAIMANTS
FIRST_DAY = datetime.date(2024, 1, 1)
QUALIFIERS = ["exact", "exact", "approximately", "at_least"]
# The stored columns of a figure, in the order the floor inserts them.
FIGURE_COLUMNS = [
    "conflict_id", "party_id", "category_id", "claimed_by_id", "report_id", "value", "value_low", "value_high",
    "qualifier", "basis", "period_start", "period_end", "date_precision", "quote", "notes", "recorded_at",
    "updated_at",
]


def party(i: int) -> str:
    return f"party-{i % PARTIES}"


def category(i: int) -> str:
    return f"category-{(i // PARTIES) % CATEGORIES}"


def claimant(i: int) -> str:
    return f"source-{(i // (PARTIES * CATEGORIES)) % CLAIMANTS:03d}"


def vocabularies() -> None:
    Conflict.objects.create(slug="war", name="The War", started_on=datetime.date(2022, 2, 24))
    Party.objects.bulk_create(
        Party(slug=party(i), name=f"Party {i}", kind="armed_forces") for i in range(PARTIES)
    )
    Category.objects.bulk_create(
        Category(slug=f"category-{i}", name=f"Category {i}") for i in range(CATEGORIES)
    )
    Source.objects.bulk_create(
        Source(slug=f"source-{i:03d}", name=f"Source {i}", kind="media") for i in range(CLAIMANTS)
    )


def write_csv(path: Path, n: int) -> None:
    """Write n figures in the export's columns: figure i is point i // QUANTITIES of quantity i % QUANTITIES."""
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(FIGURE_CSV_COLUMNS)
        for i in range(n):
            q, day = i % QUANTITIES, FIRST_DAY + datetime.timedelta(days=i // QUANTITIES)
            published = day + datetime.timedelta(days=1)
            writer.writerow([
                "", "war", party(q), category(q), claimant(q), 1000 + i, "", "", QUALIFIERS[q % 4], "claimed", "",
                day.isoformat(), "day", f"Daily report of {published:%d %B %Y}",
                f"https://example.org/{claimant(q)}/{published.isoformat()}", published.isoformat(), claimant(q),
                "", "", "", "",
            ])


def build(directory: Path, n: int, log) -> dict:
    """Migrate a fresh database, import n generated figures and return the import's measurements."""
    call_command("migrate", verbosity=0)
    vocabularies()
    source = directory / f"figures-{n}.csv"
    if not source.exists():
        log(f"writing {n:,} generated figures to {source}")
        partial = source.with_suffix(".partial")
        write_csv(partial, n)
        partial.rename(source)
    log(f"importing {source.name} through the project's importer")
    began = time.perf_counter()
    result = figures_import(source=source, progress=log)
    seconds = time.perf_counter() - began
    log(str(result))  # the importer has refreshed the planner's statistics as it committed
    return {"rows": result.created, "seconds": seconds, "floor_seconds": import_floor()}


def import_floor() -> float:
    """Return the seconds plain executemany takes to insert the same figures into an empty copy of the table.

    The copy has the same columns, indexes and constraints (on SQLite, a copy of the migrated schema).
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(FIGURE_COLUMNS)} FROM stats_figure ORDER BY id")
        rows = cursor.fetchall()
        schema = ""
        if connection.vendor == "sqlite":
            # The table and its indexes; not its triggers, which keep the search index (the floor inserts bare rows).
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'stats_figure' AND sql IS NOT NULL AND type != 'trigger'"
            )
            schema = ";".join(sql.replace('"stats_figure"', '"bench_floor"') for (sql,) in cursor.fetchall())
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TABLE IF EXISTS bench_floor")
            for statement in schema.split(";"):
                statement = statement.replace("figure_", "bench_floor_")  # index names are unique per database
                cursor.execute(statement)
        else:
            cursor.execute("DROP TABLE IF EXISTS bench_floor")
            cursor.execute("CREATE TABLE bench_floor (LIKE stats_figure INCLUDING ALL)")
    placeholders = ", ".join(["%s" if connection.vendor == "postgresql" else "?"] * len(FIGURE_COLUMNS))
    insert = f"INSERT INTO bench_floor ({', '.join(FIGURE_COLUMNS)}) VALUES ({placeholders})"
    began = time.perf_counter()
    with transaction.atomic():  # one transaction, as the importer's
        connection.connection.cursor().executemany(insert, rows)
    seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return seconds
