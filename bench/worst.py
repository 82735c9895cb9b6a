"""Look for the anonymous requests that hold a worker longest, on the benchmark's database. Not a test.

    DATABASE_URL=sqlite:////tmp/conflictdata-bench/figures-1000000.sqlite3 .venv/bin/python bench/worst.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/conflictdata_bench .venv/bin/python bench/worst.py

Run `make bench` (or `N=… SERVE=api make bench`) first: it leaves that database. Every question is asked once, in
process (Django's test client, debug off, the cache emptied before each, as a client varying its questions would
meet it), with the time budget lifted (BUDGET_MS, default 600,000) so that the true cost shows; every endpoint, every
ordering, text searches, deep pages by number and by cursor, broad analysis, the pages for people and their chart
files (PNG and SVG, with every claimant at once, claimant lists, periods, days). Prints the slowest (TOP, default 25)
with their status and the slowest page or chart file, and writes every timing to $BENCH_DIR/worst-<database>.md.
On another database (the shipped data: `manage.py load_shipped_data`), CONFLICT=, PARTY= and CATEGORY= name the
quantity to ask about.
"""

import datetime
import itertools
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY = Path(os.environ.get("BENCH_DIR", "/tmp/conflictdata-bench"))
TOP = int(os.environ.get("TOP", 25))
ORDERINGS = ["period_end", "value", "published_on", "updated_at", "id"]


def questions(slugs: dict) -> list[str]:
    """Return the addresses to ask, from the database's own slugs."""
    party, category, claimant, conflict = slugs["party"], slugs["category"], slugs["claimant"], slugs["conflict"]
    found = []

    def ask(path: str, **params):
        found.append(f"{path}?{urlencode(params)}" if params else path)

    for endpoint in ("/api/v1/figures/", "/api/v1/figures/latest/"):
        ask(endpoint)
        ask(endpoint, page_size=1000)
        for ordering, sign in itertools.product(ORDERINGS, ("", "-")):
            ask(endpoint, ordering=sign + ordering, page_size=1000)
            ask(endpoint, ordering=f"{sign}{ordering},-value", page=10, page_size=1000)
        for filters in ({"party": party}, {"category": category}, {"claimed_by": claimant},
                        {"party": party, "category": category, "claimed_by": claimant}, {"cumulative": "false"},
                        {"independent": "true"}, {"value_min": 0}, {"period_end_after": "2000-01-01"},
                        {"published_before": "2100-01-01"}, {"updated_since": "2000-01-01T00:00:00Z"}):
            ask(endpoint, **filters, page_size=1000)
            ask(endpoint, **filters, ordering="published_on", page_size=1000)
        for words in ("report", "daily report", "zzzz", "the report daily example org source",
                      "eee eee eee eee eee eee eee eee", "rep ort dai ly exa mpl sou rce"):
            ask(endpoint, q=words, page_size=1000)
            ask(endpoint, q=words, ordering="-value", page=11, page_size=1000)
    ask("/api/v1/figures/", page=11, page_size=1000, ordering="published_on,-value")
    ask("/api/v1/figures/", page=999, page_size=1000, ordering="published_on,-value")
    ask("/api/v1/figures/", q=" ".join(["e"] * 100))
    ask("/api/v1/reports/", page_size=1000)
    ask("/api/v1/reports/", q="daily report", page_size=1000)
    ask("/api/v1/reports/", q="zzzz")
    ask("/api/v1/reports/", publisher=claimant, page_size=1000)
    ask("/api/v1/reports/", page=11, page_size=1000)
    for vocabulary in ("conflicts", "parties", "sources", "categories", "datasets"):
        ask(f"/api/v1/{vocabulary}/", page_size=1000)
    ask("/api/v1/datapackage.json")
    ask("/api/v1/series/", party=party, category=category, claimed_by=claimant)
    ask("/api/v1/series/", party=party, category=category, claimed_by=claimant, interval="month")
    ask("/api/v1/compare/", party=party, category=category)
    ask("/api/v1/compare/", party=party, category=category, as_of="2024-06-01")
    ask("/api/v1/compare/", party=party, category=category, independent="true")
    ask("/api/v1/figures/latest/", as_of="2024-06-01", page_size=1000)
    ask("/api/v1/figures/deleted/", since="2000-01-01T00:00:00Z", page_size=1000)
    ask("/api/v1/figures/1/history/")
    ask("/")
    ask(f"/conflicts/{conflict}/")
    ask(f"/conflicts/{conflict}/", as_of="2024-06-01")
    ask(f"/conflicts/{conflict}/{party}/{category}/")
    ask(f"/conflicts/{conflict}/{party}/{category}/", as_of="2024-06-01", independent="true")
    ask(f"/conflicts/{conflict}/{party}/{category}/", claimed_by=claimant)
    ask(f"/embed/{conflict}/{party}/{category}/")
    ask(f"/conflicts/{conflict}/{party}/{category}/chart.png")
    ask("/figures/1/")
    ask("/search/", q="source")
    # The pages and chart files a client can vary without end: every claimant at once, claimant lists, periods,
    # days; each chart file asked as PNG and SVG (the cache is emptied before each: all are drawn).
    many = ",".join(slugs["claimants"])
    ask("/about/")
    ask("/search/", q="the report daily example org source")
    ask("/search/", q=" ".join(["e"] * 100))
    ask(f"/conflicts/{conflict}/", claimed_by=many)
    ask(f"/conflicts/{conflict}/{party}/{category}/", claimed_by=many, as_of="2024-06-01")
    ask(f"/embed/{conflict}/{party}/{category}/", claimed_by=many)
    for kind in ("png", "svg"):
        chart = f"/conflicts/{conflict}/{party}/{category}/chart.{kind}"
        for params in ({}, {"as_of": "2024-06-01"}, {"claimed_by": many}, {"claimed_by": claimant},
                       {"independent": "true"}, {"start": "2024-01-01", "end": "2024-03-01"},
                       {"start": "2000-01-01", "end": "2100-01-01"}, {"claimed_by": many, "start": "2024-02-01"}):
            ask(chart, **params)
    # The past: as the data stood a month ago (make bench gives it one: bench/dataset.py).
    month_ago = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)).isoformat()
    for path, params in [
        ("/api/v1/figures/", {}), ("/api/v1/figures/", {"page_size": 1000, "ordering": "-value"}),
        ("/api/v1/figures/", {"party": party, "category": category, "claimed_by": claimant}),
        ("/api/v1/figures/", {"q": "report", "page_size": 1000}), ("/api/v1/figures/", {"q": "zzzz"}),
        ("/api/v1/figures/latest/", {"page_size": 1000}), ("/api/v1/figures/latest/", {"q": "daily report"}),
        ("/api/v1/series/", {"party": party, "category": category, "claimed_by": claimant}),
        ("/api/v1/compare/", {"party": party, "category": category}), ("/api/v1/sources/", {"page_size": 1000}),
        (f"/conflicts/{conflict}/{party}/{category}/", {}),
        (f"/conflicts/{conflict}/{party}/{category}/chart.png", {}),
        (f"/conflicts/{conflict}/{party}/{category}/chart.svg", {"claimed_by": ",".join(slugs["claimants"])}),
    ]:
        ask(path, **params, as_recorded=month_ago)
    return found


def main() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL to the benchmark's database (see this script's docstring).")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="conflictdata.settings", DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-secret-key-not-for-production-use-0123456789", DJANGO_ALLOWED_HOSTS="testserver",
        READ_TIMEOUT_MS=os.environ.get("BUDGET_MS", "600000"),
    )
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    logging.getLogger("conflictdata.requests").setLevel(logging.ERROR)
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from stats.models import Category, Conflict, Figure, Party, Source

    first = Figure.objects.order_by("id").values("claimed_by__slug").first()
    slugs = {
        "party": Party.objects.order_by("id").values_list("slug", flat=True).first(),
        "category": Category.objects.order_by("id").values_list("slug", flat=True).first(),
        "claimant": first["claimed_by__slug"], "conflict": Conflict.objects.values_list("slug", flat=True).first(),
        # As many claimants as a filter takes (50), of those with figures.
        "claimants": list(Source.objects.filter(pk__in=Figure.objects.values("claimed_by_id")).order_by("slug")
                          .values_list("slug", flat=True)[:50]),
    }
    # On another database (the shipped data, say), name a quantity that has figures: CONFLICT=, PARTY=, CATEGORY=.
    slugs.update({name: os.environ[name.upper()] for name in ("conflict", "party", "category", "claimant")
                  if os.environ.get(name.upper())})
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    timings = []
    for path in questions(slugs):
        cache.clear()
        began = time.perf_counter()
        response = client.get(path, secure=True)
        if response.streaming:
            for _chunk in response.streaming_content:
                pass
        timings.append(((time.perf_counter() - began) * 1000, response.status_code, path))
        print(f"{timings[-1][0]:9.0f} ms  {response.status_code}  {path}", flush=True)
    timings.sort(reverse=True)
    name = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    count = Figure.objects.count()
    lines = [f"{count:,} figures on {name}; in process, one request at a time, {time.strftime('%Y-%m-%d %H:%M')}", "",
             "| ms | status | request |", "|---:|---:|---|"]
    lines += [f"| {ms:,.0f} | {status} | `{path}` |" for ms, status, path in timings]
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    (DIRECTORY / f"worst-{connection.vendor}.md").write_text("\n".join(lines) + "\n")
    print("\nSlowest:\n" + "\n".join(lines[:4 + TOP]))
    ms, status, path = next(timing for timing in timings if not timing[2].startswith("/api/"))
    print(f"\nSlowest page or chart file: {ms:,.0f} ms, {status}, {path}")


if __name__ == "__main__":
    main()
