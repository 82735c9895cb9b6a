"""The analysis endpoints' parameters and bodies: series, compare, latest, history and deletions."""

import datetime
import statistics
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from stats import past, versions
from stats.api.filters import FigureFilterSet, SlugListField, StrictBooleanField
from stats.api.prepared import PreparedQuery
from stats.api.serializers import DateField, SlugParameter
from stats.models import Basis, Category, Conflict, Figure, Party, Source
from stats.querysets import series_of

TRACKED_FIELDS = [
    "conflict", "party", "category", "claimed_by", "report", "value", "value_low", "value_high", "qualifier", "basis",
    "period_start", "period_end", "date_precision", "quote", "notes", "dataset",
]
# Relations a revision names by slug.
SLUG_RELATIONS = ["conflict", "party", "category", "claimed_by", "dataset"]
CHANGE_WORDS = {"+": "created", "~": "changed", "-": "deleted"}
# A claim counted to within this many days of the newest claim compared is recent (compare's `recent_days`).
RECENT_DAYS = 365
# The order of compare's groups: estimates of the whole first, then counts of confirmed cases (a floor), then
# statements.
BASIS_ORDER = ["estimated", "confirmed", "claimed"]


def today():
    return timezone.localdate()


def of_this_version(find, *question):
    """Return `find()`, remembered for the data version now (reads of the past find it each time): which conflict or
    basis the figures asked for have cannot change without a write."""
    if past.moment() is not None:
        return find()
    return versions.remembered(find, *question, *versions.latest())


class ConflictOfParty:
    """Resolve `conflict` when it is left out: the only conflict of the figures asked for (party, category and,
    for a series, claimant), found in the index that holds them."""

    # The parameters naming the figures asked for.
    asking = ("party", "category")

    def resolve_conflict(self, attrs):
        if attrs.get("conflict") is not None:
            return attrs
        asked = {f"{name}_id": attrs[name].pk for name in self.asking}
        model = past.twin(Conflict)

        def find() -> list[tuple[int, str]]:
            found = past.twin(Figure).objects.filter(**asked).values("conflict_id")
            return list(model.objects.filter(pk__in=found).order_by("slug").values_list("pk", "slug")[:3])

        conflicts = [model(pk=pk, slug=slug) for pk, slug in of_this_version(find, "conflicts", asked)]
        if len(conflicts) > 1:
            names = ", ".join(conflict.slug for conflict in conflicts)
            message = f"The party {attrs['party'].slug} appears in several conflicts ({names}): name one with conflict."
            raise serializers.ValidationError({"conflict": [message]})
        attrs["conflict"] = conflicts[0] if conflicts else None
        return attrs


class BasisOfSeries:
    """Resolve `basis` when it is left out: the only basis of the claimant's cumulative figures for the quantity."""

    def resolve_basis(self, attrs):
        if attrs.get("basis") is not None:
            return attrs
        asked = {f"{name}_id": attrs[name].pk if attrs[name] else None
                 for name in ("party", "category", "claimed_by", "conflict")}

        def find() -> list[str]:
            figures = past.twin(Figure).objects.filter(**asked)
            return sorted(set(figures.cumulative().values_list("basis", flat=True).distinct()))

        bases = of_this_version(find, "bases", asked)
        if len(bases) > 1:
            message = (
                f"The claimant {attrs['claimed_by'].slug} counts this quantity on several bases ({', '.join(bases)}): "
                "name one with basis."
            )
            raise serializers.ValidationError({"basis": [message]})
        attrs["basis"] = bases[0] if bases else None
        return attrs


class FormFieldParameter(serializers.Field):
    """A query parameter read by a form field of the figure filters, so that it means what it means in the list."""

    def __init__(self, form_field, **kwargs):
        self.form_field = form_field
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return self.form_field.clean(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.STR)
class SlugsParameter(FormFieldParameter):
    def __init__(self, *, model, **kwargs):
        super().__init__(SlugListField(model=model), **kwargs)


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanParameter(FormFieldParameter):
    def __init__(self, **kwargs):
        super().__init__(StrictBooleanField(), **kwargs)


class PeriodParameters(serializers.Serializer):
    """`start` and `end`: the days of `period_end` a question covers."""

    start = DateField(required=False, help_text="First day of the series (period_end ≥ it), YYYY-MM-DD.")
    end = DateField(required=False, help_text="Last day of the series (period_end ≤ it), YYYY-MM-DD.")

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": ["The end cannot come before the start."]})
        return attrs


class ClaimantParameters(serializers.Serializer):
    """`claimed_by` and `independent`: whose claims of a quantity are asked for, narrowed as the figure list narrows
    them (`narrowed()`)."""

    claimed_by = SlugsParameter(
        model=Source, required=False,
        help_text="Only these claimants: source slugs separated by commas, as in the figure list.",
    )
    independent = BooleanParameter(
        required=False,
        help_text="`true`: only claims by sources affiliated with none of the parties; `false`: only claims by "
        "sources speaking for a party.",
    )


class ClaimsParameters(ClaimantParameters):
    """`as_of`, `claimed_by` and `independent`: which claims of a quantity are compared (the pages share them)."""

    as_of = DateField(
        required=False, default=today,
        help_text="Compare the claims counted up to this day (period_end ≤ it), YYYY-MM-DD; default today.",
    )


class SeriesQuerySerializer(BasisOfSeries, ConflictOfParty, PeriodParameters):
    asking = ("party", "category", "claimed_by")

    party = SlugParameter(queryset=Party.objects.all(), help_text="Whose casualties: party slug (required).")
    category = SlugParameter(queryset=Category.objects.all(), help_text="What is counted: category slug (required).")
    claimed_by = SlugParameter(queryset=Source.objects.all(), help_text="According to whom: source slug (required).")
    conflict = SlugParameter(
        queryset=Conflict.objects.all(), required=False,
        help_text="Conflict slug; needed only when the figures asked for are in several conflicts.",
    )
    basis = serializers.ChoiceField(
        choices=Basis.choices, required=False,
        help_text="`claimed`, `estimated` or `confirmed`; needed only when the claimant counts this quantity on "
        "several bases (OCHA's verified count and its flash updates are two series).",
    )
    interval = serializers.ChoiceField(
        choices=["day", "week", "month"], default="day",
        help_text="`day` (default): every date; `week` (ISO, Monday to Sunday) or `month`: the last point in each.",
    )

    def validate(self, attrs):
        return self.resolve_basis(self.resolve_conflict(super().validate(attrs)))


class CompareQuerySerializer(ConflictOfParty, ClaimsParameters):
    party = SlugParameter(queryset=Party.objects.all(), help_text="Whose casualties: party slug (required).")
    category = SlugParameter(queryset=Category.objects.all(), help_text="What is counted: category slug (required).")
    conflict = SlugParameter(
        queryset=Conflict.objects.all(), required=False,
        help_text="Conflict slug; needed only when the figures asked for are in several conflicts.",
    )
    recent_days = serializers.IntegerField(
        min_value=1, max_value=36500, default=RECENT_DAYS,
        help_text="How many days before the newest claim compared (whatever its basis) a claim may count to and "
        f"still be recent, entering a range of `groups` (default {RECENT_DAYS}); older claims are counted in "
        "`older`. An integer from 1 to 36500.",
    )

    def validate(self, attrs):
        return self.resolve_conflict(attrs)


class LatestQuerySerializer(serializers.Serializer):
    as_of = DateField(
        required=False, default=today,
        help_text="The latest figures counted up to this day (period_end ≤ it), YYYY-MM-DD; default today.",
    )


class DeletedQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        help_text="ISO 8601 time, e.g. `2024-12-17T08:00:00Z` (required): figures deleted at or after it."
    )


class SeriesPointSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The last day the count covers (the figure's period_end).")
    value = serializers.IntegerField(help_text="The cumulative value claimed up to that day.")
    value_low = serializers.IntegerField(allow_null=True, help_text="The low end of the figure's band; null without.")
    value_high = serializers.IntegerField(
        allow_null=True, help_text="The high end of the figure's band; null without."
    )
    change = serializers.IntegerField(
        allow_null=True, help_text="Difference from the previous point of this series; null for the first point."
    )
    figure = serializers.IntegerField(help_text="Id of the figure the point comes from.")
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=["correction", "gap"]),
        help_text="`correction`: the value fell; `gap`: the previous point is not in the immediately preceding "
        "day, ISO week or month.",
    )


class StateSerializer(serializers.Serializer):
    data_version = serializers.IntegerField(
        help_text="The data version the answer shows (also in the X-Data-Version header): cite it with the answer."
    )
    as_recorded = serializers.DateTimeField(
        allow_null=True, help_text="The moment asked for with `as_recorded` (the data as it stood then); null for now."
    )


class SeriesSerializer(StateSerializer):
    conflict = serializers.CharField(allow_null=True, help_text="Conflict slug (resolved when left out).")
    party = serializers.CharField()
    category = serializers.CharField()
    claimed_by = serializers.CharField()
    basis = serializers.CharField(allow_null=True, help_text="The basis of the series (resolved when left out).")
    interval = serializers.CharField()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    points = SeriesPointSerializer(many=True)


def series_candidates(model, values: list):
    """Return the values() query of a series' candidate points (FigureQuerySet.series_candidates) among `model`'s
    figures: `values` are the ids of its party, category, claimant and conflict, its basis, and its first and last
    days (None: no conflict or basis; no bound)."""
    party, category, claimed_by, conflict, basis, start, end = values
    figures = model.objects.filter(
        party_id=party, category_id=category, claimed_by_id=claimed_by, conflict_id=conflict, basis=basis
    )
    if start is not None:
        figures = figures.filter(period_end__gte=start)
    if end is not None:
        figures = figures.filter(period_end__lte=end)
    return figures.series_candidates()


# Building and compiling that query through the ORM took more time than anything else in a series; its SQL is
# kept per shape of question, and each question's values are bound to it.
SERIES_CANDIDATES = PreparedQuery(series_candidates)


def series(query: dict) -> dict:
    """Return the answer to a validated series question (SeriesQuerySerializer): the query echoed and its points."""
    values = [
        query["party"].pk, query["category"].pk, query["claimed_by"].pk,
        query["conflict"].pk if query["conflict"] else None, query["basis"], query.get("start"), query.get("end"),
    ]
    names, rows = SERIES_CANDIDATES.rows(past.twin(Figure), values)
    candidates = [dict(zip(names, row, strict=True)) for row in rows]
    for candidate in candidates:  # SQLite gives the text it stores (stats/api/reading.py)
        if isinstance(candidate["period_end"], str):
            candidate["period_end"] = datetime.date.fromisoformat(candidate["period_end"])
    return {
        "conflict": query["conflict"].slug if query["conflict"] else None,
        "party": query["party"].slug,
        "category": query["category"].slug,
        "claimed_by": query["claimed_by"].slug,
        "basis": query["basis"],
        "interval": query["interval"],
        "start": query.get("start"),
        "end": query.get("end"),
        "points": series_points(series_of(candidates, query["interval"]), query["interval"]),
    }


def compared_claims(query: dict) -> list[Figure]:
    """Return the claims a validated compare question (CompareQuerySerializer) sets side by side, highest first:
    each claimant's latest cumulative figure per basis up to `as_of`, with the relations a citation needs."""
    figures = past.twin(Figure).objects.filter(
        party_id=query["party"].pk, category_id=query["category"].pk,
        conflict_id=query["conflict"].pk if query["conflict"] else None,
    )
    latest = narrowed(figures, query).latest_per_quantity(query["as_of"])
    return list(latest.with_related().order_by("-value", "claimed_by__slug"))


def narrowed(figures, query: dict):
    """Return `figures` narrowed by the question's `claimed_by` and `independent` (ClaimantParameters) exactly as the
    figure list narrows them."""
    for name in ("claimed_by", "independent"):
        if query.get(name) is not None:
            figures = FigureFilterSet.base_filters[name].filter(figures, query[name])
    return figures


def follows(previous, current, interval: str) -> bool:
    """Return whether date `previous` lies in the day, ISO week or month immediately before `current`'s."""
    if interval == "day":
        return (current - previous).days == 1
    if interval == "week":
        monday = current.toordinal() - current.weekday()
        return monday - 7 <= previous.toordinal() < monday
    return (previous.year * 12 + previous.month) == (current.year * 12 + current.month - 1)


def series_points(rows, interval: str) -> list[dict]:
    """Return the points of a series from rows carrying their previous value and date (see FigureQuerySet.series)."""
    points = []
    for row in rows:
        first = row["previous_value"] is None
        flags = []
        if not first and row["value"] < row["previous_value"]:
            flags.append("correction")
        if not first and not follows(row["previous_date"], row["period_end"], interval):
            flags.append("gap")
        points.append({
            "date": row["period_end"],
            "value": row["value"],
            "value_low": row["value_low"],
            "value_high": row["value_high"],
            "change": None if first else row["value"] - row["previous_value"],
            "figure": row["id"],
            "flags": flags,
        })
    return points


class CompareClaimSerializer(serializers.ModelSerializer):
    claimed_by = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="Source slug.")
    independent = serializers.BooleanField(
        source="claimed_by.independent", read_only=True,
        help_text="True when the source speaks for none of the parties.",
    )
    citation = serializers.CharField(read_only=True, help_text="The sentence to cite this claim by.")

    class Meta:
        model = Figure
        fields = [
            "claimed_by", "independent", "value", "value_low", "value_high", "qualifier", "basis", "period_end",
            "report", "citation",
        ]


class CompareSummarySerializer(serializers.Serializer):
    sources = serializers.IntegerField(
        help_text="How many claims are set side by side: one per source and basis (a body's verified and reported "
        "counts are two)."
    )
    min = serializers.IntegerField(allow_null=True, help_text="The lowest value claimed.")
    max = serializers.IntegerField(allow_null=True, help_text="The highest value claimed.")
    median = serializers.FloatField(
        allow_null=True, help_text="The middle value (the mean of the middle two for an even count)."
    )
    spread = serializers.FloatField(
        allow_null=True, help_text="max ÷ min, to two decimals: how far apart the claims are; null when min is 0."
    )


class CompareGroupSerializer(serializers.Serializer):
    """The recent claims of one basis, compared like with like: a claim is recent when it counts to within
    `recent_days` of the newest claim compared, whatever that one's basis. Only a basis with recent claims has a
    group; `min`, `max` and `median` are of the claims' `value` (a band's ends are in each claim)."""

    basis = serializers.ChoiceField(choices=Basis.choices, help_text="`estimated`, `confirmed` or `claimed`.")
    claimed_by = serializers.ListField(
        child=serializers.CharField(), help_text="The claimants' slugs, in the order of `claims` (highest first)."
    )
    claims = serializers.IntegerField(help_text="How many recent claims of this basis (one per claimant).")
    min = serializers.IntegerField(help_text="The lowest value claimed.")
    max = serializers.IntegerField(help_text="The highest value claimed.")
    median = serializers.FloatField(help_text="The middle value (the mean of the middle two for an even count).")
    first = serializers.DateField(help_text="The earliest day the group's claims count to (period_end).")
    to = serializers.DateField(help_text="The latest day the group's claims count to (period_end).")

    def get_fields(self):
        """Return the fields, `first` named `from` (a word Python keeps for itself)."""
        return {("from" if name == "first" else name): field for name, field in super().get_fields().items()}


class CompareOlderSerializer(serializers.Serializer):
    """The claims of one basis counted to more than `recent_days` before the newest claim compared: counted here,
    never in a range."""

    basis = serializers.ChoiceField(choices=Basis.choices, help_text="`estimated`, `confirmed` or `claimed`.")
    claims = serializers.IntegerField(help_text="How many older claims of this basis.")
    newest = serializers.DateField(help_text="The latest day any of them counts to (period_end).")


class CompareSerializer(StateSerializer):
    as_of = serializers.DateField()
    claims = CompareClaimSerializer(many=True)
    summary = CompareSummarySerializer(
        help_text="Every latest claim, whatever its age or basis: read `groups` to compare like with like."
    )
    groups = CompareGroupSerializer(
        many=True,
        help_text="One group per basis with recent claims (estimated, then confirmed, then claimed): recent means "
        "counted to within `recent_days` (default 365) of the newest claim compared, whatever its basis.",
    )
    older = CompareOlderSerializer(
        many=True, help_text="Per basis (in the groups' order), the claims that are not recent: in no range."
    )


def compare_groups(claims: list[Figure], recent_days: int = RECENT_DAYS) -> dict:
    """Return the claims compared like with like: per basis, the range of the recent ones (counted to within
    `recent_days` of the newest claim, whatever its basis) and how many older ones there are, never in a range.

    Each group and older entry also keeps its claims under `figures` (for the pages' words; the API leaves it out).
    """
    if not claims:
        return {"groups": [], "older": []}
    cut = max(claim.period_end for claim in claims) - datetime.timedelta(days=recent_days)
    groups, older = [], []
    for basis in sorted({claim.basis for claim in claims}, key=BASIS_ORDER.index):
        recent = [claim for claim in claims if claim.basis == basis and claim.period_end >= cut]
        old = [claim for claim in claims if claim.basis == basis and claim.period_end < cut]
        if recent:
            groups.append(compare_group(basis, recent))
        if old:
            older.append({
                "basis": basis, "claims": len(old), "newest": max(claim.period_end for claim in old), "figures": old,
            })
    return {"groups": groups, "older": older}


def compare_group(basis: str, claims: list[Figure]) -> dict:
    """Return the range of one basis's recent claims, their claimants in the order given."""
    values = [claim.value for claim in claims]
    days = [claim.period_end for claim in claims]
    return {
        "basis": basis, "claimed_by": [claim.claimed_by.slug for claim in claims], "claims": len(claims),
        "min": min(values), "max": max(values), "median": statistics.median(values), "from": min(days),
        "to": max(days), "figures": claims,
    }


def compare_summary(values: list[int]) -> dict:
    """Return the summary of the claimed values: how many, lowest, highest, median and max ÷ min."""
    if not values:
        return {"sources": 0, "min": None, "max": None, "median": None, "spread": None}
    low, high = min(values), max(values)
    return {
        "sources": len(values),
        "min": low,
        "max": high,
        "median": statistics.median(values),
        "spread": None if low == 0 else round(high / low, 2),
    }


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True, help_text="The value before (null when created).")
    new = serializers.JSONField(allow_null=True, help_text="The value after (null when deleted).")


class RevisionSerializer(serializers.Serializer):
    changed_at = serializers.DateTimeField()
    changed_by = serializers.CharField(allow_null=True, help_text="The curator's username; null for the system.")
    change = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    changes = FieldChangeSerializer(many=True)


class DeletedFigureSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the deleted figure.")
    deleted_at = serializers.DateTimeField(source="history_date", help_text="When it was deleted.")


def figure_revisions(pk) -> list[dict]:
    """Return every revision of figure `pk`, newest first (empty when it never existed), relations as slugs."""
    records = list(Figure.history.filter(id=pk).select_related("history_user").order_by("-history_date", "-history_id"))
    slugs = {}
    for name in SLUG_RELATIONS:
        model = Figure._meta.get_field(name).related_model
        wanted = {getattr(record, f"{name}_id") for record in records} - {None}
        slugs[name] = dict(model.objects.filter(pk__in=wanted).values_list("pk", "slug")) if wanted else {}
    return revisions(records, slugs)


def revisions(records, slugs: dict[str, dict[int, str]]) -> list[dict]:
    """Return a figure's revisions, newest first, each with the fields it changed (relations as slugs); a revision
    that changed none of them is left out."""

    def shown(record, field):
        if record is None:
            return None
        value = getattr(record, f"{field}_id" if field in slugs or field == "report" else field)
        if field in slugs:
            return slugs[field].get(value, value)
        return value.isoformat() if hasattr(value, "isoformat") else value

    entries = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        before = None if record.history_type == "+" else previous
        after = None if record.history_type == "-" else record
        if record.history_type == "-":
            before = record
        changes = [
            {"field": field, "old": shown(before, field), "new": shown(after, field)}
            for field in TRACKED_FIELDS
            if shown(before, field) != shown(after, field)
        ]
        if record.history_type == "~" and not changes:
            continue  # a touch: its report or a source changed, not the figure (services.figures_touch)
        entries.append({
            "changed_at": record.history_date,
            "changed_by": record.history_user.username if record.history_user else None,
            "change": CHANGE_WORDS[record.history_type],
            "changes": changes,
        })
    return entries


@dataclass
class ClaimantLine:
    """One claimant's cumulative series of a quantity on one basis, under its column's (and legend's) name."""

    label: str
    slug: str
    name: str
    basis: str
    points: list[dict]


def claimant_lines(conflict, party, category, query: dict) -> list[ClaimantLine]:
    """Return the cumulative series of every claimant and basis of a quantity, ordered by claimant name: the points
    `series` gives (FigureQuerySet.series_per_claimant, one per day), narrowed as the figure list narrows
    (`claimed_by`, `independent`) and by `basis`, `start` and `end` when asked. The wide CSV's columns and the pages'
    chart lines."""
    figures = past.twin(Figure).objects.filter(
        party_id=party.pk, category_id=category.pk, conflict_id=conflict.pk if conflict else None,
    )
    figures = narrowed(figures, query)
    if query.get("basis"):
        figures = figures.filter(basis=query["basis"])
    if query.get("start"):
        figures = figures.filter(period_end__gte=query["start"])
    if query.get("end"):
        figures = figures.filter(period_end__lte=query["end"])
    series = figures.series_per_claimant("day")
    sources = {
        pk: (name, slug) for pk, name, slug in
        past.twin(Source).objects.filter(pk__in={claimant for claimant, _basis in series})
        .values_list("pk", "name", "slug")
    }
    bases = Counter(claimant for claimant, _basis in series)
    names = Counter(name for name, _slug in sources.values())
    lines = []
    for claimant, basis in sorted(series, key=lambda line: (*sources[line[0]], line[1])):
        name, slug = sources[claimant]
        # Two claimants of one name would be two columns of one name, which spreadsheets rename as they like.
        label = name + (f" [{slug}]" if names[name] > 1 else "") + (f" ({basis})" if bases[claimant] > 1 else "")
        lines.append(ClaimantLine(label, slug, name, basis, series[(claimant, basis)]))
    return lines
