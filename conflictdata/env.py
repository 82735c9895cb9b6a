"""Small, strict readers of the environment: a malformed value stops start-up naming the variable."""

import datetime
import ipaddress
import os
import re

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
HOST_PATTERN = re.compile(r"^(\*|\.?[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])$")
DATABASE_ENGINES = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def envbool(name: str, default: bool) -> bool:
    """Return the boolean in variable `name` (1/0, true/false, yes/no, on/off)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def envint(name: str, default: int) -> int:
    """Return the integer in variable `name`."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None


# The periods DRF's throttles read correctly (DRF looks only at the first letter, so "6/mango" would be 6 a minute).
RATE_PATTERN = re.compile(r"^[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)$")


def env_rate(name: str) -> str | None:
    """Return the request rate in variable `name`: a number, then s, sec, second, m, min, minute, h, hour, d or day
    (`100/minute`, `6/min`, `1000/d`), as DRF's documentation writes them."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not RATE_PATTERN.match(raw):
        raise ImproperlyConfigured(
            f"{name} must be a rate like 100/minute or 6/min (per s, sec, second, m, min, minute, h, hour, d or day); "
            f"got {raw!r}."
        )
    return raw


DURATION_PATTERN = re.compile(r"^([1-9][0-9]{0,5})(d|h|m)$")
DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def env_duration(name: str, default: datetime.timedelta) -> datetime.timedelta:
    """Return the duration in variable `name`: a whole number of days, hours or minutes (`90d`, `12h`, `30m`)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    match = DURATION_PATTERN.match(raw)
    if not match:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of days, hours or minutes, like 90d, 12h or 30m; got {raw!r}."
        )
    return datetime.timedelta(**{DURATION_UNITS[match[2]]: int(match[1])})


def envlist(name: str, default: list[str]) -> list[str]:
    """Return the comma-separated list in variable `name`, blanks dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_allowed_hosts(name: str, default: list[str]) -> list[str]:
    """Return host names for ALLOWED_HOSTS, refusing anything that is not a host (a URL, a path, a space)."""
    hosts = envlist(name, default)
    for host in hosts:
        if not HOST_PATTERN.match(host):
            raise ImproperlyConfigured(
                f"{name} must be a comma-separated list of host names (like api.example.org or .example.org); "
                f"{host!r} is not one."
            )
    return hosts


def env_secret_key(name: str, *, debug: bool, debug_default: str) -> str:
    """Return the secret key; outside debug there is no default and start-up stops without one."""
    value = os.environ.get(name, "")
    if value.strip():
        return value
    if debug:
        return debug_default
    raise ImproperlyConfigured(
        f"{name} is required when DJANGO_DEBUG is off: set it to a long random string "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )


def env_database(name: str, default: str) -> dict:
    """Return a DATABASES entry for the URL in variable `name` (SQLite or PostgreSQL)."""
    return env_database_url(name, os.environ.get(name, "").strip() or default)


def env_database_url(name: str, url: str) -> dict:
    """Return a DATABASES entry for `url`, read from variable `name` (named in errors)."""
    try:
        # Connections persist between requests (checked before reuse): opening one costs more than a list query.
        config = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    except (ValueError, KeyError, TypeError) as error:
        raise ImproperlyConfigured(f"{name} is not a database URL ({url!r}): {error}") from None
    if config.get("ENGINE") not in DATABASE_ENGINES:
        raise ImproperlyConfigured(
            f"{name} must point at SQLite (sqlite:///path) or PostgreSQL (postgres://user@host:5432/name); got {url!r}."
        )
    if config["ENGINE"].endswith("postgresql") and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database (postgres://user@host:5432/NAME); got {url!r}.")
    if config["ENGINE"].endswith("sqlite3"):
        # Dates and times as SQLite stores them, ISO text: Django's own converters parse them for the ORM, and a list
        # read straight from the database (stats/api/reading.py) writes them as they are, without sqlite3 calling
        # a Python converter for every date and time of every row.
        config.setdefault("OPTIONS", {}).setdefault("detect_types", 0)
        # A write transaction takes the database's write lock as it begins (BEGIN IMMEDIATE), so that a second
        # writer waits for the first (up to the busy timeout) instead of failing with "database is locked" when it
        # upgrades a read to a write: two curators' edits of one row then run one after the other.
        config["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    if config["ENGINE"].endswith("postgresql"):
        # Parameters bound by the server, and statements prepared (with one generic plan) once a connection has run
        # them 5 times: PostgreSQL then plans a list's page once per connection, not on every request (planning a
        # page with its joins takes longer than running it). A pooler in front must keep sessions, not pool
        # transactions. No JIT compiling: the service's statements run in milliseconds, and a plan whose estimate
        # grows with the table (a quantity's latest claims, guessing thousands of claimants) crossed
        # jit_above_cost and spent 9 ms compiling a 4 ms statement at 4,000,000 figures.
        config.setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5, options="-c plan_cache_mode=force_generic_plan -c jit=off"
        )
    return config


def env_redis_url(name: str) -> str | None:
    """Return the Redis URL in variable `name`, or None when it is unset."""
    url = os.environ.get(name, "").strip()
    if not url:
        return None
    if not url.startswith(REDIS_SCHEMES) or url in REDIS_SCHEMES:
        raise ImproperlyConfigured(f"{name} must be a Redis URL like redis://127.0.0.1:6379/0; got {url!r}.")
    return url


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Return the comma-separated addresses or networks in variable `name` (`10.0.0.0/8, 192.0.2.7`)."""
    networks = []
    for item in envlist(name, default=[]):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be a comma-separated list of IP addresses or networks (like 10.0.0.0/8, 192.0.2.7); "
                f"{item!r} is not one."
            ) from None
    return networks


def env_public_url(name: str) -> str | None:
    """Return the service's public base address in variable `name` (`https://host[:port]`, no path), or None."""
    raw = os.environ.get(name, "").strip().rstrip("/")
    if not raw:
        return None
    if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?", raw):
        raise ImproperlyConfigured(f"{name} must be the service's address, like https://conflictdata.example.org "
                                   f"(a scheme and a host, a port if any, no path); got {raw!r}.")
    return raw


def env_prefix(name: str, default: int, *, bits: int) -> int:
    """Return the network prefix length in variable `name`: a whole number from 1 to `bits` (32 or 128)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= bits:
        raise ImproperlyConfigured(
            f"{name} must be a prefix length, a whole number from 1 to {bits} (like {default}); got {raw!r}."
        )
    return int(raw)
