"""Rate limits: 429 with Retry-After and a JSON body, counted in Redis across every process that serves."""

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import AnonRateThrottle

from conflictdata.env import env_rate
from tests.conftest import production

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, dict, bytes]:
    """GET `url` as the proxy in front would pass it on (over HTTPS, from one client)."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def two_servers(tmp_path, redis_url):
    """Two gunicorn processes on one SQLite file, sharing one Redis, anonymous clients limited to 5 a minute."""
    with serving(tmp_path, redis_url, API_THROTTLE_ANON="5/minute") as servers:
        yield servers


@pytest.fixture
def two_exporting_servers(tmp_path, redis_url):
    """The same, with exports limited to 2 a minute and everything else to 100."""
    with serving(tmp_path, redis_url, API_THROTTLE_ANON="100/minute", API_THROTTLE_EXPORT="2/minute") as servers:
        yield servers


@contextlib.contextmanager
def serving(tmp_path, redis_url, **limits):
    """Run two gunicorn processes on one SQLite file, sharing one Redis, with the rate `limits` given."""
    redis.Redis.from_url(redis_url).flushdb()
    environment = production(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", REDIS_URL=redis_url, **limits)
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], env=environment, cwd=ROOT,
                   check=True, timeout=120)
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "conflictdata.wsgi:application", "--workers", "1",
             "--bind", f"127.0.0.1:{port}"],
            env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port in ports:
            deadline = time.monotonic() + 60
            while get_or_none(f"http://127.0.0.1:{port}/health/") != 200:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def get_or_none(url: str) -> int | None:
    try:
        return get(url)[0]
    except OSError:
        return None


def test_the_limit_holds_across_two_processes_sharing_redis(two_servers):
    first, second = two_servers
    # Five requests, alternating between the processes, are served; the sixth, whichever answers, is refused.
    statuses = [get(f"{(first, second)[n % 2]}/api/v1/categories/")[0] for n in range(5)]
    assert statuses == [200] * 5
    for server in (first, second):
        status, headers, body = get(f"{server}/api/v1/categories/")
        assert status == 429
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert body.startswith(b'{"detail":"Request was throttled.')
    # The health probe is never throttled.
    assert get(f"{first}/health/")[0] == 200


def test_the_export_has_a_limit_of_its_own_across_processes(two_exporting_servers):
    first, second = two_exporting_servers
    assert [get(f"{server}/api/v1/figures/export/")[0] for server in (first, second)] == [200, 200]
    for server in (first, second):
        status, _headers, body = get(f"{server}/api/v1/figures/export/")
        assert status == 429
        assert body.startswith(b'{"detail":"Request was throttled.')
    assert get(f"{first}/api/v1/figures/")[0] == 200  # other reads keep their own, larger limit


@pytest.mark.parametrize(
    ("rate", "requests", "seconds"),
    [
        ("7/s", 7, 1), ("7/sec", 7, 1), ("7/second", 7, 1),
        ("6/m", 6, 60), ("6/min", 6, 60), ("6/minute", 6, 60),
        ("100/h", 100, 3600), ("100/hour", 100, 3600),
        ("1000/d", 1000, 86400), ("1000/day", 1000, 86400),
    ],
)
def test_a_rate_is_taken_in_every_form_drf_reads(monkeypatch, rate, requests, seconds):
    monkeypatch.setenv("API_THROTTLE_ANON", rate)
    assert env_rate("API_THROTTLE_ANON") == rate
    assert AnonRateThrottle().parse_rate(rate) == (requests, seconds)


@pytest.mark.parametrize("rate", ["100 per minute", "6/mango", "6/mins", "0/minute", "6/", "/minute", "6/M"])
def test_a_rate_must_be_a_number_per_second_minute_hour_or_day(monkeypatch, rate):
    monkeypatch.setenv("API_THROTTLE_ANON", rate)
    with pytest.raises(ImproperlyConfigured, match=r"^API_THROTTLE_ANON must be a rate like 100/minute or 6/min"):
        env_rate("API_THROTTLE_ANON")


def test_no_rate_is_no_limit(monkeypatch):
    monkeypatch.delenv("API_THROTTLE_ANON", raising=False)
    assert env_rate("API_THROTTLE_ANON") is None
