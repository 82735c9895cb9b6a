"""Shared by the quick measurements: a fresh SQLite file of N generated figures, and a timer.

N figures across 10 parties, 5 categories, 20 claimants and 20,000 reports: each claimant's count of each party
and category is a cumulative series with one point a day (N / 1,000 days).
"""

import datetime
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
DATABASE = Path("/tmp/conflictdata-quick.sqlite3")
os.environ.update(
    DJANGO_SETTINGS_MODULE="conflictdata.settings",
    DJANGO_SECRET_KEY="bench-only",
    DJANGO_ALLOWED_HOSTS="testserver",
    DATABASE_URL=f"sqlite:///{DATABASE}",
)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from stats.models import Category, Conflict, Party, Report, Source  # noqa: E402


def build() -> None:
    DATABASE.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    conflict = Conflict.objects.create(slug="war", name="War", started_on=datetime.date(2022, 2, 24))
    parties = Party.objects.bulk_create(Party(slug=f"party-{i}", name=f"Party {i}", kind="other") for i in range(10))
    categories = Category.objects.bulk_create(Category(slug=f"category-{i}", name=f"Category {i}") for i in range(5))
    sources = Source.objects.bulk_create(
        Source(slug=f"source-{i}", name=f"Source {i}", kind="media") for i in range(200)
    )
    reports = Report.objects.bulk_create(
        Report(title=f"Report {i}", url=f"https://example.org/{i}", published_on=datetime.date(2026, 1, 1))
        for i in range(20_000)
    )
    start, now = datetime.date(2022, 3, 1), "2026-01-01 00:00:00"

    def rows():
        for i in range(N):
            yield (
                conflict.pk, parties[i % 10].pk, categories[(i // 10) % 5].pk, sources[(i // 50) % 20].pk,
                reports[i % 20_000].pk, 1000 + i, "exact", "claimed", None,
                (start + datetime.timedelta(days=i // 1000)).isoformat(), "day", "", "", now, now,
            )

    with sqlite3.connect(DATABASE) as connection:
        connection.executemany(
            "INSERT INTO stats_figure (conflict_id, party_id, category_id, claimed_by_id, report_id, value, "
            "qualifier, basis, period_start, period_end, date_precision, quote, notes, recorded_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows(),
        )
        connection.execute("ANALYZE")


def timed(client: Client, url: str, repeat: int = 5) -> tuple[float, dict]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.content[:300]
    return statistics.median(times) * 1000, response.json()


