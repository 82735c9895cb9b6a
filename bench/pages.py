"""Time page 1 against a deep page of /api/v1/figures/ on N generated figures (default 1,000,000).

A quick measurement, not a test and not the full benchmark:

    .venv/bin/python bench/pages.py [N]

It builds a fresh SQLite file in /tmp, then times page 1, a deep page reached by `page=` (an OFFSET) and the same
deep page reached by following `next` (a keyset cursor), through Django's test client with production settings.
"""

import datetime
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
DATABASE = Path("/tmp/conflictdata-pages.sqlite3")
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


def main() -> None:
    began = time.perf_counter()
    build()
    print(f"{N:,} figures generated in {time.perf_counter() - began:.0f} s")
    client = Client()
    deep = N // 100 // 2  # the middle of the list, in pages of 100
    first_ms, first = timed(client, "/api/v1/figures/?page_size=100")
    _offset_ms, before = timed(client, f"/api/v1/figures/?page_size=100&page={deep - 1}", repeat=3)
    cursor_ms, after = timed(client, before["next"])
    offset_deep_ms, by_offset = timed(client, f"/api/v1/figures/?page_size=100&page={deep}", repeat=3)
    assert [row["id"] for row in after["results"]] == [row["id"] for row in by_offset["results"]]
    print(f"page 1:                               {first_ms:8.1f} ms (median of 5; count {first['count']:,})")
    print(f"page {deep:,} by following next (cursor): {cursor_ms:8.1f} ms (median of 5)")
    print(f"page {deep:,} by page= (offset):          {offset_deep_ms:8.1f} ms (median of 3)")
    print(f"deep page by next / page 1:           {cursor_ms / first_ms:8.2f}")


if __name__ == "__main__":
    main()
