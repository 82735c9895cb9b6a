"""Query-parameter filters, one FilterSet per model; their help text becomes the API documentation."""

import copy
import datetime

import django_filters
from django import forms
from django.core.validators import validate_slug
from django.db import connections
from django.db.models import Q
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from stats import past
from stats.models import (
    MAX_COUNT,
    Basis,
    Category,
    Conflict,
    Dataset,
    DatePrecision,
    Figure,
    Party,
    PartyKind,
    Report,
    Source,
    SourceKind,
)
from stats.search import matching_ids, search_words
from stats.vocabularies import slug_pks

MAX_LIST_VALUES = 50
MAX_QUERY_LENGTH = 200
MAX_FORMS = 256
DATE_FORMATS = ["%Y-%m-%d"]


class CommaSeparatedField(forms.Field):
    """A comma-separated list of values: `killed,injured`."""

    def to_python(self, value):
        if value in self.empty_values:
            return []
        items = [item.strip() for item in str(value).split(",")]
        if any(not item for item in items):
            raise forms.ValidationError("Separate values with single commas; an empty value is not allowed.")
        if len(items) > MAX_LIST_VALUES:
            raise forms.ValidationError(f"Give at most {MAX_LIST_VALUES} values.")
        return items


class SlugListField(CommaSeparatedField):
    """Slugs of existing rows, resolved to their ids; an unknown slug is an error, not an empty result."""

    def __init__(self, *, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def clean(self, value):
        slugs = super().clean(value)
        if not slugs:
            return None
        for slug in slugs:
            validate_slug(slug)
        found = slug_pks(self.model, slugs)
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            name = self.model._meta.verbose_name
            raise forms.ValidationError(
                "No %(name)s has the slug %(slugs)s.",
                params={"name": name, "slugs": ", ".join(repr(slug) for slug in unknown)},
            )
        return [found[slug] for slug in slugs]


class ChoiceListField(CommaSeparatedField):
    def __init__(self, *, choices, **kwargs):
        self.valid = [value for value, _label in choices]
        super().__init__(**kwargs)

    def clean(self, value):
        values = super().clean(value)
        wrong = [v for v in values if v not in self.valid]
        if wrong:
            # User input goes in params, never into the message itself (django-filter %-formats it).
            raise forms.ValidationError(
                "%(wrong)s is not one of: %(valid)s.",
                params={"wrong": ", ".join(repr(v) for v in wrong), "valid": ", ".join(self.valid)},
            )
        return values or None


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, turned into UTC here so that a time zone cannot push it outside the years 1 to 9999."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("Give a time between the years 1 and 9999, in UTC.") from None


class StrictBooleanField(forms.Field):
    """Exactly `true` or `false`."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Use true or false.")


@extend_schema_field(OpenApiTypes.STR)
class SlugListFilter(django_filters.Filter):
    field_class = SlugListField

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


@extend_schema_field(OpenApiTypes.STR)
class ChoiceListFilter(django_filters.Filter):
    field_class = ChoiceListField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


@extend_schema_field(OpenApiTypes.DATETIME)
class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_COUNT})
class CountFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=0, max_value=MAX_COUNT, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class WordsField(forms.CharField):
    """The words of `q`, by the one rule of stats.search: at most 8 distinct words of at least 3 characters."""

    def clean(self, value):
        text = super().clean(value)  # the length limit holds for the text as given
        return search_words(text) if text else None


@extend_schema_field({"type": "string", "maxLength": MAX_QUERY_LENGTH})
class WordsFilter(django_filters.Filter):
    """Rows containing every word, ignoring case, in any of `search_fields`: through the table's search index where
    it has one (figures, reports), else field by field (the vocabularies, a few rows each; and the past, whose texts
    the index, which holds the present's, does not know)."""

    field_class = WordsField

    def __init__(self, *args, search_fields=(), index: str | None = None, **kwargs):
        self.search_fields, self.index = search_fields, index
        super().__init__(*args, max_length=MAX_QUERY_LENGTH, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        if self.index is not None and not past.is_past(qs.model):
            return qs.filter(pk__in=matching_ids(self.index, value, connections[qs.db].vendor))
        for word in value:
            qs = qs.filter(Q(*[Q(**{f"{field}__icontains": word}) for field in self.search_fields], _connector=Q.OR))
        return qs


class GivenFilters(dict):
    """The filters a request gives, copied for its FilterSet one level deep: django-filter deep-copies them to set
    each copy's model and parent, and changes nothing deeper."""

    def __deepcopy__(self, memo):
        return {name: copy.copy(given) for name, given in self.items()}


class FilterSet(django_filters.FilterSet):
    """A FilterSet whose bound copies hold only the filters the query names.

    django-filter copies every filter and builds a form field for each on every request; here a request pays for
    the parameters it gives, not for the twenty it could. Unbound (the docs, the browsable API's form), all filters.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if data is not None:  # an instance attribute, read by the copy in super().__init__()
            self.base_filters = GivenFilters(
                (name, f) for name, f in type(self).base_filters.items() if name in data
            )
        super().__init__(data, queryset, request=request, prefix=prefix)

    def get_form_class(self):
        """Return the form of these filters, made once per set of parameters (Django copies its fields per form)."""
        forms = type(self).__dict__.get("_forms")
        if forms is None:
            forms = type(self)._forms = {}
        names = tuple(self.filters)
        form = forms.get(names)
        if form is None:
            form = super().get_form_class()
            if len(forms) < MAX_FORMS:  # combinations of parameters are many; the usual ones are few
                forms[names] = form
        return form


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which also filters the past twin of a FilterSet's model (stats/past.py): the same
    fields under the same names, read as they stood at `as_recorded`."""

    def get_filterset_class(self, view, queryset=None):
        return getattr(view, "filterset_class", None)


def slug_filter(model, field_name: str, help_text: str) -> SlugListFilter:
    return SlugListFilter(field_name=field_name, model=model, help_text=help_text)


def date_filter(field_name: str, lookup_expr: str, help_text: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(
        field_name=field_name, lookup_expr=lookup_expr, input_formats=DATE_FORMATS, help_text=help_text
    )


def country_filter() -> django_filters.CharFilter:
    return django_filters.CharFilter(
        field_name="country", lookup_expr="iexact", max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. `UA`."
    )


class FigureFilterSet(FilterSet):
    conflict = slug_filter(
        Conflict, "conflict_id", "Conflict slug, e.g. `russia-ukraine`; several separated by commas."
    )
    party = slug_filter(
        Party, "party_id", "Whose casualties: party slug, e.g. `russia-armed-forces`; several separated by commas."
    )
    category = slug_filter(
        Category,
        "category_id",
        "What is counted: category slug (`killed`, `injured`, `total`, `missing`, `captured`, …); several separated "
        "by commas.",
    )
    claimed_by = slug_filter(
        Source,
        "claimed_by_id",
        "According to whom: source slug, e.g. `ukraine-general-staff`; several separated by commas.",
    )
    publisher = slug_filter(
        Source, "report__publisher_id", "Slug of the source that published the report; several separated by commas."
    )
    report = IdFilter(field_name="report_id", lookup_expr="exact", help_text="Id of the report the claim appeared in.")
    dataset = slug_filter(
        Dataset, "dataset_id",
        "Slug of the compilation the figures were taken from, e.g. `economist-ukraine-estimates`; several separated by "
        "commas.",
    )
    qualifier = ChoiceListFilter(
        field_name="qualifier",
        choices=Figure.Qualifier.choices,
        help_text="How the source hedged the number: `exact`, `approximately`, `at_least`, `at_most`; several "
        "separated by commas.",
    )
    basis = ChoiceListFilter(
        field_name="basis",
        choices=Basis.choices,
        help_text="`claimed` (a statement by a source), `estimated` (an analytical estimate) or `confirmed` (a "
        "verified or named count); several separated by commas.",
    )
    date_precision = ChoiceListFilter(
        field_name="date_precision",
        choices=DatePrecision.choices,
        help_text="How exactly `period_end` is known: `day`, `month`, `year`; several separated by commas.",
    )
    period_end_after = date_filter(
        "period_end", "gte", "Counts up to this day or later (`period_end` ≥ it), as YYYY-MM-DD. The date a count "
        "refers to, not the day it was published."
    )
    period_end_before = date_filter(
        "period_end", "lte", "Counts up to this day or earlier (`period_end` ≤ it), as YYYY-MM-DD."
    )
    published_after = date_filter(
        "report__published_on", "gte", "Reports published on this day or later, as YYYY-MM-DD."
    )
    published_before = date_filter(
        "report__published_on", "lte", "Reports published on this day or earlier, as YYYY-MM-DD."
    )
    value_min = CountFilter(field_name="value", lookup_expr="gte", help_text="Only values of at least this number.")
    value_max = CountFilter(field_name="value", lookup_expr="lte", help_text="Only values of at most this number.")
    cumulative = StrictBooleanFilter(
        field_name="period_start",
        lookup_expr="isnull",
        help_text="`true`: only totals since the conflict began; `false`: only counts over a given period (a day, "
        "a month…).",
    )
    independent = StrictBooleanFilter(
        field_name="claimed_by__affiliation",
        lookup_expr="isnull",
        help_text="`true`: only claims by sources affiliated with none of the parties; `false`: only claims by "
        "sources speaking for a party.",
    )
    updated_since = UtcDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only figures changed at or after this ISO 8601 time, e.g. `2024-12-17T08:00:00Z`: to keep a "
        "copy up to date (pair it with `/api/v1/figures/deleted/`).",
    )
    q = WordsFilter(
        index="stats_figure", search_fields=["quote", "notes", "report__title"],
        help_text="Words that must all appear (ignoring case; a part of a word will do: `russ` finds Russian) in the "
        "quote, the notes or the report's title: at most 8 distinct words of at least 3 characters each.",
    )
    ordering = django_filters.OrderingFilter(
        fields=[
            ("period_end", "period_end"),
            ("value", "value"),
            ("report__published_on", "published_on"),
            ("updated_at", "updated_at"),
            ("id", "id"),
        ],
        help_text="Sort by `period_end`, `value`, `published_on`, `updated_at` or `id`, `-` before a field for "
        "descending; several separated by commas. Default `-period_end`; ties are broken by `id`.",
    )

    class Meta:
        model = Figure
        fields = []


class ConflictFilterSet(FilterSet):
    q = WordsFilter(
        search_fields=["name", "description"],
        help_text="Words that must all appear in the name or description (ignoring case): at most 8 distinct words of "
        "at least 3 characters each.",
    )

    class Meta:
        model = Conflict
        fields = []


class PartyFilterSet(FilterSet):
    kind = ChoiceListFilter(
        field_name="kind", choices=PartyKind.choices,
        help_text="`armed_forces`, `armed_group`, `civilians`, `population` or `other`; several separated by commas.",
    )
    country = country_filter()

    class Meta:
        model = Party
        fields = []


class SourceFilterSet(FilterSet):
    kind = ChoiceListFilter(
        field_name="kind", choices=SourceKind.choices,
        help_text="`government`, `military`, `international_organization`, `ngo`, `media`, `research` or "
        "`individual`; several separated by commas.",
    )
    country = country_filter()
    affiliation = slug_filter(
        Party, "affiliation_id", "Sources speaking for this party (slug); several separated by commas."
    )
    independent = StrictBooleanFilter(
        field_name="affiliation", lookup_expr="isnull",
        help_text="`true`: sources affiliated with none of the parties; `false`: sources speaking for a party.",
    )

    class Meta:
        model = Source
        fields = []


class CategoryFilterSet(FilterSet):
    class Meta:
        model = Category
        fields = []


class DatasetFilterSet(FilterSet):
    licence = django_filters.CharFilter(
        field_name="licence", lookup_expr="iexact", max_length=100,
        help_text="SPDX licence identifier, e.g. `CC-BY-4.0`, or `NOASSERTION` for compilations without stated terms.",
    )

    class Meta:
        model = Dataset
        fields = []


class ReportFilterSet(FilterSet):
    publisher = slug_filter(
        Source, "publisher_id", "Slug of the source that published it; several separated by commas."
    )
    published_after = date_filter("published_on", "gte", "Published on this day or later, as YYYY-MM-DD.")
    published_before = date_filter("published_on", "lte", "Published on this day or earlier, as YYYY-MM-DD.")
    q = WordsFilter(
        index="stats_report", search_fields=["title", "summary"],
        help_text="Words that must all appear in the title or summary (ignoring case; a part of a word will do): at "
        "most 8 distinct words of at least 3 characters each.",
    )

    class Meta:
        model = Report
        fields = []
