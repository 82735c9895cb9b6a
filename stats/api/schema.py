"""OpenAPI generation: public reads, and every error each operation can answer with its body."""

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

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


class ConflictdataAutoSchema(AutoSchema):
    def get_auth(self):
        auth = super().get_auth()
        # Reads are public: say so, so that clients (and schemathesis) know no credentials are needed.
        if self.method in SAFE_METHODS and {} not in auth:
            auth.append({})
        return auth

    def error_statuses(self) -> list[int]:
        statuses = [400, 404, 406, 429] + ([503] if self.method in SAFE_METHODS else [])
        if self.method not in SAFE_METHODS:
            statuses += [401, 403, 413, 415] if self.method != "DELETE" else [401, 403]
        if self.method in {"PUT", "PATCH", "DELETE"}:
            statuses += [409, 412]
        if self.method == "POST":
            statuses += [409]
        return statuses

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        for status in self.error_statuses():
            if str(status) not in bodies:
                bodies[str(status)] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERRORS[status]), str(status)
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
