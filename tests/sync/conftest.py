"""A real HTTP origin on 127.0.0.1 for the sync's tests: it serves whichever version a test puts at a path, with an
ETag (the body's hash) and a 304 to a request naming it, as GitHub's raw files and Tech for Palestine's API do."""

import hashlib
import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

UPSTREAM = Path(__file__).resolve().parent.parent / "data" / "upstream"
ORIGINS = Path(__file__).resolve().parent.parent.parent / "fixtures" / "origins"


@dataclass
class Origin:
    port: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    answers: dict[str, Callable] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # path, If-None-Match
    statuses: list[int] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def put(self, path: str, body: bytes) -> str:
        self.files[path] = body
        return self.url(path)


class Handler(http.server.BaseHTTPRequestHandler):
    origin: Origin

    def do_GET(self):
        origin = self.origin
        origin.requests.append((self.path, self.headers.get("If-None-Match", "")))
        if self.path in origin.answers:
            origin.answers[self.path](self)
            return
        body = origin.files.get(self.path)
        if body is None:
            self.answer(404, b"not found")
            return
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if self.headers.get("If-None-Match") == etag:
            origin.statuses.append(304)  # before answering: the test may look as soon as the answer arrives
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.answer(200, body, etag=etag)

    def answer(self, status: int, body: bytes, *, etag: str = "", content_type: str = "application/json"):
        self.origin.statuses.append(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def slow(seconds: float, then: Callable) -> Callable:
    def answer(handler):
        time.sleep(seconds)
        then(handler)

    return answer


@pytest.fixture
def origin():
    """A local origin server for the test's duration."""
    served = Origin()
    handler = type("OriginHandler", (Handler,), {"origin": served})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    served.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()


@pytest.fixture
def vocabularies(db):
    from stats.services import vocabularies_load

    vocabularies_load()


@pytest.fixture
def quick_fetches(settings):
    """Fetching limits small enough for a test: a second to connect, half a second a try, one quick retry."""
    settings.SYNC_FETCH_LIMITS = {"connect_timeout": 1.0, "total_timeout": 0.5, "deadline": 5.0, "backoff": 0.01,
                                  "retries": 1}
