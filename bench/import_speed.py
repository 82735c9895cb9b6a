"""Time the importer on N generated rows (default 100,000) against plain sqlite3 executemany of the same figures.

A quick measurement, not a test and not the full benchmark:

    .venv/bin/python bench/import_speed.py [N]
"""

import csv
import datetime
import io
import os
import sqlite3
import sys
import time
from pathlib import Path

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
DATABASE = Path("/tmp/conflictdata-import.sqlite3")
os.environ.update(
    DJANGO_SETTINGS_MODULE="conflictdata.settings", DJANGO_SECRET_KEY="bench-only", DATABASE_URL=f"sqlite:///{DATABASE}"
)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from stats.csvformat import FIGURE_CSV_COLUMNS  # noqa: E402
from stats.importing import figures_import  # noqa: E402
from stats.models import Category, Conflict, Party, Source  # noqa: E402


def generated() -> str:
    """Return N figures as CSV: 20 claimants, 10 parties and 5 categories, a point a day, 2,000 reports."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIGURE_CSV_COLUMNS)
    writer.writeheader()
    start = datetime.date(2022, 3, 1)
    for i in range(N):
        day = start + datetime.timedelta(days=i // 1000)
        writer.writerow({
            "id": "", "conflict": "war", "party": f"party-{i % 10}", "category": f"category-{(i // 10) % 5}",
            "claimed_by": f"source-{(i // 50) % 20}", "value": 1000 + i, "value_low": "", "value_high": "",
            "qualifier": "exact", "basis": "claimed", "period_start": "", "period_end": day.isoformat(),
            "date_precision": "day", "report_title": f"Report of {day + datetime.timedelta(days=1)}",
            "report_url": f"https://example.org/{day.isoformat()}",
            "report_published_on": (day + datetime.timedelta(days=1)).isoformat(), "publisher": "",
            "quote": "", "notes": "", "updated_at": "",
        })
    return out.getvalue()


def main() -> None:
    DATABASE.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    Conflict.objects.create(slug="war", name="War", started_on=datetime.date(2022, 2, 24))
    Party.objects.bulk_create(Party(slug=f"party-{i}", name=f"Party {i}", kind="other") for i in range(10))
    Category.objects.bulk_create(Category(slug=f"category-{i}", name=f"Category {i}") for i in range(5))
    Source.objects.bulk_create(Source(slug=f"source-{i}", name=f"Source {i}", kind="media") for i in range(20))
    text = generated()

    began = time.perf_counter()
    result = figures_import(source=io.StringIO(text))
    seconds = time.perf_counter() - began
    print(f"importer: {result} in {seconds:.1f} s = {N / seconds:,.0f} rows/s")

    began = time.perf_counter()
    again = figures_import(source=io.StringIO(text))
    print(f"importer, same file again: {again} in {time.perf_counter() - began:.1f} s")

    stamp = "2026-01-01 00:00:00"
    rows = [
        (1, 1, 1, 1, 1, 1000 + i, "exact", "claimed", None, f"2030-01-01+{i}", "day", "", "", stamp, stamp)
        for i in range(N)
    ]
    with sqlite3.connect(DATABASE) as connection:
        connection.execute("CREATE TABLE floor AS SELECT * FROM stats_figure WHERE 0")
        began = time.perf_counter()
        connection.executemany(
            "INSERT INTO floor (conflict_id, party_id, category_id, claimed_by_id, report_id, value, qualifier, basis, "
            "period_start, period_end, date_precision, quote, notes, recorded_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        connection.commit()
        floor = time.perf_counter() - began
    print(f"plain sqlite3 executemany: {N / floor:,.0f} rows/s; importer / floor = {floor / seconds:.2f}")


if __name__ == "__main__":
    main()
