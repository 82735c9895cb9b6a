"""Time series, compare and latest on N generated figures (default 1,000,000), and count their queries.

A quick measurement, not a test and not the full benchmark:

    .venv/bin/python bench/analysis.py [N]
"""

import time

from common import N, build, timed
from django.core.signals import request_started
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

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
    request_started.disconnect(reset_queries)  # so that the queries of one request can be counted
    for name, url in QUESTIONS.items():
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        milliseconds, body = timed(client, url)
        size = len(body.get("points", body.get("claims", body.get("results", []))))
        print(f"{name:24} {milliseconds:8.1f} ms (median of 5), {len(queries)} queries, {size} rows")


if __name__ == "__main__":
    main()
