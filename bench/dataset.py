"""The benchmark's data: N generated figures, loaded through the project's own importer, and the import floor.

N figures across 10 parties, 5 categories and 200 claimants: each claimant publishes one report a day for N / 10,000
days (20,000 reports at a million figures), giving its cumulative count of each party and category, so that one
claimant, party and category is a series of N / 10,000 points and one category holds a fifth of the figures.

The growth layout (`bench/run.py`'s SIZES, to see how cost grows with the table alone) holds the days instead, and
grows the number of parties with N: each claimant publishes one report a day for GROWTH_DAYS (100) days, so that at
every size each party and category holds the same claims (200 claimants × 100 days: a series, a `compare` and a
quantity page have as much to show at 250,000 figures as at 4,000,000), and there are N / 100,000 parties (10 at a
million figures, the layout above but for the order of a report's figures). Where N / 100,000 is not whole, the last
party is filled partly: each day's N / 100 figures are dealt to the claimants' reports in turn, a report giving its
(party, category) quantities party by party, so the first claimants' reports give one quantity more than the others
(at 250,000 figures: parties 0 and 1 whole, party 2's categories 0 and 1 whole and category 2 from claimants 0 to 99
only). The benchmark asks about party-0 and category-0, whole at every size of at least 20,000 figures.

With DATA=random (`write_random_csv`), the same vocabularies, spread at random instead (seeded: the same file every
time): N / 50 reports over N / 625 days (20,000 over 1,600 at a million), each giving the 50 parties and categories
once, each figure's claimant one of the 200 drawn at random and its `period_end` a day drawn between the first day and
its report's; so one claimant, party and category is about N / 10,000 points spread over the whole period.

Django must be set up (by `bench/run.py`) before this module is imported.
"""

import csv
import datetime
import functools
import random
import re
import time
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from stats import versions
from stats.csvformat import FIGURE_CSV_COLUMNS
from stats.importing import figures_import, statistics_refresh
from stats.models import Category, Conflict, DataVersion, Figure, Party, Source

PARTIES, CATEGORIES, CLAIMANTS = 10, 5, 200
GROWTH_DAYS = 100
QUANTITIES = PARTIES * CATEGORIES * CLAIMANTS
FIRST_DAY = datetime.date(2024, 1, 1)
QUALIFIERS = ["exact", "exact", "approximately", "at_least"]
EDITS_PER_WRITE = 1_000
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


def growth_parties(n: int) -> int:
    """Return how many parties the growth layout of n figures has (the last one maybe filled partly)."""
    return -(-n // (CATEGORIES * CLAIMANTS * GROWTH_DAYS))


@versions.recorded
def vocabularies(parties: int = PARTIES) -> None:
    Conflict.objects.create(slug="war", name="The War", started_on=datetime.date(2022, 2, 24))
    bulk_create_with_history([
        Party(slug=f"party-{i}", name=f"Party {i}", kind="armed_forces") for i in range(parties)
    ], Party, default_date=versions.revision_time())
    bulk_create_with_history([
        Category(slug=f"category-{i}", name=f"Category {i}") for i in range(CATEGORIES)
    ], Category, default_date=versions.revision_time())
    bulk_create_with_history([
        Source(slug=f"source-{i:03d}", name=f"Source {i}", kind="media") for i in range(CLAIMANTS)
    ], Source, default_date=versions.revision_time())


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


def write_growth_csv(path: Path, n: int) -> None:
    """Write n figures in the growth layout (see the module's docstring): day by day, report by report."""
    if n % GROWTH_DAYS:
        raise ValueError(f"The growth layout spreads the figures over {GROWTH_DAYS} days: give a multiple of it.")
    quantities, fuller = divmod(n // GROWTH_DAYS, CLAIMANTS)  # per report; the first `fuller` reports give one more
    i = 0
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(FIGURE_CSV_COLUMNS)
        for number in range(GROWTH_DAYS):
            day = FIRST_DAY + datetime.timedelta(days=number)
            published = day + datetime.timedelta(days=1)
            for source in range(CLAIMANTS):
                claimed_by = f"source-{source:03d}"
                for k in range(quantities + (source < fuller)):
                    writer.writerow([
                        "", "war", f"party-{k // CATEGORIES}", f"category-{k % CATEGORIES}", claimed_by, 1000 + i, "",
                        "", QUALIFIERS[i % 4], "claimed", "", day.isoformat(), "day",
                        f"Daily report of {published:%d %B %Y}", f"https://example.org/{claimed_by}/{published.isoformat()}",
                        published.isoformat(), claimed_by, "", "", "", "",
                    ])
                    i += 1


def write_random_csv(path: Path, n: int) -> None:
    """Write n figures in the export's columns, spread at random (DATA=random): figure i is party and category
    i % 50 of report i // 50, its claimant drawn from the 200 and its `period_end` from the first day to the report's.

    Each report is a digest by one publisher, also drawn, of the claimants' counts (`publisher` names it).
    """
    rng = random.Random(f"random-{n}")
    days = max(1, n // 625)
    reports = -(-n // (PARTIES * CATEGORIES))
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(FIGURE_CSV_COLUMNS)
        for i in range(n):
            number, q = divmod(i, PARTIES * CATEGORIES)
            published = FIRST_DAY + datetime.timedelta(days=number * days // reports + 1)
            if q == 0:
                publisher = f"source-{rng.randrange(CLAIMANTS):03d}"
            day = FIRST_DAY + datetime.timedelta(days=rng.randrange((published - FIRST_DAY).days + 1))
            writer.writerow([
                "", "war", party(q), category(q), f"source-{rng.randrange(CLAIMANTS):03d}", 1000 + i, "", "",
                QUALIFIERS[i % 4], "claimed", "", day.isoformat(), "day", f"Digest {number} of {published:%d %B %Y}",
                f"https://example.org/digest/{number}", published.isoformat(), publisher, "", "", "", "",
            ])


WRITERS = {"daily": write_csv, "random": write_random_csv, "growth": write_growth_csv}


def build(directory: Path, n: int, log, data: str = "daily", floors: bool = True) -> dict:
    """Migrate a fresh database, import n generated figures (`data`: one of WRITERS; "growth" the growth layout)
    and return the import's measurements (and its floors' if `floors`)."""
    call_command("migrate", verbosity=0)
    vocabularies(growth_parties(n) if data == "growth" else PARTIES)
    source = directory / (f"figures-{n}.csv" if data == "daily" else f"figures-{data}-{n}.csv")
    if not source.exists():
        log(f"writing {n:,} generated figures ({data}) to {source}")
        partial = source.with_suffix(".partial")
        WRITERS[data](partial, n)
        partial.rename(source)
    log(f"importing {source.name} through the project's importer")
    began = time.perf_counter()
    result = figures_import(source=source, progress=log)
    seconds = time.perf_counter() - began
    log(str(result))  # the importer has refreshed the planner's statistics as it committed
    measured = {"rows": result.created, "seconds": seconds}
    if floors:
        log("measuring the import floor: the same CSV into empty copies of the reports' and the figures' tables")
        measured.update(floor=import_floor(source), floor_seconds=figures_floor())
    edited, deleted = make_history(n, log)
    return {**measured, "edits": edited, "deletions": deleted}


def make_history(n: int, log) -> tuple[int, int]:
    """Give the figures a past: n / 10 edits and n / 100 deletions after the import, spread over the last 60 days.

    The import is dated 61 days ago; then come writes of EDITS_PER_WRITE edited values or deleted figures each,
    through the project's write path (one data version each, revisions as curators' edits make them), each dated
    afterwards a little later than the one before, so that `as_recorded` a month ago sees about half of them.
    """
    edits, deletions = n // 10, n // 100
    writes = -(-edits // EDITS_PER_WRITE) + -(-deletions // EDITS_PER_WRITE)
    now = timezone.now()
    first = now - datetime.timedelta(days=61)
    step = datetime.timedelta(days=60) / max(writes, 1)
    for number in range(1, versions.current() + 1):  # the vocabularies and the import
        redate(number, first)
    log(f"making a past: {edits:,} edits and {deletions:,} deletions in {writes} writes over 60 days")
    rng = random.Random(n)
    chosen = rng.sample(range(1, n + 1), edits + deletions)
    edited, deleted = chosen[:edits], chosen[edits:]
    moment = first
    for start in range(0, edits, EDITS_PER_WRITE):
        with versions.recorded_write():
            figures = list(Figure.objects.filter(pk__in=edited[start:start + EDITS_PER_WRITE]))
            for figure in figures:
                figure.value += 1 + rng.randrange(100)
                figure.updated_at = timezone.now()
            bulk_update_with_history(figures, Figure, ["value", "updated_at"], batch_size=EDITS_PER_WRITE,
                                     default_date=versions.revision_time())
        moment += step
        redate(versions.current(), moment)
    for start in range(0, deletions, EDITS_PER_WRITE):
        with versions.recorded_write():
            Figure.objects.filter(pk__in=deleted[start:start + EDITS_PER_WRITE]).delete()
        moment += step
        redate(versions.current(), moment)
    if connection.vendor == "postgresql":
        # The rows these writes and their redating left dead, which autovacuum clears within minutes of a real
        # service's writes: measured before it has run, every read would step over them.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
    statistics_refresh()
    return edits, deletions


def redate(number: int, moment: datetime.datetime) -> None:
    """Date data version `number` and its revisions `moment` (the benchmark's past is made in minutes, not days)."""
    committed = DataVersion.objects.get(number=number).committed_at
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for table in versions.history_tables():
            for column in ("history_date", "history_end"):
                cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {column} = %s",
                               [adapt(moment), adapt(committed)])
    DataVersion.objects.filter(number=number).update(committed_at=moment)


def import_floor(source: Path) -> dict:
    """Return how long the import floor takes, and where its time goes: the same CSV read with the csv module, its
    slugs resolved from dictionaries of the vocabularies, its reports found by address in a dictionary, and the
    reports and then the figures written with one executemany each, in one transaction, into empty copies of both
    tables with every index and constraint the project's tables have (no validation, no history, no search index).

    The copies: on SQLite the migrated schema without its triggers (the figures' copy referring to the reports'
    copy); on PostgreSQL `LIKE … INCLUDING ALL`, which copies every index and check but no foreign key.
    """
    tables = {"stats_report": "bench_floor_report", "stats_figure": "bench_floor_figure"}
    empty_copies(tables)
    ops = connection.ops
    marker = "%s" if connection.vendor == "postgresql" else "?"
    report_columns = ["id", "title", "url", "archived_url", "publisher_id", "published_on", "language", "summary"]
    figure_columns = [*FIGURE_COLUMNS, "dataset_id"]
    stamp = ops.adapt_datetimefield_value(timezone.now())
    day = functools.cache(lambda cell: ops.adapt_datefield_value(datetime.date.fromisoformat(cell)) if cell else None)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        ids = {}
        for column, table in [("conflict", "stats_conflict"), ("party", "stats_party"), ("category", "stats_category"),
                              ("claimed_by", "stats_source"), ("dataset", "stats_dataset")]:
            cursor.execute(f"SELECT slug, id FROM {table}")
            ids[column] = dict(cursor.fetchall())
    conflicts, parties, categories, sources, datasets = (ids[column] for column in ids)
    reports, figures = {}, []
    with source.open(newline="", encoding="utf-8") as stream:
        rows = csv.reader(stream)
        at = {column: number for number, column in enumerate(next(rows))}
        for cells in rows:
            url = cells[at["report_url"]]
            key = url or (cells[at["report_title"]], cells[at["report_published_on"]])
            report = reports.get(key)
            if report is None:
                publisher = cells[at["publisher"]]
                report = reports[key] = (
                    len(reports) + 1, cells[at["report_title"]], url or None, "",
                    sources[publisher] if publisher else None, day(cells[at["report_published_on"]]), "", "",
                )
            low, high, dataset = cells[at["value_low"]], cells[at["value_high"]], cells[at["dataset"]]
            figures.append((
                conflicts[cells[at["conflict"]]], parties[cells[at["party"]]], categories[cells[at["category"]]],
                sources[cells[at["claimed_by"]]], report[0], int(cells[at["value"]]), int(low) if low else None,
                int(high) if high else None, cells[at["qualifier"]], cells[at["basis"]], day(cells[at["period_start"]]),
                day(cells[at["period_end"]]), cells[at["date_precision"]], cells[at["quote"]], cells[at["notes"]],
                stamp, stamp, datasets[dataset] if dataset else None,
            ))
    read = time.perf_counter()
    with transaction.atomic():  # one transaction, as the importer's
        cursor = connection.connection.cursor()
        cursor.executemany(f"INSERT INTO bench_floor_report ({', '.join(report_columns)}) "
                           f"VALUES ({', '.join([marker] * len(report_columns))})", list(reports.values()))
        reported = time.perf_counter()
        cursor.executemany(f"INSERT INTO bench_floor_figure ({', '.join(figure_columns)}) "
                           f"VALUES ({', '.join([marker] * len(figure_columns))})", figures)
        inserted = time.perf_counter()
    ended = time.perf_counter()
    with connection.cursor() as cursor:
        for copy in reversed(tables.values()):
            cursor.execute(f"DROP TABLE {copy}")
    return {
        "rows": len(figures), "reports": len(reports), "seconds": ended - began, "read_seconds": read - began,
        "reports_seconds": reported - read, "figures_seconds": inserted - reported, "commit_seconds": ended - inserted,
    }


def empty_copies(tables: dict[str, str]) -> None:
    """Make an empty copy of each table named by the keys of `tables`, under the name its value gives, with the
    same columns, indexes and constraints (no triggers); on SQLite, a copy's references to another copied table are
    to that table's copy."""
    with connection.cursor() as cursor:
        for copy in reversed(tables.values()):
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
        if connection.vendor == "postgresql":
            for table, copy in tables.items():
                cursor.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
            return
        for table in tables:
            # The table and its indexes; not its triggers, which keep the search index (the floor inserts bare rows).
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL AND type != 'trigger' "
                "ORDER BY type = 'index'", [table],
            )
            for (statement,) in cursor.fetchall():
                for name, copy in tables.items():
                    statement = statement.replace(f'"{name}"', f'"{copy}"')
                # Index names are unique in a database.
                statement = re.sub(r'^(CREATE (?:UNIQUE )?INDEX )"', r'\1"bench_floor_', statement)
                cursor.execute(statement)


def figures_floor() -> float:
    """Return the seconds plain executemany takes to insert the imported figures, read back from the table as
    ready rows, into an empty copy of the table (the floor `make bench` measured first, kept to compare with).

    The copy has the same columns, indexes and constraints (on SQLite, a copy of the migrated schema).
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(FIGURE_COLUMNS)} FROM stats_figure ORDER BY id")
        rows = cursor.fetchall()
    empty_copies({"stats_figure": "bench_floor"})
    placeholders = ", ".join(["%s" if connection.vendor == "postgresql" else "?"] * len(FIGURE_COLUMNS))
    insert = f"INSERT INTO bench_floor ({', '.join(FIGURE_COLUMNS)}) VALUES ({placeholders})"
    began = time.perf_counter()
    with transaction.atomic():  # one transaction, as the importer's
        connection.connection.cursor().executemany(insert, rows)
    seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return seconds
