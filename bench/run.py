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
BENCH_DIR (default /tmp/conflictdata-bench), DATABASE_URL (a PostgreSQL database whose name contains "bench": it is
dropped and made again; Datasette, which serves SQLite files, is then left out).
"""

import datetime
import http.client
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
DIRECTORY = Path(os.environ.get("BENCH_DIR", "/tmp/conflictdata-bench"))
POSTGRES_URL = os.environ.get("DATABASE_URL", "")
DATA = os.environ.get("DATA", "daily")
NAME = f"figures-{N}" if DATA == "daily" else f"figures-{DATA}-{N}"
SQLITE_FILE = DIRECTORY / f"{NAME}.sqlite3"
DATABASE_URL = POSTGRES_URL or f"sqlite:///{SQLITE_FILE}"
PORTS = {"api": 8301, "datasette": 8302, "floor": 8303}
PROXY = {"X-Forwarded-Proto": "https"}  # what the proxy in front of the API sends
SERVER_CORE, CLIENT_CORE = "0", "1"
NARROW = {"claimed_by": "source-007", "party": "party-3", "category": "category-1"}
BROAD = {"category": "category-1"}
DEEP_PAGES = 100
TARGETS = {
    "narrow list": "≥ 3x Datasette, ≥ 0.3x floor",
    "broad list": "≥ 3x Datasette, ≥ 0.5x floor",
    "deep page": "p50 ≤ 1.5x first page",
    "series": "≥ 0.3x floor's narrow list",
    "export": "≥ 2x Datasette rows/s, < 200 MB",
    "narrow list, as recorded": "≥ 0.2x the present narrow list",
    "export, as recorded": "≥ 0.33x the present export",
    "import": "≥ 0.2x executemany",
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

    measured = dataset.build(DIRECTORY, N, log, DATA)
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


def fetch(url: str) -> dict:
    request = urllib.request.Request(url, headers=PROXY)
    with urllib.request.urlopen(request, timeout=600) as response:
        assert response.status == 200, (url, response.status)
        return json.loads(response.read())


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
    fetch(url)  # checks the answer and warms the server
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
    if imported and imported.get("seconds"):
        rate, floor_rate = imported["rows"] / imported["seconds"], imported["rows"] / imported["floor_seconds"]
        lines.append(f"| import ({imported['rows']:,} rows) | {rate:,.0f} rows/s | | | | | | {floor_rate:,.0f} "
                     f"rows/s (executemany) | | | | {rate / floor_rate:.2f} | {TARGETS['import']} |")
    if imported and imported.get("edits"):
        lines.append(f"\nThe past: {imported['edits']:,} edits and {imported['deletions']:,} deletions after the "
                     "import, over 60 days; as recorded a month ago is halfway through them.")
    return "\n".join(lines)


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("make bench needs wrk: sudo apt-get install wrk (Debian/Ubuntu) or brew install wrk (macOS).")
    if shutil.which("taskset") is None:
        sys.exit("make bench needs taskset (util-linux) to pin servers and client to separate cores.")
    if DATA not in ("daily", "random"):
        sys.exit(f"DATA={DATA}: give daily (the default) or random.")
    if ROUNDS < 1:
        sys.exit(f"ROUNDS={ROUNDS}: give at least one round.")
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
