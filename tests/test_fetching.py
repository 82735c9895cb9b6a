"""Fetching one feed's file (stats/sync/fetching.py) from a real HTTP server on 127.0.0.1, serving real versions."""

import hashlib
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stats.sync.fetching import Fetched, FetchFailed, fetch

UPSTREAM = Path(__file__).parent / "data" / "upstream" / "general-staff"
BROKEN = (UPSTREAM / "2022-07-16T181756_37d0bbc.json").read_bytes()  # not valid JSON: bytes are bytes here
MENDED = (UPSTREAM / "2022-07-16T182450_2f49b23.json").read_bytes()
MODIFIED = "Sat, 16 Jul 2022 18:24:50 GMT"
# Small enough that the whole file runs in a few seconds: each try, the whole call and the waits between tries.
QUICK = {"connect_timeout": 1.0, "total_timeout": 0.5, "deadline": 5.0, "backoff": 0.01}


@dataclass
class Origin:
    """A local HTTP server: `routes` maps a path to what answers it; `requests` keeps each request's path and headers."""

    port: int = 0
    routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], None]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    closing: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def serve_file(body: bytes, etag: str, content_type: str = "application/json") -> Callable:
    """Return a route serving `body` under `etag`, answering 304 to a request naming that ETag, as GitHub's raw does."""

    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("ETag", etag)
        handler.send_header("Last-Modified", MODIFIED)
        handler.end_headers()
        handler.wfile.write(body)

    return route


def serve_statuses(statuses: list[int], then: Callable | None = None) -> Callable:
    """Return a route answering each status of `statuses` once, in order, then `then`."""
    left = list(statuses)

    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        if not left and then is not None:
            then(handler)
            return
        status = left.pop(0) if left else statuses[-1]
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def serve_bytes_while_open(origin: Origin, name: str, chunk: bytes, length: int | None, pause: float) -> Callable:
    """Return a route sending `chunk` after `chunk` (each after `pause` s) until the client leaves or 200 MB went."""

    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if length is not None:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()
        origin.sent[name] = 0
        try:
            while origin.sent[name] < 200_000_000 and not origin.closing.wait(pause):
                handler.wfile.write(chunk)
                handler.wfile.flush()
                origin.sent[name] += len(chunk)
        except OSError:
            pass  # the client hung up: what the test expects
        handler.close_connection = True

    return route


@pytest.fixture
def origin() -> Iterator[Origin]:
    """Return a real HTTP server on 127.0.0.1 that answers with the routes a test sets."""
    state = Origin()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers)))
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            route(self)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output quiet

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    state.closing.set()
    server.shutdown()
    server.server_close()


def paths(origin: Origin) -> list[str]:
    return [path for path, _ in origin.requests]


def test_a_first_fetch_gives_the_body_its_etag_and_its_hash(origin: Origin) -> None:
    origin.routes["/personnel.json"] = serve_file(MENDED, '"v1"')
    fetched = fetch(origin.url("/personnel.json"), **QUICK)
    assert fetched == Fetched(
        url=origin.url("/personnel.json"),
        status=200,
        body=MENDED,
        sha256=hashlib.sha256(MENDED).hexdigest(),
        etag='"v1"',
        last_modified=MODIFIED,
        content_type="application/json",
        unchanged=False,
    )
    [(_, headers)] = origin.requests
    assert headers["User-Agent"].startswith("conflictdata/")
    assert "If-None-Match" not in headers
    assert "If-Modified-Since" not in headers


def test_the_user_agent_names_the_public_address_when_it_is_set(origin: Origin, settings) -> None:
    settings.PUBLIC_URL = "https://conflictdata.example.org"
    origin.routes["/personnel.json"] = serve_file(MENDED, '"v1"')
    fetch(origin.url("/personnel.json"), **QUICK)
    [(_, headers)] = origin.requests
    assert headers["User-Agent"].endswith(" (+https://conflictdata.example.org)")


def test_an_unchanged_file_costs_one_304_and_comes_back_unchanged_without_a_body(origin: Origin) -> None:
    origin.routes["/personnel.json"] = serve_file(MENDED, '"v1"')
    first = fetch(origin.url("/personnel.json"), **QUICK)
    again = fetch(origin.url("/personnel.json"), previous=first, **QUICK)
    assert again.status == 304
    assert again.unchanged is True
    assert again.body is None
    assert (again.etag, again.last_modified, again.sha256) == ('"v1"', MODIFIED, first.sha256)
    assert paths(origin) == ["/personnel.json", "/personnel.json"]
    assert origin.requests[1][1]["If-None-Match"] == '"v1"'
    assert origin.requests[1][1]["If-Modified-Since"] == MODIFIED


def test_the_same_body_under_a_new_etag_is_unchanged_by_its_hash(origin: Origin) -> None:
    origin.routes["/personnel.json"] = serve_file(MENDED, '"v1"')
    first = fetch(origin.url("/personnel.json"), **QUICK)
    origin.routes["/personnel.json"] = serve_file(MENDED, '"v2"')
    again = fetch(origin.url("/personnel.json"), previous=first, **QUICK)
    assert again.status == 200
    assert again.unchanged is True
    assert again.body is None
    assert again.etag == '"v2"'  # the next request names the new one
    assert again.sha256 == first.sha256


def test_a_new_version_comes_back_whole_with_its_own_hash(origin: Origin) -> None:
    origin.routes["/personnel.json"] = serve_file(BROKEN, '"37d0bbc"')
    first = fetch(origin.url("/personnel.json"), **QUICK)
    origin.routes["/personnel.json"] = serve_file(MENDED, '"2f49b23"')
    again = fetch(origin.url("/personnel.json"), previous=first, **QUICK)
    assert again.unchanged is False
    assert again.body == MENDED
    assert again.sha256 == hashlib.sha256(MENDED).hexdigest() != first.sha256
    assert again.etag == '"2f49b23"'


def test_a_500_is_retried_twice_then_fails_naming_the_status_and_the_tries(origin: Origin) -> None:
    origin.routes["/personnel.json"] = serve_statuses([500, 500, 500, 500])
    with pytest.raises(FetchFailed) as failed:
        fetch(origin.url("/personnel.json"), **QUICK)
    assert str(failed.value) == "HTTP 500 Internal Server Error (tried 3 times)"
    assert failed.value.address == origin.url("/personnel.json")
    assert paths(origin) == ["/personnel.json"] * 3


def test_a_503_then_a_200_succeeds(origin: Origin) -> None:
    origin.routes["/personnel.json"] = serve_statuses([503], then=serve_file(MENDED, '"v1"'))
    fetched = fetch(origin.url("/personnel.json"), **QUICK)
    assert (fetched.status, fetched.body) == (200, MENDED)
    assert paths(origin) == ["/personnel.json"] * 2


def test_a_404_fails_at_once_without_a_retry(origin: Origin) -> None:
    with pytest.raises(FetchFailed) as failed:
        fetch(origin.url("/gone.json"), **QUICK)
    assert str(failed.value) == "HTTP 404 Not Found"
    assert paths(origin) == ["/gone.json"]


def test_a_refused_connection_is_retried_then_fails_saying_so() -> None:
    with socket.socket() as closed:  # a port nothing listens on once this is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(FetchFailed) as failed:
        fetch(f"http://127.0.0.1:{port}/personnel.json", **QUICK)
    message = str(failed.value)
    assert message.startswith(f"could not connect to 127.0.0.1:{port}: ")
    assert "Connection refused" in message
    assert message.endswith("(tried 3 times)")
    assert "Error(" not in message and "<" not in message  # words, not a traceback's objects


def test_a_server_that_never_answers_fails_within_the_total_timeout_naming_it(origin: Origin) -> None:
    origin.routes["/personnel.json"] = lambda handler: origin.closing.wait(30)
    with pytest.raises(FetchFailed) as failed:
        fetch(origin.url("/personnel.json"), **QUICK | {"retries": 1})
    assert str(failed.value) == "no complete answer within 0.5 s (tried 2 times)"
    assert paths(origin) == ["/personnel.json"] * 2


@pytest.mark.parametrize("length", [len(MENDED), None], ids=["with a length", "without a length"])
def test_a_body_that_trickles_fails_within_the_total_timeout(origin: Origin, length: int | None) -> None:
    origin.routes["/personnel.json"] = serve_bytes_while_open(origin, "trickle", b"[", length, pause=0.05)
    with pytest.raises(FetchFailed) as failed:
        fetch(origin.url("/personnel.json"), **QUICK | {"retries": 0})
    assert str(failed.value) == "no complete answer within 0.5 s (tried once)"
    assert origin.sent["trickle"] < len(MENDED)  # cut off long before the body ended


def test_a_body_announced_over_the_limit_fails_before_it_is_read(origin: Origin) -> None:
    origin.routes["/personnel.json"] = serve_bytes_while_open(origin, "big", b"0" * 65_536, 100_000_000, pause=0)
    with pytest.raises(FetchFailed) as failed:
        fetch(origin.url("/personnel.json"), max_bytes=10_000, **QUICK)
    assert str(failed.value) == "the body (100,000,000 bytes) is over the limit of 10,000 bytes"
    assert paths(origin) == ["/personnel.json"]  # not retried: it would be as big again


def test_an_endless_body_fails_at_the_limit_without_being_read_whole(origin: Origin) -> None:
    origin.routes["/personnel.json"] = serve_bytes_while_open(origin, "endless", b"0" * 65_536, None, pause=0)
    with pytest.raises(FetchFailed) as failed:
        fetch(origin.url("/personnel.json"), max_bytes=100_000, **QUICK)
    assert str(failed.value) == "the body is over the limit of 100,000 bytes"
    assert paths(origin) == ["/personnel.json"]
    origin.closing.set()
    assert origin.sent["endless"] < 200_000_000


def test_a_redirect_to_another_http_address_is_followed(origin: Origin) -> None:
    def moved(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(301)
        handler.send_header("Location", f"http://localhost:{origin.port}/data/personnel.json")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    origin.routes["/personnel.json"] = moved
    origin.routes["/data/personnel.json"] = serve_file(MENDED, '"v1"')
    fetched = fetch(origin.url("/personnel.json"), **QUICK)
    assert fetched.url == f"http://localhost:{origin.port}/data/personnel.json"
    assert (fetched.status, fetched.body) == (200, MENDED)
    assert paths(origin) == ["/personnel.json", "/data/personnel.json"]


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/personnel.json", "gopher://127.0.0.1/"])
def test_a_redirect_to_another_scheme_is_refused(origin: Origin, location: str) -> None:
    def moved(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    origin.routes["/personnel.json"] = moved
    scheme = location.split(":")[0]
    with pytest.raises(FetchFailed) as failed:
        fetch(origin.url("/personnel.json"), **QUICK)
    assert str(failed.value) == (
        f"redirected to a {scheme}: address, which is refused: only https:// and http:// are fetched"
    )
    assert paths(origin) == ["/personnel.json"]


def test_a_file_path_is_read_only_when_files_are_allowed(tmp_path: Path) -> None:
    path = tmp_path / "personnel.json"
    path.write_bytes(MENDED)
    with pytest.raises(FetchFailed) as failed:
        fetch(str(path), **QUICK)
    assert str(failed.value) == f"{str(path)!r} is not a web address: only https:// and http:// addresses are fetched"
    fetched = fetch(str(path), allow_files=True)
    assert (fetched.url, fetched.status, fetched.body) == (str(path), None, MENDED)
    assert fetched.sha256 == hashlib.sha256(MENDED).hexdigest()
    again = fetch(str(path), allow_files=True, previous=fetched)
    assert (again.unchanged, again.body) == (True, None)


def test_a_file_over_the_limit_or_missing_fails_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "personnel.json"
    path.write_bytes(MENDED)
    with pytest.raises(FetchFailed) as failed:
        fetch(str(path), allow_files=True, max_bytes=1_000)
    assert str(failed.value) == "the file is over the limit of 1,000 bytes"
    with pytest.raises(FetchFailed) as failed:
        fetch(str(tmp_path / "absent.json"), allow_files=True)
    assert str(failed.value) == f"cannot read {tmp_path / 'absent.json'}: No such file or directory"


@pytest.mark.parametrize(
    "address",
    ["file:///etc/passwd", "FILE:///etc/passwd", "ftp://127.0.0.1/x.json", "gopher://127.0.0.1/", "data:,[1]"],
)
def test_other_schemes_are_refused_even_where_files_are_allowed(address: str) -> None:
    scheme = address.split(":")[0].lower()
    with pytest.raises(FetchFailed) as failed:
        fetch(address, allow_files=True)
    assert str(failed.value) == f"{scheme}: addresses are refused: only https:// and http:// addresses are fetched"


def test_an_address_without_a_host_is_refused_without_a_try() -> None:
    with pytest.raises(FetchFailed) as failed:
        fetch("http:///personnel.json", **QUICK)
    assert str(failed.value) == "'http:///personnel.json' names no host"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/html; charset=utf-8", b"<p>Rate limited</p>"), ("text/plain", b"\n  <!DOCTYPE html>\n<html><body>502</body>")],
    ids=["by its type", "by its first bytes"],
)
def test_an_html_page_where_data_was_expected_fails(origin: Origin, content_type: str, body: bytes) -> None:
    origin.routes["/personnel.json"] = serve_file(body, '"html"', content_type=content_type)
    with pytest.raises(FetchFailed) as failed:
        fetch(origin.url("/personnel.json"), **QUICK)
    assert str(failed.value).startswith("an HTML page")
    assert str(failed.value).endswith("where data was expected")
    assert paths(origin) == ["/personnel.json"]
    fetched = fetch(origin.url("/personnel.json"), accept_html=True, **QUICK)
    assert fetched.body == body
    assert fetched.content_type == content_type.split(";")[0]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_a_certificate_no_authority_signed_is_refused_without_a_retry(tmp_path: Path) -> None:
    key, certificate = tmp_path / "key.pem", tmp_path / "certificate.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        accepted: list[str] = []

        def handshake() -> None:
            connection, _ = listener.accept()
            with connection, pytest.raises(ssl.SSLError):
                context.wrap_socket(connection, server_side=True)
            accepted.append("refused by the client")

        thread = threading.Thread(target=handshake, daemon=True)
        thread.start()
        with pytest.raises(FetchFailed) as failed:
            fetch(f"https://127.0.0.1:{port}/personnel.json", **QUICK)
        thread.join(5)
    assert str(failed.value).startswith("the TLS connection to 127.0.0.1 failed: ")
    assert "certificate verify failed" in str(failed.value)
    assert accepted == ["refused by the client"]  # one handshake: no retry
