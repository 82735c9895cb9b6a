"""The sync's lease: two syncs never overlap. A row in the database (so it holds across machines and on SQLite and
PostgreSQL alike), taken by one conditional UPDATE; it expires, so that a sync killed midway does not block the next."""

import datetime
import os
import socket
from contextlib import contextmanager

from django.db.models import Q
from django.utils import timezone

from stats.models import SyncLease

NAME = "sync"
LASTS = datetime.timedelta(minutes=30)


class Busy(Exception):
    """Another sync holds the lease (or took it over after this one's expired); the message says so."""


class Lease:
    def __init__(self, holder: str):
        self.holder = holder

    def renew(self) -> None:
        """Extend the lease for another LASTS, before each feed: a long sync keeps it; one whose lease expired and
        was taken stops."""
        if not SyncLease.objects.filter(name=NAME, holder=self.holder).update(expires_at=timezone.now() + LASTS):
            raise Busy("this sync's lease expired and another sync took it; this one stops here")


@contextmanager
def held():
    """Hold the sync's lease for the block, or raise Busy."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{timezone.now().timestamp()}"
    SyncLease.objects.get_or_create(name=NAME)
    now = timezone.now()
    taken = SyncLease.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__lt=now), name=NAME).update(
        holder=holder, expires_at=now + LASTS)
    if not taken:
        lease = SyncLease.objects.get(name=NAME)
        raise Busy(f"another sync is running ({lease.holder.rsplit(':', 1)[0]}, its lease lasts until "
                   f"{lease.expires_at:%Y-%m-%d %H:%M:%S} UTC); this one exits without syncing")
    try:
        yield Lease(holder)
    finally:
        SyncLease.objects.filter(name=NAME, holder=holder).update(holder="", expires_at=None)
