"""A load and fault script (not a test): 10,000 mixed requests at 32 connections against `make serve`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/conflictdata_load .venv/bin/python bench/load.py

Needs PostgreSQL (a database whose name contains "load": it is dropped and made again) and Redis (REDIS_URL,
default redis://127.0.0.1:6379/2). Starts `make serve` on 127.0.0.1:8801 with 4 workers; sends lists, filters,
analysis, exports, bad inputs and curators' writes from 32 threads, loopback only, bounded in count and time;
meanwhile restarts one gunicorn worker and drops the app's database connections once. A request whose connection
breaks (in flight on the killed worker), or that is answered 503 with Retry-After (in flight when the database
connections dropped), is retried once and counted. Reports the statuses, the 5xx count and
whether every write acknowledged with 2xx is in the database afterwards.

Then EDIT_ROUNDS rounds (default 40) of two edits of one figure sent at the same moment, as two curators would (with
the one curator's token): one PATCHes its value, the other its notes, first both with the ETag just read (If-Match:
one must get 412), then without If-Match (both must stay). Reports how many rounds acknowledged both writes of one
If-Match, how many acknowledged edits are not in the figure afterwards (lost), and how many of their revisions name
a field the PATCH did not send.
"""

import collections
import datetime
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = int(os.environ.get("REQUESTS", 10_000))
CONNECTIONS = 32
PORT = int(os.environ.get("LOAD_PORT", 8801))
EDIT_ROUNDS = int(os.environ.get("EDIT_ROUNDS", 40))
LOG = Path(os.environ.get("LOAD_LOG", "/tmp/conflictdata-load-server.log"))  # the server's JSON log lines
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2")
ENVIRONMENT = {
    **os.environ, "DJANGO_SETTINGS_MODULE": "conflictdata.settings", "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "load-only-secret-key-not-for-production-use-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL,
    "API_THROTTLE_ANON": "100000/minute", "API_THROTTLE_USER": "100000/minute", "PORT": str(PORT),
    "WEB_CONCURRENCY": "4", "PYTHONPATH": str(ROOT),
}
HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.1"}
READS = [
    "/api/v1/figures/", "/api/v1/figures/?party=russia-armed-forces&cumulative=true",
    "/api/v1/figures/?claimed_by=ukraine-general-staff&category=total&period_end_after=2024-12-01",
    "/api/v1/figures/?ordering=-value&page_size=50", "/api/v1/figures/?q=reserve",
    "/api/v1/series/?party=russia-armed-forces&category=total&claimed_by=ukraine-general-staff&interval=month",
    "/api/v1/compare/?party=russia-armed-forces&category=total", "/api/v1/figures/latest/",
    "/api/v1/sources/", "/api/v1/reports/?page=3", "/api/v1/figures/1/", "/api/v1/figures/1/history/",
    "/api/v1/figures/export/?claimed_by=volodymyr-zelenskyy",
]
BAD = [
    "/api/v1/figures/?catgory=killed", "/api/v1/figures/?party=nobody", "/api/v1/figures/?cursor=garbage",
    "/api/v1/figures/?page=99999999999", "/api/v1/series/?party=russia-armed-forces",
    "/api/v1/figures/?period_end_after=2024-13-45", "/api/v1/figures/999999999/", f"/api/v1/figures/?q={'x' * 300}",
]


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", flush=True)


def prepare() -> tuple[str, dict]:
    """Make the database, load the shipped data, and return a curator's token and what writes refer to."""
    import psycopg

    url = urllib.parse.urlsplit(DATABASE_URL)
    name = url.path.lstrip("/")
    if not DATABASE_URL.startswith("postgres") or "load" not in name:
        sys.exit("Give DATABASE_URL=postgres://…/NAME with 'load' in NAME (the database is dropped and made again).")
    with psycopg.connect(urllib.parse.urlunsplit(url._replace(path="/postgres")), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    for command in (["migrate", "--verbosity", "0"], ["load_shipped_data"]):
        subprocess.run([sys.executable, "manage.py", *command], env=ENVIRONMENT, cwd=ROOT, check=True)
    os.environ.update(ENVIRONMENT)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.models import Group, User

    from stats.models import Report
    from stats.tokens import token_create

    user = User.objects.create_user("load-curator", password=None, is_staff=True)
    user.groups.add(Group.objects.get(name="curators"))
    report = Report.objects.create(title="Load test", url="https://example.org/load", published_on="2026-09-01")
    return token_create(user=user)[1], {"report": report.pk}


def request(method: str, path: str, body=None, token=None, headers=None) -> tuple[int, bytes, int]:
    """Send one request; retry once if the connection breaks (a worker killed mid-request) or the answer is a
    503 with Retry-After (the database dropped mid-request). Return status, body and how many retries it took."""
    headers = {**HEADERS, **(headers or {})}
    if token:
        headers["Authorization"] = f"Token {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    for attempt in range(2):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        try:
            connection.request(method, path, payload, headers)
            response = connection.getresponse()
            status, content = response.status, response.read()
            if status == 503 and response.getheader("Retry-After") and not attempt:
                time.sleep(int(response.getheader("Retry-After")))  # as a client told to retry does
                continue
            return status, content, attempt
        except (ConnectionError, http.client.HTTPException, TimeoutError):
            if attempt:
                return 0, b"", attempt
        finally:
            connection.close()
    return 0, b"", 1


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def chaos(done: threading.Event, events: list, server_session: int) -> None:
    """Restart one gunicorn worker, then drop the app's database connections, while the load runs."""
    import psycopg

    time.sleep(3)
    found = subprocess.run(["pgrep", "-f", "gunicorn conflictdata.wsgi"], capture_output=True, text=True).stdout
    # Only this script's server: `make serve` runs in a session of its own, which its gunicorns share.
    gunicorns = {int(pid) for pid in found.split() if os.getsid(int(pid)) == server_session}
    # The workers are the gunicorn processes whose parent is gunicorn (the master).
    workers = [pid for pid in gunicorns if parent(pid) in gunicorns]
    if workers:
        victim = random.choice(workers)
        os.kill(victim, signal.SIGKILL)
        events.append(f"killed gunicorn worker {victim} (SIGKILL) at {time.strftime('%H:%M:%S')}")
    time.sleep(3)
    name = urllib.parse.urlsplit(DATABASE_URL).path.lstrip("/")
    with psycopg.connect(DATABASE_URL, autocommit=True) as db:
        dropped = db.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s AND pid <> "
            "pg_backend_pid()", [name],
        ).fetchone()[0]
    events.append(f"dropped {dropped} database connections of the app at {time.strftime('%H:%M:%S')}")
    done.wait()


def read_etag(path: str) -> str | None:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    try:
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        return response.getheader("ETag")
    finally:
        connection.close()


def edit_rounds(token: str, refs: dict) -> dict:
    """Send two edits of one new figure at the same moment, EDIT_ROUNDS times with If-Match and as often without;
    return what was acknowledged and what stayed."""
    counts = collections.Counter()
    for number in range(EDIT_ROUNDS):
        day = (datetime.date(2022, 3, 1) + datetime.timedelta(days=number)).isoformat()
        body = {
            "conflict": "russia-ukraine", "party": "russia-armed-forces", "category": "killed",
            "claimed_by": "ukraine-general-staff", "report": refs["report"], "value": 1, "notes": "",
            "basis": "confirmed", "period_start": day, "period_end": day,
        }
        status, content, _attempts = request("POST", "/api/v1/figures/", body, token)
        if status != 201:
            counts["figures_not_created"] += 1
            continue
        path = f"/api/v1/figures/{json.loads(content)['id']}/"
        for if_match in (True, False):
            etag = read_etag(path) if if_match else None
            value, notes = 1000 + number * 2 + if_match, f"Round {number}, If-Match {if_match}."
            writes = [{"value": value}, {"notes": notes}]
            barrier = threading.Barrier(2)

            def edit(write: dict, path=path, etag=etag, barrier=barrier) -> int:
                barrier.wait()  # both requests leave together
                return request("PATCH", path, write, token, {"If-Match": etag} if etag else {})[0]

            with ThreadPoolExecutor(2) as pool:
                statuses = list(pool.map(edit, writes))
            acknowledged = [write for write, status in zip(writes, statuses, strict=True) if 200 <= status < 300]
            counts["edits_acknowledged"] += len(acknowledged)
            counts["edits_refused_412"] += statuses.count(412)
            counts["edits_other_status"] += sum(1 for status in statuses if status != 412 and not 200 <= status < 300)
            if if_match and len(acknowledged) == 2:
                counts["rounds_both_acknowledged_with_one_if_match"] += 1
            shown = json.loads(request("GET", path)[1])
            counts["edits_lost"] += sum(1 for write in acknowledged for name in write if shown[name] != write[name])
            history = json.loads(request("GET", f"{path}history/")[1])
            # Each PATCH sent one field: its revision must name that one alone.
            counts["revisions_naming_unsent_fields"] += sum(
                len(entry["changes"]) != 1 for entry in history[:len(acknowledged)]
            )
    return {"rounds": EDIT_ROUNDS, **counts}


def main() -> None:
    token, refs = prepare()
    log(f"starting make serve (4 workers) on 127.0.0.1:{PORT}")
    server_log = open(LOG, "w")  # noqa: SIM115 (open for the server's whole life)
    server = subprocess.Popen(["make", "serve"], env=ENVIRONMENT, cwd=ROOT, stdout=server_log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while request("GET", "/health/")[0] != 200:
        if time.monotonic() > deadline:
            sys.exit("make serve did not become healthy within 60 s")
        time.sleep(0.5)
    statuses, retried, acknowledged = collections.Counter(), collections.Counter(), []
    lock, done, events = threading.Lock(), threading.Event(), []
    first_day = datetime.date(2022, 3, 1)

    def one(number: int) -> None:
        roll = random.Random(number).random()
        if roll < 0.2:  # a curator's write: a daily figure of its own
            day = (first_day + datetime.timedelta(days=number % 1500)).isoformat()
            body = {
                "conflict": "russia-ukraine", "party": "russia-armed-forces",
                "category": ("killed", "injured", "captured", "missing", "total")[number // 1500 % 5],
                "claimed_by": "ukraine-general-staff", "report": refs["report"], "value": number,
                "basis": "estimated", "period_start": day, "period_end": day,
            }
            status, content, attempts = request("POST", "/api/v1/figures/", body, token)
            if status == 201:
                with lock:
                    acknowledged.append((json.loads(content)["id"], number))
        elif roll < 0.35:
            status, _content, attempts = request("GET", random.Random(number).choice(BAD))
        else:
            status, _content, attempts = request("GET", random.Random(number).choice(READS))
        with lock:
            statuses[status] += 1
            retried[attempts] += 1

    began = time.monotonic()
    chaos_thread = threading.Thread(target=chaos, args=(done, events, server.pid), daemon=True)
    chaos_thread.start()
    try:
        with ThreadPoolExecutor(CONNECTIONS) as pool:
            list(pool.map(one, range(REQUESTS)))
        seconds = time.monotonic() - began
        log(f"{EDIT_ROUNDS} rounds of two edits of one figure at once")
        edits = edit_rounds(token, refs)
    finally:
        done.set()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)

    from django.db import connection

    from stats.models import Figure

    connection.close()  # the chaos dropped this script's connection too
    stored = dict(Figure.objects.filter(pk__in=[pk for pk, _value in acknowledged]).values_list("pk", "value"))
    lost = [(pk, value) for pk, value in acknowledged if stored.get(pk) != value]
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    report = {
        "requests": sum(statuses.values()), "seconds": round(seconds, 1),
        "per_second": round(sum(statuses.values()) / seconds),
        "statuses": dict(sorted(statuses.items())), "5xx": server_errors,
        "connection_failures_after_retry": statuses.get(0, 0), "retried_once": retried.get(1, 0),
        "writes_acknowledged": len(acknowledged), "acknowledged_writes_missing": len(lost), "events": events,
        "concurrent_edits": edits, "server_log": str(LOG),
    }
    print(json.dumps(report, indent=1))
    edits_wrong = edits.get("edits_lost") or edits.get("rounds_both_acknowledged_with_one_if_match")
    sys.exit(1 if server_errors or lost or statuses.get(0) or edits_wrong else 0)


if __name__ == "__main__":
    main()
