"""The API's views: declarative ViewSets over the claims, with strict parameters, ETags and a CSV export."""

import csv
import datetime
import io
import itertools
import re
from urllib.parse import urlencode

from django.db import connections
from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_sequence
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, routers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from stats import past, versions
from stats.api import analysis, filters, serializers
from stats.api.datapackage import datapackage
from stats.api.documentation import CURATORS, IF_MATCH, resource_schema
from stats.api.mixins import ConditionalMixin, StrictQueryMixin, etag_for
from stats.api.pagination import counted, ordering_with_tiebreak
from stats.api.prepared import PreparedPages
from stats.api.reading import ValuesReader, compiled_time_loader, keys_of, select_names
from stats.api.renderers import CSVRenderer
from stats.citations import format_day
from stats.csvformat import FIGURE_CSV, FIGURE_CSV_COLUMNS, TEXT_COLUMNS, neutralised
from stats.limits import ExportRateThrottle
from stats.models import Category, Conflict, Dataset, Figure, Party, Report, Source
from stats.services import figures_touch
from stats.sync import status

EXPORT_BATCH = 2000
# The actions that change or delete one row, which they read locked (ClaimsViewSet.get_queryset); not OPTIONS, whose
# description of PUT reads the row too, outside any transaction.
WRITE_ACTIONS = {"update", "partial_update", "destroy"}
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


class ClaimsViewSet(StrictQueryMixin, ConditionalMixin, viewsets.ModelViewSet):
    """Base of every resource: reads for everyone, writes for curators, strict and conditional.

    Each write is one transaction: if the database refuses any part of it, nothing of it stays. A change or a
    deletion reads its row locked, in that transaction: a second writer of the row waits for the first to commit,
    then reads the row anew, so that `If-Match` is compared with the row it writes (stats/api/mixins.py) and a
    PATCH changes only the fields it names of the row as it is then (ModelCleanSerializer.update).
    """

    def get_queryset(self):
        queryset = past.rebased(super().get_queryset())  # the same question, of the past when it asks `as_recorded`
        if self.action in WRITE_ACTIONS:  # SQLite has no row locks: its write transactions begin IMMEDIATE
            # A change takes the lock an UPDATE takes, which lets others insert rows that refer to this one.
            queryset = queryset.select_for_update(of=("self",), no_key=self.action != "destroy")
        return queryset

    def update(self, request, *args, **kwargs):
        with versions.recorded_write():
            return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        with versions.recorded_write():
            return super().destroy(request, *args, **kwargs)

    def perform_create(self, serializer):
        with versions.recorded_write():
            self.written = serializer.save()

    def perform_update(self, serializer):
        self.written = serializer.save()
        figures_touch(changed=self.written)


class SlugLookupViewSet(ClaimsViewSet):
    """A vocabulary looked up by slug; the route refuses anything else (a NUL byte never reaches the database)."""

    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"


@resource_schema("conflicts")
class ConflictViewSet(SlugLookupViewSet):
    queryset = Conflict.objects.all()
    serializer_class = serializers.ConflictSerializer
    filterset_class = filters.ConflictFilterSet


@resource_schema("parties")
class PartyViewSet(SlugLookupViewSet):
    queryset = Party.objects.all()
    serializer_class = serializers.PartySerializer
    filterset_class = filters.PartyFilterSet


@resource_schema("sources")
class SourceViewSet(SlugLookupViewSet):
    queryset = Source.objects.select_related("affiliation")
    serializer_class = serializers.SourceSerializer
    filterset_class = filters.SourceFilterSet
    etag_related = ["affiliation"]


@resource_schema("categories")
class CategoryViewSet(SlugLookupViewSet):
    queryset = Category.objects.all()
    serializer_class = serializers.CategorySerializer
    filterset_class = filters.CategoryFilterSet


@resource_schema("datasets")
class DatasetViewSet(SlugLookupViewSet):
    queryset = Dataset.objects.prefetch_related(Prefetch("feeds", queryset=status.feed_rows(), to_attr="feed_rows"))
    serializer_class = serializers.DatasetSerializer
    filterset_class = filters.DatasetFilterSet

    def feeds_version(self) -> str:
        """Return what the ETags add for `feeds`, which a sync changes without a data version (nothing in the
        past, where feeds show null)."""
        return "" if getattr(self, "moment", None) is not None else status.fingerprint()

    def list_etag(self, request) -> str:
        return etag_for(super().list_etag(request), self.feeds_version())

    def object_etag(self, instance) -> str:
        return etag_for(super().object_etag(instance), self.feeds_version())


@resource_schema("reports")
class ReportViewSet(ClaimsViewSet):
    queryset = Report.objects.select_related("publisher")
    serializer_class = serializers.ReportSerializer
    filterset_class = filters.ReportFilterSet
    lookup_value_regex = r"[0-9]{1,18}"
    etag_related = ["publisher"]


@extend_schema_view(
    list=extend_schema(
        summary="List figures (claims)",
        description="Every claim that matches the filters, newest `period_end` first. Combine `party`, `category` "
        "and `claimed_by` to follow one source's count of one quantity; `cumulative=true` keeps totals since the "
        "conflict began.\n\n"
        "Examples:\n"
        "- How many Russian soldiers killed, according to whom? "
        "`?party=russia-armed-forces&category=killed&cumulative=true`\n"
        "- As of when? Each figure's `period_end` is the last day counted; `period_end_before=2024-12-31` keeps "
        "counts up to the end of 2024.\n"
        "- Only sources independent of the belligerents: `?independent=true`.\n"
        "- Cite a figure with its `citation`: who claimed it, the number with its hedge, the date counted to, and "
        "the report with its date and address.",
    ),
    retrieve=extend_schema(
        summary="One figure",
        description="One claim with its `citation` (who claimed what, counted to when, in which report: the "
        "sentence to quote) and its `attribution` (the credit the dataset it was taken from asks for). "
        "`cite=retrieved` adds the citation with the day you read it and the address that gives the same answer "
        "again.",
    ),
    destroy=extend_schema(
        summary="Delete a figure",
        description=f"Remove a claim. {CURATORS} Its id is then listed by `/api/v1/figures/deleted/`, and its "
        f"history stays readable. {IF_MATCH}",
    ),
)
@resource_schema("figures")
class FigureViewSet(ClaimsViewSet):
    queryset = Figure.objects.with_related()
    serializer_class = serializers.FigureSerializer
    filterset_class = filters.FigureFilterSet
    lookup_value_regex = r"[0-9]{1,18}"

    query_serializer_classes = {"latest": analysis.LatestQuerySerializer, "deleted": analysis.DeletedQuerySerializer}
    reader = ValuesReader(serializers.FigureSerializer)
    pages = PreparedPages(reader)
    throttle_scope = None  # the export's: "export" (API_THROTTLE_EXPORT)
    cites = True  # `cite=retrieved` adds citation_retrieved

    def object_version(self, instance) -> str:
        return str(instance.updated_at)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return self.conditional(
            request, self.object_etag(instance),
            lambda: Response(self.cited([self.get_serializer(instance).data])[0]),
        )

    def cited(self, figures: list[dict]) -> list[dict]:
        """Add to each figure, when the request asks (`cite=retrieved`), the citation that says when it was retrieved
        and the address that gives the same answer again."""
        if self.request.query_params.get("cite") != "retrieved":
            return figures
        number, committed = self.version
        day = format_day((self.moment or timezone.now()).astimezone(datetime.UTC).date())
        pinned = f"?{urlencode({'as_recorded': committed.isoformat().replace('+00:00', 'Z')})}" if committed else ""
        for figure in figures:
            address = self.request.build_absolute_uri(reverse("figure-detail", args=[figure["id"]])) + pinned
            figure["citation_retrieved"] = (
                f"{figure['citation'].removesuffix('.')}, retrieved from conflictdata on {day} (data version "
                f"{number}), {address}."
            )
        return figures

    def conditional_page(self, request, build_queryset, serializer_class=None, prepared=False):
        """Return a page of `build_queryset()` with the list's ETag, or 304 when the client's copy is current.

        Figures are read straight from the database as FigureSerializer represents them (stats/api/reading.py);
        other rows go through `serializer_class`. With `prepared`, a numbered page of the present is read by the
        statement of its question's shape where there is one (stats/api/prepared.py).
        """

        def page():
            read = self.prepared_rows(request) if prepared else None
            if read is not None:
                rows, names, alias = read
                return self.get_paginated_response(self.cited(self.reader.represent(rows, names, alias)))
            queryset = build_queryset()
            if serializer_class is None:
                ordering = [path for path, _descending in ordering_with_tiebreak(queryset)]
                alias = queryset.db  # one database for the rows and what they show (a replica is chosen per read)
                values = self.reader.values(queryset.using(alias), ordering, kept=self.moment is None)
                names = select_names(values.query)
                rows = self.paginator.paginate_queryset(
                    values, request, view=self, fetch=self.reader.fetch, counting=queryset.order_by(),
                    key=keys_of(names),
                )
                data = self.cited(self.reader.represent(rows, names, alias))
            else:
                data = serializer_class(self.paginate_queryset(queryset), many=True).data
            return self.get_paginated_response(data)

        return self.conditional(request, self.list_etag(request), page)

    def list(self, request, *args, **kwargs):
        return self.conditional_page(request, lambda: self.filter_queryset(self.get_queryset()), prepared=True)

    def prepared_rows(self, request) -> "tuple[list[tuple], tuple[str, ...], str] | None":  # `list` is the action
        """Return the rows of this page of the present read by its prepared statement (stats/api/prepared.py), the
        names of their columns and the database they were read from; or None where the page is built through the
        ORM (the past, a shape whose SQL does not follow it)."""
        if self.moment is not None:
            return None
        filterset = self.filter_backends[0]().get_filterset(request, self.get_queryset(), self)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        offset = self.paginator.begin(request)
        question = self.pages.question(filterset)
        if question is None:
            return None
        shape, values = question
        ordering = self.pages.ordering(filterset, shape, values)
        if offset is None:
            self.paginator.page_number, keys, back = self.paginator.decode_cursor(
                request.query_params[self.paginator.cursor_query_param], ordering, filterset.queryset.model
            )
            page, values = ("seek", back), [*values, *keys]
        else:
            page = ("offset", offset)
        self.paginator.count = counted(
            lambda: filterset.qs.order_by().count(), request, self.data_version, self.paginator.query_parameters()
        )
        if offset is not None and offset >= self.paginator.count:
            return self.paginator.end([], ordering), (), ""  # past the end: nothing to read, nothing to learn
        statement = self.pages.statement(filterset, shape, values, page, self.paginator.page_size_value)
        if statement is None:
            return None
        alias = filterset.queryset.db
        rows = self.pages.read(alias, statement, values)
        rows = rows[::-1] if page == ("seek", True) else rows
        return self.paginator.end(rows, ordering, keys_of(statement.names)), statement.names, alias

    @extend_schema(
        summary="The latest claim of each source",
        description="For each conflict, claimant, basis, party and category, the most recent cumulative figure "
        "counted up to `as_of` (default today): a body's verified count and its reported count are two lines. "
        "Where reports give the same day, the latest-published report wins, then the "
        "latest recorded. Takes every filter of the figure list: `?party=russia-armed-forces&category=killed` "
        "gives each source's latest count of Russian soldiers killed.",
        parameters=[analysis.LatestQuerySerializer],
        responses={200: serializers.FigureSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def latest(self, request):
        as_of = self.query()["as_of"]

        def winners():
            chosen = self.filter_queryset(past.twin(Figure).objects.all())
            ordering = chosen.query.order_by or Figure._meta.ordering
            return chosen.latest_per_quantity(as_of).order_by(*ordering)

        return self.conditional_page(request, winners)

    @extend_schema(
        summary="Figures deleted since a time",
        description="Ids of the figures deleted at or after `since`, newest first, so that a copy kept up to date "
        "with `updated_since` can drop them too.",
        parameters=[analysis.DeletedQuerySerializer],
        responses={200: analysis.DeletedFigureSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def deleted(self, request):
        since = self.query()["since"]

        def deletions():
            return Figure.history.filter(history_type="-", history_date__gte=since).order_by("-history_date", "-id")

        return self.conditional_page(request, deletions, analysis.DeletedFigureSerializer)

    @extend_schema(
        summary="Every revision of a figure",
        description="Who changed the figure, when, and each field's old and new value, newest first (also for a "
        "figure since deleted). Curators' usernames are public, as on a wiki. Text a curator has redacted (personal "
        "data, say) reads \"Redacted on <day>: <reason>\", in every revision that carried it.",
        responses={200: analysis.RevisionSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        def revisions():
            found = analysis.figure_revisions(pk)
            if not found:
                raise NotFound(f"No figure {pk} has ever existed.")
            return Response(analysis.RevisionSerializer(found, many=True).data)

        return self.conditional(request, self.list_etag(request), revisions)

    @extend_schema(
        summary="Export figures as CSV",
        description="Every figure matching the same filters as the list, as one CSV file (UTF-8, header row), "
        "without pages. The columns are the ones `manage.py import_figures` reads, so an export loads back "
        "unchanged; `dataset` names the compilation each figure was taken from (reuse it under that dataset's "
        "licence: `/api/v1/datasets/`), and `/api/v1/datapackage.json` describes every column for data tools.",
        filters=True,  # the list's filters, which drf-spectacular offers only to operations answering a list
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="CSV with the columns: " + ", ".join(FIGURE_CSV_COLUMNS),
            ),
        },
    )
    @action(
        detail=False, methods=["get"], renderer_classes=[CSVRenderer], pagination_class=None,
        throttle_classes=[*api_settings.DEFAULT_THROTTLE_CLASSES, ExportRateThrottle], throttle_scope="export",
    )
    def export(self, request):
        rows = self.filter_queryset(past.twin(Figure).objects.all()).values_list(*FIGURE_CSV.values())
        updated_at = FIGURE_CSV_COLUMNS.index("updated_at")
        texts = [FIGURE_CSV_COLUMNS.index(column) for column in TEXT_COLUMNS]

        def blocks():
            """Yield the CSV EXPORT_BATCH rows at a time (a write per row would cost a system call per row)."""
            buffer = io.StringIO()
            writer = csv.writer(buffer)  # None is written as an empty cell
            writer.writerow(FIGURE_CSV_COLUMNS)
            read = rows.iterator(chunk_size=EXPORT_BATCH)
            with connections[rows.db].execute_wrapper(compiled_time_loader):  # the statement runs at the first row
                first = next(read, None)
            for count, row in enumerate(read if first is None else itertools.chain([first], read), start=1):
                cells = list(row)
                # Times in ISO 8601 with its T, as in the JSON and as data tools read them.
                cells[updated_at] = cells[updated_at].isoformat()
                for index in texts:  # a quote from a belligerent's statement is not a formula for a spreadsheet
                    cells[index] = neutralised(cells[index])
                writer.writerow(cells)
                if count % EXPORT_BATCH == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

        def stream():
            # Compressed when the client accepts it: a fifth of the bytes, for one deflate pass over each block.
            gzipped = ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")) is not None
            content = past.streamed(blocks(), self.moment)  # the rows are read as the client reads them
            if gzipped:
                content = compress_sequence((block.encode() for block in content), max_random_bytes=100)
            response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
            if gzipped:
                response["Content-Encoding"] = "gzip"
            patch_vary_headers(response, ["Accept-Encoding"])
            stamp = timezone.now().strftime("%Y%m%d")
            response["Content-Disposition"] = f'attachment; filename="conflictdata-figures-{stamp}.csv"'
            return response

        return self.conditional(request, self.list_etag(request), stream)


class AnalysisView(StrictQueryMixin, ConditionalMixin, APIView):
    """A read-only question over the figures, answered as one JSON body with the data's ETag."""

    permission_classes = [permissions.AllowAny]  # it only reads

    def get(self, request):
        query = self.query()
        return self.conditional(request, self.list_etag(request), lambda: Response(self.stated(self.answer(query))))

    def stated(self, body: dict) -> dict:
        """Return the answer with the state of the data it reflects: its version, and the moment asked for."""
        return {**body, "data_version": self.version[0], "as_recorded": self.moment}


class SeriesView(AnalysisView):
    """One source's cumulative count of one quantity as a series of dated points."""

    action = "series"
    query_serializer_classes = {"series": analysis.SeriesQuerySerializer}

    @extend_schema(
        summary="A cumulative series",
        description="One source's cumulative count of one quantity on one basis, a point per day (or the last point "
        "per ISO week or month), each with its band (`value_low`, `value_high`: an estimate's interval), its change "
        "from the previous point and flags for a fall (`correction`) or a missing day, week or month before it "
        "(`gap`). `basis` is needed only when the claimant counts the quantity on several (OCHA's verified count "
        "and its flash updates). Where reports give the same day, the latest-published "
        "report wins, then the latest recorded. Non-cumulative figures never enter a series.\n\n"
        "Example: `?party=russia-armed-forces&category=total&claimed_by=ukraine-general-staff&interval=month`.",
        parameters=[analysis.SeriesQuerySerializer],
        responses={200: analysis.SeriesSerializer},
    )
    def get(self, request):
        return super().get(request)

    def answer(self, query: dict) -> dict:
        return analysis.series(query)


class CompareView(AnalysisView):
    """The disagreement about one quantity: each source's latest claim, side by side."""

    action = "compare"
    query_serializer_classes = {"compare": analysis.CompareQuerySerializer}

    @extend_schema(
        summary="Claims side by side",
        description="Each source's latest cumulative claim about one party and category up to `as_of` (one per "
        "source and basis: a verified count and a reported one are two claims), with whether the source is "
        "independent of the belligerents. `claimed_by` and `independent` narrow the claims as in the figure list.\n\n"
        "`groups` compare like with like: one per basis (estimated, then confirmed, then claimed) with the range of "
        "its **recent** claims, those counted to within `recent_days` (default 365) of the newest claim compared, "
        "whatever its basis. Claims counted to earlier days are counted in `older`, per basis, never in a range: a "
        "2022 claim and a 2026 one are not a disagreement about one number. Ranges are of `value` (each claim "
        "carries its own band). `summary` is every latest claim, whatever its age or basis (`spread` is "
        "max ÷ min).\n\n"
        "Example: `?party=russia-armed-forces&category=killed&as_of=2024-12-16`.",
        parameters=[analysis.CompareQuerySerializer],
        responses={200: analysis.CompareSerializer},
    )
    def get(self, request):
        return super().get(request)

    def answer(self, query: dict) -> dict:
        claims = analysis.compared_claims(query)
        compared = analysis.compare_groups(claims, query["recent_days"])
        return {
            "as_of": query["as_of"],
            "claims": analysis.CompareClaimSerializer(claims, many=True).data,
            "summary": analysis.compare_summary([claim.value for claim in claims]),
            "groups": analysis.CompareGroupSerializer(compared["groups"], many=True).data,
            "older": analysis.CompareOlderSerializer(compared["older"], many=True).data,
        }


class DataPackageView(StrictQueryMixin, ConditionalMixin, APIView):
    """The export described for data tools: a Frictionless Data Package."""

    action = "datapackage"
    permission_classes = [permissions.AllowAny]  # it only reads

    @extend_schema(
        summary="The export as a Frictionless Data Package",
        description="A `datapackage.json` describing the CSV export (`/api/v1/figures/export/`): each column with its "
        "type, description and constraints, and every dataset the figures were taken from with its origin and "
        "licence. Data tools (frictionless, Open Data Editor, ckan) read the export with it.",
        tags=["datasets"],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="A Data Package descriptor.")},
    )
    def get(self, request):
        return self.conditional(
            request, self.list_etag(request),
            lambda: Response(datapackage(request, list(past.twin(Dataset).objects.all()))),
        )


class APIRootView(StrictQueryMixin, routers.APIRootView):
    """The resources of conflictdata's API. Reads are public; writes need a curator's token."""

    action = "root"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        for name in ("figures/export", "figures/latest", "series", "series/export", "compare"):
            response.data[name.replace("/", "_")] = request.build_absolute_uri(f"{name}/")
        response.data["datapackage"] = request.build_absolute_uri("datapackage.json")
        response.data["schema"] = request.build_absolute_uri("/api/schema/")
        response.data["docs"] = request.build_absolute_uri("/api/docs/")
        response.data["guide"] = request.build_absolute_uri(reverse("start-here"))
        response.data["feed"] = request.build_absolute_uri(reverse("claims-feed"))
        return response


class Router(routers.DefaultRouter):
    APIRootView = APIRootView


router = Router()
router.register("conflicts", ConflictViewSet)
router.register("parties", PartyViewSet)
router.register("sources", SourceViewSet)
router.register("categories", CategoryViewSet)
router.register("reports", ReportViewSet)
router.register("datasets", DatasetViewSet)
router.register("figures", FigureViewSet)
