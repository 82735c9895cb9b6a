import functools
import os
import runpy
import secrets
import socket
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from stats import vocabularies
from stats.api.analysis import SERIES_CANDIDATES
from stats.api.views import FigureViewSet
from tests.factories import FigureFactory

REQUIRE_SERVICES = os.environ.get("CONFLICTDATA_REQUIRE_SERVICES") == "1"


def production(**environment) -> dict:
    """Return the environment of a production process (debug off, a strong secret, host names), plus `environment`."""
    return {
        **os.environ, "DJANGO_SETTINGS_MODULE": "conflictdata.settings", "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,conflictdata.example.org",
        **environment,
    }


@functools.cache
def make_run_settings() -> dict:
    """Return the settings `make run` serves with (DJANGO_DEBUG=1) where they differ from the suite's, for
    override_settings; the database, the secret and the logging set-up stay the suite's."""
    from django.conf import settings

    with mock.patch.dict(os.environ, {"DJANGO_DEBUG": "1"}):
        served = runpy.run_path(str(Path(__file__).resolve().parent.parent / "conflictdata" / "settings.py"))
    kept = {"DATABASES", "SECRET_KEY", "LOGGING", "ALLOWED_HOSTS", "STATIC_URL"}
    return {
        name: value for name, value in served.items()
        if name.isupper() and name not in kept and getattr(settings, name, None) != value
    }


def require_service(name: str, host: str, port: int) -> None:
    """Skip the test, with the reason, when a service does not answer; in CI fail instead."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError as error:
        message = f"{name} does not answer on {host}:{port} ({error})"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message}; CI requires it")
        pytest.skip(message)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with nothing remembered (list counts are kept in the cache per data version; vocabularies
    and the statements of questions' shapes in the process)."""
    cache.clear()
    vocabularies.forget()
    for kept in (FigureViewSet.pages.statements, FigureViewSet.pages.unkept, FigureViewSet.pages.orderings,
                 SERIES_CANDIDATES.statements, SERIES_CANDIDATES.unkept):
        kept.clear()


@pytest.fixture
def redis_url():
    require_service("Redis", "127.0.0.1", 6379)
    # Database 15 unless CONFLICTDATA_TEST_REDIS_DB names another (suites run side by side flush their own).
    return f"redis://127.0.0.1:6379/{os.environ.get('CONFLICTDATA_TEST_REDIS_DB', '15')}"


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("curator", password="a-long-curator-password", is_staff=True)
    user.groups.add(Group.objects.get(name="curators"))
    return user


@pytest.fixture
def figure(db):
    return FigureFactory()
