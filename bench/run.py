"""`make bench`: conflictdata against Datasette and a bare floor, on N generated figures. Not a test.

Generates N figures (default 1,000,000) through the project's importer into a fresh database, then serves it three
ways at once, each one process pinned to core 0: the API under gunicorn (production settings), Datasette on a copy
of the SQLite file, and the floor (bench/floor.py). wrk loads them from core 1 with the same questions, one server at
a time: the lists they are compared on (and the API's series, compared with the floor's narrow list) in ROUNDS
rounds, the servers taking turns within each round (a machine's speed can drift by a third within minutes; turns
share the drift, so ratios hold), then the questions of the API alone and the exports. Prints one table and writes
it to $BENCH_DIR/results.md.

Settings (environment): N, DURATION (seconds per question, default 5), ROUNDS (default 3), CONNECTIONS (default 4),
SERVE (which of
api,datasette,floor), DATA (`daily`, the default: each claimant reports every quantity every day; `random`: 50
figures a report, each figure's claimant and day drawn at random; see bench/dataset.py; each has its own files),
REUSE=1 (keep the database of an earlier run with the same N and DATA: no import measured),
BENCH_DIR (default /tmp/conflictdata-bench), BENCH_PORT (the API's; Datasette and the floor take the next two; default
8301), DATABASE_URL (a PostgreSQL database whose name contains "bench": it is
dropped and made again; Datasette, which serves SQLite files, is then left out).

The import is compared with its floor (bench/dataset.py's import_floor(): the same CSV into empty copies of the
reports' and figures' tables with one executemany each), and with the first floor, the figures alone inserted as
ready rows; results.json says where the floor's time goes.

SIZES=250000,1000000,4000000 (comma-separated numbers of figures, each a multiple of 100) measures instead how the
API's cost grows with the table alone: for each size in turn, a run of this script with N set to it and GROWTH=1
builds (or with REUSE=1 reuses) a database of the growth layout (bench/dataset.py: the parties grow with N, so that
each party and category holds the same claims at every size), in its own SQLite file or PostgreSQL database (the
name of DATABASE_URL's with `_growth_<N>` appended), serves it with the API alone and asks, one request at a time
(for DURATION seconds and at least 10 times: the time of each request itself, the slow ones too), the narrow list,
the broad list, the deep page, `series`, `compare` and `latest` for one quantity and the quantity's page warm (the
median of ROUNDS rounds); then the first request of the page after each of WRITES (default 20) edits of one of its
figures through the API; then the export's rows per second. The import is timed, its floors not,
unless FLOORS=1. The table of p50 and p99 at each size,
with the ratio of each size to the one before, goes to $BENCH_DIR/growth.md (growth.json); a lighter run, as
DURATION=3 ROUNDS=1, is enough to see the growth.
"""

import datetime
import http.client
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
N = int(os.environ.get("N", 1_000_000))
DURATION = int(os.environ.get("DURATION", 5))
ROUNDS = int(os.environ.get("ROUNDS", 3))
CONNECTIONS = int(os.environ.get("CONNECTIONS", 4))
SERVE = os.environ.get("SERVE", "api,datasette,floor").split(",")
REUSE = os.environ.get("REUSE") == "1"
SIZES = [int(size) for size in os.environ.get("SIZES", "").split(",") if size.strip()]
GROWTH = os.environ.get("GROWTH") == "1"  # one size of a SIZES run
WRITES = int(os.environ.get("WRITES", 20))
MIN_SAMPLES = 10  # of each question of a SIZES run
FLOORS = os.environ.get("FLOORS", "0" if GROWTH else "1") == "1"  # the import's floors (bench/dataset.py)
DIRECTORY = Path(os.environ.get("BENCH_DIR", "/tmp/conflictdata-bench"))
POSTGRES_URL = os.environ.get("DATABASE_URL", "")
if POSTGRES_URL and GROWTH:
    _parts = urllib.parse.urlsplit(POSTGRES_URL)
    POSTGRES_URL = urllib.parse.urlunsplit(_parts._replace(path=f"{_parts.path}_growth_{N}"))
DATA = "growth" if GROWTH else os.environ.get("DATA", "daily")
NAME = f"figures-{N}" if DATA == "daily" else f"figures-{DATA}-{N}"
SQLITE_FILE = DIRECTORY / f"{NAME}.sqlite3"
DATABASE_URL = POSTGRES_URL or f"sqlite:///{SQLITE_FILE}"
PORT = int(os.environ.get("BENCH_PORT", 8301))
PORTS = {"api": PORT, "datasette": PORT + 1, "floor": PORT + 2}
PROXY = {"X-Forwarded-Proto": "https"}  # what the proxy in front of the API sends
SERVER_CORE, CLIENT_CORE = "0", "1"
NARROW = {"claimed_by": "source-007", "party": "party-3", "category": "category-1"}
BROAD = {"category": "category-1"}
# The growth layout's quantity, whole at every size (bench/dataset.py).
QUANTITY = {"party": "party-0", "category": "category-0"}
GROWTH_QUESTIONS = ["narrow list", "broad list", "deep page", "series", "compare", "latest", "quantity page",
                    "quantity page after a write"]
# The reads an index bounds: their data does not grow with the table.
INDEXED = {"narrow list", "deep page", "series", "compare", "quantity page", "quantity page after a write"}
DEEP_PAGES = 100
TARGETS = {
    "narrow list": "≥ 3x Datasette, ≥ 0.3x floor",
    "broad list": "≥ 3x Datasette, ≥ 0.5x floor",
    "deep page": "p50 ≤ 1.5x first page",
    "series": "≥ 0.3x floor's narrow list",
    "export": "≥ 2x Datasette rows/s, < 200 MB",
    "narrow list, as recorded": "≥ 0.2x the present narrow list",
    "export, as recorded": "≥ 0.33x the present export",
    "import": "≥ 0.5x the floor (CSV → reports + figures)",
    "growth": "< 1.3x from 1M to 4M",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def server_environment() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "conflictdata.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": DATABASE_URL,
        "FLOOR_DATABASE": POSTGRES_URL or str(SQLITE_FILE),
        "PYTHONPATH": str(ROOT),
    }


def prepare_database() -> dict | None:
    """Make the database and load N figures through the importer; return the import's measurements."""
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    os.environ.update(server_environment())
    sys.path.insert(0, str(ROOT))
    marker = DIRECTORY / f"loaded-{NAME.removeprefix('figures-')}-{'postgres' if POSTGRES_URL else 'sqlite'}.json"
    if REUSE and marker.exists():
        log(f"reusing the database of an earlier run ({marker})")
        return json.loads(marker.read_text())
    marker.unlink(missing_ok=True)
    if POSTGRES_URL:
        for other in DIRECTORY.glob("loaded-*-postgres.json"):  # the database held another N or DATA
            other.unlink()
        recreate_postgres_database()
    else:
        SQLITE_FILE.unlink(missing_ok=True)
    import django

    django.setup()
    from bench import dataset

    measured = dataset.build(DIRECTORY, N, log, DATA, floors=FLOORS)
    marker.write_text(json.dumps(measured))
    return measured


def recreate_postgres_database() -> None:
    import psycopg

    url = urllib.parse.urlsplit(POSTGRES_URL)
    name = url.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"DATABASE_URL names the database {name!r}: the benchmark drops its database, so give one whose "
                 "name contains 'bench' (for example postgres://postgres@127.0.0.1:5432/conflictdata_bench).")
    maintenance = urllib.parse.urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')


class Server:
    """One server process pinned to the server core, stopped on exit."""

    def __init__(self, name: str, command: list[str]):
        self.name, self.port = name, PORTS[name]
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        else:
            sys.exit(f"Something already listens on port {self.port}: another benchmark? Give another BENCH_PORT.")
        with open(DIRECTORY / f"{name}.log", "w") as errors:
            self.process = subprocess.Popen(
                ["taskset", "-c", SERVER_CORE, *command], env=server_environment(), cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"{name} did not start; see {DIRECTORY / f'{name}.log'}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        sys.exit(f"{name} did not answer on port {self.port} within 120 s")

    def url(self, path: str, params: dict | None = None) -> str:
        return f"http://127.0.0.1:{self.port}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")

    def peak_memory_mb(self) -> float:
        """Return the peak resident memory of the process serving requests (the gunicorn worker, or the server)."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        # taskset execs the server in place; gunicorn's worker is the master's child.
        pids = [int(pid) for pid in children] or pids
        peaks = []
        for pid in pids:
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
        return max(peaks)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def get(url: str) -> bytes:
    request = urllib.request.Request(url, headers=PROXY)
    with urllib.request.urlopen(request, timeout=600) as response:
        assert response.status == 200, (url, response.status)
        return response.read()


def fetch(url: str) -> dict:
    return json.loads(get(url))


def follow(url: str, pages: int) -> str:
    """Return the address reached by following `next` `pages` times from `url` (or to the last page)."""
    pages = min(pages, -(-fetch(url)["count"] // 100) - 1)
    for _ in range(pages):
        url = fetch(url)["next"]
        assert url, "the list ended before the deep page"
        url = url.replace("https://", "http://")  # the proxy's scheme in the link; we talk to gunicorn directly
    return url


SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def wrk(url: str) -> dict:
    """Load `url` from the client core; return requests per second and p50/p99 in milliseconds."""
    get(url)  # checks the answer and warms the server
    command = [
        "taskset", "-c", CLIENT_CORE, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency",
        "--timeout", "60s", "-H", "X-Forwarded-Proto: https", url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        sys.exit(f"wrk saw errors for {url}:\n{output}")
    if not re.search(r"^\s+99%", output, re.M):
        sys.exit(f"wrk finished no request to {url} in {DURATION} s:\n{output}")

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M).groups()
        return float(value) * SECONDS[unit] * 1000

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return {"rps": rate, "p50": latency("50"), "p99": latency("99")}


def export(url: str, server: Server) -> dict:
    """Download `url` whole; return its data rows per second and the serving process's peak memory."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    began = time.perf_counter()
    connection.request("GET", f"{parts.path}?{parts.query}", headers=PROXY)
    response = connection.getresponse()
    assert response.status == 200, (url, response.status)
    lines, size = 0, 0
    while chunk := response.read(1 << 20):
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - began
    rows = lines - 1  # the header
    return {"rows": rows, "rows_per_s": rows / seconds, "seconds": seconds, "mb": size / 2**20,
            "peak_mb": server.peak_memory_mb()}


def start(name: str) -> Server:
    """Start the server `name` (api, datasette or floor)."""
    if name == "api":
        return Server("api", [
            str(BIN / "gunicorn"), "conflictdata.wsgi:application", "--workers", "1",
            "--bind", f"127.0.0.1:{PORTS['api']}", "--timeout", "600",
        ])
    if name == "datasette":
        copy = DIRECTORY / "datasette" / "figures.db"
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(SQLITE_FILE, copy)
        return Server("datasette", [
            str(BIN / "datasette"), "serve", "--immutable", str(copy), "--port", str(PORTS["datasette"]),
            "--setting", "default_page_size", "100", "--setting", "suggest_facets", "off",
            "--setting", "sql_time_limit_ms", "60000", "--setting", "max_csv_mb", "0",
        ])
    return Server("floor", [
        str(BIN / "gunicorn"), "bench.floor:application", "--workers", "1", "--bind", f"127.0.0.1:{PORTS['floor']}",
    ])


def compared_questions(name: str, server: Server) -> dict[str, str]:
    """Return the address of each question the three servers are compared on, as `name` is asked it."""
    if name != "datasette":
        path = "/api/v1/figures/" if name == "api" else "/"
        asked = {"narrow list": server.url(path, NARROW), "broad list": server.url(path, BROAD)}
        if name == "api":  # compared with the floor's narrow list, so asked in the same rounds
            asked["series"] = server.url("/api/v1/series/", NARROW)
        return asked
    ids = datasette_ids(server)
    page = {"_sort_desc": "period_end", "_labels": "on", "_shape": "objects", "_size": "100"}
    return {
        question: server.url("/figures/stats_figure.json", {
            **{f"{field}_id": ids[field][slug] for field, slug in filters.items()}, **page,
        })
        for question, filters in [("narrow list", NARROW), ("broad list", BROAD)]
    }


def side_by_side(servers: dict[str, Server]) -> dict[str, dict]:
    """Load every server with the questions they are compared on, taking turns for ROUNDS rounds; return each one's
    round of median rate per question (the machine's speed drifts within minutes: turns share the drift)."""
    addresses = {name: compared_questions(name, server) for name, server in servers.items()}
    rounds: dict[str, dict[str, list]] = {name: {question: [] for question in asked} for name, asked in
                                          addresses.items()}
    for number in range(1, ROUNDS + 1):
        log(f"round {number} of {ROUNDS}: {', '.join(servers)} in turn")
        for question in ["narrow list", "broad list", "series"]:
            for name in servers:
                if question in addresses[name]:
                    rounds[name][question].append(wrk(addresses[name][question]))
    return {
        name: {
            question: {**sorted(found, key=lambda measured: measured["rps"])[len(found) // 2], "rounds": found}
            for question, found in asked.items()
        }
        for name, asked in rounds.items()
    }


def measure_api(server: Server) -> dict:
    """Return the API's measurements of the questions it alone is asked."""
    broad = server.url("/api/v1/figures/", BROAD)
    found = {"deep page": wrk(follow(broad, DEEP_PAGES))}
    found["export"] = export(server.url("/api/v1/figures/export/"), server)
    # The past: as the data stood a month ago, halfway through the edits and deletions (bench/dataset.py).
    past = {"as_recorded": (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)).isoformat()}
    found["narrow list, as recorded"] = wrk(server.url("/api/v1/figures/", {**NARROW, **past}))
    found["export, as recorded"] = export(server.url("/api/v1/figures/export/", past), server)
    return found


def measure_datasette(server: Server) -> dict:
    """Return Datasette's export."""
    everything = {"_stream": "on", "_labels": "on", "_size": "max"}
    return {"export": export(server.url("/figures/stats_figure.csv", everything), server)}


def datasette_ids(server: Server) -> dict:
    tables = {"claimed_by": "stats_source", "party": "stats_party", "category": "stats_category"}
    ids = {}
    for name, table in tables.items():
        rows = fetch(server.url(f"/figures/{table}.json", {"_shape": "array", "_size": "max", "_col": "slug"}))
        ids[name] = {row["slug"]: row["id"] for row in rows}
    return ids


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def table(imported: dict, api: dict, datasette: dict, floor: dict) -> str:
    def cells(found: dict, question: str) -> list[str]:
        if question not in found:
            return ["-", "-", "-"]
        q = found[question]
        return [f"{q['rps']:,.0f}", f"{q['p50']:.1f}", f"{q['p99']:.1f}"]

    lines = [
        "| question | API req/s | p50 ms | p99 ms | Datasette req/s | p50 ms | p99 ms | floor req/s | p50 ms | "
        "p99 ms | API/Datasette | API/floor | target |",
        "|---|" + "---:|" * 11 + "---|",
    ]
    for question in ["narrow list", "broad list", "deep page", "series"]:
        rate = api.get(question, {}).get("rps")
        if question == "deep page":
            first, deep = api.get("broad list"), api.get("deep page")
            versus = ["-", f"p50 {ratio(deep and deep['p50'], first and first['p50'])}x page 1"]
        elif question == "series":
            versus = ["-", ratio(rate, floor.get("narrow list", {}).get("rps")) + " (floor's narrow list)"]
        else:
            versus = [ratio(rate, datasette.get(question, {}).get("rps")),
                      ratio(rate, floor.get(question, {}).get("rps"))]
        lines.append(f"| {question} | " + " | ".join(
            cells(api, question) + cells(datasette, question) + cells(floor, question) + versus
            + [TARGETS[question]]) + " |")
    mine, theirs = api.get("export"), datasette.get("export")

    def rows(found):
        if not found:
            return "-"
        return f"{found['rows_per_s']:,.0f} rows/s, {found['rows']:,} rows, peak {found['peak_mb']:.0f} MB"

    if mine or theirs:
        lines.append(f"| export (CSV, all) | {rows(mine)} | | | {rows(theirs)} | | | | | | "
                     f"{ratio(mine and mine['rows_per_s'], theirs and theirs['rows_per_s'])} | | "
                     f"{TARGETS['export']} |")
    past, present = api.get("narrow list, as recorded"), api.get("narrow list")
    if past:
        lines.append(f"| narrow list, as recorded a month ago | {' | '.join(cells(api, 'narrow list, as recorded'))} "
                     f"| | | | | | | {ratio(past['rps'], present and present['rps'])}x the present narrow list | "
                     f"{TARGETS['narrow list, as recorded']} |")
    past_export = api.get("export, as recorded")
    if past_export:
        lines.append(f"| export, as recorded a month ago | {rows(past_export)} | | | | | | | | | | "
                     f"{ratio(past_export['rows_per_s'], mine and mine['rows_per_s'])}x the present export | "
                     f"{TARGETS['export, as recorded']} |")
    if imported and imported.get("floor_seconds"):
        rate, figures_rate = imported["rows"] / imported["seconds"], imported["rows"] / imported["floor_seconds"]
        floor = imported.get("floor")
        if floor:
            floor_rate = floor["rows"] / floor["seconds"]
            lines.append(f"| import ({imported['rows']:,} rows) | {rate:,.0f} rows/s | | | | | | {floor_rate:,.0f} "
                         "rows/s (floor: CSV → reports + figures, executemany) | | | | "
                         f"{rate / floor_rate:.2f} | {TARGETS['import']} |")
        lines.append(f"| import, against the figures alone | {rate:,.0f} rows/s | | | | | | {figures_rate:,.0f} "
                     f"rows/s (ready figures alone, executemany) | | | | {rate / figures_rate:.2f} | the first floor, "
                     "kept for comparison |")
        if floor:
            lines.append(f"\nThe floor's {floor['seconds']:.2f} s: reading the CSV and resolving its slugs and "
                         f"{floor['reports']:,} reports {floor['read_seconds']:.2f} s, inserting the reports "
                         f"{floor['reports_seconds']:.2f} s, the figures {floor['figures_seconds']:.2f} s, the commit "
                         f"{floor['commit_seconds']:.2f} s.")
    if imported and imported.get("edits"):
        lines.append(f"\nThe past: {imported['edits']:,} edits and {imported['deletions']:,} deletions after the "
                     "import, over 60 days; as recorded a month ago is halfway through them.")
    return "\n".join(lines)


def curator_token() -> str:
    """Return a new API token of the curator `bench-writer`, made first if the database has none."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    made = subprocess.run([*manage, "createcurator", "bench-writer"], env=server_environment(), cwd=ROOT,
                          capture_output=True, text=True)
    if made.returncode != 0 and "already exists" not in made.stderr:
        sys.exit(f"createcurator failed:\n{made.stderr}")
    return subprocess.run([*manage, "createtoken", "bench-writer"], env=server_environment(), cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()


def percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * percent // 100) - 1)]


def one_at_a_time(url: str) -> dict:
    """Ask `url` one request at a time for DURATION seconds, and at least MIN_SAMPLES times; return requests per
    second and p50/p99 in milliseconds: each request's own time, without a queue behind other connections, and
    counting the slow requests too (wrk leaves out those unfinished when its time is up, all of them where a
    request takes longer than DURATION)."""
    get(url)  # checks the answer and warms the server
    parts = urllib.parse.urlsplit(url)
    target = f"{parts.path}?{parts.query}" if parts.query else parts.path
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    times = []
    began = time.perf_counter()
    while len(times) < MIN_SAMPLES or time.perf_counter() - began < DURATION:
        start = time.perf_counter()
        connection.request("GET", target, headers=PROXY)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, (url, response.status)
        times.append((time.perf_counter() - start) * 1000)
    connection.close()
    return {"rps": len(times) / (time.perf_counter() - began), "p50": percentile(times, 50),
            "p99": percentile(times, 99), "requests": len(times)}


def after_writes(server: Server, page: str, figure: dict, token: str) -> dict:
    """Edit `figure` WRITES times through the API, timing the first request of `page` after each edit."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    headers = {**PROXY, "Authorization": f"Token {token}", "Content-Type": "application/json"}
    times = []
    for number in range(1, WRITES + 1):
        body = json.dumps({"value": figure["value"] + number})
        connection.request("PATCH", f"/api/v1/figures/{figure['id']}/", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        assert response.status == 200, (response.status, answer[:500])
        began = time.perf_counter()
        get(page)
        times.append((time.perf_counter() - began) * 1000)
    connection.close()
    return {"p50": percentile(times, 50), "p99": percentile(times, 99), "samples": times}


def measure_growth(server: Server, token: str) -> dict:
    """Return the growth layout's questions (bench/dataset.py), each the median of ROUNDS rounds, and the export."""
    narrow = server.url("/api/v1/figures/", {"claimed_by": "source-007", **QUANTITY})
    broad = server.url("/api/v1/figures/", {"category": QUANTITY["category"]})
    page = server.url(f"/conflicts/war/{QUANTITY['party']}/{QUANTITY['category']}/")
    addresses = {
        "narrow list": narrow,
        "broad list": broad,
        "deep page": follow(broad, DEEP_PAGES),
        "series": server.url("/api/v1/series/", {"claimed_by": "source-007", **QUANTITY}),
        "compare": server.url("/api/v1/compare/", QUANTITY),
        "latest": server.url("/api/v1/figures/latest/", QUANTITY),
        "quantity page": page,
    }
    rounds = {question: [] for question in addresses}
    for number in range(1, ROUNDS + 1):
        log(f"round {number} of {ROUNDS}")
        for question, url in addresses.items():
            rounds[question].append(one_at_a_time(url))
    found = {
        question: {**sorted(measured, key=lambda one: one["rps"])[len(measured) // 2], "rounds": measured}
        for question, measured in rounds.items()
    }
    log(f"{WRITES} edits of a figure of the quantity, each followed by its page")
    found["quantity page after a write"] = after_writes(server, page, fetch(narrow)["results"][0], token)
    found["export"] = export(server.url("/api/v1/figures/export/"), server)
    return found


def growth_result(size: int) -> Path:
    return DIRECTORY / f"growth-{size}-{'postgres' if POSTGRES_URL else 'sqlite'}.json"


def measure_one_size() -> None:
    """Build or reuse the growth layout's database of N figures and measure its questions (one size of SIZES)."""
    imported = prepare_database()
    token = curator_token()
    server = start("api")
    os.sched_setaffinity(0, {int(CLIENT_CORE)})  # this process is the client
    try:
        found = measure_growth(server, token)
    finally:
        server.stop()
    growth_result(N).write_text(json.dumps({"n": N, "imported": imported, **found}, indent=1))


def growth_table(results: list[dict]) -> str:
    sizes = [result["n"] for result in results]
    steps = list(itertools.pairwise(sizes))
    lines = [
        "| question | " + " | ".join(f"{size:,}: p50 ms | p99 ms" for size in sizes) + " | "
        + " | ".join(f"{after:,} / {before:,} (p50, p99)" for before, after in steps) + " | target |",
        "|---|" + "---:|" * (2 * len(sizes) + len(steps)) + "---|",
    ]
    for question in GROWTH_QUESTIONS:
        found = [result[question] for result in results]
        cells = [f"{one['p50']:.1f} | {one['p99']:.1f}" for one in found]
        growth = [f"{ratio(found[i + 1]['p50'], found[i]['p50'])}x, {ratio(found[i + 1]['p99'], found[i]['p99'])}x"
                  for i in range(len(steps))]
        target = TARGETS["growth"] if question in INDEXED else ""
        lines.append(f"| {question} | " + " | ".join(cells + growth) + f" | {target} |")
    rates = [result["export"]["rows_per_s"] for result in results]
    lines.append("| export (rows/s) | " + " | ".join(f"{rate:,.0f} | " for rate in rates) + " | "
                 + " | ".join(f"{ratio(rates[i + 1], rates[i])}x" for i in range(len(steps))) + " | |")
    imports = [result.get("imported") or {} for result in results]
    if all(one.get("seconds") for one in imports):  # none when the databases were reused
        lines.append("| import (rows/s; x the floor, with FLOORS=1) | " + " | ".join(
            f"{one['rows'] / one['seconds']:,.0f} | "
            + (f"{one['floor']['seconds'] / one['seconds']:.2f}x" if one.get("floor") else "") for one in imports
        ) + " | " + " | ".join("" for _ in steps) + " | |")
    return "\n".join(lines)


def growth() -> None:
    """Run one size after another (a process each: each has its own database), then print how the cost grew."""
    for size in SIZES:
        log(f"size {size:,}")
        environment = {key: value for key, value in os.environ.items() if key != "SIZES"}
        subprocess.run([sys.executable, __file__], env={**environment, "N": str(size), "GROWTH": "1"}, check=True)
    results = [json.loads(growth_result(size).read_text()) for size in SIZES]
    heading = (f"How the cost grows, on {'PostgreSQL' if POSTGRES_URL else 'SQLite'}: each party and category the "
               f"same claims at every size; {os.cpu_count()} cores; one request at a time for {DURATION} s and at "
               f"least {MIN_SAMPLES} times, the median of {ROUNDS} rounds; after a write: the first request after "
               f"each of {WRITES} edits; {time.strftime('%Y-%m-%d %H:%M')}")
    result = heading + "\n\n" + growth_table(results)
    (DIRECTORY / "growth.md").write_text(result + "\n")
    (DIRECTORY / "growth.json").write_text(json.dumps(results, indent=1))
    print("\n" + result)


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("make bench needs wrk: sudo apt-get install wrk (Debian/Ubuntu) or brew install wrk (macOS).")
    if shutil.which("taskset") is None:
        sys.exit("make bench needs taskset (util-linux) to pin servers and client to separate cores.")
    if DATA not in ("daily", "random", "growth"):
        sys.exit(f"DATA={DATA}: give daily (the default) or random.")
    if ROUNDS < 1:
        sys.exit(f"ROUNDS={ROUNDS}: give at least one round.")
    if SIZES or GROWTH:
        if any(size % 100 for size in SIZES or [N]):
            sys.exit("SIZES: the growth layout spreads each size's figures over 100 days; give multiples of 100.")
        return growth() if SIZES else measure_one_size()
    if POSTGRES_URL and "datasette" in SERVE:
        SERVE.remove("datasette")  # Datasette serves SQLite files only
    imported = prepare_database()
    servers = {}
    try:
        for name in ["api", "datasette", "floor"]:
            if name in SERVE:
                servers[name] = start(name)
        found = side_by_side(servers)
        for name, measure in [("api", measure_api), ("datasette", measure_datasette)]:
            if name in servers:
                log(f"measuring {name} alone")
                found[name].update(measure(servers[name]))
    finally:
        for server in servers.values():
            server.stop()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    heading = (f"{N:,} figures ({DATA}) on {'PostgreSQL' if POSTGRES_URL else 'SQLite'}; {os.cpu_count()} cores "
               f"({cpu}); "
               f"wrk -c{CONNECTIONS} -d{DURATION}s; the lists: the median of {ROUNDS} rounds taking turns; "
               f"{time.strftime('%Y-%m-%d %H:%M')}")
    result = heading + "\n\n" + table(imported, found.get("api", {}), found.get("datasette", {}),
                                      found.get("floor", {}))
    (DIRECTORY / "results.md").write_text(result + "\n")
    (DIRECTORY / "results.json").write_text(json.dumps({"imported": imported, **found}, indent=1))
    print("\n" + result)


if __name__ == "__main__":
    main()
