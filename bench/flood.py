"""What a client asking for chart files no one asked for before does to the API's latency. Not a test.

    BASE=http://127.0.0.1:8000 .venv/bin/python bench/flood.py

Against a server already running on this machine (127.0.0.1 only; `make serve`-like, shipped data loaded by
`manage.py load_shipped_data`, no PAGES_THROTTLE_ANON): first the API list `API` (default `/api/v1/figures/?
page_size=100`) is timed alone, one request after another, for QUIET seconds (default 10); then CLIENTS threads
(default 8) each ask for chart files of QUANTITY, every one a question no one asked before (a start and end day pair
of its own, or, with KIND=moments, only the microseconds of `as_recorded` changed), for at most SECONDS (default 40)
and at most CHARTS requests (default 400) in all, while the API list is timed again. Prints what the charts were
answered (statuses, count) and the API's latency alone and under the flood (median, 95th percentile, largest), and
with REDIS_URL how much more memory Redis uses after than before.
"""

import datetime
import itertools
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from urllib.parse import urlencode, urlsplit

BASE = os.environ.get("BASE", "http://127.0.0.1:8000").rstrip("/")
API = os.environ.get("API", "/api/v1/figures/?page_size=100")
QUANTITY = os.environ.get("QUANTITY", "/conflicts/russia-ukraine/russia-armed-forces/killed/")
CLIENTS, SECONDS, CHARTS = (int(os.environ.get(name, default)) for name, default in
                            (("CLIENTS", 8), ("SECONDS", 40), ("CHARTS", 400)))
QUIET = float(os.environ.get("QUIET", 10))
KIND = os.environ.get("KIND", "days")
FIRST_DAY = datetime.date(2022, 3, 1)


def get(path: str) -> tuple[int, float]:
    """GET `path` as a proxy in front would pass it on; return the status and the seconds it took."""
    request = urllib.request.Request(BASE + path, headers={"X-Forwarded-Proto": "https"})
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return status, time.perf_counter() - began


def questions():
    """Yield chart addresses no one asked for before."""
    stamp = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    for number in itertools.count():
        kind = "png" if number % 2 else "svg"
        if KIND == "moments":
            moment = (stamp - datetime.timedelta(microseconds=number + 1)).isoformat()
            yield f"{QUANTITY}chart.{kind}?{urlencode({'as_recorded': moment})}"
        else:
            start = FIRST_DAY + datetime.timedelta(days=number % 300)
            end = start + datetime.timedelta(days=400 + number // 300)
            yield f"{QUANTITY}chart.{kind}?{urlencode({'start': start, 'end': end})}"


def timed_api(until) -> list[float]:
    latencies = []
    while not until():
        status, seconds = get(API)
        assert status == 200, status
        latencies.append(seconds * 1000)
    return latencies


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"{len(ordered)} requests, median {statistics.median(ordered):.0f} ms, 95th percentile {p95:.0f} ms, "
            f"largest {ordered[-1]:.0f} ms")


def redis_memory() -> int | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url).info("memory")["used_memory"]


def main() -> None:
    if urlsplit(BASE).hostname != "127.0.0.1":
        sys.exit("BASE must be a server on 127.0.0.1: this script floods what it is pointed at.")
    assert get(QUANTITY)[0] == 200, f"{QUANTITY} is not a page of the server"
    began = time.monotonic()
    quiet = timed_api(lambda: time.monotonic() - began > QUIET)
    print(f"API alone: {summary(quiet)}")
    memory = redis_memory()
    addresses, lock, statuses, drawn = questions(), threading.Lock(), Counter(), []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            with lock:
                if sum(statuses.values()) + len(pending) >= CHARTS:
                    return
                address = next(addresses)
                pending.add(address)
            status, seconds = get(address)
            with lock:
                pending.discard(address)
                statuses[status] += 1
                if status == 200:
                    drawn.append(seconds * 1000)

    pending: set[str] = set()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    flooded = timed_api(lambda: time.monotonic() - began > SECONDS or not any(t.is_alive() for t in threads))
    stop.set()
    for thread in threads:
        thread.join()
    took = time.monotonic() - began
    print(f"{CLIENTS} clients asking for new charts ({KIND}): {sum(statuses.values())} in {took:.0f} s, "
          f"statuses {dict(sorted(statuses.items()))}" + (f", a 200 in median {statistics.median(drawn):.0f} ms"
                                                           if drawn else ""))
    print(f"API meanwhile: {summary(flooded)}")
    if memory is not None:
        print(f"Redis memory: {(redis_memory() - memory) / 1e6:+.1f} MB")


if __name__ == "__main__":
    main()
