"""OpenAPI generation: public reads, and every error each operation can answer with its body."""

from django.conf import settings
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from stats.api.documentation import describe_path_parameters
from stats.api.examples import BASE_URL, SHORTENED, examples_read
from stats.api.mixins import CITING_ACTIONS, PAST_ACTIONS
from stats.api.samples import SAMPLES, code_samples, described_with_samples

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in one sentence.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For bad input: the messages for each parameter or field that was wrong "
        "(`non_field_errors` for a rule over several fields).",
    )


ERRORS = {
    400: "A query parameter or a field of the body is unknown or wrong; `errors` names each.",
    401: "No credentials, or invalid ones: send `Authorization: Token <key>`.",
    403: "Your account may not make this change (curators may).",
    404: "No such object, or a page past the end of the list.",
    406: "The `Accept` header asks for a format this endpoint does not produce.",
    409: "It is still used by figures (or other rows), or the write conflicts with the data as it is now.",
    412: "The `If-Match` ETag is stale: the object changed since you read it.",
    413: "The body is larger than the service accepts (1,000,000 bytes).",
    415: "The body is not JSON.",
    503: "A read took the database longer than the time limit (PostgreSQL): narrow the filters.",
    429: "Too many requests from this client (when the service sets rate limits): retry after `Retry-After` "
    "seconds.",
}


AS_RECORDED = OpenApiParameter(
    "as_recorded", OpenApiTypes.DATETIME,
    description="Read the data as it stood at this moment (ISO 8601, e.g. `2025-03-03T10:00:00Z`): the figures that "
    "existed then, with the values, names and relations they had then. The answer's `X-Data-Version` names that "
    "state; an answer about a moment more than a minute ago changes only when a curator redacts a revision's text "
    "(it is sent cacheable for a day). A moment in the future is a 400.",
)
CITE = OpenApiParameter(
    "cite", str, enum=["retrieved"],
    description="`retrieved`: each figure also carries `citation_retrieved`, its citation with the day it was "
    "retrieved, the data version, and the address (with `as_recorded`) that gives the same answer again.",
)


class ConflictdataAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        action = getattr(self.view, "action", None)
        if self.method == "GET" and action in PAST_ACTIONS:
            parameters.append(AS_RECORDED)
        if self.method == "GET" and action in CITING_ACTIONS and getattr(self.view, "cites", False):
            parameters.append(CITE)
        return parameters

    def get_auth(self):
        auth = super().get_auth()
        # Reads are public: say so, so that clients (and schemathesis) know no credentials are needed.
        if self.method in SAFE_METHODS and {} not in auth:
            auth.append({})
        return auth

    def error_statuses(self) -> list[int]:
        # 401 on reads too: reads need no credentials, but an expired or revoked token is refused, not ignored.
        statuses = [400, 401, 404, 406, 429] + ([503] if self.method in SAFE_METHODS else [])
        if self.method not in SAFE_METHODS:
            statuses += [403, 413, 415] if self.method != "DELETE" else [403]
        if self.method in {"PUT", "PATCH", "DELETE"}:
            statuses += [409, 412]
        if self.method == "POST":
            statuses += [409]
        return statuses

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        for status in self.error_statuses():
            if str(status) not in bodies:
                # JSON whatever the operation's own renderers (the export's errors too: mixins.finalize_response)
                bodies[str(status)] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERRORS[status]), str(status),
                    media_types=["application/json"],
                )
        if self.method == "GET" and "304" not in bodies:
            bodies["304"] = {"description": "Not modified: your copy (its ETag in `If-None-Match`) is current."}
        return bodies


class DescribedFilterExtension(DjangoFilterExtension):
    """Django-filter parameters with their help text, also for filters whose type is declared by hand."""

    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        parameters = super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        filterset_class = getattr(auto_schema.view, "filterset_class", None)
        filters = filterset_class.base_filters if filterset_class is not None else {}
        for parameter in parameters:
            filter_field = filters.get(parameter["name"])
            if filter_field is not None and not parameter.get("description"):
                parameter["description"] = filter_field.extra.get("help_text", "")
        return parameters


def documented_extras(result, generator, request, public):
    """Describe what the views add to a figure beside its serializer's fields: `citation_retrieved`."""
    figure = result.get("components", {}).get("schemas", {}).get("Figure")
    if figure is not None:
        figure["properties"]["citation_retrieved"] = {
            "type": "string", "readOnly": True,
            "description": "Only with `cite=retrieved`: the citation, the day it was retrieved, the data version, "
            "and the address that gives the same answer again (it carries `as_recorded`).",
        }
    return result


def reference_extras(result, generator, request, public):
    """Complete the reference: words for the paths' `{slug}` and `{id}`, the examples asked of the shipped data
    (stats/api/examples.json) and the code samples (stats/api/samples.py) of the operations that exist."""
    describe_path_parameters(result)
    examples = examples_read()
    base = service_address(request)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            example = examples.get(f"{method.upper()} {path}")
            if example is not None:
                attach_example(operation, example)
            if method == "get" and path in SAMPLES:
                operation["x-codeSamples"] = code_samples(path, base)
                operation["description"] = described_with_samples(operation.get("description", ""), path, base)
    return result


def service_address(request) -> str:
    """Return the address code samples should call: PUBLIC_URL, else the address the schema was asked at, else the
    placeholder (a schema generated without a request, by `manage.py spectacular`)."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL.rstrip("/")
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return BASE_URL


def attach_example(operation: dict, example: dict) -> None:
    """Show `example` as the operation's request body (a write) or its answer (a read), in JSON or else CSV."""
    if "requestBody" in operation:
        contents = operation["requestBody"]["content"]
        shown = {"summary": example["summary"], "value": example["value"]}
    else:
        # An answer declared without a body (a CSV file) shows its example as text.
        contents = operation["responses"]["200"].setdefault("content", {"text/csv": {"schema": {"type": "string"}}})
        shown = {**example, "description": f"{example['description']}. {SHORTENED}"}
    media_type = "application/json" if "application/json" in contents else next(iter(contents))
    contents[media_type]["examples"] = {"shipped": shown}
