"""How long the pages take to render: a quantity with 5 claimants of 1,600 daily points each. Not a test.

    .venv/bin/python bench/pages.py        # makes a fresh SQLite file in $BENCH_DIR (default /tmp/conflictdata-bench)

Loads the figures through the importer, then asks for each page in process (Django's test client, debug off) once
cold (the charts drawn) and REPEAT times warm (the charts remembered for the data version), and prints the medians.
"""

import csv
import datetime
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY = Path(os.environ.get("BENCH_DIR", "/tmp/conflictdata-bench"))
DATABASE = DIRECTORY / "pages.sqlite3"
CLAIMANTS, DAYS, REPEAT = 5, 1600, int(os.environ.get("REPEAT", 20))
FIRST_DAY = datetime.date(2022, 2, 24)


def write_csv(path: Path) -> None:
    """Write 5 claimants' daily cumulative counts of one quantity, two of them with a band, one report a day each."""
    from stats.csvformat import FIGURE_CSV_COLUMNS

    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=FIGURE_CSV_COLUMNS, restval="")
        writer.writeheader()
        for claimant in range(CLAIMANTS):
            for day in range(DAYS):
                counted = FIRST_DAY + datetime.timedelta(days=day)
                value = (claimant + 1) * 100 * day
                banded = claimant % 2 == 1
                writer.writerow({
                    "conflict": "war", "party": "soldiers", "category": "killed", "claimed_by": f"source-{claimant}",
                    "value": value, "value_low": int(value * 0.8) if banded else "",
                    "value_high": int(value * 1.2) if banded else "", "qualifier": "approximately",
                    "basis": "estimated" if banded else "claimed", "period_end": counted.isoformat(),
                    "date_precision": "day", "report_title": f"Source {claimant}, {counted.isoformat()}",
                    "report_url": f"https://example.org/{claimant}/{counted.isoformat()}",
                    "report_published_on": (counted + datetime.timedelta(days=1)).isoformat(),
                })


def main() -> None:
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    DATABASE.unlink(missing_ok=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="conflictdata.settings", DJANGO_DEBUG="0", DATABASE_URL=f"sqlite:///{DATABASE}",
        DJANGO_SECRET_KEY="bench-only-secret-key-not-for-production-use-0123456789", DJANGO_ALLOWED_HOSTS="testserver",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    logging.getLogger("conflictdata.requests").setLevel(logging.WARNING)  # a line per request would drown the table
    from django.core.management import call_command
    from django.test import Client

    from stats.importing import figures_import
    from stats.models import Category, Conflict, Party, Source

    call_command("migrate", verbosity=0)
    Conflict.objects.create(slug="war", name="The War", started_on=FIRST_DAY)
    Party.objects.create(slug="soldiers", name="Soldiers", kind="armed_forces")
    Category.objects.create(slug="killed", name="Killed")
    Source.objects.bulk_create(Source(slug=f"source-{i}", name=f"Source {i}", kind="media") for i in range(CLAIMANTS))
    source = DIRECTORY / "pages.csv"
    write_csv(source)
    print(figures_import(source=source))

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    pages = {
        "home": "/",
        "conflict": "/conflicts/war/",
        "quantity": "/conflicts/war/soldiers/killed/",
        "quantity, a choice of claimants and as_of": "/conflicts/war/soldiers/killed/?claimed_by=source-1,source-3"
                                                     "&as_of=2024-12-16",
        "embed": "/embed/war/soldiers/killed/",
        "figure": "/figures/800/",
    }
    print(f"\n{CLAIMANTS} claimants x {DAYS:,} daily points; in process, debug off; median of {REPEAT} warm requests\n")
    print("| page | cold ms | warm ms (median) | warm ms (max) | bytes |")
    print("|---|---:|---:|---:|---:|")
    for name, path in pages.items():
        began = time.perf_counter()
        response = client.get(path, secure=True)
        cold = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (path, response.status_code)
        warm = []
        for _ in range(REPEAT):
            began = time.perf_counter()
            client.get(path, secure=True)
            warm.append((time.perf_counter() - began) * 1000)
        print(f"| {name} | {cold:.0f} | {statistics.median(warm):.1f} | {max(warm):.1f} | {len(response.content):,} |")


if __name__ == "__main__":
    main()
