"""Reads from PostgreSQL read replicas, when DATABASE_REPLICA_URLS names some; writes and migrations to the primary."""

import random
import threading

from django.conf import settings
from django.core.signals import request_finished, request_started

# The replica the request this thread is answering reads from.
local = threading.local()


class ReplicaRouter:
    """Send the reads of a request to one of the replicas, chosen at random as the request begins; everything else
    to `default`.

    Replicas may lag behind the primary, each by its own moment. A request reads one replica, so that what it reads
    is one state of the data: the data version that names its ETag and the counts and answers remembered under that
    version are then those of the rows it read. A client that writes and at once reads may see its write a moment
    later (the write's own response, and its ETag, come from the primary). Reads outside a request (commands) go to
    a replica chosen per read.
    """

    def db_for_read(self, model, **hints):
        return getattr(local, "replica", None) or random.choice(settings.DATABASE_REPLICAS)

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, several copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def choose_replica(**kwargs) -> None:
    local.replica = random.choice(settings.DATABASE_REPLICAS) if settings.DATABASE_REPLICAS else None


def forget_replica(**kwargs) -> None:
    local.replica = None


def connect() -> None:
    request_started.connect(choose_replica, dispatch_uid="conflictdata.routers.choose_replica")
    request_finished.connect(forget_replica, dispatch_uid="conflictdata.routers.forget_replica")
