"""Start-up reads its settings from the environment and stops, naming the variable, on a bad value."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from conflictdata.env import env_allowed_hosts, env_database, env_duration, env_redis_url, env_secret_key, envbool

PROJECT = Path(__file__).resolve().parent.parent
OUR_VARIABLES = (
    "DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "API_TOKEN_TTL",
    "ADMIN_REQUIRE_2FA",
)


def start(**variables: str) -> subprocess.CompletedProcess:
    """Start the project the way an operator does (`manage.py check`) with only the given variables of ours."""
    env = {key: value for key, value in os.environ.items() if key not in OUR_VARIABLES}
    env.update(variables, DJANGO_SETTINGS_MODULE="conflictdata.settings")
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = start()
    assert result.returncode == 1
    assert result.stderr.startswith("conflictdata cannot start: DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
    assert "Traceback" not in result.stderr


def test_it_starts_in_debug_without_a_secret_key():
    result = start(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@localhost/conflictdata"),
        ("DATABASE_URL", "not a url"),
        ("REDIS_URL", "localhost:6379"),
        ("DJANGO_ALLOWED_HOSTS", "https://api.example.org/"),
        ("IPV6_CLIENT_PREFIX", "/64"),
        ("API_TOKEN_TTL", "90"),
        ("API_TOKEN_TTL", "0d"),
        ("API_TOKEN_TTL", "3 months"),
        ("ADMIN_REQUIRE_2FA", "required"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(variable, value):
    result = start(**{"DJANGO_SECRET_KEY": "s" * 50, variable: value})
    assert result.returncode == 1
    assert result.stderr.startswith(f"conflictdata cannot start: {variable} ")
    assert "Traceback" not in result.stderr


def test_it_uses_redis_for_the_cache_when_redis_url_is_set(redis_url):
    env = {key: value for key, value in os.environ.items() if key not in OUR_VARIABLES}
    env.update(DJANGO_DEBUG="1", REDIS_URL=redis_url)
    script = (
        "from django.core.cache import caches; cache = caches['default']; cache.set('conflictdata-test', 42, 5); "
        "print(type(cache).__name__, cache.get('conflictdata-test'))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", script],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "RedisCache 42"


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("On", True), ("0", False), ("no", False)])
def test_envbool_reads_the_usual_words(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert envbool("SOME_FLAG", default=not expected) is expected


def test_envbool_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("SOME_FLAG", raising=False)
    assert envbool("SOME_FLAG", default=True) is True


def test_the_database_defaults_to_sqlite_and_reads_postgresql(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert env_database("DATABASE_URL", default="sqlite:////tmp/db.sqlite3") == {
        "ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/db.sqlite3", "USER": "", "PASSWORD": "",
        "HOST": "", "PORT": "", "CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True, "DISABLE_SERVER_SIDE_CURSORS": False,
        # dates and times as the text SQLite stores, parsed by Django where needed; a writer waits for another
        "OPTIONS": {"detect_types": 0, "transaction_mode": "IMMEDIATE"},
    }
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/conflictdata")
    config = env_database("DATABASE_URL", default="sqlite:////tmp/db.sqlite3")
    assert (config["ENGINE"], config["NAME"], config["HOST"], config["PORT"]) == (
        "django.db.backends.postgresql", "conflictdata", "127.0.0.1", 5432,
    )
    # connections persist, and PostgreSQL plans a repeated query once per connection
    assert (config["CONN_MAX_AGE"], config["OPTIONS"]) == (600, {
        "server_side_binding": True, "prepare_threshold": 5, "options": "-c plan_cache_mode=force_generic_plan -c jit=off",
    })


def test_a_postgresql_url_must_name_a_database(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    with pytest.raises(ImproperlyConfigured, match=r"^DATABASE_URL must name a database"):
        env_database("DATABASE_URL", default="")


def test_allowed_hosts_are_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "api.example.org, .example.org,127.0.0.1,[::1]")
    assert env_allowed_hosts("DJANGO_ALLOWED_HOSTS", default=[]) == [
        "api.example.org", ".example.org", "127.0.0.1", "[::1]",
    ]


def test_redis_url_is_optional(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert env_redis_url("REDIS_URL") is None


def test_the_secret_key_has_a_default_only_in_debug(monkeypatch):
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    assert env_secret_key("DJANGO_SECRET_KEY", debug=True, debug_default="dev") == "dev"
    with pytest.raises(ImproperlyConfigured, match=r"^DJANGO_SECRET_KEY is required"):
        env_secret_key("DJANGO_SECRET_KEY", debug=False, debug_default="dev")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("90d", datetime.timedelta(days=90)), ("12h", datetime.timedelta(hours=12)), (" 30m ", datetime.timedelta(minutes=30))],
)
def test_env_duration_reads_days_hours_and_minutes(monkeypatch, raw, expected):
    monkeypatch.setenv("API_TOKEN_TTL", raw)
    assert env_duration("API_TOKEN_TTL", default=datetime.timedelta(days=1)) == expected


def test_env_duration_defaults_when_unset_and_refuses_a_bare_number(monkeypatch):
    monkeypatch.delenv("API_TOKEN_TTL", raising=False)
    assert env_duration("API_TOKEN_TTL", default=datetime.timedelta(days=90)) == datetime.timedelta(days=90)
    monkeypatch.setenv("API_TOKEN_TTL", "90")
    with pytest.raises(ImproperlyConfigured, match=r"API_TOKEN_TTL must be a whole number of days, hours or minutes"):
        env_duration("API_TOKEN_TTL", default=datetime.timedelta(days=90))
