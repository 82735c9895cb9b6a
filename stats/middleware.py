"""Request-wide behaviour that is not the API's own: a time limit on the database for reads."""

from django.conf import settings
from django.db import connection

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ReadTimeLimitMiddleware:
    """On PostgreSQL, stop any statement of an API read after READ_TIMEOUT_MS (the API answers 503, see errors.py).

    Writes, the admin and management commands are not limited. The limit is lifted when the response has been
    sent, a streamed export's included, so that a persistent connection goes back to its default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limited = (
            connection.vendor == "postgresql" and request.method in SAFE_METHODS and request.path.startswith("/api/")
        )
        if not limited:
            return self.get_response(request)
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
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {int(milliseconds)}")


def lifted_after(content):
    try:
        yield from content
    finally:
        set_timeout(0)
