"""Request-wide behaviour that is not the API's own: a log line per request, a time limit on reads."""

import time

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import JsonResponse

from stats.api.errors import json_not_found, json_server_error
from stats.logs import logger

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def client_address(request) -> str | None:
    """Return the client's address: the last one in X-Forwarded-For (appended by the one proxy in front, as DRF's
    rate limits read it with NUM_PROXIES = 1), else the connection's own."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded.strip():
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR")


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


class ReadTimeLimitMiddleware:
    """On PostgreSQL, stop any statement of an API read after READ_TIMEOUT_MS (the API answers 503, see errors.py).

    With read replicas, reads go to them, and their connections carry the limit themselves (settings.py).

    Writes, the admin and management commands are not limited. The limit is lifted when the response has been
    sent, a streamed export's included, so that a persistent connection goes back to its default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limited = (
            connection.vendor == "postgresql" and not settings.DATABASE_REPLICAS  # replicas limit every statement
            and request.method in SAFE_METHODS and request.path.startswith("/api/")
        )
        if not limited:
            return self.get_response(request)
        try:
            set_timeout(settings.READ_TIMEOUT_MS)
        except DatabaseError:
            # Lost since Django checked it at the start of the request: take a fresh connection.
            connection.close()
            set_timeout(settings.READ_TIMEOUT_MS)
        try:
            response = self.get_response(request)
        except BaseException:
            set_timeout(0)
            raise
        if response.streaming:
            response.streaming_content = lifted_after(response.streaming_content)
        else:
            set_timeout(0)
        return response


def set_timeout(milliseconds: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(milliseconds)}")
    except DatabaseError:
        if milliseconds:
            raise
        # Lifting it on a connection that was lost: there is nothing to lift; the next request reconnects.


def lifted_after(content):
    try:
        yield from content
    finally:
        set_timeout(0)


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
