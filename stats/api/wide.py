"""A quantity as a wide CSV for charting tools: a row per day, a column per claimant (`/api/v1/series/export/`).

Datawrapper's "link external dataset", Flourish's live data and Google Sheets' IMPORTDATA fetch an address and draw
its columns; they send Accept headers of their own (or none), so the answer is CSV whatever they ask for, and errors
are JSON like every error of the API.
"""

import csv
import io

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from stats.api import analysis
from stats.api.mixins import ConditionalMixin, StrictQueryMixin
from stats.api.renderers import CSVRenderer
from stats.api.serializers import SlugParameter
from stats.csvformat import neutralised
from stats.limits import ExportRateThrottle
from stats.models import Basis, Category, Conflict, Party

# A chart tool re-reads the address when its chart is opened or on a schedule: a cache may keep an answer for an
# hour, then asks again with its ETag and is answered 304 until the data changes.
MAX_AGE = 3600


class WideQuerySerializer(analysis.ConflictOfParty, analysis.ClaimantParameters, analysis.PeriodParameters):
    party = SlugParameter(queryset=Party.objects.all(), help_text="Whose casualties: party slug (required).")
    category = SlugParameter(queryset=Category.objects.all(), help_text="What is counted: category slug (required).")
    conflict = SlugParameter(
        queryset=Conflict.objects.all(), required=False,
        help_text="Conflict slug; needed only when the party's figures of this category are in several conflicts.",
    )
    basis = serializers.ChoiceField(
        choices=Basis.choices, required=False,
        help_text="`claimed`, `estimated` or `confirmed`: only the claims on this basis. Without it every basis, a "
        "claimant counting on two (OCHA's verified count and its flash updates) having a column for each.",
    )
    bands = analysis.BooleanParameter(
        required=False, default=False,
        help_text="`true`: after each claimant's column, `<name> low` and `<name> high`, the ends of the band an "
        "estimate gives (empty without); default `false`.",
    )

    def validate(self, attrs):
        return self.resolve_conflict(super().validate(attrs))


def wide_table(lines: list[analysis.ClaimantLine], bands: bool) -> list[list]:
    """Return the header and a row per day any line has a point on, oldest first: each line's value that day, and
    its band's ends with `bands`; None where the line has no point that day (a chart tool draws the gap)."""
    fields = ["value", "value_low", "value_high"] if bands else ["value"]
    header = ["date"]
    for line in lines:
        header += [line.label, f"{line.label} low", f"{line.label} high"] if bands else [line.label]
    by_day = [{point["period_end"]: point for point in line.points} for line in lines]
    rows = [header]
    for day in sorted(set().union(*by_day)):
        row = [day.isoformat()]
        for points in by_day:
            point = points.get(day, {})
            row += [point.get(field) for field in fields]
        rows.append(row)
    return rows


def csv_text(rows: list[list]) -> str:
    """Return the rows as CSV, the header's names neutralised as the export's text is (a name is free text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # None is written as an empty cell
    writer.writerow([neutralised(name) for name in rows[0]])
    writer.writerows(rows[1:])
    return buffer.getvalue()


class CSVWhateverAccepted(BaseContentNegotiation):
    """Choose CSV whatever the client's Accept header says: chart tools send their own, or none."""

    def select_parser(self, request, parsers):
        return None  # a GET has no body

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class SeriesExportView(StrictQueryMixin, ConditionalMixin, APIView):
    """A quantity as a wide CSV: a row per day, a column per claimant and basis."""

    action = "series_export"
    permission_classes = [permissions.AllowAny]  # it only reads
    http_method_names = ["get", "head"]  # a CORS preflight is answered by django-cors-headers before the view
    renderer_classes = [CSVRenderer]
    content_negotiation_class = CSVWhateverAccepted
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ExportRateThrottle]
    throttle_scope = "export"  # the figures export's own limit (API_THROTTLE_EXPORT), shared with it
    query_serializer_classes = {"series_export": WideQuerySerializer}

    def known_query_parameters(self) -> set[str]:
        return super().known_query_parameters() - {"format"}  # always CSV: no format to choose

    @extend_schema(
        summary="A quantity as a wide CSV, for charting tools",
        description="Every claimant's cumulative count of one quantity, one row per day and one column per claimant: "
        "the address to paste into Datawrapper (\"Link external dataset\"), Flourish (live data) or Google Sheets "
        "(`=IMPORTDATA(\"…\")`), which then re-read it as new claims arrive.\n\n"
        "The first column is `date` (a figure's `period_end`, YYYY-MM-DD, oldest first), with a row for each day on "
        "which any claimant's count is known. Then a column per claimant, ordered by the claimant's name, headed by "
        "that name, plus the basis in brackets where a claimant counts the quantity on two (`OCHA (confirmed)`, "
        "`OCHA (claimed)`). A cell is the value of that claimant's series that day, chosen as `/api/v1/series/` "
        "chooses where reports give one day several figures; it is empty where the claimant said nothing that day "
        "(nothing is carried forward: a chart draws the gap). `bands=true` adds `<name> low` and `<name> high` after "
        "each claimant's column. Only cumulative figures, as in `series`.\n\n"
        "Always `text/csv; charset=utf-8`, whatever the `Accept` header; errors are JSON, as everywhere in the API. "
        "A name a spreadsheet would run as a formula starts with `'`, as in the figures export. "
        "`Content-Disposition: attachment` names the file `<conflict>-<party>-<category>.csv` (chart tools ignore "
        "it; a browser saves the file). `Cache-Control: public, max-age=3600`: a cache keeps it for an hour, then "
        "asks again with its `ETag` and gets a 304 until the data changes. Open to every origin (CORS); the export's "
        "rate limit applies.\n\n"
        "Example: `?party=russia-armed-forces&category=killed`.",
        parameters=[WideQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="CSV: `date`, then a column per claimant (and basis), with `<name> low` and `<name> "
                "high` after each with `bands=true`.",
            ),
        },
    )
    def get(self, request):
        query = self.query()
        response = self.conditional(request, self.list_etag(request), lambda: self.wide_csv(query))
        response["Cache-Control"] = f"public, max-age={MAX_AGE}"  # a settled past's is longer (say_which_state)
        return response

    def wide_csv(self, query: dict) -> HttpResponse:
        lines = analysis.claimant_lines(query["conflict"], query["party"], query["category"], query)
        response = HttpResponse(csv_text(wide_table(lines, query["bands"])), content_type="text/csv; charset=utf-8")
        quantity = [query["party"].slug, query["category"].slug]
        name = "-".join([query["conflict"].slug, *quantity] if query["conflict"] else quantity)
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
