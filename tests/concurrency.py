"""Two real writers at once, each a thread with its own database connection, against PostgreSQL.

A race left to chance may not happen; `race()` makes it happen every time. The first writer is held as it is about
to save or delete (Django's pre_save or pre_delete signal), holding whatever its transaction holds by then (the row's
lock, where the code takes one). The second then runs until it finishes or waits for a lock in the database, and only
then is the first let go. Without a lock, both have read the row before either wrote it: the lost update. With one,
the second waits for the first to commit and reads the row anew.
"""

import importlib
import threading

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.db.models.signals import pre_delete, pre_save
from rest_framework.test import APIClient

LONGEST = 60  # seconds any step may take before the test gives up (a hang is a failure, not a wait for ever)


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        # Django's SQLite test database lives in memory with a shared cache, whose table locks fail at once where
        # a file's wait (busy timeout): two writers on it cannot wait for each other as they do on a file.
        pytest.skip("two concurrent writers need PostgreSQL (SQLite's in-memory test database cannot make one wait)")


def curator_named(username: str):
    """Return a new user in the group `curators` (made anew where a test that flushed the database removed it)."""
    from django.contrib.auth.models import User

    if not Group.objects.filter(name="curators").exists():
        importlib.import_module("stats.migrations.0002_curators_group").create_curators(apps, None)
    user = User.objects.create_user(username, password=f"{username}-long-password", is_staff=True)
    user.groups.add(Group.objects.get(name="curators"))
    return user


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def others_wait_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


class Hold:
    """Hold the first thread that saves or deletes a `model` row until released; let every other one pass."""

    def __init__(self, model):
        self.model, self.first, self.lock = model, None, threading.Lock()
        self.arrived, self.released = threading.Event(), threading.Event()

    def __call__(self, sender, **kwargs):
        with self.lock:
            if self.first is not None:
                return
            self.first = threading.get_ident()
        self.arrived.set()
        self.released.wait(LONGEST)

    def __enter__(self):
        pre_save.connect(self, sender=self.model, weak=False)
        pre_delete.connect(self, sender=self.model, weak=False)
        return self

    def __exit__(self, *exc):
        self.released.set()
        pre_save.disconnect(self, sender=self.model)
        pre_delete.disconnect(self, sender=self.model)


def in_thread(write, results: list, index: int) -> threading.Thread:
    def run():
        try:
            results[index] = write()
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def race(model, first, second) -> list:
    """Run `first()` and `second()` (each a write that saves or deletes a `model` row) as described above; return
    what each returned."""
    results = [None, None]
    with Hold(model) as hold:
        leading = in_thread(first, results, 0)
        assert hold.arrived.wait(LONGEST), "the first writer never reached its save"
        following = in_thread(second, results, 1)
        for _attempt in range(LONGEST * 20):
            following.join(0.05)
            if not following.is_alive() or others_wait_for_a_lock():
                break
        hold.released.set()
        leading.join(LONGEST)
        following.join(LONGEST)
    assert not leading.is_alive() and not following.is_alive(), "a writer never finished"
    return results
