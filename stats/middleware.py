"""Request-wide behaviour that is not the API's own: a log line per request, a time limit on reads, the
Content-Security-Policy."""

import functools
import time

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import JsonResponse
from django.middleware import http

from stats.api.errors import json_not_found, json_server_error
from stats.logs import logger
from stats.proxies import client_address

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class APIErrorsAsJSONMiddleware:
    """Answer every error under /api/ in JSON, whatever produced it: an address no route matches, Django's own
    error pages (in debug mode too, where Django would show its HTML pages), a failure outside the API's views."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith("/api/")
            and not response.streaming
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return json_error(request, response)
        return response


def json_error(request, response):
    """Return the JSON error to send in place of `response` (an HTML page or plain text)."""
    if response.status_code == 404:
        replacement = json_not_found(request)
    elif response.status_code >= 500:
        replacement = json_server_error(request) if response.status_code == 500 else JsonResponse(
            {"detail": f"The service cannot answer now ({response.reason_phrase}): try again in a moment."},
            status=response.status_code,
        )
    else:
        replacement = JsonResponse(
            {"detail": f"The request was refused ({response.reason_phrase})."}, status=response.status_code
        )
    for header in ("Retry-After", "Allow", "WWW-Authenticate"):
        if header in response:
            replacement[header] = response[header]
    return replacement


class PublicURLMiddleware:
    """Make PUBLIC_URL, when set, the scheme and host of every absolute address built for a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.PUBLIC_URL:
            # HttpRequest.build_absolute_uri() reads this cached property: set, it is the base of every address.
            request._current_scheme_host = settings.PUBLIC_URL
        return self.get_response(request)


class RequestLogMiddleware:
    """Log one line per request: method, path, status, duration in milliseconds (to the response; a streamed body
    goes on after it) and the user's name, if signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        began = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        fields = {
            "method": request.method,
            "path": request.path,
            "client": client_address(request),
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - began) * 1000, 1),
            "user": user.get_username() if user is not None and user.is_authenticated else None,
        }
        logger.info("%s %s %s", request.method, request.path, response.status_code, extra={"fields": fields})
        return response


class DatabaseUnavailableMiddleware:
    """Answer 503 with Retry-After, not 500, when the database cannot be reached in the middle of a request (a
    restart, a dropped connection): the client may retry, and a write it was making has been rolled back whole."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            return JsonResponse(
                {"detail": "The database could not be reached: nothing was changed; try again in a moment."},
                status=503, headers={"Retry-After": "1"},
            )
        return None


# What a view's django-csp decorators set on its response to change the policy of settings.
POLICY_CHANGES = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the policies of settings built once per process instead of for every response.

    A response whose policy no view changed (no decorator, no nonce: every response of the API) gets the policies of
    settings exactly as django-csp writes them; building them took it longer than representing a page of figures.
    Any other response is django-csp's own work.
    """

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, name) for name in POLICY_CHANGES):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:  # Django's debug pages keep their inline styles
            return response
        for header, policy, exempt, excluded in settings_policies():
            if policy and header not in response and getattr(response, exempt, False) is False and not (
                request.path_info.startswith(excluded)
            ):
                response[header] = policy
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # as django-csp: too late for one now
        return response


class ConditionalGetMiddleware(http.ConditionalGetMiddleware):
    """Django's ETag and 304, the 304 keeping the policy its page was given. A browser takes a 304's headers for those
    of the copy it keeps: an embed's 304 with the policy of settings (frame-ancestors 'none') made the browser refuse
    the chart framed in another site as soon as it checked its copy again."""

    KEPT = (*POLICY_CHANGES, "_csp_exempt", "_csp_exempt_ro", "xframe_options_exempt")

    def process_response(self, request, response):
        answered = super().process_response(request, response)
        if answered is not response:
            for name in self.KEPT:
                if hasattr(response, name):
                    setattr(answered, name, getattr(response, name))
        return answered


@functools.cache
def settings_policies() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """Return, per header, the policy of settings, the response attribute that exempts from it and the paths it
    leaves out."""
    return tuple(
        (header, build_policy(report_only=report_only), exempt, tuple(
            (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
        ))
        for header, report_only, exempt, setting in (
            (HEADER, False, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, True, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        )
    )


@receiver(setting_changed)
def policies_changed(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        settings_policies.cache_clear()
