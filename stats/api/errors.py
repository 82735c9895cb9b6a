"""Every API error as JSON: a `detail` sentence, and `errors` keyed by parameter or field when input was wrong."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from stats import budget

QUERY_CANCELED = "57014"  # PostgreSQL's code for a statement cancelled (a replica's statement_timeout, our budget)


class ParameterError(exceptions.ValidationError):
    """A query parameter the endpoint does not know, or a value it cannot use."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)


class PageNotFound(exceptions.NotFound):
    """A page past the end of the list."""

    def __init__(self, message: str):
        super().__init__({"detail": message, "errors": {"page": [message]}})


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The resource changed since you read it (its ETag no longer matches If-Match): read it again, then retry."
    )
    default_code = "precondition_failed"


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"

    def __init__(self, limit: int):
        super().__init__(f"The body is larger than {limit:,} bytes: send a smaller one.")


class TooSlow(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "too_slow"

    def __init__(self, milliseconds: int):
        super().__init__(
            f"The database took longer than {milliseconds / 1000:g} s and the read was stopped: narrow the filters "
            "(a claimant, party, category or period) or follow `next` pages, and try again."
        )


class InUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "in_use"


def model_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """Return a model's validation error keyed the way the API names fields."""
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
        for field, messages in error.message_dict.items()
    }


def summarize(errors) -> str:
    """Return one sentence naming every parameter or field that was wrong."""
    if not isinstance(errors, dict):
        return f"Invalid input: {' '.join(str(message) for message in errors)}"
    parts = []
    for name, messages in errors.items():
        text = " ".join(str(m) for m in messages) if isinstance(messages, list) else "invalid."
        parts.append(text if name == api_settings.NON_FIELD_ERRORS_KEY else f"{name}: {text}")
    return "Invalid input. " + " ".join(parts)


def describe_users(protected_objects) -> str:
    """Return 'figures 3, 4 and 7' style wording for the rows that still use something."""
    by_kind: dict[str, list] = {}
    for row in protected_objects:
        by_kind.setdefault(row._meta.verbose_name_plural, []).append(row.pk)
    parts = []
    for kind, ids in sorted(by_kind.items()):
        shown = ", ".join(str(pk) for pk in sorted(ids)[:10]) + (" …" if len(ids) > 10 else "")
        parts.append(f"{len(ids)} {kind} (ids {shown})")
    return " and ".join(parts)


def exception_handler(exc, context):
    """Return DRF's error response with the project's body: `detail` always, `errors` for bad input."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(model_errors(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    elif budget.spent(exc) or (
        isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED
    ):
        exc = TooSlow(settings.READ_TIMEOUT_MS)
    elif isinstance(exc, ProtectedError | RestrictedError):
        view = context.get("view")
        name = view.queryset.model._meta.verbose_name if view is not None else "object"
        objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        exc = InUse(
            f"This {name} cannot be deleted: {describe_users(objects)} still use it. Change or delete them first."
        )
    elif isinstance(exc, IntegrityError) and context["request"].method not in ("GET", "HEAD", "OPTIONS"):
        exc = InUse(f"The change conflicts with the data as it is now (another write may have come first): {exc}")

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {api_settings.NON_FIELD_ERRORS_KEY: data}
        response.data = {"detail": summarize(errors), "errors": errors}
    elif isinstance(data, dict) and "detail" in data:
        response.data = dict(data)
    else:
        response.data = {"detail": str(data)}
    return response


def json_not_found(request, exception=None):
    """Return a JSON 404 for addresses that match no route."""
    return JsonResponse({"detail": f"Nothing is at {request.path}. The API starts at /api/v1/."}, status=404)


def json_server_error(request):
    """Return a JSON 500: no input should get here, so this is a bug to report."""
    return JsonResponse({"detail": "The server failed to answer: this is a bug, please report it."}, status=500)
