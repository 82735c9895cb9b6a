"""Production mode: `check --deploy`, HTTPS behind a proxy, and the health probe a load balancer calls."""

import configparser
import datetime
import json
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.test import override_settings
from django.utils import timezone

from tests.conftest import REQUIRE_SERVICES, production
from tests.factories import DatasetFactory
from tests.test_throttling import free_port

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def health_in_process(**environment) -> tuple[int, dict]:
    """Ask /health/ in a production process of its own (its settings, its database) and return status and JSON."""
    program = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/health/'); print(r.status_code); print(r.content.decode())"
    )
    done = subprocess.run([sys.executable, "-c", program], env=production(**environment), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    status, body = done.stdout.strip().splitlines()[-2:]
    return int(status), json.loads(body)


def test_check_deploy_has_no_warnings_in_production_mode():
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=production(), cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_but_the_health_probe_is_not(client):
    response = client.get("/api/v1/figures/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/v1/figures/"
    assert client.get("/health/").status_code == 200
    # Behind the proxy, which says the request came over HTTPS: served, with HSTS and the other headers.
    response = client.get("/api/v1/figures/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert (response["X-Content-Type-Options"], response["Referrer-Policy"]) == ("nosniff", "same-origin")
    assert response["X-Frame-Options"] == "DENY"


def test_health_is_200_with_the_database_reachable_and_migrated(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "feeds": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_health_checks_redis_when_it_is_configured(client, redis_url):
    redis = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    with override_settings(REDIS_URL=redis_url, CACHES=redis):
        body = client.get("/health/").json()
    body.pop("warnings", None)  # without maxmemory (tests/pages/test_drawings.py)
    assert body == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "feeds": "ok"}}
    gone = "redis://127.0.0.1:1/0"
    with override_settings(REDIS_URL=gone, CACHES={"default": {**redis["default"], "LOCATION": gone}}):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable", "checks": {"database": "ok", "cache": "unreachable (ConnectionError)", "feeds": "ok"},
    }


def test_health_is_503_when_the_database_is_down():
    # Nothing listens on port 1: the process starts, and its probe says why it cannot serve.
    status, body = health_in_process(DATABASE_URL="postgres://postgres@127.0.0.1:1/conflictdata")
    assert status == 503
    assert body == {"status": "unavailable", "checks": {"database": "unreachable (OperationalError)"}}


def test_health_is_503_until_migrations_are_applied(tmp_path):
    status, body = health_in_process(DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert status == 503
    assert body["checks"]["database"].endswith("migrations not applied: run manage.py migrate")


def test_reads_go_to_a_replica_and_writes_to_the_primary(tmp_path):
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    environment = production(DATABASE_URL=database, DATABASE_REPLICA_URLS=f"{database}, {database}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], env=environment, cwd=ROOT,
                   check=True, timeout=120)
    # Twenty requests, each of which reads the data version and a page (its count is remembered after the first);
    # the connections are closed after each, so that those open show which databases it read.
    program = (
        "import django, json; django.setup(); from django.conf import settings; from django.db import connections; "
        "from django.test import Client; from stats.models import Category; statuses, opened = [], []\n"
        "Category.objects.create(slug='killed', name='Killed'); connections.close_all()\n"
        "for _ in range(20):\n"
        "    r = Client().get('/api/v1/categories/', headers={'X-Forwarded-Proto': 'https'})\n"
        "    statuses.append(r.status_code)\n"
        "    opened.append([alias for alias in settings.DATABASES if connections[alias].connection is not None])\n"
        "    connections.close_all()\n"
        "print(json.dumps({'statuses': statuses, 'aliases': sorted(settings.DATABASES), "
        "'routers': settings.DATABASE_ROUTERS, 'replica_options': settings.DATABASES['replica1'].get('OPTIONS', {}), "
        "'opened': opened}))"
    )
    done = subprocess.run([sys.executable, "-c", program], env=environment, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["statuses"] == [200] * 20
    assert found["aliases"] == ["default", "replica1", "replica2"]
    assert found["routers"] == ["conflictdata.routers.ReplicaRouter"]
    # SQLite: dates and times read as stored text (conflictdata/env.py); PostgreSQL replicas carry the time limit.
    assert found["replica_options"] == {"detect_types": 0, "transaction_mode": "IMMEDIATE"}
    # Each request read one replica only, chosen as it began (never the primary); over twenty, both were chosen.
    assert all(len(aliases) == 1 for aliases in found["opened"]), found["opened"]
    assert {aliases[0] for aliases in found["opened"]} == {"replica1", "replica2"}


def test_a_bad_replica_url_stops_start_up_naming_the_variable():
    done = subprocess.run([sys.executable, "manage.py", "check"], env=production(DATABASE_REPLICA_URLS="mysql://x/y"),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "DATABASE_REPLICA_URLS must point at SQLite" in done.stderr


def test_a_postgresql_replica_carries_the_read_time_limit():
    program = "import django, json; django.setup(); from django.conf import settings; " \
              "print(json.dumps(settings.DATABASES['replica1']['OPTIONS']))"
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=production(DATABASE_REPLICA_URLS="postgres://reader@replica.example.org:5432/conflictdata"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "server_side_binding": True, "prepare_threshold": 5,
        "options": "-c plan_cache_mode=force_generic_plan -c jit=off -c statement_timeout=10000",
    }


def test_a_database_lost_mid_request_is_a_503_to_retry_not_a_500(client, monkeypatch):
    from django.db import OperationalError

    from stats.api.views import FigureViewSet

    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(FigureViewSet, "list", lost)  # where the failure happens, not the database itself
    response = client.get("/api/v1/figures/")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json() == {"detail": "The database could not be reached: nothing was changed; try again in a moment."}


def test_a_database_migrated_part_way_migrates_on_and_gets_its_past_views_once_whole(tmp_path):
    database = tmp_path / "db.sqlite3"
    environment = production(DATABASE_URL=f"sqlite:///{database}")

    def views() -> int:
        program = ("import django; django.setup(); from django.db import connection; "
                   "c = connection.cursor(); c.execute(\"SELECT count(*) FROM sqlite_master WHERE type = 'view'\"); "
                   "print(c.fetchone()[0])")
        done = subprocess.run([sys.executable, "-c", program], env=environment, cwd=ROOT, capture_output=True,
                              text=True, check=True, timeout=120)
        return int(done.stdout)

    for target in (["stats", "0006"], [], ["stats", "0006"], []):
        subprocess.run([sys.executable, "manage.py", "migrate", *target, "--verbosity", "0"], env=environment,
                       cwd=ROOT, check=True, timeout=120)
        assert views() == (0 if target else 7)


@contextmanager
def private_redis(*arguments):
    """Run a Redis of the test's own on a free port, configured with `arguments` (maxmemory is server-wide)."""
    if shutil.which("redis-server") is None:
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is not installed; CI requires it")
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", *arguments], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize(("arguments", "warning"), [
    ([], "cache: Redis has no maxmemory"),
    (["--maxmemory", "64mb", "--maxmemory-policy", "noeviction"], "cache: Redis's maxmemory-policy is noeviction"),
    (["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"], None),
])
def test_health_warns_without_failing_when_redis_can_grow_without_bound(client, arguments, warning):
    with private_redis(*arguments) as url, override_settings(
        REDIS_URL=url, CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    ):
        response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["checks"]) == ("ok", {"database": "ok", "cache": "ok", "feeds": "ok"})
    if warning is None:
        assert "warnings" not in body
    else:
        (found,) = body["warnings"]
        assert found.startswith(warning)


def health_feeds(client) -> str:
    """Return what /health/ says of the feeds, asserting it stays 200 (old data is not a dead service)."""
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    return response.json()["checks"]["feeds"]


@pytest.fixture
def two_feeds(monkeypatch):
    """Declare a daily feed and a monthly one (instead of the converters', which other branches still add)."""
    from stats.sync import status
    from stats.sync.feeds import Feed as Declaration

    declared = {
        ("tfp", name): Declaration(dataset="tfp", name=name, address=f"https://origin.example.org/{name}.json",
                                   convert=lambda body, origin: [], key=lambda row: "",
                                   cadence=datetime.timedelta(days=days))
        for name, days in (("gaza", 1), ("report", 30))
    }
    monkeypatch.setattr(status, "declarations", lambda: declared)
    return DatasetFactory(slug="tfp")


def test_health_names_feeds_unread_for_three_times_their_cadence_and_stays_200(client, two_feeds):
    from stats.models import Feed

    now = timezone.now()
    gaza = Feed.objects.create(dataset=two_feeds, name="gaza", state="current",
                               checked_at=now - datetime.timedelta(days=2, hours=23))
    Feed.objects.create(dataset=two_feeds, name="report", state="current", checked_at=now - datetime.timedelta(days=80))
    assert health_feeds(client) == "ok"
    checked = datetime.datetime(2026, 8, 1, 6, 30, tzinfo=datetime.UTC)
    Feed.objects.filter(pk=gaza.pk).update(checked_at=checked, state="failed", message="failed: HTTP 500")
    assert health_feeds(client) == "stale: tfp/gaza (checked 2026-08-01 06:30 UTC)"


def test_health_names_a_never_checked_feed_only_once_another_was_checked(client, two_feeds):
    from stats.models import Feed

    assert health_feeds(client) == "ok"  # a new server before its first sync: nothing is late
    Feed.objects.create(dataset=two_feeds, name="report", state="failed", message="failed: timed out")
    assert health_feeds(client) == "ok"
    Feed.objects.create(dataset=two_feeds, name="gaza", state="current", checked_at=timezone.now())
    assert health_feeds(client) == "stale: tfp/report (never checked)"


def unit_file(name: str) -> dict[str, dict[str, str]]:
    """Return a systemd unit file of deploy/ as its sections' settings."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read_string((ROOT / "deploy" / name).read_text())
    return {section: dict(parser[section]) for section in parser.sections()}


def manage_command(line: str) -> str:
    """Return the management command that `line` runs (after `manage.py`), checking that it exists."""
    command = line.split("manage.py", 1)[1].split()[0]
    assert (ROOT / "stats" / "management" / "commands" / f"{command}.py").is_file(), command
    return command


def test_the_systemd_timer_starts_the_sync_hourly_and_catches_up_after_downtime():
    timer, service = unit_file("conflictdata-sync.timer"), unit_file("conflictdata-sync.service")
    assert timer["Timer"]["OnCalendar"] == "hourly"
    assert (timer["Timer"]["Persistent"], timer["Install"]["WantedBy"]) == ("true", "timers.target")
    assert timer["Timer"]["RandomizedDelaySec"]
    assert timer["Timer"]["Unit"] == "conflictdata-sync.service"
    assert (service["Service"]["Type"], service["Service"]["User"]) == ("oneshot", "conflictdata")
    assert service["Service"]["EnvironmentFile"].startswith("/")
    assert manage_command(service["Service"]["ExecStart"]) == "sync"


def test_the_cron_example_syncs_hourly_mailing_only_failures():
    lines = [line for line in (ROOT / "deploy" / "cron.example").read_text().splitlines()
             if line and not line.startswith("#")]
    mailto, entry = lines
    assert mailto.startswith("MAILTO=")
    minute, hour, day, month, weekday, command = entry.split(maxsplit=5)
    assert minute.isdigit() and (hour, day, month, weekday) == ("*", "*", "*", "*")
    assert manage_command(command) == "sync"
    assert "flock" not in command and "%" not in command  # the sync's lease; cron would read % as a newline
