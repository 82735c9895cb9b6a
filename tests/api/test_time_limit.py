"""On PostgreSQL a read that takes the database too long is stopped and answered 503, never 500."""

import psycopg
import pytest
from django.db import connection

from tests.factories import FigureFactory


@pytest.mark.django_db(transaction=True)
def test_a_read_stopped_by_the_time_limit_is_a_503_and_the_limit_is_lifted_after(api, settings):
    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's; SQLite has no time limit")
    settings.READ_TIMEOUT_MS = 300
    FigureFactory()
    database = connection.settings_dict
    with psycopg.connect(host=database["HOST"], port=database["PORT"], user=database["USER"],
                         dbname=database["NAME"]) as other:
        # Another session holds the table: the list's query waits until the time limit stops it. (Should the limit
        # fail, PostgreSQL ends the other session after 5 s, the list answers 200, and the test fails, not hangs.)
        other.execute("SET idle_in_transaction_session_timeout = '5s'")
        other.execute("LOCK TABLE stats_figure IN ACCESS EXCLUSIVE MODE")
        response = api.get("/api/v1/figures/")
        if not other.closed:
            other.rollback()
    assert response.status_code == 503
    assert response.json() == {
        "detail": "The database took longer than 0.3 s and the read was stopped: narrow the filters (a claimant, "
        "party, category or period) or follow `next` pages, and try again."
    }
    assert api.get("/api/v1/figures/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("0",)
