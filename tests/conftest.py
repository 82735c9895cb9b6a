import os
import secrets
import socket

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

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
    """Each test starts with nothing remembered (list counts are kept in the cache per data version)."""
    cache.clear()


@pytest.fixture
def redis_url():
    require_service("Redis", "127.0.0.1", 6379)
    return "redis://127.0.0.1:6379/15"


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("curator", password="a-long-curator-password", is_staff=True)
    user.groups.add(Group.objects.get(name="curators"))
    return user


@pytest.fixture
def figure(db):
    return FigureFactory()
