"""The pages' own rate limit (PAGES_THROTTLE_ANON) across two processes sharing Redis, and a 304 counted against no
rate, the pages' or the API's."""

import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.conftest import production
from tests.test_throttling import ROOT, serving

# One client, through the proxy in front: one Host whichever process answers.
CLIENT = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "Host": "conflictdata.example.org"}
QUANTITY = "/conflicts/russia-ukraine/russia-armed-forces/killed/"


def get(url: str, **headers) -> tuple[int, dict, bytes]:
    """GET `url` as the proxy in front would pass it on (over HTTPS, from one client), with `headers`."""
    request = urllib.request.Request(url, headers={**CLIENT, **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def two_servers(tmp_path, redis_url):
    """Two gunicorn processes on one SQLite file with one quantity, sharing one Redis: pages limited to 4 a minute,
    the API to 3."""
    with serving(tmp_path, redis_url, PAGES_THROTTLE_ANON="4/minute", API_THROTTLE_ANON="3/minute") as servers:
        environment = production(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
        made = ("from tests.factories import *; "
                "FigureFactory(conflict=ConflictFactory(), party=PartyFactory(slug='russia-armed-forces'), "
                "category=CategoryFactory(slug='killed'))")
        subprocess.run([sys.executable, "manage.py", "shell", "-c", made], env=environment, cwd=ROOT, check=True,
                       timeout=120, stdout=subprocess.DEVNULL)
        yield servers


def test_the_pages_limit_holds_across_two_processes_and_a_304_does_not_count(two_servers):
    first, second = two_servers
    status, headers, _body = get(f"{first}/about/")
    assert status == 200
    # Asking whether a copy is current, again and again, from either process: 304s, none counted.
    for server in (first, second, first, second, first, second):
        assert get(f"{server}/about/", **{"If-None-Match": headers["ETag"]})[0] == 304
    # Three more pages and chart files are served (four in all), whichever process answers...
    served = [get(f"{first}{QUANTITY}chart.png")[0], get(f"{second}/embed/russia-ukraine/russia-armed-forces/"
                                                                "killed/")[0], get(f"{first}/")[0]]
    assert served == [200, 200, 200]
    # ...and the fifth is refused by both: an HTML page, or the chart file's 429, each with Retry-After.
    for server in (first, second):
        for path in ("/about/", f"{QUANTITY}chart.svg", f"{QUANTITY}?as_of=2024-01-01", "/search/?q=army"):
            status, headers, body = get(f"{server}{path}")
            assert status == 429, path
            assert 1 <= int(headers["Retry-After"]) <= 60
            assert headers["Content-Type"] == "text/html; charset=utf-8"
            assert b"<h1>Too many requests</h1>" in body
    # The API keeps its own count; the health probe is never limited.
    assert get(f"{first}/api/v1/categories/")[0] == 200
    assert get(f"{second}/health/")[0] == 200


def test_a_304_does_not_count_against_the_apis_limit(two_servers):
    first, second = two_servers
    status, headers, _body = get(f"{first}/api/v1/categories/")
    assert status == 200
    for server in (first, second, first, second, first):
        assert get(f"{server}/api/v1/categories/", **{"If-None-Match": headers["ETag"]})[0] == 304
    assert [get(f"{server}/api/v1/parties/")[0] for server in (second, first)] == [200, 200]
    status, headers, body = get(f"{second}/api/v1/categories/")
    assert status == 429
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert body.startswith(b'{"detail":"Request was throttled.')
    # Refused, a conditional request is refused too: the limit is checked before the answer is known.
    assert get(f"{first}/api/v1/categories/", **{"If-None-Match": headers.get("ETag", '"x"')})[0] == 429
