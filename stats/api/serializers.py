"""One ModelSerializer per model; relations read and write as slugs (a figure's report as its id)."""

import re

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django_countries.serializer_fields import CountryField
from django_countries.serializers import CountryFieldMixin
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from stats.api.errors import model_errors
from stats.citations import ATTRIBUTION_PATHS, CITATION_PATHS, format_attribution, format_citation
from stats.models import Category, Conflict, Dataset, FeedState, Figure, Party, Report, Source
from stats.past import is_past
from stats.sync.status import feed_rows, statuses
from stats.vocabularies import slug_pks

SLUG = re.compile(r"[-a-zA-Z0-9_]+")


class StrictTypes:
    """Refuse JSON of the wrong type instead of coercing it (a number where text belongs, "5" for 5)."""

    accepted_types: tuple[type, ...] = (str,)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, self.accepted_types):
            self.fail("invalid")
        return super().to_internal_value(data)

    def run_validation(self, data=serializers.empty):
        # The length limit holds for what was sent, before surrounding whitespace is trimmed.
        max_length = getattr(self, "max_length", None)
        if isinstance(data, str) and max_length is not None and len(data) > max_length:
            self.fail("max_length", max_length=max_length)
        return super().run_validation(data)


class CharField(StrictTypes, serializers.CharField):
    pass


class SlugField(StrictTypes, serializers.SlugField):
    pass


class URLField(StrictTypes, serializers.URLField):
    pass


class DateField(serializers.DateField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(data)


class IntegerField(StrictTypes, serializers.IntegerField):
    accepted_types = (int,)


class StrictCountryField(CountryField):
    """An ISO 3166-1 alpha-2 code as text ("" for none); not the {"code": …} object django-countries also takes."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class SlugRelation(serializers.SlugRelatedField):
    """A relation written and read as the related row's slug; "" is not a slug (send null for none)."""

    default_error_messages = {"does_not_exist": "No {name} has the slug '{value}'.", "invalid": "Give a slug."}

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "slug")
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        # Only a well-formed slug reaches the database (PostgreSQL refuses NUL bytes with an error of its own).
        if isinstance(data, str) and not SLUG.fullmatch(data):
            self.fail("invalid")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str):
            self.fail("invalid")
        try:
            return self.get_queryset().get(slug=data)
        except ObjectDoesNotExist:
            self.fail("does_not_exist", name=self.get_queryset().model._meta.verbose_name, value=data)


class SlugParameter(SlugRelation):
    """A query parameter naming a row by slug, resolved by one plain query to a row holding only its id and slug:
    enough to filter by and to echo back, for questions that read (never for writes, which validate whole rows)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str):
            self.fail("invalid")
        model = self.get_queryset().model
        pk = slug_pks(model, [data]).get(data)
        if pk is None:
            self.fail("does_not_exist", name=model._meta.verbose_name, value=data)
        return model(pk=pk, slug=data)

    def __deepcopy__(self, memo):
        # A serializer deep-copies its fields for each instance; the queryset, only ever read for its model, is shared
        # (copying its query took a fifth of checking a series' parameters).
        memo[id(self.queryset)] = self.queryset
        return super().__deepcopy__(memo)


class IdRelation(StrictTypes, serializers.PrimaryKeyRelatedField):
    accepted_types = (int,)
    default_error_messages = {**serializers.PrimaryKeyRelatedField.default_error_messages, "invalid": "Give an id."}


class Computed:
    """A read-only field worked out from other columns: `compute(**{argument: value at path})`.

    From a model instance the field reads its `source` (a property) as usual; lists read straight from the database
    (stats/api/reading.py) call `compute` with the values at `paths` instead.
    """

    def __init__(self, *, paths: dict[str, str], compute, **kwargs):
        self.paths, self.compute = paths, compute
        super().__init__(read_only=True, **kwargs)


class ComputedBoolean(Computed, serializers.BooleanField):
    pass


class ComputedText(Computed, serializers.CharField):
    pass


def runs_from_start(period_start) -> bool:
    return period_start is None


class ModelCleanSerializer(CountryFieldMixin, serializers.ModelSerializer):
    """Validate writes with the model's own `full_clean()`: the constraints and messages the admin uses."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: CharField,
        models.TextField: CharField,
        models.SlugField: SlugField,
        models.URLField: URLField,
        models.DateField: DateField,
        models.BigIntegerField: IntegerField,
        models.IntegerField: IntegerField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if field_class is CountryField:
            field_class = StrictCountryField
        # Uniqueness is the model's to check (its named constraints), not DRF's copy of them.
        field_kwargs["validators"] = [
            validator for validator in field_kwargs.get("validators", []) if not isinstance(validator, UniqueValidator)
        ]
        return field_class, field_kwargs

    def validate(self, attrs):
        instance = self.instance if self.instance is not None else self.Meta.model()
        self.read = column_values(instance)  # the row as the write read it (locked: stats/api/views.py)
        for name, value in attrs.items():
            setattr(instance, name, value)
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(model_errors(error)) from None
        # full_clean() may normalise (a null period_start, an address stored as null): save what it settled on.
        return {name: getattr(instance, name) for name in attrs}

    def update(self, instance, validated_data):
        """Write the fields the request names, those the model's rules settled from them (validate()) and the time
        of the change, and no other: a concurrent change of other fields stands, and the revision, made from the row
        as read locked plus these, records only what changed."""
        serializers.raise_errors_on_nested_writes("update", self, validated_data)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        fields = instance._meta.concrete_fields
        written = {instance._meta.get_field(name).name for name in validated_data}
        written |= {field.name for field in fields if getattr(instance, field.attname) != self.read[field.attname]}
        written |= {field.name for field in fields if getattr(field, "auto_now", False)}
        instance.save(update_fields=sorted(written))
        return instance


def column_values(instance) -> dict:
    """Return the value of each of `instance`'s columns, by attribute name (a relation's as its id)."""
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def slug_relation(model, **kwargs) -> SlugRelation:
    return SlugRelation(queryset=model.objects.all(), **kwargs)


class ConflictSerializer(ModelCleanSerializer):
    class Meta:
        model = Conflict
        fields = ["slug", "name", "started_on", "ended_on", "description"]
        validators = []


class PartySerializer(ModelCleanSerializer):
    class Meta:
        model = Party
        fields = ["slug", "name", "kind", "country"]
        validators = []


class SourceSerializer(ModelCleanSerializer):
    affiliation = slug_relation(
        Party, allow_null=True, required=False,
        help_text="Slug of the party this source belongs to or speaks for; null when it is independent of the "
        "belligerents.",
    )
    independent = serializers.BooleanField(read_only=True, help_text="True when the source has no affiliation.")

    class Meta:
        model = Source
        fields = ["slug", "name", "kind", "country", "affiliation", "independent", "url", "description"]
        validators = []


class CategorySerializer(ModelCleanSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name", "description"]
        validators = []


class ReportSerializer(ModelCleanSerializer):
    publisher = slug_relation(
        Source, allow_null=True, required=False, help_text="Slug of the source that published the report."
    )

    class Meta:
        model = Report
        fields = ["id", "title", "url", "archived_url", "publisher", "published_on", "language", "summary"]
        validators = []


class FeedSerializer(serializers.Serializer):
    """One feed of a dataset as the sync last left it (stats/sync/status.py): bookkeeping, never written here."""

    name = serializers.CharField(help_text="The feed's name, unique within its dataset (e.g. `personnel`).")
    address = serializers.CharField(
        help_text="The address of the feed's main file at its origin, as this deployment is configured (set in code "
        "or by the server's environment, never through the API); empty for a feed no longer declared.",
    )
    state = serializers.ChoiceField(
        choices=FeedState.choices,
        help_text="`never`: not synced yet; `current`: the last sync read the origin and applied what it could; "
        "`held`: changes wait for a curator; `failed`: the last sync could not read the origin (see `message`).",
    )
    checked_at = serializers.DateTimeField(
        allow_null=True, help_text="The last successful read of the origin; null when never read.",
    )
    changed_at = serializers.DateTimeField(
        allow_null=True, help_text="The last change the sync applied to the figures; null when none yet.",
    )
    version = serializers.CharField(help_text="The origin's version last read: its ETag, commit or content hash.")
    held = serializers.IntegerField(help_text="How many of the origin's changes wait for a curator's decision.")
    message = serializers.CharField(help_text="The last failure or hold, in words; empty when there is none.")


class FeedsField(serializers.ListField):
    """A dataset's feeds: those declared in code and those the service has synced, each with its state.

    The present state only: an answer about the past (`as_recorded`) shows null, since feeds are bookkeeping that
    changes without a data version, so it could be neither true of that moment nor stable.
    """

    def __init__(self, **kwargs):
        super().__init__(child=FeedSerializer(), read_only=True, allow_null=True, **kwargs)

    def get_attribute(self, instance):
        if is_past(type(instance)):
            return None
        rows = getattr(instance, "feed_rows", None)  # prefetched by the view (DatasetViewSet.get_queryset)
        if rows is None:
            rows = list(feed_rows().filter(dataset=instance))
        return statuses(instance.slug, rows)


class DatasetSerializer(ModelCleanSerializer):
    feeds = FeedsField(
        help_text="The streams of claims the sync reads from this dataset's origin, each with its last read, its "
        "state and how many changes wait for a curator. The present state only: null in an answer `as_recorded` "
        "(feeds are the service's bookkeeping, not data, and keep no past).",
    )

    class Meta:
        model = Dataset
        fields = ["slug", "name", "url", "licence", "attribution", "retrieved", "description", "feeds"]
        validators = []


class FigureSerializer(ModelCleanSerializer):
    conflict = slug_relation(Conflict, help_text="Slug of the conflict.")
    party = slug_relation(Party, help_text="Slug of the party whose casualties are counted.")
    category = slug_relation(Category, help_text="Slug of what is counted: killed, injured, total, …")
    claimed_by = slug_relation(Source, help_text="Slug of the source making the claim.")
    report = IdRelation(queryset=Report.objects.all(), help_text="Id of the report the claim was recorded from.")
    dataset = slug_relation(
        Dataset, allow_null=True, required=False,
        help_text="Slug of the compilation the figure was taken from (see /api/v1/datasets/ for its licence); null "
        "for a curator's own entry.",
    )
    cumulative = ComputedBoolean(
        paths={"period_start": "period_start"}, compute=runs_from_start,
        help_text="True when the count runs from the start of the conflict (period_start is null).",
    )
    citation = ComputedText(
        paths=CITATION_PATHS, compute=format_citation,
        help_text="One sentence to cite this figure by: who claimed what, up to when, and in which report.",
    )
    attribution = ComputedText(
        paths=ATTRIBUTION_PATHS, compute=format_attribution, allow_null=True,
        help_text="Whose compilation the figure was taken from and under which licence, e.g. “Compiled by The "
        "Economist, CC BY 4.0.”: the credit to give when you reuse it. Null for a curator's own entry.",
    )

    class Meta:
        model = Figure
        fields = [
            "id", "conflict", "party", "category", "claimed_by", "report", "value", "value_low", "value_high",
            "qualifier", "basis", "period_start", "period_end", "date_precision", "cumulative", "quote", "notes",
            "dataset", "citation", "attribution", "recorded_at", "updated_at",
        ]
        validators = []
