"""Reads from PostgreSQL read replicas, when DATABASE_REPLICA_URLS names some; writes and migrations to the primary."""

import random

from django.conf import settings


class ReplicaRouter:
    """Send each read to one of the replicas at random, everything else to `default`.

    A replica may lag behind the primary by a moment: a client that writes and at once reads may see its write a
    moment later (the write's own response, and its ETag, come from the primary).
    """

    def db_for_read(self, model, **hints):
        return random.choice(settings.DATABASE_REPLICAS)

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, several copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
