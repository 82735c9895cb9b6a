"""`GET /health/`: whether this process can serve — database reachable, migrations applied, cache reachable — and
whether the feeds are read as often as their origins change (which never stops the service)."""

from functools import cache

import redis
from django.conf import settings
from django.core.cache import cache as shared_cache
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from redis.exceptions import RedisError

from stats.sync.status import stale


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


def cache_warning() -> str | None:
    """Return a warning when Redis may grow without bound: no `maxmemory`, or a policy that evicts nothing."""
    try:
        found = redis.Redis.from_url(settings.REDIS_URL).config_get("maxmemory*")
    except (RedisError, OSError):
        return "cache: Redis's maxmemory could not be read (CONFIG GET refused); see README: Deployment"
    if int(found.get("maxmemory", 0)) == 0:
        return ("cache: Redis has no maxmemory, so charts and counts may fill the host's memory; set maxmemory and "
                "maxmemory-policy allkeys-lru (README: Deployment)")
    if found.get("maxmemory-policy") != "allkeys-lru":
        return (f"cache: Redis's maxmemory-policy is {found.get('maxmemory-policy')}, not allkeys-lru: a full cache "
                "refuses writes instead of forgetting old charts (README: Deployment)")
    return None


def feeds_report() -> str:
    """Return "ok", or "stale: " and each feed not read successfully for three times its cadence."""
    late = stale(timezone.now())
    return "stale: " + ", ".join(late) if late else "ok"


@never_cache
def health(request):
    """Answer 200 when the database is reachable with every migration applied (and Redis, when configured), else
    503, naming each problem; `warnings` names what should be put right without stopping the service (Redis
    without maxmemory), `checks.feeds` the feeds not read for too long (old data is not a dead service: still 200).
    A load balancer's probe: never throttled, reachable over plain HTTP."""
    checks = {"database": database_problem() or "ok"}
    if settings.REDIS_URL:
        checks["cache"] = cache_problem() or "ok"
    healthy = all(result == "ok" for result in checks.values())
    if checks["database"] == "ok":  # reported, but old data does not make this process unable to serve
        checks["feeds"] = feeds_report()
    status = "ok" if healthy else "unavailable"
    answer = {"status": status, "checks": checks}
    # What does not stop this process serving, but should be put right: warned of, still 200.
    warnings = [cache_warning()] if settings.REDIS_URL and checks["cache"] == "ok" else []
    if any(warnings):
        answer["warnings"] = [warning for warning in warnings if warning]
    return JsonResponse(answer, status=200 if healthy else 503)
