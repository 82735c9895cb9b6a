"""What every API view shares: strict query parameters, ETags, 304 and 412, and errors always in JSON."""

import datetime
import hashlib
from functools import cache, cached_property, partial

from django.http import Http404
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from stats import past, versions
from stats.api.errors import ParameterError, PreconditionFailed
from stats.api.renderers import ORJSONRenderer

FILTERED_ACTIONS = {"list", "export", "latest"}
PAGED_ACTIONS = {"list", "latest", "deleted"}
# The reads that answer for a past moment too (`as_recorded`); `history` and `deleted` are about the past already.
PAST_ACTIONS = {"list", "retrieve", "export", "latest", "series", "series_export", "compare", "datapackage"}
# The reads whose figures may carry `citation_retrieved` (`cite=retrieved`).
CITING_ACTIONS = {"list", "retrieve", "latest"}
# An answer about a moment older than this changes only by a redaction: every write committed before it has been seen.
SETTLED = datetime.timedelta(minutes=1)
# How long a cache may keep a settled past answer: a redaction (stats/redactions.py) reaches every cache within it.
PAST_MAX_AGE = 24 * 3600
GONE = "The resource no longer exists (its ETag no longer matches If-Match): it was deleted since you read it."


def etag_for(*parts) -> str:
    return '"' + hashlib.blake2b("|".join(str(part) for part in parts).encode(), digest_size=16).hexdigest() + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {candidate.strip().removeprefix("W/") for candidate in header.split(",")}
    return "*" in candidates or etag in candidates


@cache
def parameter_names(serializer_class) -> frozenset[str]:
    """Return the parameters a query serializer takes (its fields are made anew, deep copies, for each instance)."""
    return frozenset(serializer_class().fields)


class StrictQueryMixin:
    """Refuse query parameters the endpoint does not know, repeated ones and NUL bytes, naming them."""

    # Per action, a serializer describing (and validating) the parameters that are not filters or pages.
    query_serializer_classes: dict = {}

    def known_query_parameters(self) -> set[str]:
        known = {"format"}
        if self.action in FILTERED_ACTIONS and getattr(self, "filterset_class", None) is not None:
            known |= set(self.filterset_class.base_filters)
        if self.action in PAGED_ACTIONS and getattr(self, "paginator", None) is not None:
            known |= self.paginator.query_parameters()
        if self.action in self.query_serializer_classes:
            known |= parameter_names(self.query_serializer_classes[self.action])
        if self.action in PAST_ACTIONS and self.request.method in ("GET", "HEAD"):
            known.add("as_recorded")
        if self.action in CITING_ACTIONS and getattr(self, "cites", False):
            known.add("cite")
        return known

    def query(self) -> dict:
        """Return this action's own parameters, validated (a 400 naming each one that is missing or wrong)."""
        serializer = self.query_serializer_classes[self.action](data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def check_query_parameters(self, request) -> None:
        known = self.known_query_parameters()
        errors = {}
        for name, values in request.query_params.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                errors[name.replace("\x00", "\\x00")] = ["NUL characters are not allowed."]
            elif name not in known:
                errors[name] = [f"Unknown parameter. This endpoint takes: {', '.join(sorted(known))}."]
            elif len(values) > 1:
                errors[name] = ["Give this parameter once; separate several values with commas."]
            elif not values[0]:
                errors[name] = ["Give a value, or leave the parameter out."]
            elif name == "cite" and values[0] != "retrieved":
                errors[name] = ["The one value is `retrieved`: each figure then carries `citation_retrieved`."]
        if errors:
            raise ParameterError(errors)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        if method in self.http_method_names and getattr(self, method, None) is not None:  # otherwise DRF answers 405
            self.check_query_parameters(request)
            self.read_as_recorded(request)

    def read_as_recorded(self, request) -> None:
        """Read the data as it stood at `as_recorded`, if the request asks (for its whole handling)."""
        self.moment = None
        raw = request.query_params.get("as_recorded")
        if raw is None:
            return
        try:
            self.moment = past.parse_moment(raw)
        except ValueError as error:
            raise ParameterError({"as_recorded": [str(error)]}) from None
        self.past_reading = past.reading(self.moment)
        self.past_reading.__enter__()


class ConditionalMixin:
    """ETags from the data's version, 304 for a current copy, 412 for a write against a stale one."""

    etag_related: list[str] = []

    @cached_property
    def version(self) -> tuple[int, datetime.datetime | None]:
        """The data version the answer shows, and its commit time: now, or at `as_recorded`, read once per request."""
        moment = getattr(self, "moment", None)
        return versions.latest() if moment is None else versions.at(moment)

    @property
    def data_version(self) -> str:
        """The data version, the base of list ETags and remembered counts (a past moment's includes it, and how many
        redactions were made: the one change a past answer can see)."""
        moment = getattr(self, "moment", None)
        if moment is None:
            return str(self.version[0])
        return f"{self.version[0]}@{moment.isoformat()}#{versions.redactions()}"

    def list_etag(self, request) -> str:
        return etag_for(self.data_version, request.get_full_path(), request.accepted_media_type)

    def object_version(self, instance) -> str:
        related = [getattr(instance, name) for name in self.etag_related if getattr(instance, f"{name}_id")]
        versions = [
            row.history.values_list("history_date", flat=True).order_by("-history_date").first()
            for row in [instance, *related]
        ]
        return max(str(version) for version in versions)

    def object_etag(self, instance) -> str:
        if getattr(self, "moment", None) is not None:  # a past row has no revisions of its own: the version names it
            return etag_for(type(instance).__name__, instance.pk, self.data_version)
        return etag_for(type(instance).__name__, instance.pk, self.object_version(instance))

    def conditional(self, request, etag: str, build):
        """Return 304 when the client's copy (If-None-Match) is current, else `build()`; either with the ETag."""
        if etag_matches(request.headers.get("If-None-Match"), etag):
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = build()
        response["ETag"] = etag
        return response

    def get_object(self):
        """Return the row; for a write, compare `If-Match` with it (read locked, in the write's transaction)."""
        if_match = self.request.headers.get("If-Match") if self.request.method in {"PUT", "PATCH", "DELETE"} else None
        try:
            instance = super().get_object()
        except Http404:  # named as the live model is, also where the row is read from the past's twin
            if if_match:  # the version the client read is gone: another writer deleted the row meanwhile
                raise PreconditionFailed(GONE) from None
            raise NotFound(f"No {self.queryset.model._meta.object_name} matches the given query.") from None
        if if_match and not etag_matches(if_match, self.object_etag(instance)):
            raise PreconditionFailed()
        return instance

    def list(self, request, *args, **kwargs):
        return self.conditional(request, self.list_etag(request), partial(super().list, request, *args, **kwargs))

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return self.conditional(
            request, self.object_etag(instance), lambda: Response(self.get_serializer(instance).data)
        )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        reading = getattr(self, "past_reading", None)
        if reading is not None:
            self.past_reading = None
            reading.__exit__(None, None, None)
        if request.method in ("GET", "HEAD") and response.status_code in (200, 304):
            self.say_which_state(response)
        if isinstance(response, Response) and response.status_code >= 400:
            # Every error is JSON, whatever the client asked for.
            response.accepted_renderer = ORJSONRenderer()
            response.accepted_media_type = ORJSONRenderer.media_type
        elif response.status_code in {200, 201} and request.method in {"PUT", "PATCH", "POST"}:
            instance = getattr(self, "written", None)
            if instance is not None:
                response["ETag"] = self.object_etag(instance)
        return response

    def say_which_state(self, response) -> None:
        """Name the data version the answer shows, and let an answer about a settled past moment be kept for a day
        (not for ever: a redaction changes it)."""
        response["X-Data-Version"] = str(self.version[0])
        moment = getattr(self, "moment", None)
        if moment is not None and timezone.now() - moment > SETTLED:
            response["Cache-Control"] = f"public, max-age={PAST_MAX_AGE}"
