"""One time budget per read request: a read still running when it runs out is stopped and answered 503 quickly,
on SQLite and PostgreSQL alike, JSON for the API and a page for people; the export and writes are not limited."""

import time

import pytest
from django.db import connection

from stats import budget
from stats.api import analysis
from tests.factories import FigureFactory

pytestmark = pytest.mark.django_db

# Work the database takes far longer than the budget to do: SQLite counts to a hundred million, PostgreSQL waits.
SLOW = {
    "sqlite": "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000000) "
              "SELECT COUNT(*) FROM n",
    "postgresql": "SELECT pg_sleep(20)",
}


@pytest.fixture
def slow_compare(monkeypatch, settings):
    """Make the compare question (API and pages alike) run one statement that takes the database 10 s or more."""
    settings.READ_TIMEOUT_MS = 300
    FigureFactory(party__slug="russia-armed-forces", category__slug="killed")

    def compared_claims(query):
        with connection.cursor() as cursor:
            cursor.execute(SLOW[connection.vendor])
        return []

    monkeypatch.setattr(analysis, "compared_claims", compared_claims)


def timed(call):
    began = time.monotonic()
    response = call()
    return response, time.monotonic() - began


def test_an_api_read_past_its_budget_is_stopped_and_answered_503_in_json(api, slow_compare):
    response, seconds = timed(lambda: api.get("/api/v1/compare/", {"party": "russia-armed-forces",
                                                                     "category": "killed"}))
    assert response.status_code == 503
    assert response.json() == {
        "detail": "The database took longer than 0.3 s and the read was stopped: narrow the filters (a claimant, "
        "party, category or period) or follow `next` pages, and try again."
    }
    assert seconds < 2  # stopped at the budget, not when the statement would have ended


def test_a_page_past_its_budget_is_a_503_page(client, slow_compare):
    response, seconds = timed(lambda: client.get("/conflicts/russia-ukraine/russia-armed-forces/killed/"))
    assert response.status_code == 503
    assert b"<h1>This took too long</h1>" in response.content
    assert seconds < 2


def test_no_statement_starts_once_the_budget_is_spent(settings):
    spent = budget.Budget(0)
    with connection.execute_wrapper(spent), pytest.raises(budget.BudgetSpent), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert spent.spent


def test_a_read_within_its_budget_is_untouched_and_leaves_nothing_behind(api, settings):
    settings.READ_TIMEOUT_MS = 5000
    FigureFactory()
    assert api.get("/api/v1/figures/").status_code == 200
    assert budget.current() is None
    if connection.vendor == "sqlite":  # no progress handler left on the connection for the next request
        assert connection.connection.set_progress_handler(None, 0) is None


@pytest.mark.parametrize(
    ("method", "path", "limited"),
    [
        ("GET", "/api/v1/figures/", True), ("GET", "/conflicts/x/", True), ("HEAD", "/", True),
        ("GET", "/api/v1/figures/export/", False), ("POST", "/api/v1/figures/", False), ("GET", "/admin/", False),
        ("GET", "/health/", False),
    ],
)
def test_which_requests_are_reads_with_a_budget(rf, method, path, limited):
    assert budget.limited(rf.generic(method, path)) is limited


def test_the_watchdog_calls_what_is_armed_and_not_what_was_disarmed():
    called = []
    watchdog = budget.Watchdog()
    kept = watchdog.arm(time.monotonic() + 0.05, lambda: called.append("kept"))
    dropped = watchdog.arm(time.monotonic() + 0.05, lambda: called.append("dropped"))
    watchdog.disarm(dropped)
    time.sleep(0.3)
    assert called == ["kept"]
    watchdog.disarm(kept)  # already called: nothing happens
