"""The feeds in the admin: each feed's state as its last sync left it, and a page per feed where a curator approves or
rejects the changes its sync held (stats/sync/decisions.py). Syncs themselves never run here: a web worker must not
wait on an origin, so they run from the schedule or `manage.py sync`. A feed's address is declared in code
(stats/sync/feeds.py) and only shown: nothing here can change it."""

from collections import Counter
from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from stats.models import Feed, HeldAction, HeldChange, Source
from stats.sync import decisions
from stats.sync import feeds as declared
from stats.sync.engine import claim_of

DECIDE = "stats.decide_heldchange"
SHOWN_IN_MESSAGE = 20
NOT_DECLARED = "(declared nowhere in code: no sync reads it)"
NOT_HELD = "held change {} is no longer held (decided, or recomputed by a sync since): reload the page"


def declared_address(feed: Feed) -> str:
    """Return the address the feed's declaration in code reads from in this deployment."""
    for spec in declared.all_feeds():
        if (spec.dataset, spec.name) == (feed.dataset.slug, feed.name):
            return spec.configured_address()
    return NOT_DECLARED


def claim_lines(claim: dict) -> list[tuple[str, str]]:
    """Return a claim's fields in a few labelled lines: value and band, hedges, period, who claims what of whom."""
    value = f"{int(claim['value']):,}" if claim["value"].isdigit() else claim["value"] or "(none)"
    if claim["value_low"] or claim["value_high"]:
        value += f" ({claim['value_low'] or '?'}–{claim['value_high'] or '?'})"
    period = (f"{claim['period_start']} to {claim['period_end']}" if claim["period_start"]
              else f"to {claim['period_end']}, since the conflict began")
    return [
        ("value", value), ("qualifier", claim["qualifier"]), ("basis", claim["basis"]), ("period", period),
        ("claimant", claim["claimed_by"] or "(no source yet)"), ("party", claim["party"]),
        ("category", claim["category"]),
    ]


@dataclass
class HeldRow:
    """One held change as its page shows it: the figure as held beside the origin's row."""

    held: HeldChange
    old: list[tuple[str, str]]
    new: list[tuple[str, str]]
    figure_url: str
    report_title: str
    report_url: str
    choice_of: int  # how many rows of the version claim this key (1 unless a curator must pick one)


def held_rows(held_changes: list[HeldChange]) -> list[HeldRow]:
    per_key = Counter(held.key for held in held_changes if held.action == HeldAction.CHOOSE)
    rows = []
    for held in held_changes:
        new = held.new or {}
        rows.append(HeldRow(
            held=held,
            old=claim_lines(held.old) if held.old else [],
            new=claim_lines(claim_of(new)) if held.new else [],
            figure_url=reverse("admin:stats_figure_change", args=[held.figure_id]) if held.figure_id else "",
            report_title=new.get("report_title") or "",
            report_url=new.get("report_url") or "",
            choice_of=per_key.get(held.key, 1),
        ))
    return rows


def chosen_ids(request) -> list[int]:
    """Return the held changes the form names: those ticked, or every one the page showed for "… all"."""
    field = "shown" if "_approve_all" in request.POST or "_reject_all" in request.POST else "held"
    return sorted({int(value) for value in request.POST.getlist(field) if value.isdigit()})


def source_picked(request, held: HeldChange) -> Source | None:
    picked = request.POST.get(f"source-{held.pk}", "")
    return Source.objects.filter(pk=int(picked)).first() if picked.isdigit() else None


def in_words(verb: str, done: list[str]) -> str:
    listed = "; ".join(done[:SHOWN_IN_MESSAGE]) + (" …" if len(done) > SHOWN_IN_MESSAGE else "")
    return f"{verb} {len(done)} held change(s): {listed}"


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    """Feeds, read only: their state, and a page each for the changes their syncs held."""

    change_list_template = "admin/stats/feed/change_list.html"
    list_display = ["name", "dataset", "address", "state", "checked_at", "changed_at", "version", "held", "message"]
    list_filter = ["state", "dataset"]
    list_select_related = ["dataset"]
    search_fields = ["name", "dataset__slug", "message"]
    actions = None

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(held_count=Count("held_changes"))

    @admin.display(description="address (as configured)")
    def address(self, feed):
        return declared_address(feed)

    @admin.display(description="held", ordering="held_count")
    def held(self, feed):
        return feed.held_count

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a feed's state is the sync's; its address is code's

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The feed's page: its held changes, old beside new, with a curator's approve and reject."""
        feed = get_object_or_404(Feed.objects.select_related("dataset"), pk=object_id)
        if not (self.has_view_permission(request, feed) and request.user.has_perm("stats.view_heldchange")):
            raise PermissionDenied
        if request.method == "POST":
            if not request.user.has_perm(DECIDE):
                raise PermissionDenied
            self.decide(request, feed)
            return redirect("admin:stats_feed_change", feed.pk)
        return self.held_page(request, feed)

    def held_page(self, request, feed: Feed):
        held_changes = list(feed.held_changes.order_by("key", "id"))
        labelled = any(held.label for held in held_changes)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Changes held from {feed}",
            "opts": self.opts,
            "feed": feed,
            "address": self.address(feed),
            "rows": held_rows(held_changes),
            "sources": list(Source.objects.order_by("name").values_list("pk", "name")) if labelled else [],
            "can_decide": request.user.has_perm(DECIDE),
        }
        return TemplateResponse(request, "admin/stats/feed/held.html", context)

    def decide(self, request, feed: Feed) -> None:
        """Approve or reject the held changes the form names, one decision each, saying what was done."""
        ids = chosen_ids(request)
        if not ids:
            messages.warning(request, "No held change was chosen: nothing was decided.")
            return
        found = {held.pk: held for held in feed.held_changes.filter(pk__in=ids)}
        for missing in sorted(set(ids) - set(found)):
            messages.error(request, NOT_HELD.format(missing))
        approving = "_approve" in request.POST or "_approve_all" in request.POST
        if approving:
            self.approve(request, list(found.values()), every="_approve_all" in request.POST)
        else:
            self.reject(request, list(found.values()))

    def approve(self, request, held_changes: list[HeldChange], *, every: bool) -> None:
        """Approve each; a key claimed by several rows needs exactly one of them picked, an unknown label a source.
        For "approve all", those that need an answer are left and counted."""
        picked = Counter(held.key for held in held_changes if held.action == HeldAction.CHOOSE)
        if not every:
            for key in sorted(key for key, count in picked.items() if count > 1):
                messages.error(request, f"{key}: pick one of the rows claiming it (approving one rejects the "
                                        "others); nothing was decided for it.")
        done, left = [], 0
        for held in held_changes:
            source = source_picked(request, held) if held.label else None
            if picked.get(held.key, 0) > 1 or (every and held.label and source is None):
                left += 1
                continue
            try:
                done.append(decisions.approve(held.pk, user=request.user, source=source))
            except decisions.DecisionRefused as refused:
                messages.error(request, f"{held.key}: not approved: {refused}")
        if done:
            messages.success(request, in_words("Approved", done))
        if every and left:
            messages.warning(request, f"{left} held change(s) were left for you to answer: pick one row of a key "
                                      "claimed twice, or a source for an unknown claimant label.")

    def reject(self, request, held_changes: list[HeldChange]) -> None:
        done = []
        for held in held_changes:
            try:
                done.append(decisions.reject(held.pk, user=request.user))
            except decisions.DecisionRefused as refused:
                messages.error(request, f"{held.key}: not rejected: {refused}")
        if done:
            messages.success(request, in_words("Rejected", done))
