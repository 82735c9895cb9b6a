"""One time budget per read request (READ_TIMEOUT_MS): past it, the running statement is stopped and the request
answered 503, so that no question, however it is asked, holds a worker for long.

No statement is added to a read: the budget is checked in Python before each statement, and a statement still running
when it runs out is stopped by the database's own means: on PostgreSQL a cancel request sent by a watchdog thread
(psycopg's `cancel_safe()`), on SQLite a progress handler that interrupts the statement (also while its rows are
fetched). The export is exempt: it streams for as long as its client reads (its own rate limit bounds it).
"""

import heapq
import itertools
import threading
import time
from contextlib import ExitStack, suppress

from django.conf import settings
from django.db import DatabaseError, connections
from django.urls import get_resolver, get_urlconf

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Not reads of the claims: the admin (curators, signed in), static files, the health probe; the export streams.
EXEMPT_PREFIXES = ("/admin/", "/static/", "/health/")
EXEMPT_SUFFIXES = ("/export/",)
# SQLite calls the progress handler every this many virtual machine instructions (a few microseconds of work).
SQLITE_CHECK_EVERY = 20_000

local = threading.local()


class BudgetSpent(Exception):
    """The request's time budget ran out before its reads were done."""


class Watchdog:
    """One thread that calls each armed callback once its deadline passes, unless it is disarmed first."""

    def __init__(self):
        self.condition = threading.Condition()
        self.deadlines: list[tuple[float, int]] = []
        self.armed: dict[int, object] = {}
        self.tokens = itertools.count()
        self.thread = None

    def arm(self, deadline: float, callback) -> int:
        with self.condition:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self.watch, name="read-budget-watchdog", daemon=True)
                self.thread.start()
            token = next(self.tokens)
            self.armed[token] = callback
            heapq.heappush(self.deadlines, (deadline, token))
            self.condition.notify()
            return token

    def disarm(self, token: int) -> None:
        with self.condition:
            self.armed.pop(token, None)

    def watch(self) -> None:
        while True:
            with self.condition:
                while self.deadlines and self.deadlines[0][1] not in self.armed:
                    heapq.heappop(self.deadlines)  # disarmed in time
                wait = self.deadlines[0][0] - time.monotonic() if self.deadlines else None
                if wait is None or wait > 0:
                    self.condition.wait(timeout=wait)
                    continue
                _deadline, token = heapq.heappop(self.deadlines)
                callback = self.armed.pop(token)
            with suppress(Exception):  # a cancel that fails (its connection gone) must not stop the watchdog
                callback()


WATCHDOG = Watchdog()


class Budget:
    """The time a request may spend reading; an execute wrapper on every database connection it uses."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.spent = False
        self.watched: dict[int, object] = {}  # raw connection id -> how to stop watching it

    def __call__(self, execute, sql, params, many, context):
        if time.monotonic() >= self.deadline:
            self.spent = True
            raise BudgetSpent()
        self.watch(context["connection"])
        try:
            return execute(sql, params, many, context)
        except DatabaseError:
            if time.monotonic() >= self.deadline:
                self.spent = True
                raise BudgetSpent() from None
            raise

    def watch(self, connection) -> None:
        """Arrange for a statement of `connection` still running at the deadline to be stopped."""
        raw = connection.connection
        if raw is None or id(raw) in self.watched:
            return
        if connection.vendor == "sqlite":
            raw.set_progress_handler(self.interrupts, SQLITE_CHECK_EVERY)
            self.watched[id(raw)] = lambda: raw.set_progress_handler(None, 0)
        elif connection.vendor == "postgresql":
            token = WATCHDOG.arm(self.deadline, getattr(raw, "cancel_safe", raw.cancel))
            self.watched[id(raw)] = lambda: WATCHDOG.disarm(token)

    def interrupts(self) -> int:
        """SQLite's progress handler: non-zero stops the running statement."""
        if time.monotonic() >= self.deadline:
            self.spent = True
            return 1
        return 0

    def close(self) -> None:
        for stop in self.watched.values():
            stop()
        self.watched.clear()


def current() -> Budget | None:
    """Return the budget of the request this thread is answering, if it has one."""
    return getattr(local, "budget", None)


def limited(request) -> bool:
    path = request.path
    return (
        request.method in SAFE_METHODS and not path.startswith(EXEMPT_PREFIXES) and not path.endswith(EXEMPT_SUFFIXES)
    )


class ReadBudgetMiddleware:
    """Give every read request READ_TIMEOUT_MS to answer (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not limited(request):
            return self.get_response(request)
        budget = local.budget = Budget(settings.READ_TIMEOUT_MS / 1000)
        try:
            with ExitStack() as stack:
                for alias in settings.DATABASES:
                    stack.enter_context(connections[alias].execute_wrapper(budget))
                return self.get_response(request)
        finally:
            budget.close()
            local.budget = None

    def process_exception(self, request, exception):
        """Answer a page whose budget ran out with the URLconf's `handler503` (the API's views answer their own 503 in
        JSON): named there, as Django names its 404 and 500 pages, so that this layer below the pages knows none."""
        if not spent(exception):
            return None
        return get_resolver(get_urlconf()).resolve_error_handler(503)(request)


def spent(exception: BaseException) -> bool:
    """Return whether `exception` is the end of a read whose budget ran out."""
    if isinstance(exception, BudgetSpent):
        return True
    budget = current()
    return isinstance(exception, DatabaseError) and budget is not None and budget.spent
