"""Fetch one file of a feed from its origin: verified TLS, bounded in time and size, retried, conditional."""

import contextlib
import hashlib
import http
import threading
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

SCHEMES = ("https", "http")
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
CHUNK = 65_536
HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML_STARTS = (b"<!doctype html", b"<html")


class FetchFailed(Exception):
    """Raised when a file cannot be fetched; its message says why in words, as a feed's state shows it."""

    def __init__(self, reason: str, *, address: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.address = address


class KnownVersion(Protocol):
    """What the last read of a file left: a `Fetched`, or the same three fields kept with a feed."""

    etag: str
    last_modified: str
    sha256: str


@dataclass(frozen=True)
class Fetched:
    """One read of a file: its body (None when unchanged), what identifies its version, and where it came from."""

    url: str
    status: int | None  # None for a file read from a path
    body: bytes | None
    sha256: str
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    unchanged: bool = False


def user_agent() -> str:
    """Return the User-Agent the service fetches with: its name and version, and its public address when set."""
    try:
        name = f"conflictdata/{version('conflictdata')}"
    except PackageNotFoundError:
        name = "conflictdata"
    public_url = getattr(settings, "PUBLIC_URL", "") if settings.configured else ""
    return f"{name} (+{public_url})" if public_url else name


def fetch(
    address: str,
    *,
    previous: KnownVersion | None = None,
    allow_files: bool = False,
    accept_html: bool = False,
    max_bytes: int = 50_000_000,
    connect_timeout: float = 10.0,
    total_timeout: float = 60.0,
    deadline: float = 120.0,
    retries: int = 2,
    backoff: float = 1.0,
) -> Fetched:
    """Return the file at `address` (an http(s) address, or a path when `allow_files`), or raise `FetchFailed`.

    `total_timeout` bounds one try, from the request to the body's last byte; `deadline` bounds the whole call,
    retries and their back-off (`backoff`, then twice that, …) included. 5xx answers, connection errors and timeouts
    are retried `retries` times; other failures are not. With `previous`, the request is conditional and a 304 or a
    body with the same SHA-256 comes back `unchanged`, without a body.
    """
    scheme = urlsplit(address).scheme.lower()
    if not scheme and allow_files:
        return read_file(address, previous=previous, accept_html=accept_html, max_bytes=max_bytes)
    if scheme not in SCHEMES:
        if not scheme:
            reason = f"{address!r} is not a web address: only https:// and http:// addresses are fetched"
        else:
            reason = f"{scheme}: addresses are refused: only https:// and http:// addresses are fetched"
        raise FetchFailed(reason, address=address)
    if not urlsplit(address).hostname:
        raise FetchFailed(f"{address!r} names no host", address=address)
    limits = Limits(max_bytes, connect_timeout, total_timeout, accept_html)
    started = time.monotonic()
    tries = 0
    while True:
        tries += 1
        left = deadline - (time.monotonic() - started)
        try:
            return fetch_once(address, previous, limits, min(total_timeout, left))
        except Retryable as error:
            wait = backoff * 2 ** (tries - 1)
            out_of_time = time.monotonic() - started + wait >= deadline
            if tries > retries or out_of_time:
                times = "once" if tries == 1 else f"{tries} times"
                raise FetchFailed(f"{error} (tried {times})", address=address) from None
            time.sleep(wait)
        except FetchFailed as error:
            error.address = address
            raise


@dataclass(frozen=True)
class Limits:
    """What one call allows each of its tries."""

    max_bytes: int
    connect_timeout: float
    total_timeout: float
    accept_html: bool


class Retryable(Exception):
    """Raised inside one try for what another try may not meet: a 5xx, a broken connection, a timeout."""


def fetch_once(address: str, previous: KnownVersion | None, limits: Limits, time_left: float) -> Fetched:
    """Return one try's read of `address`, following redirects to http(s) addresses, within `time_left` seconds."""
    started = time.monotonic()
    headers = {"User-Agent": user_agent(), "Accept": "*/*"}
    if previous is not None and previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous is not None and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    url = address
    with urllib3.PoolManager(cert_reqs="CERT_REQUIRED", retries=False) as pool:
        for _ in range(MAX_REDIRECTS + 1):
            left = time_left - (time.monotonic() - started)
            if left <= 0:
                raise Retryable(f"no complete answer within {seconds(limits.total_timeout)}")
            timeout = urllib3.Timeout(connect=min(limits.connect_timeout, left), read=left)
            try:
                response = pool.request(
                    "GET", url, headers=headers, preload_content=False, redirect=False, retries=False, timeout=timeout
                )
            except urllib3.exceptions.NewConnectionError as error:  # urllib3 files it under ConnectTimeoutError
                raise Retryable(f"could not connect to {urlsplit(url).netloc}: {cause(error)}") from None
            except urllib3.exceptions.ConnectTimeoutError:
                raise Retryable(f"no connection within {seconds(limits.connect_timeout)}") from None
            except urllib3.exceptions.ReadTimeoutError:
                raise Retryable(f"no complete answer within {seconds(limits.total_timeout)}") from None
            except urllib3.exceptions.SSLError as error:
                raise FetchFailed(f"the TLS connection to {urlsplit(url).hostname} failed: {cause(error)}") from None
            except urllib3.exceptions.HTTPError as error:
                raise Retryable(f"could not connect to {urlsplit(url).netloc}: {cause(error)}") from None
            try:
                if response.status in REDIRECTS:
                    url = redirected(url, response.headers.get("Location"), response.status)
                    continue
                return answer(url, response, previous, limits, time_left - (time.monotonic() - started))
            finally:
                response.close()  # the pool ends with this try: nothing is reused
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")


def redirected(url: str, location: str | None, status: int) -> str:
    """Return the address a redirect leads to, or raise `FetchFailed` when it leads off http(s)."""
    if not location:
        raise FetchFailed(f"HTTP {status} redirect without a Location")
    target = urljoin(url, location.strip())
    scheme = urlsplit(target).scheme.lower()
    if scheme not in SCHEMES:
        raise FetchFailed(f"redirected to a {scheme}: address, which is refused: only https:// and http:// are fetched")
    if not urlsplit(target).hostname:
        raise FetchFailed(f"redirected to {target!r}, which names no host")
    return target


def answer(
    url: str, response: urllib3.BaseHTTPResponse, previous: KnownVersion | None, limits: Limits, time_left: float
) -> Fetched:
    """Return what a final (non-redirect) answer gives, reading its body within `time_left` and `max_bytes`."""
    status = response.status
    etag = response.headers.get("ETag", "")
    last_modified = response.headers.get("Last-Modified", "")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if status == 304:
        if previous is None:
            raise FetchFailed("HTTP 304 Not Modified to a request that named no version")
        return Fetched(
            url=url,
            status=status,
            body=None,
            sha256=previous.sha256,
            etag=etag or previous.etag,
            last_modified=last_modified or previous.last_modified,
            content_type=content_type,
            unchanged=True,
        )
    if status >= 500:
        raise Retryable(f"HTTP {status} {phrase(status)}")
    if status != 200:
        raise FetchFailed(f"HTTP {status} {phrase(status)}")
    if content_type in HTML_TYPES and not limits.accept_html:
        raise FetchFailed(f"an HTML page ({content_type}) where data was expected")
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > limits.max_bytes:
        raise FetchFailed(f"the body ({int(length):,} bytes) is over the limit of {limits.max_bytes:,} bytes")
    body = read_body(response, limits, time_left)
    return read_version(url, status, body, previous, etag, last_modified, content_type, limits.accept_html)


def read_body(response: urllib3.BaseHTTPResponse, limits: Limits, time_left: float) -> bytes:
    """Return the body read in chunks, stopping at once past `max_bytes` or when `time_left` runs out."""
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        with contextlib.suppress(OSError, RuntimeError, ValueError):  # the read ended meanwhile
            response.shutdown()  # wakes a read blocked on a server that trickles or stalls

    timer = threading.Timer(max(time_left, 0), expire)
    timer.start()
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := response.read1(CHUNK):
            size += len(chunk)
            if size > limits.max_bytes:
                raise FetchFailed(f"the body is over the limit of {limits.max_bytes:,} bytes")
            chunks.append(chunk)
    except urllib3.exceptions.TimeoutError:
        raise Retryable(f"no complete answer within {seconds(limits.total_timeout)}") from None
    except urllib3.exceptions.HTTPError as error:
        if expired.is_set():
            raise Retryable(f"no complete answer within {seconds(limits.total_timeout)}") from None
        raise Retryable(f"the connection broke while reading the body: {cause(error)}") from None
    finally:
        timer.cancel()
    if expired.is_set():  # a body without a length ends at the shutdown as if it were complete
        raise Retryable(f"no complete answer within {seconds(limits.total_timeout)}")
    return b"".join(chunks)


def read_file(address: str, *, previous: KnownVersion | None, accept_html: bool, max_bytes: int) -> Fetched:
    """Return the file at the path `address` (the command line's way to sync from a local copy)."""
    path = Path(address).resolve()
    try:
        with path.open("rb") as file:
            body = file.read(max_bytes + 1)
    except OSError as error:
        raise FetchFailed(f"cannot read {path}: {error.strerror or error}", address=address) from None
    if len(body) > max_bytes:
        raise FetchFailed(f"the file is over the limit of {max_bytes:,} bytes", address=address)
    try:
        return read_version(str(path), None, body, previous, "", "", "", accept_html)
    except FetchFailed as error:
        error.address = address
        raise


def read_version(
    url: str,
    status: int | None,
    body: bytes,
    previous: KnownVersion | None,
    etag: str,
    last_modified: str,
    content_type: str,
    accept_html: bool,
) -> Fetched:
    """Return a read whose body arrived: unchanged, without its body, when its SHA-256 is the previous one's."""
    if not accept_html and body.lstrip(b"\xef\xbb\xbf \t\r\n")[:14].lower().startswith(HTML_STARTS):
        raise FetchFailed("an HTML page where data was expected")
    sha256 = hashlib.sha256(body).hexdigest()
    unchanged = previous is not None and previous.sha256 == sha256
    return Fetched(
        url=url,
        status=status,
        body=None if unchanged else body,
        sha256=sha256,
        etag=etag,
        last_modified=last_modified,
        content_type=content_type,
        unchanged=unchanged,
    )


def phrase(status: int) -> str:
    """Return the standard reason phrase of `status` (never the server's own words), or "" for an unknown one."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def seconds(value: float) -> str:
    """Return a duration as people write it: "10 s", "0.5 s"."""
    return f"{value:g} s"


def cause(error: BaseException) -> str:
    """Return the innermost reason urllib3 wraps, in its own words, without a traceback's class names."""
    reason = getattr(error, "reason", None)
    while isinstance(reason, BaseException) and getattr(reason, "reason", None) is not None:
        reason = reason.reason
    text = str(reason if reason is not None else error)
    # urllib3 prefixes its connection object: "<HTTPConnection(host=…)>: Failed to establish…: [Errno 111] …"
    return text.split(">: ", 1)[-1]
