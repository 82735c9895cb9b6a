"""The claims model: who claimed how many casualties of whom, when, and where it was published."""

import calendar
import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from stats.addresses import as_uri
from stats.citations import ATTRIBUTION_PATHS, CITATION_PATHS, format_attribution, format_citation
from stats.past import make_twins
from stats.querysets import FigureQuerySet

__all__ = [
    "MAX_COUNT", "Category", "Conflict", "DataVersion", "DataVersionCounter", "Dataset", "Figure", "Party", "Redaction",
    "Report", "Source",
]

class RevisionSpan(models.Model):
    """What every revision table adds to django-simple-history's columns: when the revision stopped being the row's
    latest (its next revision's time; empty while it is the latest), so that the row as it stood at a moment is the
    revision whose span holds the moment (stats/past.py), found without comparing revisions with one another."""

    history_end = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


def revisions(**options) -> HistoricalRecords:
    return HistoricalRecords(bases=[RevisionSpan], **options)


# Larger than any population; it keeps values within what SQLite, PostgreSQL and JSON clients all hold exactly.
MAX_COUNT = 10_000_000_000
COUNT_VALIDATORS = [
    MinValueValidator(0, "The value cannot be negative."),
    MaxValueValidator(MAX_COUNT, f"The value cannot be above {MAX_COUNT:,}."),
]


def slug_unique(model_name: str) -> models.UniqueConstraint:
    """Return the named unique constraint on `slug`, reported on the field like Django's own `unique`."""
    return models.UniqueConstraint(
        fields=["slug"],
        name=f"{model_name}_unique_slug",
        violation_error_code="unique",
        violation_error_message=f"A {model_name} with this slug already exists.",
    )


def choice_is_valid(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    """Return a check constraint keeping `field` within `choices`, for writes that bypass the forms."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}),
        name=name,
        violation_error_message=f"{field} must be one of: {', '.join(choices.values)}.",
    )


class PartyKind(models.TextChoices):
    ARMED_FORCES = "armed_forces", "Armed forces"
    ARMED_GROUP = "armed_group", "Armed group"
    CIVILIANS = "civilians", "Civilians"
    POPULATION = "population", "Population"
    OTHER = "other", "Other"


class SourceKind(models.TextChoices):
    GOVERNMENT = "government", "Government"
    MILITARY = "military", "Military"
    INTERNATIONAL_ORGANIZATION = "international_organization", "International organization"
    NGO = "ngo", "Non-governmental organization"
    MEDIA = "media", "Media"
    RESEARCH = "research", "Research"
    INDIVIDUAL = "individual", "Individual"


class Qualifier(models.TextChoices):
    EXACT = "exact", "Exact"
    APPROXIMATELY = "approximately", "Approximately"
    AT_LEAST = "at_least", "At least"
    AT_MOST = "at_most", "At most"


class Basis(models.TextChoices):
    CLAIMED = "claimed", "Claimed (a statement by a source)"
    ESTIMATED = "estimated", "Estimated (an analytical estimate)"
    CONFIRMED = "confirmed", "Confirmed (a verified or named count)"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class AddressField(models.URLField):
    """A web address, stored and served as a URI: an IRI is percent-encoded as it is written (stats/addresses.py).

    Validation sees the encoded address (its length limit holds for what is stored); a save, however it is made,
    and a lookup (`url=…`) encode too, so that an IRI finds the report stored under its URI.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return as_uri(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        value = self.to_python(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return as_uri(value) if isinstance(value, str) else value


class NaturalKeyManager(models.Manager):
    """Find rows by slug, so that fixtures refer to them by name rather than by database id."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Conflict(models.Model):
    """A war or armed conflict whose casualties are counted."""

    slug = models.SlugField(max_length=100, help_text="Short identifier used in URLs and filters.")
    name = models.CharField(max_length=200)
    started_on = models.DateField(help_text="The day the conflict began; cumulative counts run from it.")
    ended_on = models.DateField(null=True, blank=True, help_text="The day it ended; empty while it goes on.")
    description = models.TextField(blank=True)

    objects = NaturalKeyManager()
    history = revisions()

    class Meta:
        ordering = ["name"]
        constraints = [
            slug_unique("conflict"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="conflict_ends_after_it_starts",
                violation_error_message="A conflict cannot end before it starts.",
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class Party(models.Model):
    """Those whose casualties are counted: an army, an armed group, civilians, a population."""

    Kind = PartyKind

    slug = models.SlugField(max_length=100, help_text="Short identifier used in URLs and filters.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=PartyKind.choices)
    country = CountryField(blank=True, help_text="ISO 3166-1 alpha-2 code; empty when none applies.")

    objects = NaturalKeyManager()
    history = revisions()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"
        constraints = [slug_unique("party"), choice_is_valid("kind", PartyKind, "party_kind_valid")]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class Source(models.Model):
    """Who makes a claim or publishes a report."""

    Kind = SourceKind

    slug = models.SlugField(max_length=100, help_text="Short identifier used in URLs and filters.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=SourceKind.choices)
    country = CountryField(blank=True, help_text="ISO 3166-1 alpha-2 code; empty when none applies.")
    affiliation = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="affiliated_sources",
        help_text="The party this source belongs to or speaks for; empty when it is independent of the belligerents.",
    )
    url = AddressField(max_length=1000, blank=True, help_text="The source's own web site.")
    description = models.TextField(blank=True)

    objects = NaturalKeyManager()
    history = revisions()

    class Meta:
        ordering = ["name"]
        constraints = [slug_unique("source"), choice_is_valid("kind", SourceKind, "source_kind_valid")]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    @property
    def independent(self) -> bool:
        """Return whether the source speaks for none of the parties."""
        return self.affiliation_id is None


class ReportManager(models.Manager):
    """Find reports by address, or by title and date when they have none."""

    def get_by_natural_key(self, url, title, published_on):
        if url:
            return self.get(url=url)
        return self.get(url__isnull=True, title=title, published_on=published_on)


class Report(models.Model):
    """A dated publication in which claims appear."""

    title = models.CharField(max_length=500)
    url = AddressField(
        max_length=2000,
        null=True,
        blank=True,
        help_text="The report's address; unique. Empty when it has none (a printed statement, a broadcast).",
    )
    archived_url = AddressField(max_length=2000, blank=True, help_text="A copy in a web archive.")
    publisher = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="reports", help_text="Who published it."
    )
    published_on = models.DateField(help_text="The day it was published.")
    language = models.CharField(
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[a-z]{2}$", "Enter a two-letter ISO 639-1 code in lower case, like en or uk.")],
        help_text="ISO 639-1 code of the language it is written in, like en or uk.",
    )
    summary = models.TextField(blank=True)

    objects = ReportManager()
    history = revisions()

    class Meta:
        ordering = ["-published_on", "-id"]
        indexes = [models.Index(fields=["published_on"], name="report_published_on_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["url"],
                name="report_unique_url",
                violation_error_code="unique",
                violation_error_message="A report with this address already exists.",
            ),
            models.CheckConstraint(
                condition=~Q(url=""),
                name="report_url_null_when_absent",
                violation_error_message="A report without an address stores none (null), not an empty text.",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.published_on:%Y-%m-%d})"

    def natural_key(self):
        return (self.url or "", self.title, self.published_on.isoformat())

    def clean(self):
        # Forms and importers may hand over "" for an absent address: store it as null so uniqueness ignores it.
        if not self.url:
            self.url = None


class Category(models.Model):
    """What is counted: killed, injured, all casualties, missing, captured, or a curator's addition."""

    slug = models.SlugField(max_length=100, help_text="Short identifier used in URLs and filters.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    objects = NaturalKeyManager()
    history = revisions()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [slug_unique("category")]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class Dataset(models.Model):
    """A compilation figures were taken from (a public repository, a spreadsheet, an agency's feed), with its licence.

    A compilation is not a claimant: The Economist's table of others' estimates is a dataset, whereas The
    Economist's own estimate is a claim whose claimant is The Economist.
    """

    slug = models.SlugField(max_length=100, help_text="Short identifier used in URLs and filters.")
    name = models.CharField(max_length=200)
    url = AddressField(max_length=1000, blank=True, help_text="Where the compilation comes from.")
    licence = models.CharField(
        max_length=100,
        validators=[RegexValidator(
            r"^[A-Za-z0-9][A-Za-z0-9.+-]*(?: (?:AND|OR|WITH) [A-Za-z0-9][A-Za-z0-9.+-]*)*$",
            "Give an SPDX licence identifier, like CC-BY-4.0, MIT or Unlicense, or NOASSERTION when the terms are "
            "unknown.",
        )],
        help_text="The compilation's licence as an SPDX identifier (CC-BY-4.0, MIT, Unlicense…), or NOASSERTION "
        "when its terms are not stated.",
    )
    attribution = models.CharField(
        max_length=300, blank=True, help_text="The credit its licence asks for, e.g. “The Economist”."
    )
    retrieved = models.CharField(
        max_length=100, blank=True,
        help_text="Which state of the origin was read: its commit, or the day it was read.",
    )
    description = models.TextField(blank=True)

    objects = NaturalKeyManager()
    history = revisions()

    class Meta:
        ordering = ["name"]
        constraints = [slug_unique("dataset")]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


# What makes a claim: one figure per these fields (a null period_start counting as equal to another null).
CLAIM_FIELDS = ["report", "conflict", "claimed_by", "party", "category", "period_start", "period_end", "basis"]
DUPLICATE_CLAIM_MESSAGE = "This report already records this claim (same claimant, party, category, period and basis)."
def first_day_known(day: datetime.date, precision: str) -> datetime.date:
    """Return the first day of the month or year `day` falls in, as `precision` says, or `day` itself."""
    if precision == "year":
        return day.replace(month=1, day=1)
    if precision == "month":
        return day.replace(day=1)
    return day


def last_day_known(day: datetime.date, precision: str) -> datetime.date:
    """Return the last day of the month or year `day` falls in, as `precision` says, or `day` itself."""
    if precision == "year":
        return day.replace(month=12, day=31)
    if precision == "month":
        return day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day


def settle_period(period_start, period_end, precision: str, *, started_on, published_on):
    """Apply the rules that tie a figure's period to its conflict and report; return start, end and errors.

    "Since the conflict began" has one spelling (a null start), so that the two cannot make duplicates; a period
    cannot begin or end before the conflict (`started_on`) nor end after its report was published
    (`published_on`); a month or a year ends on its last day, or on the report's date if that is earlier.
    """
    errors = {}
    if started_on is not None:
        if period_start == started_on:
            period_start = None
        elif period_start is not None and period_start < started_on:
            errors["period_start"] = f"The period cannot begin before the conflict did ({started_on:%Y-%m-%d})."
        if period_end is not None and period_end < started_on:
            errors["period_end"] = f"The period cannot end before the conflict began ({started_on:%Y-%m-%d})."
    if published_on is not None and period_end is not None:
        if first_day_known(period_end, precision) > published_on:
            errors.setdefault(
                "period_end", f"The period cannot end after the report was published ({published_on:%Y-%m-%d})."
            )
        else:
            period_end = min(last_day_known(period_end, precision), published_on)
    return period_start, period_end, errors


class Figure(models.Model):
    """One numeric claim: a source's count of one party's casualties of one category, for one period."""

    Qualifier = Qualifier
    Basis = Basis
    DatePrecision = DatePrecision



    # Relations are indexed by Meta.indexes, each with the default order after it.
    conflict = models.ForeignKey(Conflict, on_delete=models.PROTECT, related_name="figures", db_index=False)
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="figures", db_index=False,
        help_text="Whose casualties are counted.",
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="figures", db_index=False, help_text="What is counted."
    )
    claimed_by = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="claims", db_index=False, help_text="Who makes the claim."
    )
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="figures", help_text="Where the claim was recorded."
    )
    value = models.BigIntegerField(validators=COUNT_VALIDATORS, help_text="The best figure the claim gives.")
    value_low = models.BigIntegerField(
        null=True, blank=True, validators=COUNT_VALIDATORS, help_text="Lower end of the range given, if any."
    )
    value_high = models.BigIntegerField(
        null=True, blank=True, validators=COUNT_VALIDATORS, help_text="Upper end of the range given, if any."
    )
    qualifier = models.CharField(
        max_length=20,
        choices=Qualifier.choices,
        default=Qualifier.EXACT,
        help_text="How the source hedges the number: exact, about, at least, at most.",
    )
    basis = models.CharField(max_length=20, choices=Basis.choices, default=Basis.CLAIMED)
    period_start = models.DateField(
        null=True,
        blank=True,
        help_text="First day counted; empty when the count runs from the start of the conflict (cumulative).",
    )
    period_end = models.DateField(
        help_text="Last day counted (not the day of publication: a morning report on yesterday's losses ends "
        "yesterday)."
    )
    date_precision = models.CharField(
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How exactly the end of the period is known. For a month or a year, the period ends on its last "
        "day, or on the report's date if that is earlier.",
    )
    quote = models.TextField(blank=True, help_text="The report's own words for this figure.")
    notes = models.TextField(blank=True, help_text="Curators' remarks: how the figure was read, what is uncertain.")
    dataset = models.ForeignKey(
        Dataset, on_delete=models.PROTECT, null=True, blank=True, related_name="figures", db_index=False,
        help_text="The compilation the figure was taken from; empty for a curator's own entry.",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FigureQuerySet.as_manager()
    # Not the single-column indexes django-simple-history gives these: a wider index of migration 0007 begins with
    # each (as_of with id, claimed_by, quantity with party, report), and every revision a write makes is written
    # in each index.
    history = revisions(no_db_index=["id", "claimed_by", "party", "report"])

    class Meta:
        ordering = ["-period_end", "-id"]
        # Each relation's index holds the default order after it, so that a list filtered by one relation reads
        # its first page straight from the index (a relation's own index would make the database sort every match).
        indexes = [
            models.Index(fields=["-period_end", "-id"], name="figure_period_end_idx"),
            models.Index(fields=["conflict", "period_end", "id"], name="figure_conflict_idx"),
            models.Index(fields=["party", "period_end", "id"], name="figure_party_idx"),
            models.Index(fields=["category", "period_end", "id"], name="figure_category_idx"),
            models.Index(fields=["claimed_by", "period_end", "id"], name="figure_claimed_by_idx"),
            models.Index(fields=["dataset", "period_end", "id"], name="figure_dataset_idx"),
            models.Index(fields=["value"], name="figure_value_idx"),
            models.Index(fields=["updated_at"], name="figure_updated_at_idx"),
            # One claimant's count of one quantity (a narrow list), and its cumulative figures on one basis in time
            # (series, latest, compare): period_start is in the index, so that "cumulative" is answered from it.
            models.Index(
                fields=["party", "category", "claimed_by", "conflict", "basis", "period_start", "period_end"],
                name="figure_quantity_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="figure_value_not_negative",
                violation_error_message="The value cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(value_low__isnull=True) | Q(value_low__gte=0),
                name="figure_value_low_not_negative",
                violation_error_message="The low end of the range cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(value_high__isnull=True) | Q(value_high__gte=0),
                name="figure_value_high_not_negative",
                violation_error_message="The high end of the range cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(value_low__isnull=True) | Q(value_high__isnull=True) | Q(value_low__lte=F("value_high")),
                name="figure_range_ordered",
                violation_error_message="The low end of the range cannot be above its high end.",
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True) | Q(period_start__lte=F("period_end")),
                name="figure_period_ordered",
                violation_error_message="The period cannot end before it starts.",
            ),
            choice_is_valid("qualifier", Qualifier, "figure_qualifier_valid"),
            choice_is_valid("basis", Basis, "figure_basis_valid"),
            choice_is_valid("date_precision", DatePrecision, "figure_date_precision_valid"),
            # SQL treats NULLs as distinct, so "since the start" (a null period_start) needs a constraint of its own.
            models.UniqueConstraint(
                fields=[name for name in CLAIM_FIELDS if name != "period_start"],
                condition=Q(period_start__isnull=True),
                name="figure_unique_claim_since_start",
                violation_error_message=DUPLICATE_CLAIM_MESSAGE,
            ),
            models.UniqueConstraint(
                fields=CLAIM_FIELDS,
                condition=Q(period_start__isnull=False),
                name="figure_unique_claim_for_period",
                violation_error_message=DUPLICATE_CLAIM_MESSAGE,
            ),
        ]

    def __str__(self):
        return f"{self.value:,} as of {self.period_end}" if self.value is not None else "New figure"

    @property
    def cumulative(self) -> bool:
        """Return whether the figure counts from the start of the conflict."""
        return self.period_start is None

    @property
    def attribution(self) -> str | None:
        """Return whose compilation the figure was taken from, under which licence (None without a dataset)."""
        return format_attribution(**{name: self.follow(path) for name, path in ATTRIBUTION_PATHS.items()})

    @property
    def citation(self) -> str:
        """Return the sentence to cite this figure by (needs conflict, party, category, claimant and report)."""
        return format_citation(**{name: self.follow(path) for name, path in CITATION_PATHS.items()})

    def follow(self, path: str):
        """Return the value at a lookup path such as `report__publisher__name` (None past a missing relation)."""
        value = self
        for name in path.split("__"):
            value = getattr(value, name)
            if value is None:
                break
        return value

    def natural_key(self):
        return (
            *self.report.natural_key(),
            self.conflict.slug,
            self.claimed_by.slug,
            self.party.slug,
            self.category.slug,
            self.period_start.isoformat() if self.period_start else None,
            self.period_end.isoformat(),
            self.basis,
        )

    natural_key.dependencies = ["stats.report", "stats.conflict", "stats.source", "stats.party", "stats.category"]

    def claim_key(self) -> tuple:
        """Return the values that identify the claim (CLAIM_FIELDS), relations by id."""
        return tuple(getattr(self, self._meta.get_field(name).attname) for name in CLAIM_FIELDS)

    def related_if_set(self, name: str):
        """Return the related object `name` if it is set, saved or not (an inline form's report is unsaved)."""
        field = self._meta.get_field(name)
        if getattr(self, field.attname) is None and not field.is_cached(self):
            return None
        return getattr(self, name)

    def clean(self):
        """Apply the rules that span tables; the admin and the API call this, the importer `settle_period()`."""
        conflict = self.related_if_set("conflict")
        report = self.related_if_set("report")
        if not all(isinstance(day, datetime.date | None) for day in (self.period_start, self.period_end)):
            return  # a date that did not parse is already reported by its field
        self.period_start, self.period_end, errors = settle_period(
            self.period_start, self.period_end, self.date_precision,
            started_on=conflict.started_on if conflict is not None else None,
            published_on=report.published_on if report is not None else None,
        )
        if errors:
            raise ValidationError(errors)


class DataVersionCounter(models.Model):
    """The data version now: one row, which every committed write increases by one (stats/versions.py)."""

    number = models.BigIntegerField(default=0)
    # How many redactions were made: past answers' ETags and cache keys name it, since a redaction changes the past.
    redactions = models.BigIntegerField(db_default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="dataversioncounter_one_row")]

    def __str__(self):
        return f"data version {self.number}"


class DataVersion(models.Model):
    """Each data version, with the moment its write committed: what `as_recorded` and citations name."""

    number = models.BigIntegerField(primary_key=True)
    committed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self):
        return f"data version {self.number}, committed at {self.committed_at:%Y-%m-%dT%H:%M:%S.%fZ}"


class Redaction(models.Model):
    """A curator's redaction of the text of a revision (stats/redactions.py): who, when, why, and which revisions."""

    model = models.CharField(max_length=20, help_text="The model of the row whose revision was redacted.")
    object_id = models.BigIntegerField(help_text="The id of the row whose revision was redacted.")
    revision = models.BigIntegerField(help_text="The revision chosen (its history_id in the revision table).")
    fields = models.JSONField(help_text="The text fields redacted.")
    revisions = models.JSONField(help_text="Every revision whose text was redacted: the one chosen and those that "
                                           "carried its words unchanged.")
    reason = models.CharField(max_length=200, help_text="Why; it replaces the text, so it is public.")
    redacted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    redacted_at = models.DateTimeField()

    class Meta:
        ordering = ["-redacted_at", "-id"]
        default_permissions = ["view"]  # a redaction is made by revision_redact(), never added or edited by hand
        permissions = [("redact_revision", "Can redact the text of a revision")]

    def __str__(self):
        return f"{self.model} {self.object_id}, revision {self.revision}, redacted {self.redacted_at:%Y-%m-%d}"


# The same models as the data stood at a moment (`as_recorded`): read-only twins over views of the revision tables.
PastConflict, PastParty, PastSource, PastReport, PastCategory, PastDataset, PastFigure = make_twins(
    [Conflict, Party, Source, Report, Category, Dataset, Figure], module=__name__
)


class FeedState(models.TextChoices):
    NEVER = "never", "never synced"
    CURRENT = "current", "current"
    HELD = "held", "changes held for review"
    FAILED = "failed", "failed"


class Feed(models.Model):
    """What the service knows of one feed's origin: its last read, its state, the version it holds.

    The feed itself (its addresses, its converter) is declared in code (stats/sync/feeds.py), never stored here: no
    one can point the server at another address through the admin or the API.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="feeds")
    name = models.CharField(max_length=100)
    state = models.CharField(max_length=10, choices=FeedState.choices, default=FeedState.NEVER)
    checked_at = models.DateTimeField(null=True, blank=True, help_text="The last successful read of the origin.")
    changed_at = models.DateTimeField(null=True, blank=True, help_text="The last change the sync applied.")
    version = models.CharField(max_length=200, blank=True, help_text="The version read: ETag, commit or hash.")
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True, help_text="The last failure or hold, in words.")
    # A model's feed: the run whose figures the service holds, and the day it was applied (one run a day at most).
    run = models.CharField(max_length=300, blank=True)
    run_applied_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["dataset__slug", "name"]
        constraints = [models.UniqueConstraint(fields=["dataset", "name"], name="feed_unique_name")]

    def __str__(self):
        return f"{self.dataset.slug}/{self.name}"


class SyncedRow(models.Model):
    """One origin row as the sync last applied it (its claim fields), and the figure it became.

    The figure is null when a curator deleted it: the sync does not add it back by itself.
    """

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="rows")
    key = models.CharField(max_length=500)
    figure = models.ForeignKey(Figure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    claim = models.JSONField()
    fingerprint = models.CharField(max_length=64)
    # The words the sync last wrote (quote, notes, report address): enrichment fills a blank the sync left, never
    # one a curator made.
    words = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "key"], name="syncedrow_unique_key")]

    def __str__(self):
        return f"{self.feed} {self.key}"


class HeldAction(models.TextChoices):
    ADD = "add", "add"
    CHANGE = "change", "change"
    REMOVE = "remove", "remove"
    CHOOSE = "choose", "choose one"


class HeldChange(models.Model):
    """A change an origin made that the sync holds for a curator: recomputed at every sync of its feed."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="held_changes")
    key = models.CharField(max_length=500)
    action = models.CharField(max_length=10, choices=HeldAction.choices)
    figure = models.ForeignKey(Figure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    old = models.JSONField(null=True, blank=True, help_text="The figure's claim as the service holds it.")
    new = models.JSONField(null=True, blank=True, help_text="The origin's row, as converted.")
    fingerprint = models.CharField(max_length=64)
    reason = models.TextField()
    label = models.CharField(max_length=300, blank=True, help_text="The claimant label no source is mapped to.")
    held_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["feed", "key", "id"]
        default_permissions = ["view"]
        permissions = [("decide_heldchange", "Can approve or reject changes held by the sync")]

    def __str__(self):
        return f"{self.feed} {self.key}: {self.get_action_display()}"


class Rejection(models.Model):
    """A held change a curator rejected: not proposed again until the origin changes that row again."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="rejections")
    key = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    rejected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "key", "fingerprint"], name="rejection_unique")]

    def __str__(self):
        return f"{self.feed} {self.key}: rejected"


class LabelMapping(models.Model):
    """A curator's answer to a claimant label a converter had never seen: the source it names, kept for good."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="label_mappings")
    label = models.CharField(max_length=300)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    mapped_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    mapped_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "label"], name="labelmapping_unique")]

    def __str__(self):
        return f"{self.label} → {self.source.slug}"


class OriginFile(models.Model):
    """The last read of a file a feed also reads (a day's note, the report addresses), kept so that a later sync
    that cannot read it, or need not (a day's note is read once), converts the same rows."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="origin_files")
    name = models.CharField(max_length=100)
    params = models.CharField(max_length=200, blank=True)
    body = models.BinaryField()
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "name", "params"], name="originfile_unique")]

    def __str__(self):
        return f"{self.feed} {self.name} {self.params}".strip()


class SyncLease(models.Model):
    """The lease one running sync holds, so that two syncs never overlap (on SQLite and PostgreSQL alike)."""

    name = models.CharField(max_length=50, primary_key=True)
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} lease until {self.expires_at}" if self.expires_at else f"{self.name} lease, free"
