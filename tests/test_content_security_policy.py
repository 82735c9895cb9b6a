"""The Content-Security-Policy built once per process is the one django-csp builds for each response."""

import pytest
from csp.middleware import CSPMiddleware
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory, override_settings

from stats.middleware import ContentSecurityPolicyMiddleware

pytestmark = pytest.mark.django_db

REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-reports/"}}


def headers_of(middleware_class, path: str, response) -> dict[str, str | None]:
    middleware = middleware_class(lambda request: response)
    request = RequestFactory().get(path)
    middleware.process_request(request)
    answered = middleware.process_response(request, response)
    return {header: answered.get(header) for header in (
        "Content-Security-Policy", "Content-Security-Policy-Report-Only"
    )}


def test_an_api_answer_gets_the_policy_of_settings_exactly_as_django_csp_writes_it(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == headers_of(CSPMiddleware, "/api/v1/", JsonResponse({}))[
        "Content-Security-Policy"
    ]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response


def test_a_change_of_settings_is_written_from_the_next_response_on(client):
    before = client.get("/api/v1/")["Content-Security-Policy"]
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=REPORT_ONLY):
        during = client.get("/api/v1/")
        expected = headers_of(CSPMiddleware, "/api/v1/", JsonResponse({}))
        assert during["Content-Security-Policy"] == before
        assert during["Content-Security-Policy-Report-Only"] == expected["Content-Security-Policy-Report-Only"]
        assert "report-uri /csp-reports/" in during["Content-Security-Policy-Report-Only"]
    assert "Content-Security-Policy-Report-Only" not in client.get("/api/v1/")


@pytest.mark.parametrize(
    "attributes",
    [
        {"_csp_exempt": True},
        {"_csp_replace": {"style-src": ["'self'"]}},
        {"_csp_update": {"img-src": ["https://example.org"]}},
        {"_csp_config": {"default-src": ["'none'"]}},
    ],
    ids=["exempt", "replaced", "updated", "configured"],
)
def test_a_response_whose_view_changed_the_policy_gets_what_django_csp_gives(attributes):
    def changed():
        response = HttpResponse("page")
        for name, value in attributes.items():
            setattr(response, name, value)
        return response

    ours = headers_of(ContentSecurityPolicyMiddleware, "/about/", changed())
    assert ours == headers_of(CSPMiddleware, "/about/", changed())
    if "_csp_exempt" in attributes:
        assert ours["Content-Security-Policy"] is None
    else:
        assert ours["Content-Security-Policy"] != headers_of(CSPMiddleware, "/about/", HttpResponse())[
            "Content-Security-Policy"
        ]


def test_a_path_left_out_by_settings_gets_no_policy():
    policy = {"DIRECTIVES": {"default-src": ["'self'"]}, "EXCLUDE_URL_PREFIXES": ["/health/"]}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        assert headers_of(ContentSecurityPolicyMiddleware, "/health/", HttpResponse())["Content-Security-Policy"] is None
        assert headers_of(ContentSecurityPolicyMiddleware, "/about/", HttpResponse())["Content-Security-Policy"] == (
            "default-src 'self'"
        )
