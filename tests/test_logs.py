"""Production logs: one JSON line per request."""

import json
import logging

import pytest

from stats.logs import JSONFormatter

pytestmark = pytest.mark.django_db


class Collected(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def request_records():
    """The records of conflictdata.requests (which does not propagate to the root logger caplog listens on)."""
    requests, collected = logging.getLogger("conflictdata.requests"), Collected()
    requests.addHandler(collected)
    yield collected.records
    requests.removeHandler(collected)


def test_each_request_is_one_json_line_with_method_path_status_duration_and_user(client, curator, request_records):
    client.get("/api/v1/categories/", {"nothing": "1"})
    client.force_login(curator)
    client.get("/api/v1/figures/")
    lines = [json.loads(JSONFormatter().format(record)) for record in request_records
             if record.name == "conflictdata.requests"]
    assert [(line["method"], line["path"], line["status"], line["user"]) for line in lines] == [
        ("GET", "/api/v1/categories/", 400, None),
        ("GET", "/api/v1/figures/", 200, curator.username),
    ]
    assert all(line["level"] == "INFO" and line["duration_ms"] >= 0 for line in lines)
    assert lines[1]["message"] == "GET /api/v1/figures/ 200"


def test_the_request_log_writes_the_clients_whole_address_not_the_network_it_is_counted_by(
    client, settings, request_records,
):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    client.get("/api/v1/categories/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="[2a00:1450:4001:81c::7]:5678")
    client.get("/api/v1/categories/", REMOTE_ADDR="2a00:1450:4001:81c::8")
    lines = [json.loads(JSONFormatter().format(record)) for record in request_records]
    assert [line["client"] for line in lines] == ["2a00:1450:4001:81c::7", "2a00:1450:4001:81c::8"]
