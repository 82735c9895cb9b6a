"""The floor: a bare WSGI function answering the figure list with the API's SQL and JSON, and no framework.

Same filters, joins, order, count and page as /api/v1/figures/, the same fields (citation included) and the same JSON
library (orjson); what it leaves out is everything a framework adds: parameter checks, errors, content negotiation,
ETags, permissions. Served by gunicorn like the API:

    FLOOR_DATABASE=/tmp/x.sqlite3 gunicorn bench.floor:application     (or FLOOR_DATABASE=postgres://…)
"""

import datetime
import os
import sqlite3
import threading
from urllib.parse import parse_qs

import orjson

from stats.citations import format_citation

DATABASE = os.environ.get("FLOOR_DATABASE", "")
PAGE_SIZE = 100
# Each slug filter becomes the relation's id, looked up as the API does before it filters by ids.
FILTERS = {"party": ("f.party_id", "stats_party"), "category": ("f.category_id", "stats_category"),
           "claimed_by": ("f.claimed_by_id", "stats_source")}
JOINS = """
    FROM stats_figure f
    JOIN stats_conflict co ON co.id = f.conflict_id
    JOIN stats_party p ON p.id = f.party_id
    JOIN stats_category ca ON ca.id = f.category_id
    JOIN stats_source cb ON cb.id = f.claimed_by_id
    JOIN stats_report r ON r.id = f.report_id
    LEFT JOIN stats_source pub ON pub.id = r.publisher_id
"""
COLUMNS = """
    f.id, co.slug, p.slug, ca.slug, cb.slug, f.report_id, f.value, f.value_low, f.value_high, f.qualifier, f.basis,
    f.period_start, f.period_end, f.date_precision, f.quote, f.notes, f.recorded_at, f.updated_at,
    co.name, p.name, ca.name, cb.name, r.title, r.url, r.published_on, pub.name
"""
local = threading.local()


def day(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def connect():
    if DATABASE.startswith("postgres"):
        import psycopg

        return psycopg.connect(DATABASE, autocommit=True), "%s"
    return sqlite3.connect(DATABASE, check_same_thread=False), "?"


def figure(row) -> dict:
    (id_, conflict, party, category, claimed_by, report, value, value_low, value_high, qualifier, basis,
     period_start, period_end, precision, quote, notes, recorded_at, updated_at,
     conflict_name, party_name, category_name, claimed_by_name, title, url, published_on, publisher) = row
    period_start, period_end = day(period_start), day(period_end)
    return {
        "id": id_, "conflict": conflict, "party": party, "category": category, "claimed_by": claimed_by,
        "report": report, "value": value, "value_low": value_low, "value_high": value_high, "qualifier": qualifier,
        "basis": basis, "period_start": period_start, "period_end": period_end, "date_precision": precision,
        "cumulative": period_start is None, "quote": quote, "notes": notes,
        "citation": format_citation(
            claimed_by=claimed_by_name, basis=basis, qualifier=qualifier, value=value, value_low=value_low,
            value_high=value_high, category=category_name, party=party_name, conflict=conflict_name,
            period_start=period_start, period_end=period_end, date_precision=precision, report_title=title,
            report_published_on=day(published_on), report_url=url, publisher=publisher,
        ),
        "recorded_at": recorded_at, "updated_at": updated_at,
    }


def application(environ, start_response):
    if not hasattr(local, "db"):
        local.db, local.mark = connect()
    query = {name: values[0] for name, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    where, params = [], []
    for name, (column, table) in FILTERS.items():
        if name in query:
            where.append(f"{column} = (SELECT id FROM {table} WHERE slug = {local.mark})")
            params.append(query[name])
    condition = f"WHERE {' AND '.join(where)}" if where else ""
    cursor = local.db.cursor()
    cursor.execute(f"SELECT COUNT(*) FROM stats_figure f {condition}", params)
    (count,) = cursor.fetchone()
    if "after" in query:  # the keyset: the last row's period_end and id
        end, last_id = query["after"].split("_")
        where.append(f"(f.period_end < {local.mark} OR (f.period_end = {local.mark} AND f.id < {local.mark}))")
        params += [end, end, int(last_id)]
        condition = f"WHERE {' AND '.join(where)}"
    cursor.execute(
        f"SELECT {COLUMNS} {JOINS} {condition} ORDER BY f.period_end DESC, f.id DESC LIMIT {PAGE_SIZE}", params
    )
    results = [figure(row) for row in cursor.fetchall()]
    following = None
    if len(results) == PAGE_SIZE:
        last = results[-1]
        following = f"http://{environ['HTTP_HOST']}/?after={last['period_end']}_{last['id']}"
    body = orjson.dumps({"count": count, "next": following, "previous": None, "results": results})
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
