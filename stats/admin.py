"""The curators' admin: scan, filter, search and correct claims, with their revisions."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Max
from django.forms.models import BaseInlineFormSet, _get_foreign_key
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from knox.models import AuthToken
from simple_history.admin import SimpleHistoryAdmin

from stats import sync_admin, tokens, versions  # noqa: F401  (sync_admin registers the feeds' admin)
from stats.importing import ImportRefused, decoded, figures_import
from stats.models import DUPLICATE_CLAIM_MESSAGE, Category, Conflict, Dataset, Figure, Party, Redaction, Report, Source
from stats.redactions import REASON_MISSING, REDACTABLE, REDACTION_REASON, revision_redact
from stats.services import figures_touch


def warn_if_lower_than_preceding(request, figure: Figure) -> None:
    """Warn (not refuse) when a cumulative figure falls below the claimant's previous one: a typo or a correction."""
    if not figure.cumulative:
        return
    preceding = Figure.objects.preceding_cumulative(figure)
    if preceding is not None and figure.value < preceding.value:
        messages.warning(
            request,
            f"The cumulative figure {figure.value:,} (to {figure.period_end:%Y-%m-%d}) is lower than the same "
            f"claimant's previous one for this quantity, {preceding.value:,} (to {preceding.period_end:%Y-%m-%d}). "
            "If it is a typo, correct it; if the source corrected itself, say so in the notes.",
        )


def revision_in_words(revision, shown) -> str:
    """Return who changed what in `revision` ("bob changed value, notes at 13:52 UTC"), naming the row unless it is
    `shown`; "" for a revision that changed no field a curator edits (a figure touched by its claimant's renaming)."""
    model = revision.instance_type
    who = revision.history_user.get_username() if revision.history_user else "an import or sync"
    when = f"at {revision.history_date.astimezone(datetime.UTC):%H:%M:%S} UTC"
    row = "" if model is type(shown) and revision.id == shown.pk else f" {model._meta.verbose_name} {revision.id}"
    if revision.history_type == "+":
        return f"{who} added{row or ' it'} {when}"
    if revision.history_type == "-":
        return f"{who} deleted{row or ' it'} {when}"
    previous = revision.prev_record
    edited = [
        field for field in model._meta.concrete_fields
        if field.editable and not field.primary_key and previous is not None
        and getattr(revision, field.attname) != getattr(previous, field.attname)
    ]
    if previous is not None and not edited:
        if revision.history_change_reason == REDACTION_REASON:  # its text taken back in this and earlier revisions
            return f"{who} redacted the text{' of' + row if row else ''} {when}"
        return ""
    names = ", ".join(str(field.verbose_name) for field in edited) or "it"
    return f"{who} changed {names}{' of' + row if row else ''} {when}"


# An address pasted without its scheme is taken as https, as Django 6 will do by default.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


# The form field that carries the version a change form was read at (CuratedAdmin.read_version) back to its save.
READ_VERSION = "_read_version"


class CuratedForm(forms.ModelForm):
    """A change form that refuses to save over a change made since it was opened, naming that change."""

    model_admin = None  # set by CuratedAdmin.get_form

    def clean(self):
        cleaned_data = super().clean()
        read_at = self.data.get(READ_VERSION)
        if self.instance.pk is not None and read_at is not None:  # a form opened before versions were carried: none
            changes = self.model_admin.changes_since(self.instance, read_at)
            if changes:
                raise ValidationError(
                    "Nothing was saved: since you opened this form, %(changes)s. Reload the page to see the "
                    "%(name)s as it is now, then make your change again.",
                    code="stale",
                    params={"changes": "; ".join(changes), "name": self.instance._meta.verbose_name},
                )
        return cleaned_data


class CuratedAdmin(SimpleHistoryAdmin):
    """Every write a curator makes here is one recorded write: a new data version, its revisions stamped with it.

    A change form carries the version of the row (and of the rows it edits inline) it was read at; its save reads
    the row locked, in the write's transaction, and is refused, naming what changed, if anyone changed it since.
    """

    formfield_overrides = URL_FIELDS
    form = CuratedForm

    def changeform_view(self, request, *args, **kwargs):
        with versions.recorded_write():
            request.locks_row = request.method == "POST"  # read by get_queryset, for get_object
            return super().changeform_view(request, *args, **kwargs)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if getattr(request, "locks_row", False):  # a second save waits for the first to commit, then reads it anew
            queryset = queryset.select_for_update(of=("self",), no_key=True)  # the lock an UPDATE takes
        return queryset

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form)(form.__name__, (form,), {"model_admin": self})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:  # a refused form keeps the version it was read at
            context[READ_VERSION.lstrip("_")] = request.POST.get(READ_VERSION) or self.read_version(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def watched_revisions(self, obj) -> list:
        """Return the revisions a change form of `obj` shows: the row's, then each inline's rows' (a report's
        figures), whatever the rows' later relations."""
        watched = [type(obj).history.filter(id=obj.pk)]
        for inline in self.inlines:
            relation = _get_foreign_key(type(obj), inline.model, fk_name=inline.fk_name)
            watched.append(inline.model.history.filter(**{relation.attname: obj.pk}))
        return watched

    def read_version(self, obj) -> str:
        """Return the latest revision of `obj` and of each inline's rows, as ids joined by colons ("0" for none)."""
        return ":".join(
            str(revisions.aggregate(latest=Max("history_id"))["latest"] or 0)
            for revisions in self.watched_revisions(obj)
        )

    def changes_since(self, obj, read_at: str) -> list[str]:
        """Return, in words, the changes made since version `read_at` to `obj` and to its inlines' rows."""
        watched = self.watched_revisions(obj)
        read = read_at.split(":")
        if len(read) != len(watched) or not all(part.isdigit() for part in read):
            return ["it changed in a way this form cannot tell (its version is unreadable)"]
        for inline in self.inlines:  # their rows are saved with the form: no other write may come between
            relation = _get_foreign_key(type(obj), inline.model, fk_name=inline.fk_name)
            list(inline.model._default_manager.filter(**{relation.name: obj}).select_for_update(no_key=True)
                 .values_list("pk"))
        changes = []
        for revisions, after in zip(watched, read, strict=True):
            for revision in revisions.filter(history_id__gt=int(after)).select_related("history_user"):
                changes.append(revision_in_words(revision, obj))
        return [change for change in changes if change]

    def delete_view(self, *args, **kwargs):
        with versions.recorded_write():
            return super().delete_view(*args, **kwargs)

    def changelist_view(self, *args, **kwargs):  # bulk actions, such as deleting the selected rows
        with versions.recorded_write():
            return super().changelist_view(*args, **kwargs)

    def history_form_view(self, *args, **kwargs):  # reverting to a revision
        with versions.recorded_write():
            return super().history_form_view(*args, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            figures_touch(changed=obj)

    def get_urls(self):
        urls = super().get_urls()
        if self.model not in REDACTABLE:
            return urls
        name = f"{self.model._meta.app_label}_{self.model._meta.model_name}_redact"
        redact = path("<int:object_id>/history/<int:revision>/redact/", self.admin_site.admin_view(self.redact_view),
                      name=name)
        return [redact, *urls]

    def get_history_list_display(self, request):
        shown = list(super().get_history_list_display(request))
        if self.model in REDACTABLE and request.user.has_perm("stats.redact_revision"):
            shown.append("redact")
        return shown

    def redact(self, record):
        """The history page's link to redact a revision's text (for those who may)."""
        url = reverse(f"admin:stats_{self.model._meta.model_name}_redact", args=[record.id, record.history_id])
        return format_html('<a href="{}">Redact its text…</a>', url)

    def redact_view(self, request, object_id: int, revision: int):
        """Redact the text of one revision, giving a reason (stats/redactions.py), for users with `redact_revision`."""
        if not request.user.has_perm("stats.redact_revision"):
            raise PermissionDenied
        record = get_object_or_404(self.model.history.model, id=object_id, history_id=revision)
        texts = [(name, getattr(record, name)) for name in REDACTABLE[self.model]]
        form = RedactionForm(request.POST or None, texts=texts)
        if request.method == "POST" and form.is_valid():
            try:
                redaction = revision_redact(model=self.model, revision=revision, fields=form.cleaned_data["texts"],
                                            reason=form.cleaned_data["reason"], user=request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, f"Redacted {', '.join(redaction.fields)} in {len(redaction.revisions)} "
                                          f"revision(s) of {self.model._meta.verbose_name} {object_id}.")
                return redirect(f"admin:stats_{self.model._meta.model_name}_history", object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Redact a revision of {self.model._meta.verbose_name} {object_id}",
            "form": form, "record": record, "texts": texts, "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/stats/redact.html", context)


class RedactionForm(forms.Form):
    texts = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, label="Text to redact",
        help_text="Each field chosen is redacted in this revision and in the revisions next to it that carry the "
                  "same words; empty fields stay empty.",
    )
    reason = forms.CharField(
        max_length=200, error_messages={"required": REASON_MISSING},
        help_text="Public: the text becomes “Redacted on <today>: <reason>”. Say why, without repeating what is "
                  "taken back.",
    )

    def __init__(self, *args, texts: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        held = [name for name, words in texts if words]
        self.fields["texts"].choices = [(name, name) for name in held]
        self.fields["texts"].initial = held


@admin.register(Redaction)
class RedactionAdmin(admin.ModelAdmin):
    """The record of every redaction, for curators to read: made only through a revision's history page."""

    list_display = ["redacted_at", "redacted_by", "model", "object_history", "revision", "fields", "reason"]
    list_filter = ["model", ("redacted_by", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["redacted_by"]
    search_fields = ["reason"]
    date_hierarchy = "redacted_at"

    @admin.display(description="row")
    def object_history(self, redaction):
        url = reverse(f"admin:stats_{redaction.model}_history", args=[redaction.object_id])
        return format_html('<a href="{}">{} {}</a>', url, redaction.model, redaction.object_id)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Conflict)
class ConflictAdmin(CuratedAdmin):
    list_display = ["name", "slug", "started_on", "ended_on"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Party)
class PartyAdmin(CuratedAdmin):
    list_display = ["name", "slug", "kind", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Source)
class SourceAdmin(CuratedAdmin):
    list_display = ["name", "slug", "kind", "country", "affiliation"]
    list_filter = ["kind", "country", ("affiliation", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["affiliation"]
    search_fields = ["name", "slug", "description"]
    autocomplete_fields = ["affiliation"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Category)
class CategoryAdmin(CuratedAdmin):
    list_display = ["name", "slug", "description"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Dataset)
class DatasetAdmin(CuratedAdmin):
    list_display = ["name", "slug", "licence", "attribution", "retrieved"]
    list_filter = ["licence"]
    search_fields = ["name", "slug", "attribution", "description"]
    prepopulated_fields = {"slug": ["name"]}


class FigureInlineFormSet(BaseInlineFormSet):
    def clean(self):
        """Refuse two rows of one submission that record the same claim, before the database does."""
        super().clean()
        seen = set()
        for form in self.forms:
            if not form.is_valid() or not form.has_changed() or self._should_delete_form(form):
                continue
            key = form.instance.claim_key()
            if key in seen:
                raise ValidationError(DUPLICATE_CLAIM_MESSAGE)
            seen.add(key)


class FigureInline(admin.TabularInline):
    model = Figure
    formset = FigureInlineFormSet
    extra = 1
    fields = [
        "conflict", "claimed_by", "party", "category", "value", "value_low", "value_high", "qualifier", "basis",
        "period_start", "period_end", "date_precision", "quote", "notes",
    ]
    autocomplete_fields = ["conflict", "claimed_by", "party", "category"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("conflict", "claimed_by", "party", "category")


@admin.register(Report)
class ReportAdmin(CuratedAdmin):
    list_display = ["title", "published_on", "publisher", "language", "figures_link"]
    list_filter = [("publisher", admin.RelatedOnlyFieldListFilter), "language"]
    list_select_related = ["publisher"]
    date_hierarchy = "published_on"
    search_fields = ["title", "url", "summary"]
    autocomplete_fields = ["publisher"]
    inlines = [FigureInline]

    @admin.display(description="figures")
    def figures_link(self, report):
        url = reverse("admin:stats_figure_changelist") + f"?report__id__exact={report.pk}"
        return format_html('<a href="{}">figures</a>', url)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Figure:
            for figure in formset.new_objects + [changed for changed, _fields in formset.changed_objects]:
                warn_if_lower_than_preceding(request, figure)


class CumulativeFilter(admin.SimpleListFilter):
    title = "period"
    parameter_name = "cumulative"

    def lookups(self, request, model_admin):
        return [("yes", "Since the conflict began (cumulative)"), ("no", "A given period")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(period_start__isnull=True)
        if self.value() == "no":
            return queryset.filter(period_start__isnull=False)
        return queryset


class FigureImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with the columns of the export (/api/v1/figures/export/), UTF-8.")
    dry_run = forms.BooleanField(required=False, label="Only check the file and say what would change")


@admin.register(Figure)
class FigureAdmin(CuratedAdmin):
    change_list_template = "admin/stats/figure/change_list.html"

    list_display = [
        "id", "value", "qualifier", "category", "party", "claimed_by", "period_start", "period_end", "basis",
        "conflict", "report",
    ]
    list_display_links = ["id", "value"]
    list_filter = [
        "conflict", "party", "category", ("claimed_by", admin.RelatedOnlyFieldListFilter),
        ("report__publisher", admin.RelatedOnlyFieldListFilter), ("dataset", admin.RelatedOnlyFieldListFilter),
        CumulativeFilter, "qualifier", "basis", "date_precision",
    ]
    list_select_related = ["conflict", "party", "category", "claimed_by", "report"]
    date_hierarchy = "period_end"
    search_fields = ["quote", "notes", "report__title", "claimed_by__name"]
    autocomplete_fields = ["conflict", "party", "category", "claimed_by", "report", "dataset"]
    readonly_fields = ["citation", "attribution", "recorded_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["conflict", "party", "category", "claimed_by", "report"]}),
        ("The number", {"fields": ["value", "value_low", "value_high", "qualifier", "basis"]}),
        ("The period counted", {"fields": ["period_start", "period_end", "date_precision"]}),
        ("Words", {"fields": ["quote", "notes"]}),
        ("Provenance", {"fields": ["dataset", "attribution"]}),
        ("Record", {"fields": ["citation", "recorded_at", "updated_at"]}),
    ]

    @admin.display(description="citation")
    def citation(self, figure):
        return figure.citation if figure.pk else "—"

    @admin.display(description="attribution")
    def attribution(self, figure):
        return (figure.attribution if figure.pk else None) or "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warn_if_lower_than_preceding(request, obj)

    def get_urls(self):
        urls = [path("import/", self.admin_site.admin_view(self.import_view), name="stats_figure_import")]
        return urls + super().get_urls()

    def import_view(self, request):
        """Import a CSV file with the importer the command uses: the same format, rules and line-numbered errors."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        limit = settings.ADMIN_IMPORT_MAX_BYTES
        if request.method == "POST" and int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            # Refused from its announced length, before a byte of it is read: larger files go through the command.
            messages.error(request, f"The file is larger than the admin imports ({limit / 1_000_000:g} MB): split "
                                    "it, or import it with `manage.py import_figures`, which has no limit.")
            return self.import_page(request, FigureImportForm(), status=413)
        form = FigureImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = figures_import(
                    source=decoded(form.cleaned_data["file"].file),
                    dry_run=form.cleaned_data["dry_run"],
                    user=request.user,
                )
            except ImportRefused as refused:
                messages.error(request, f"Nothing was imported: {len(refused.errors)} problem(s) in the file.")
                for error in refused.errors:
                    messages.error(request, str(error))
            else:
                messages.success(request, str(result).capitalize())
                if not result.dry_run:
                    return redirect("admin:stats_figure_changelist")
        return self.import_page(request, form)

    def import_page(self, request, form, status: int = 200):
        context = {
            **self.admin_site.each_context(request),
            "title": "Import figures from CSV",
            "form": form,
            "opts": self.model._meta,
            "limit_mb": f"{settings.ADMIN_IMPORT_MAX_BYTES / 1_000_000:g}",
        }
        return TemplateResponse(request, "admin/stats/figure/import.html", context, status=status)


# knox's own token admin lists every token to anyone who may view tokens; this one shows a curator their own.
admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class APITokenAdmin(admin.ModelAdmin):
    """API tokens: a curator sees, makes and revokes their own (a superuser, everyone's); a key is shown only once,
    when it is made, since only its digest is kept."""

    list_display = ["token_key", "user", "created", "expiry"]
    list_select_related = ["user"]
    ordering = ["-created"]
    readonly_fields = ["token_key", "user", "created", "expiry"]
    autocomplete_fields = ["user"]

    @admin.display(description="key begins")
    def token_key(self, token):
        return f"{token.token_key}…"

    def get_queryset(self, request):
        tokens = super().get_queryset(request)
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return [(None, {"fields": self.readonly_fields})]
        ttl = settings.REST_KNOX["TOKEN_TTL"]
        description = (
            f"A new token, valid for {ttl.days} days" if ttl.days else "A new token"
        ) + ". Its key is shown once, on the next page; only a digest of it is kept."
        fields = ["user"] if request.user.is_superuser else []
        return [(None, {"fields": fields, "description": description})]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return False  # a token is made or revoked, never edited

    def has_delete_permission(self, request, obj=None):
        mine = obj is None or obj.user_id == request.user.pk or request.user.is_superuser
        return mine and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser or obj.user_id is None:
            obj.user = request.user
        obj.key = tokens.token_key_set(obj)
        obj.save()

    def response_delete(self, request, obj_display, obj_id):
        super().response_delete(request, obj_display, obj_id)  # its message
        # Back to the list (Django's admin goes to its home page where nothing may be changed, as here).
        return redirect("admin:knox_authtoken_changelist")

    def response_add(self, request, obj, post_url_continue=None):
        # The key goes into this page only: a message would keep it in the session until shown.
        context = {**self.admin_site.each_context(request), "title": "New API token", "opts": self.opts,
                   "token": obj, "key": obj.key}
        return TemplateResponse(request, "admin/knox/authtoken/created.html", context)
