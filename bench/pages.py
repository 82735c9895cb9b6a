"""Time page 1 against a deep page of /api/v1/figures/ on N generated figures (default 1,000,000).

A quick measurement, not a test and not the full benchmark:

    .venv/bin/python bench/pages.py [N]

It builds a fresh SQLite file in /tmp, then times page 1, a deep page reached by `page=` (an OFFSET) and the same
deep page reached by following `next` (a keyset cursor), through Django's test client with production settings.
"""

import time

from common import N, build, timed
from django.test import Client


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
