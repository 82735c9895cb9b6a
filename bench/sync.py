"""How long a sync of every feed takes: nothing changed, then one day added to the General Staff's series.

    .venv/bin/python bench/sync.py            # a fresh SQLite database in a temporary folder
    DATABASE_URL=postgres://… .venv/bin/python bench/sync.py

Serves the shipped origins' files (fixtures/origins/) from a local HTTP server with ETags, points every feed at it
with its FEED_…_URL variable, loads the shipped data, then times `manage.py sync` three times: the first read of
each origin over HTTP (the same bytes as the shipped copies: every feed unchanged by its hash), a second read
(every origin answers 304), and a read where the General Staff's file gained one day.
"""

import datetime
import hashlib
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORIGINS = ROOT / "fixtures" / "origins"
sys.path.insert(0, str(ROOT))


class Files(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self):  # the standard library's name
        body = self.files.get(self.path.split("?")[0])
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictdata.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    folder = tempfile.mkdtemp()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/sync.sqlite3")
    import django

    django.setup()
    from stats.sync.feeds import all_feeds

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    environment = dict(os.environ)
    for path in ORIGINS.rglob("*"):
        if path.is_file():
            Files.files["/" + path.relative_to(ORIGINS).as_posix()] = path.read_bytes()
    for feed in all_feeds():
        environment[feed.setting()] = f"{base}/{feed.shipped}"
        for name, shipped in feed.shipped_also.items():
            environment[feed.setting(name)] = f"{base}/{shipped}"
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], check=True, env=environment)
    subprocess.run([*manage, "load_shipped_data"], check=True, env=environment, stdout=subprocess.DEVNULL)

    def timed(label: str) -> None:
        started = time.perf_counter()
        done = subprocess.run([*manage, "sync"], env=environment, capture_output=True, text=True)
        took = time.perf_counter() - started
        print(f"{label}: {took:.2f} s (exit {done.returncode})")
        print("  " + done.stdout.strip().replace("\n", "\n  "))

    timed("every feed, first read over HTTP (same content as loaded)")
    timed("every feed, nothing changed (304s)")
    personnel = "/general-staff/russia_losses_personnel.json"
    rows = json.loads(Files.files[personnel])
    last = max(rows, key=lambda row: row["date"])
    day = datetime.date.fromisoformat(last["date"]) + datetime.timedelta(days=1)
    added = {**last, "date": day.isoformat(), "day": last.get("day", 0) + 1, "personnel": last["personnel"] + 1000}
    Files.files[personnel] = json.dumps([*rows, added], indent=4).encode()
    timed("every feed, one day added to the General Staff's series")
    server.shutdown()


if __name__ == "__main__":
    main()
