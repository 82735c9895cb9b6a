"""The whole OpenAPI schema fuzzed against the app (schemathesis), as an anonymous client and as a curator, under
the test settings and under the settings `make run` serves with (debug on)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conflictdata.wsgi import application
from stats.tokens import token_create
from tests.conftest import make_run_settings
from tests.factories import FigureFactory

# A well-formed but unknown slug is rightly a 400, so "valid data is accepted" cannot hold for generated slugs.
EXCLUDED_CHECKS = [positive_data_acceptance]


@pytest.fixture(params=["test settings", "make run settings"])
def api_schema(request, db):
    # Like Django's test client, keep the test's connection (and its transaction) open between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with override_settings(**(make_run_settings() if request.param == "make run settings" else {})):
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def curator_token(curator):
    FigureFactory(conflict__slug="russia-ukraine", party__slug="russia-armed-forces", category__slug="killed")
    return token_create(user=curator)[1]


@pytest.fixture
def leaving_curator(django_user_model):
    """A curator whose tokens the logout endpoints revoke, so that the other operations keep theirs."""
    return django_user_model.objects.create_user("leaving-curator", is_staff=True)


@schema.parametrize()
# Derandomized: the same requests on every run, so that a green run here is a green run in CI.
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_honours_its_schema(case, curator_token, leaving_curator):
    # /auth/logout/ revokes the token it is sent with, /auth/logout-all/ every token of its user: a fresh one each.
    key = token_create(user=leaving_curator)[1] if case.path.startswith("/api/v1/auth/") else curator_token
    case.call_and_validate(headers={"Authorization": f"Token {key}"}, excluded_checks=EXCLUDED_CHECKS)
