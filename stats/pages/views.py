"""Pages for people: thin views that read through the API's paths and hand the result to a template."""

import datetime
import unicodedata
from functools import cache, wraps
from pathlib import Path
from urllib.parse import urlencode

import markdown
from csp.decorators import csp_replace
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Min, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from rest_framework import serializers

from stats import past, versions
from stats.api import analysis
from stats.api.filters import MAX_QUERY_LENGTH, WordsField
from stats.citations import LICENCE_WORDS, format_day
from stats.models import Category, Conflict, Dataset, Figure, Party, Source
from stats.pages import charts, headlines
from stats.pages.queries import chart_lines, quantities, remembered
from stats.sync.status import last_checked

# The pages' own policy: styles from the stylesheet only (no inline style), on top of the service's (settings.py).
PAGE_POLICY = {"style-src": ["'self'"]}


def as_recorded(view):
    """Make a page read the data as it stood at `as_recorded` when its address names a moment (a 400 page if it is
    not one)."""

    @wraps(view)
    def reading(request, *args, **kwargs):
        try:
            raw = parameters(request, ["as_recorded"]).get("as_recorded", "").strip()
        except BadQuery as bad:
            return bad_request(request, bad.errors, request.path)
        if not raw:
            return view(request, *args, **kwargs)
        try:
            moment = past.parse_moment(raw)
        except ValueError as error:
            return bad_request(request, {"as_recorded": [str(error)]}, request.path)
        with past.reading(moment):
            return view(request, *args, **kwargs)

    return reading


def pages(view):
    """A page for people: its own Content-Security-Policy, and the past when its address asks."""
    return csp_replace(PAGE_POLICY)(as_recorded(view))
ABOUT = settings.BASE_DIR / "docs" / "how-to-read-the-numbers.md"
START_HERE = settings.BASE_DIR / "docs" / "start-here.md"


class BadQuery(Exception):
    """A parameter of a page's address is wrong: the page answers 400, saying which and why."""

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(errors)


def bad_request(request, errors: dict, back: str):
    return render(request, "pages/400.html", {"errors": errors, "back": back}, status=400)


# The one parameter a page's form may repeat (its checkboxes); the API takes it once, comma-separated.
REPEATABLE = {"claimed_by"}


def refused_characters(value: str) -> str | None:
    """Return why `value` cannot be a parameter's value, if it holds NUL or another control character (C0, DEL, C1):
    no page, chart or database reads them, and a time or a day with one in it is not one (the API refuses NUL)."""
    if "\x00" in value:
        return "NUL characters are not allowed."
    if any(unicodedata.category(character) == "Cc" for character in value):
        return "Control characters are not allowed."
    return None


def parameters(request, names: list[str]) -> dict:
    """Return the address's values of `names`: several values of a checkbox joined by commas, as the API writes
    them; empty ones left out (a form sends its empty fields). Raise BadQuery, as the API would, for a value with a
    control character and for any other parameter given twice. Other parameters (a link's tracking tags) are
    ignored."""
    found, errors = {}, {}
    for name in names:
        given = request.GET.getlist(name)
        values = [value for value in given if value.strip(" ")]
        refused = next((reason for reason in map(refused_characters, given) if reason), None)
        if refused:
            errors[name] = [refused]
        elif len(values) > 1 and name not in REPEATABLE:
            errors[name] = ["Give this parameter once; separate several values with commas."]
        elif values:
            found[name] = ",".join(values)
    if errors:
        raise BadQuery(errors)
    return found


class QuantityQuery(analysis.ClaimsParameters, analysis.PeriodParameters):
    """A quantity page's address: the compare question's `as_of`, `claimed_by` and `independent`, the series'
    `start` and `end`, with the API's own rules and messages; and its days within the days a chart can show."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        given = [name for name in DAYS if name in self.initial_data]
        if not given:
            return attrs
        first, last = drawable_days()
        errors = {
            name: [f"Give a day from {first:%Y-%m-%d} (when the earliest conflict began) to {last:%Y-%m-%d} "
                   "(a year from today)."]
            for name in given if not first <= attrs[name] <= last
        }
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# The days of a page's address: each one is drawn (as the dashed line, or the ends of the series).
DAYS = ["as_of", "start", "end"]


def drawable_days() -> tuple[datetime.date, datetime.date]:
    """Return the first and last day a page may ask about: no figure counts to a day before the earliest conflict
    began, nor more than a year from today (and matplotlib draws neither the year 1 nor the year 9999)."""
    today = analysis.today()
    first = past.twin(Conflict).objects.aggregate(first=Min("started_on"))["first"] or today
    try:
        last = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        last = today.replace(year=today.year + 1, day=28)
    return first, last


QUERY_NAMES = ["as_of", "claimed_by", "independent", "start", "end"]


def quantity_query(request) -> tuple[dict, dict]:
    """Return the page's validated question and the raw parameters it was read from (raising BadQuery)."""
    raw = parameters(request, QUERY_NAMES)
    question = QuantityQuery(data=raw)
    if not question.is_valid():
        raise BadQuery(question.errors)
    return dict(question.validated_data), raw


@pages
def home(request):
    """Return the home page: each conflict with its headline quantities, the search box and the credits."""
    today = timezone.localdate()
    found = quantities(past.twin(Figure).objects.all(), today)
    by_conflict = {}
    for quantity in found:
        by_conflict.setdefault(quantity.conflict, []).append(quantity)
    return render(request, "pages/home.html", {
        "conflicts": [
            (conflict, by_conflict.get(conflict, []))
            for conflict in past.twin(Conflict).objects.order_by("started_on", "name")
        ],
        "datasets": with_checks(past.twin(Dataset).objects.all()),
        "today": today,
    })


def with_checks(datasets) -> list[tuple]:
    """Return each dataset with the newest successful read of its feeds (None when never read, and when the page
    shows the past: feeds are bookkeeping of the present, not data)."""
    datasets = list(datasets)
    checked = {} if past.moment() is not None else last_checked([dataset.pk for dataset in datasets])
    return [(dataset, checked.get(dataset.pk)) for dataset in datasets]


def newest_claim(figures) -> dict | None:
    """Return the day the quantity's newest claim counts to (and its precision) and the day it was reported."""
    return figures.order_by("-period_end", "-report__published_on").values(
        "period_end", "date_precision", "report__published_on"
    ).first()


@pages
def search(request):
    """Return the conflicts, parties and sources whose name holds every word of `q`."""
    try:
        q = parameters(request, ["q"]).get("q", "").strip()
        words = WordsField(max_length=MAX_QUERY_LENGTH, required=False).clean(q)  # the API's `q`, whole
    except BadQuery as bad:
        return bad_request(request, bad.errors, reverse("search"))
    except ValidationError as error:
        return bad_request(request, {"q": error.messages}, reverse("search"))
    results = {}
    if words:
        for name, model in (("conflicts", Conflict), ("parties", Party), ("sources", Source)):
            condition = Q()
            for word in words:
                condition &= Q(name__icontains=word) | Q(slug__icontains=word)
            results[name] = list(past.twin(model).objects.filter(condition)[:50])
        appears = past.twin(Figure).objects.filter(
            Q(party__in=results["parties"]) | Q(claimed_by__in=results["sources"])
        ).values("conflict__slug", "conflict__name", "party__slug", "party__name", "category__slug",
                 "category__name", "party_id", "claimed_by_id").distinct().order_by("conflict__name", "party__name")
        results["quantities"] = quantities_of(appears, results)
    return render(request, "pages/search.html", {"q": q, "results": results})


def quantities_of(rows, results: dict) -> dict:
    """Return, for each party and source found, the quantity pages where it appears."""
    links = {}
    parties = {party.pk for party in results["parties"]}
    sources = {source.pk for source in results["sources"]}
    for row in rows:
        page = (row["conflict__slug"], row["party__slug"], row["category__slug"],
                f"{row['party__name']}: {row['category__name']} ({row['conflict__name']})")
        for key, pks, value in (("party", parties, row["party_id"]), ("source", sources, row["claimed_by_id"])):
            if value in pks:
                entry = links.setdefault((key, value), [])
                if page not in entry:
                    entry.append(page)
    return links


@pages
def conflict_page(request, slug: str):
    """Return a conflict's page: the quantities with figures, each claimant's latest claim about each."""
    conflict = get_object_or_404(past.twin(Conflict), slug=slug)
    try:
        query, raw = quantity_query(request)
    except BadQuery as bad:
        return bad_request(request, bad.errors, reverse("conflict", args=[slug]))
    figures = past.twin(Figure).objects.filter(conflict_id=conflict.pk)
    found = quantities(analysis.narrowed(figures, query), query["as_of"])
    return render(request, "pages/conflict.html", {
        "conflict": conflict, "quantities": found, "as_of": query["as_of"], "as_of_given": "as_of" in raw,
        "parties": past.twin(Party).objects.filter(pk__in=figures.values("party_id")),
    })


def quantity_context(request, conflict: str, party: str, category: str) -> dict:
    """Return what a quantity's page, its embed and its chart files show (raising Http404 or BadQuery)."""
    conflict = get_object_or_404(past.twin(Conflict), slug=conflict)
    party = get_object_or_404(past.twin(Party), slug=party)
    category = get_object_or_404(past.twin(Category), slug=category)
    figures = past.twin(Figure).objects.filter(conflict_id=conflict.pk, party_id=party.pk, category_id=category.pk)
    if not figures.exists():
        raise Http404(f"No figure counts {category.name.lower()} among {party.name} in {conflict.name}.")
    query, raw = quantity_query(request)
    compare = {**query, "conflict": conflict, "party": party, "category": category}
    claims = analysis.compared_claims(compare)
    shown = {name: raw[name] for name in QUERY_NAMES if name in raw}
    if past.moment() is not None:  # the address that shows the same again
        shown["as_recorded"] = request.GET["as_recorded"].strip()
    return {
        "conflict": conflict, "party": party, "category": category, "query": query, "raw": raw,
        "claims": claims, "summary": analysis.compare_summary([claim.value for claim in claims]),
        "compared": analysis.compare_groups(claims),
        "claimants": claimants_of(conflict, party, category),
        "address": f"?{urlencode(shown)}" if shown else "",
        "title": f"{party.name}: {category.name.lower()}",
        "marked": query["as_of"] if "as_of" in raw else None,
        "credits": credits(claims),
        "checks": with_checks(sorted({claim.dataset for claim in claims if claim.dataset_id}, key=lambda d: d.name)),
        "newest": newest_claim(figures),
        "api": {
            "compare": api_address(
                "compare", conflict=conflict.slug, party=party.slug, category=category.slug, as_of=raw.get("as_of"),
                claimed_by=raw.get("claimed_by"), independent=raw.get("independent"),
            ),
            "export": api_address(
                "figure-export", conflict=conflict.slug, party=party.slug, category=category.slug, cumulative="true",
                claimed_by=raw.get("claimed_by"), independent=raw.get("independent"),
                period_end_after=raw.get("start"), period_end_before=raw.get("end"),
            ),
            "wide": api_address(
                "series-export", conflict=conflict.slug, party=party.slug, category=category.slug,
                claimed_by=raw.get("claimed_by"), independent=raw.get("independent"), start=raw.get("start"),
                end=raw.get("end"),
            ),
        },
    }


def api_address(route: str, **parameters) -> str:
    """Return the API's address of the same question (parameters that are None left out)."""
    given = {name: value for name, value in parameters.items() if value is not None}
    return f"{reverse(route)}?{urlencode(given, safe=',')}"


def claimants_of(conflict, party, category) -> list[Source]:
    """Return every source with a figure about the quantity (the page's claimant checkboxes)."""
    figures = past.twin(Figure).objects.filter(conflict_id=conflict.pk, party_id=party.pk, category_id=category.pk)
    return list(past.twin(Source).objects.filter(pk__in=figures.values("claimed_by_id")).order_by("name"))


def credits(claims) -> str:
    """Return the line that credits the claimants and the compilations of `claims`, with their licences."""
    datasets = {claim.dataset for claim in claims if claim.dataset_id}
    parts = [f"Claims by {', '.join(sorted({claim.claimed_by.name for claim in claims}))}." if claims else ""]
    for dataset in sorted(datasets, key=lambda dataset: dataset.name):
        parts.append(f"{dataset.name}: {dataset.attribution or dataset.name}, "
                     f"{LICENCE_WORDS.get(dataset.licence, dataset.licence)}.")
    return " ".join(part for part in parts if part)


def question_of(context: dict) -> dict:
    """Return the question a chart answers, every parameter normalised and in a fixed order: days as days
    (YYYY-MM-DD), claimants' slugs sorted and each once, `independent` as true or false; `as_of` only when given
    (it marks the day), the others only when they narrow. Two addresses asking the same question give the same."""
    query, raw = context["query"], context["raw"]
    question = {}
    if "as_of" in raw:
        question["as_of"] = query["as_of"].isoformat()
    if query.get("claimed_by"):
        question["claimed_by"] = ",".join(sorted({slug.strip() for slug in raw["claimed_by"].split(",")}))
    if query.get("independent") is not None:
        question["independent"] = "true" if query["independent"] else "false"
    for name in ("start", "end"):
        if query.get(name) is not None:
            question[name] = query[name].isoformat()
    return question


def chart_key(context: dict, drawing: str) -> tuple:
    """Return what a chart depends on besides the data's version (queries.remembered adds it, a past moment's
    truncated to the version it selects): the quantity, the normalised question and the drawing."""
    quantity = (context["conflict"].slug, context["party"].slug, context["category"].slug)
    return (*quantity, sorted(question_of(context).items()), drawing, charts.DRAWING_VERSION)


def lines_of(context: dict) -> list[charts.Line]:
    """Return the chart's lines, each with its own API address (`series`, on the normalised days: the lines are
    remembered under the normalised question)."""
    conflict, party, category = context["conflict"], context["party"], context["category"]
    question = question_of(context)
    lines = chart_lines(conflict, party, category, context["query"])
    for line in lines:
        line.api = api_address("series", conflict=conflict.slug, party=party.slug, category=category.slug,
                               claimed_by=line.claimed_by, basis=line.basis, start=question.get("start"),
                               end=question.get("end"))
    return lines


def page_chart(context: dict) -> dict:
    """Return the page's chart, wide and narrow, and its legend, remembered per data version and question: a
    repeated view reads no series and draws nothing."""

    def build():
        lines = lines_of(context)
        drawn = {
            size: charts.inline_svg(charts.draw(lines, size=size, marked=context["marked"]), labelled_by="chart-title")
            for size in ("wide", "narrow")
        }
        for line in lines:
            line.claims, line.points = len(line.points), []  # the legend needs only how many
        return {"lines": lines, "chart_wide": drawn["wide"], "chart_narrow": drawn["narrow"]}

    return remembered(chart_key(context, "page"), build)


def with_quantity(template: str):
    """Make a view of a quantity's page (or its embed) from the template that shows it."""

    def view(request, conflict: str, party: str, category: str):
        try:
            context = quantity_context(request, conflict, party, category)
        except BadQuery as bad:
            return bad_request(request, bad.errors, request.path)
        context.update(page_chart(context))
        context["today"] = timezone.localdate()
        return render(request, template, context)

    return view


quantity_page = pages(with_quantity("pages/quantity.html"))
# The embed's own policy: other sites may frame it (and so its 429 and 503 pages: stats/limits.py).
EMBED_POLICY = {**PAGE_POLICY, "frame-ancestors": ["*"]}
embed = xframe_options_exempt(csp_replace(EMBED_POLICY)(as_recorded(with_quantity("pages/embed.html"))))


def served_from(request) -> str:
    """Return the service's address to draw into a chart file: PUBLIC_URL, or without it the server's own name and
    port (SERVER_NAME and SERVER_PORT, as the WSGI server sets them), never the request's Host header, whose port no
    setting checks and which would make every port a new drawing."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL
    scheme, name, port = request.scheme, request.META.get("SERVER_NAME", ""), request.META.get("SERVER_PORT", "")
    if ":" in name:
        name = f"[{name}]"
    default = {"http": "80", "https": "443"}.get(scheme)
    return f"{scheme}://{name}" + (f":{port}" if port and port != default else "")


def source_line(request, context: dict, question: dict) -> str:
    """Return the source line drawn into a chart file: the page's address of the normalised question (a past
    moment as the commit time of the version it selects) and the credits, nothing else the client sent."""
    shown = dict(question)
    moment = past.moment()
    if moment is not None:
        committed = versions.at(moment)[1]
        if committed is not None:
            shown["as_recorded"] = committed.isoformat().replace("+00:00", "Z")
    page = served_from(request) + reverse("quantity", args=[context[name].slug for name in
                                                            ("conflict", "party", "category")])
    if shown:
        page += "?" + urlencode(shown, safe=",:")
    return f"Source: conflictdata, {page}. {context['credits']}"


@as_recorded
def chart_file(request, conflict: str, party: str, category: str, kind: str):
    """Return the quantity's chart as an SVG or PNG file for an article: title, source line and credits drawn in."""
    try:
        context = quantity_context(request, conflict, party, category)
    except BadQuery as bad:
        return bad_request(request, bad.errors, request.path.rsplit("/", 1)[0] + "/")
    as_of = f", as of {format_day(context['marked'])}" if context["marked"] else ""
    title = f"{context['party'].name}: {context['category'].name.lower()}, by claimant{as_of}"
    base = served_from(request)
    source = source_line(request, context, question_of(context))

    def build():
        figure = charts.draw(lines_of(context), size="article", marked=context["marked"], title=title,
                             headline=headlines.headline(context["compared"], "left out of these ranges"),
                             credits=source)
        return charts.png(figure) if kind == "png" else charts.svg(figure).encode()

    body = remembered(chart_key(context, f"article.{kind}@{base}"), build)
    response = HttpResponse(body, content_type="image/png" if kind == "png" else "image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="conflictdata-{conflict}-{party}-{category}.{kind}"'
    return response


@pages
def figure_page(request, pk: int):
    """Return one claim: its sentence, citation, report, dataset, revisions and the other claims about it then."""
    figure = get_object_or_404(past.twin(Figure).objects.with_related(), pk=pk)
    compare = {"conflict": figure.conflict, "party": figure.party, "category": figure.category,
               "as_of": figure.period_end}
    others = [claim for claim in analysis.compared_claims(compare) if claim.pk != figure.pk]
    moment = past.moment()
    revisions = [revision for revision in analysis.figure_revisions(figure.pk)
                 if moment is None or revision["changed_at"] <= moment]
    return render(request, "pages/figure.html", {"figure": figure, "revisions": revisions, "others": others})


@cache
def about_html(path: Path, modified: float) -> str:
    """Return a document of docs/ as HTML, its tables in regions that scroll on a narrow screen (and take the
    keyboard)."""
    html = markdown.markdown(path.read_text(encoding="utf-8"),
                             extensions=["toc", "tables", "attr_list", "fenced_code"])
    scrolling = '<div class="table-scroll" tabindex="0" role="region" aria-label="Table">'
    return html.replace("<table>", f"{scrolling}<table>").replace("</table>", "</table></div>")


@pages
def about(request):
    """Return the codebook: how to read the numbers (docs/how-to-read-the-numbers.md)."""
    return render(request, "pages/about.html", {"body": about_html(ABOUT, ABOUT.stat().st_mtime)})


@pages
def start_here(request):
    """Return the API's "Start here" guide: five tasks, each with its request (docs/start-here.md)."""
    return render(request, "pages/about.html", {
        "body": about_html(START_HERE, START_HERE.stat().st_mtime),
        "title": "Start here: the API in five tasks",
        "description": "The latest claims, a series as CSV, claims side by side, citing a figure, following new "
        "claims: each with its request and what the answer means.",
    })


def not_found(request, exception=None):
    """Return the 404 page (JSON under /api/, where clients expect it)."""
    if request.path.startswith("/api/"):
        from stats.api.errors import json_not_found

        return json_not_found(request, exception)
    message = str(exception.args[0]) if exception and exception.args and isinstance(exception.args[0], str) else ""
    response = render(request, "pages/404.html", {"message": message}, status=404)
    return csp_replace(PAGE_POLICY)(lambda: response)()


def too_slow(request):
    """Return the 503 page of a read whose time budget ran out (JSON under /api/)."""
    seconds = settings.READ_TIMEOUT_MS / 1000
    if request.path.startswith("/api/"):
        from stats.api.errors import TooSlow

        return JsonResponse({"detail": str(TooSlow(settings.READ_TIMEOUT_MS).detail)}, status=503)
    response = render(request, "pages/503.html", {"seconds": f"{seconds:g}"}, status=503)
    response["Retry-After"] = "30"
    return csp_replace(PAGE_POLICY)(lambda: response)()


def server_error(request):
    """Return the 500 page (JSON under /api/)."""
    if request.path.startswith("/api/"):
        from stats.api.errors import json_server_error

        return json_server_error(request)
    return render(request, "pages/500.html", status=500)
