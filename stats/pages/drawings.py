"""How many charts are drawn at once (CHART_DRAWINGS_AT_ONCE), across every process that shares REDIS_URL.

matplotlib cannot be interrupted once it draws (the read budget checks only between statements), so a drawing's
work is bounded before it starts (charts.draw thins long lines) and the drawings themselves are counted: a request
that would draw one more than the cap is refused at once (TooManyDrawings, a 503 with Retry-After), holding no
worker while it waits. With Redis the slots are a sorted set of leases, each expiring LEASE_SECONDS after it was
taken, so that a worker killed in the middle of a drawing holds its slot no longer than that; without it, each
process counts its own.
"""

import functools
import threading
import time
import uuid
from contextlib import contextmanager

import redis
from django.conf import settings

KEY = "chart-drawings"
# A drawing holds its slot at most this long (s): gunicorn kills a worker stuck longer (make serve's --timeout 60).
LEASE_SECONDS = 60
# What a refused request is told to wait (s): a drawing takes about half a second.
RETRY_AFTER = 2
# Drop the expired leases; take a slot if fewer than the cap are held; one step, so two processes cannot both take
# the last slot.
TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class TooManyDrawings(Exception):
    """As many charts as the service draws at once are being drawn: try again in `retry_after` seconds."""

    retry_after = RETRY_AFTER


@functools.cache
def shared(url: str):
    """Return the client of the Redis at `url` and the script that takes a slot there."""
    client = redis.Redis.from_url(url)
    return client, client.register_script(TAKE)


# Without Redis: this process's own count, per cap (a test may change the cap).
local_lock = threading.Lock()
local_held = 0


# How many drawings this thread began in the request it serves (LimitsMiddleware resets and reads it: a 304 whose
# view drew a chart cost a drawing, and counts against the rate).
began = threading.local()


def drawings_begun() -> int:
    return getattr(began, "count", 0)


def forget_drawings() -> None:
    began.count = 0


@contextmanager
def drawing_slot():
    """Hold one of the CHART_DRAWINGS_AT_ONCE slots while drawing, or raise TooManyDrawings."""
    limit = settings.CHART_DRAWINGS_AT_ONCE
    began.count = drawings_begun() + 1
    if settings.REDIS_URL:
        client, take = shared(settings.REDIS_URL)
        lease, now = uuid.uuid4().hex, time.time()
        if not take(keys=[KEY], args=[now, now + LEASE_SECONDS, limit, lease, LEASE_SECONDS * 2]):
            raise TooManyDrawings()
        try:
            yield
        finally:
            client.zrem(KEY, lease)
        return
    global local_held
    with local_lock:
        if local_held >= limit:
            raise TooManyDrawings()
        local_held += 1
    try:
        yield
    finally:
        with local_lock:
            local_held -= 1
