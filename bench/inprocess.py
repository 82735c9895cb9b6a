"""Where a request's time goes, in process, on the benchmark's database. Not a test.

    DATABASE_URL=sqlite:////tmp/conflictdata-bench/figures-1000000.sqlite3 .venv/bin/python bench/inprocess.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/conflictdata_bench .venv/bin/python bench/inprocess.py

Run `make bench` first: it leaves that database. Each question is asked of Django's WSGI handler as gunicorn would
(production settings, debug off, the proxy's `X-Forwarded-Proto`), ROUNDS times (default 2,000) after a warm-up, and
the median time per request is printed, with the floor's (bench/floor.py: the same query and JSON, no framework)
for the narrow list; then one question (PROFILE, default `narrow list`; `series` is another) runs under cProfile and
the functions it spends most time in (TOP, default 30) are printed. On the DATA=random set of `make bench`, give its
file: figures-random-1000000.sqlite3. Timings vary from run to run and machine to machine: they are for comparing
two versions of the code on the same machine, never for a test.
"""

import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("ROUNDS", 2000))
TOP = int(os.environ.get("TOP", 30))
PROFILE = os.environ.get("PROFILE", "narrow list")
ASKED = "claimed_by=source-007&party=party-3&category=category-1"
NARROW = f"/api/v1/figures/?{ASKED}"
QUESTIONS = {
    "narrow list": NARROW,
    "series": f"/api/v1/series/?{ASKED}",
    "narrow list, a month ago": None,  # filled in with the moment once Django is set up
    "broad list": "/api/v1/figures/?category=category-1",
    "broad list, its next page": None,  # filled in with the cursor of the broad list's `next`
    "the five categories": "/api/v1/categories/",
    "API root": "/api/v1/",
    "health": "/health/",
}


def environ_for(address: str) -> dict:
    path, _, query = address.partition("?")
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8301", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1", "HTTP_X_FORWARDED_PROTO": "https", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
    }


def ask(application, address: str) -> int:
    status = []
    body = application(environ_for(address), lambda line, headers, exc_info=None: status.append(line))
    for _chunk in body:
        pass
    body.close()
    return int(status[0].split()[0])


def next_page(application, address: str) -> str:
    """Return the address of the `next` link of the list at `address`, without its scheme and host."""
    body = []
    chunks = application(environ_for(address), lambda line, headers, exc_info=None: None)
    body.extend(chunks)
    chunks.close()
    link = json.loads(b"".join(body))["next"]
    return "/" + link.split("/", 3)[3]


def floor_median() -> float:
    """Return the median time the floor (bench/floor.py) takes to answer the narrow list, in process."""
    url = os.environ["DATABASE_URL"]
    os.environ["FLOOR_DATABASE"] = url if url.startswith("postgres") else url.removeprefix("sqlite:///")
    from bench import floor

    query = NARROW.partition("?")[2]
    times = []
    for number in range(50 + ROUNDS):
        began = time.perf_counter()
        for _chunk in floor.application(environ_for(f"/?{query}"), lambda line, headers, exc_info=None: None):
            pass
        if number >= 50:
            times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    if PROFILE not in QUESTIONS:
        sys.exit(f"PROFILE={PROFILE!r}: give one of {', '.join(QUESTIONS)}.")
    os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/conflictdata-bench/figures-1000000.sqlite3")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "conflictdata.settings", "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
    })
    sys.path.insert(0, str(ROOT))
    import logging

    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    logging.disable(logging.INFO)  # one log line per request is the server's cost, not the request's
    from stats import versions

    number = versions.current()
    moment = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30 * 86400))
    QUESTIONS["narrow list, a month ago"] = f"{NARROW}&as_recorded={moment}"
    QUESTIONS["broad list, its next page"] = next_page(application, QUESTIONS["broad list"])
    print(f"{os.environ['DATABASE_URL']}, data version {number}; median of {ROUNDS} requests each, in process")
    for name, address in QUESTIONS.items():
        status = ask(application, address)
        if status != 200:
            sys.exit(f"{address} answered {status}")
        for _ in range(50):
            ask(application, address)
        times = []
        for _ in range(ROUNDS):
            began = time.perf_counter()
            ask(application, address)
            times.append(time.perf_counter() - began)
        print(f"  {name:28} {statistics.median(times) * 1000:6.2f} ms   {address}")

    print(f"  {'the floor, narrow list':28} {floor_median() * 1000:6.2f} ms   (bench/floor.py, in process)")

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(ROUNDS):
        ask(application, QUESTIONS[PROFILE])
    profile.disable()
    report = io.StringIO()
    statistics_ = pstats.Stats(profile, stream=report)
    statistics_.sort_stats("cumulative").print_stats(TOP)
    statistics_.sort_stats("tottime").print_stats(TOP)
    print(f"\nThe {PROFILE} under cProfile ({ROUNDS} requests; cProfile roughly doubles Python's time):")
    print(report.getvalue())


if __name__ == "__main__":
    main()
