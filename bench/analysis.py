"""Time series, compare and latest on N generated figures (default 1,000,000).

A quick measurement, not a test and not the full benchmark:

    .venv/bin/python bench/analysis.py [N]
"""

import time

from common import N, build, timed
from django.test import Client

QUESTIONS = {
    "series, a point a day": "/api/v1/series/?party=party-3&category=category-2&claimed_by=source-5",
    "series, monthly": "/api/v1/series/?party=party-3&category=category-2&claimed_by=source-5&interval=month",
    "compare": "/api/v1/compare/?party=party-3&category=category-2",
    "latest (first page)": "/api/v1/figures/latest/",
}


def main() -> None:
    began = time.perf_counter()
    build()
    print(f"{N:,} figures generated in {time.perf_counter() - began:.0f} s")
    client = Client()
    for name, url in QUESTIONS.items():
        milliseconds, body = timed(client, url)
        size = len(body.get("points", body.get("claims", body.get("results", []))))
        print(f"{name:24} {milliseconds:8.1f} ms (median of 5), {size} rows")


if __name__ == "__main__":
    main()
