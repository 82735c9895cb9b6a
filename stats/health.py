"""`GET /health/`: whether this process can serve — database reachable, migrations applied, cache reachable."""

from functools import cache

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from redis.exceptions import RedisError


@cache
def migrations_on_disk() -> frozenset:
    """Return every migration the code has (read once per process: the code does not change under it)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def database_problem() -> str | None:
    try:
        applied = set(MigrationRecorder(connection).applied_migrations())
    except DatabaseError as error:
        return f"unreachable ({type(error).__name__})"
    missing = migrations_on_disk() - applied
    if missing:
        return f"{len(missing)} migrations not applied: run manage.py migrate"
    return None


def cache_problem() -> str | None:
    try:
        shared_cache.set("health", "ok", 10)
        if shared_cache.get("health") != "ok":
            return "does not keep what it is given"
    except (RedisError, OSError) as error:
        return f"unreachable ({type(error).__name__})"
    return None


@never_cache
def health(request):
    """Answer 200 when the database is reachable with every migration applied (and Redis, when configured), else
    503, naming each problem. A load balancer's probe: never throttled, reachable over plain HTTP."""
    checks = {"database": database_problem() or "ok"}
    if settings.REDIS_URL:
        checks["cache"] = cache_problem() or "ok"
    healthy = all(result == "ok" for result in checks.values())
    status = "ok" if healthy else "unavailable"
    return JsonResponse({"status": status, "checks": checks}, status=200 if healthy else 503)
