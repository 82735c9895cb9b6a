"""Request-wide behaviour that is not the API's own: a log line per request, a time limit on reads."""

import time

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

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
