"""Charts of a quantity's claims, drawn on the server by matplotlib: inline SVG for the page (no script, no inline
style), and SVG or PNG files sized for an article, with their title, source line and credits drawn in."""

import contextlib
import datetime
import io
import re
import textwrap
import warnings
from dataclasses import dataclass, field
from html import escape
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")  # no screen: draw into files
from matplotlib import dates as mdates
from matplotlib import ticker
from matplotlib.figure import Figure

from stats.templatetags import claims

# Okabe and Ito's colours, told apart by colour-blind readers; past seven lines the markers tell them apart too.
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
# Sizes in inches at 100 dots per inch: the page's chart wide and narrow (a phone), and the article's download.
SIZES = {"wide": (8.0, 4.4), "narrow": (3.8, 3.6), "article": (10.0, 6.6)}
INK, GRID, MUTED = "#222222", "#dddddd", "#555555"
# Claims further apart than this are not joined by a line.
JOIN_DAYS = 45
# A band is drawn through at most this many of its points.
BAND_POINTS = 200
# Every text in a chart is plain text, drawn as written: curators' names hold `$`, `\\`, `_`, `^` and braces, which
# matplotlib would otherwise read as mathematics (`$…$`) or hand to LaTeX. The process's default, so that a drawing in
# another thread leaving its rc_context cannot put mathematics back under this one; and each drawing's own.
PLAIN_TEXT = {"text.usetex": False, "text.parse_math": False}
matplotlib.rcParams.update(PLAIN_TEXT)
# A line is drawn through at most this many points per inch of the chart's width (at 100 dots per inch, one per
# column of pixels), however many days it has: a drawing's cost is bounded before matplotlib starts.
POINTS_PER_INCH = 100


@dataclass
class Line:
    """One claimant's claims about the quantity on one basis: a line when it has several points, else a point."""

    label: str
    points: list[dict]  # {"date", "value", "value_low", "value_high", "qualifier", "date_precision"}, oldest first
    claimed_by: str = ""  # the claimant's slug and the basis, to name the line's own API address
    basis: str = ""
    claimant: str = ""  # the claimant's name, for the words shown where a reader points
    api: str = ""  # the line's own API address (series)
    claims: int = 0  # how many points it had, once they are dropped
    colour: str = ""
    marker: str = ""
    dashes: list = field(default_factory=list)

    @property
    def banded(self) -> bool:
        return any(point["value_low"] is not None or point["value_high"] is not None for point in self.points)


def styled(lines: list[Line]) -> list[Line]:
    """Give each line its colour and marker, in order; the same order on the page, in its legend and in files."""
    for index, line in enumerate(lines):
        line.colour = COLOURS[index % len(COLOURS)]
        line.marker = MARKERS[(index // len(COLOURS)) % len(MARKERS)] if len(lines) > len(COLOURS) else "o"
        line.dashes = [] if index < len(COLOURS) else [5, 2]
    return lines


def segments(points: list[dict]):
    """Yield the runs of a line's points that are close enough to join: claims months apart stay separate points,
    since a line (or a band) between them would draw a count nobody claimed."""
    start = 0
    for index in range(1, len(points) + 1):
        if index == len(points) or (points[index]["date"] - points[index - 1]["date"]).days > JOIN_DAYS:
            yield points[start:index]
            start = index


def thinned(points: list[dict]) -> list[dict]:
    """Return at most BAND_POINTS of `points`, evenly spread, the last kept: a shaded band drawn from every day of
    a long series looks the same and weighs a hundred kilobytes more (matplotlib simplifies lines, not areas)."""
    if len(points) <= BAND_POINTS:
        return points
    step = -(-len(points) // BAND_POINTS)
    return [*points[:-1:step], points[-1]]


def fewer(points: list[dict], limit: int) -> list[dict]:
    """Return at most `limit` of `points` (a run of one line), in their order: the first and the last, and of each
    of (limit - 2) / 2 equal stretches of the others its lowest and its highest value, so that peaks and
    corrections (a cumulative count that falls back) are still drawn where a pixel could show them."""
    if len(points) <= max(limit, 4):
        return points
    inner, stretches = points[1:-1], max(1, (limit - 2) // 2)
    kept = [points[0]]
    for number in range(stretches):
        stretch = inner[number * len(inner) // stretches:(number + 1) * len(inner) // stretches]
        if stretch:
            values = [point["value"] for point in stretch]
            low, high = values.index(min(values)), values.index(max(values))
            kept += [stretch[index] for index in sorted({low, high})]
    return [*kept, points[-1]]


def thousands(value, _position=None) -> str:
    return f"{value:,.0f}"


def claim_words(point: dict) -> str:
    """Return a point's claim in the pages' words: its value with its hedge (and band), and the day it counts to."""
    claim = SimpleNamespace(**point)
    ranged, counted_to = claims.band(claim), claims.day(claim.date, claim.date_precision)
    return f"{claims.hedged(claim)}{f' ({ranged})' if ranged else ''}, counted to {counted_to}"


def pointed_at(line: Line, points: list[dict]) -> str:
    """Return what a reader pointing at a run of `line` is told: the claimant, the basis and, for a line, its latest
    claim, for a lone point its own."""
    if len(points) == 1:
        return f"{line.claimant}, {line.basis}: {claim_words(points[0])}"
    return f"{line.claimant}, {line.basis}: latest {claim_words(line.points[-1])}"


@matplotlib.rc_context(PLAIN_TEXT)
def draw(
    lines: list[Line], *, size: str, marked: datetime.date | None, title: str = "", headline: str = "",
    credits: str = "",
) -> Figure:
    """Return the chart: every line over time, bands shaded, single claims as points, the `marked` day dashed; a
    file's title with its headline in words beneath it."""
    width, height = SIZES[size]
    figure = Figure(figsize=(width, height), dpi=100, facecolor="white")
    axes = figure.add_subplot()
    small = size == "narrow"
    handles = []  # each line's first segment, named in the legend (whatever its label, even one starting with `_`)
    runs = {}  # each run of a line by the id of its group in an SVG, which titled() words (a PNG never does)
    most = int(width * POINTS_PER_INCH)
    for number, line in enumerate(lines):
        sparse = len(line.points) < 60  # few claims: show where each one is
        for index, points in enumerate(segments(line.points)):
            runs[f"claims-{number}-{index}"] = (line, points)
            points = fewer(points, max(2, most * len(points) // len(line.points)))
            days = [point["date"] for point in points]
            if line.banded:
                band = thinned(points)
                lows = [point["value"] if point["value_low"] is None else point["value_low"] for point in band]
                highs = [point["value"] if point["value_high"] is None else point["value_high"] for point in band]
                if len(days) > 1:
                    axes.fill_between([point["date"] for point in band], lows, highs, color=line.colour, alpha=0.18,
                                      linewidth=0)
                else:
                    axes.vlines(days, lows, highs, color=line.colour, linewidth=2.5, alpha=0.45)
            [plotted] = axes.plot(
                days, [point["value"] for point in points], color=line.colour, linewidth=1.8,
                marker=line.marker if sparse or len(days) == 1 else None, markersize=4 if small else 5,
                linestyle=(0, line.dashes) if line.dashes else "-", label=line.label if index == 0 else "_nolegend_",
                gid=f"claims-{number}-{index}",
            )
            if index == 0:
                handles.append(plotted)
    if marked is not None:
        axes.axvline(marked, color=MUTED, linestyle=(0, (4, 3)), linewidth=1)
        axes.annotate(
            f"{marked.day} {marked:%b} {marked.year}", xy=(marked, 1), xycoords=("data", "axes fraction"),
            xytext=(3, -2), textcoords="offset points", va="top", fontsize=8 if small else 9, color=MUTED,
        )
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_formatter(ticker.FuncFormatter(thousands))
    axes.yaxis.set_major_locator(ticker.MaxNLocator(5 if small else 7))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=5 if small else 8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(MUTED)
    axes.tick_params(colors=INK, labelsize=8 if small else 9)
    if title:
        figure.suptitle(title, x=0.02, ha="left", fontsize=14, fontweight="bold", color=INK)
    headline_lines = textwrap.wrap(headline, 130)
    if headline_lines:
        figure.text(0.02, 0.935, "\n".join(headline_lines), fontsize=9.5, color=INK, va="top")
    if size == "article":
        legend = axes.legend(
            handles, [handle.get_label() for handle in handles], loc="upper center", bbox_to_anchor=(0.5, -0.1),
            ncol=2, frameon=False, fontsize=8.5, labelcolor=INK,
        )
        legend.set_in_layout(True)
        figure.text(0.02, 0.01, "\n".join(textwrap.wrap(credits, 150)), fontsize=7.5, color=MUTED, va="bottom")
        figure.subplots_adjust(left=0.09, right=0.97, top=0.9 - 0.026 * len(headline_lines), bottom=0.34)
    else:
        figure.subplots_adjust(left=0.16 if small else 0.1, right=0.97, top=0.95, bottom=0.11 if small else 0.08)
    figure.claim_runs = runs
    return figure


@matplotlib.rc_context(PLAIN_TEXT)  # the tick labels are made as the figure is drawn
def png(figure: Figure) -> bytes:
    out = io.BytesIO()
    with few_days_quietly():
        figure.savefig(out, format="png", dpi=150)
    return out.getvalue()


@matplotlib.rc_context(PLAIN_TEXT)
def svg(figure: Figure) -> str:
    out = io.StringIO()
    with few_days_quietly(), matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "conflictdata"}):
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return titled(out.getvalue(), figure.claim_runs)


# The group matplotlib writes for a plotted run that draw() named (its gid).
TITLED_GROUP = re.compile(r'<g id="(claims-\d+-\d+)">')


def titled(document: str, runs: dict[str, tuple[Line, list[dict]]]) -> str:
    """Return the SVG with a <title> first in each run's group: browsers show it where a reader points, without
    script, and screen readers read it as the name of the group (an image of one line or one claim)."""

    def with_title(group: re.Match) -> str:
        words = pointed_at(*runs[group.group(1)])
        return f'<g id="{group.group(1)}" role="img"><title>{escape(words)}</title>'

    return TITLED_GROUP.sub(with_title, document)


@contextlib.contextmanager
def few_days_quietly():
    """Silence the date locator's complaint about a range of a few days (it then ticks every day, as it should)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="AutoDateLocator was unable to pick", category=UserWarning)
        yield


# The drawing's own version, part of every chart's cache key: a deploy that draws differently (a headline in words,
# titles on the lines) never serves a chart the code before it drew and cached.
DRAWING_VERSION = "2: like with like, titled"

STYLE = re.compile(r' style="([^"]*)"')
# matplotlib's `font` shorthand: [style] [weight] size family.
FONT = re.compile(
    r"^(?:(?P<style>italic|oblique) )?(?:(?P<weight>\d00|bold|normal) )?(?P<size>[\d.]+px) (?P<family>.+)$"
)


def presentation_attributes(declarations: str) -> str:
    """Return CSS declarations as SVG presentation attributes (which a policy without inline styles allows)."""
    attributes = []
    for declaration in declarations.split(";"):
        name, _, value = (part.strip() for part in declaration.partition(":"))
        if not name:
            continue
        if name == "font":
            font = FONT.match(value)
            if font is None:
                continue
            for part in ("style", "weight", "size", "family"):
                if font.group(part):
                    attributes.append(f'font-{part}="{font.group(part).replace(chr(34), chr(39))}"')
        else:
            attributes.append(f'{name}="{value}"')
    return " " + " ".join(attributes) if attributes else ""


def inline_svg(figure: Figure, *, labelled_by: str) -> str:
    """Return the chart as an <svg> element to put in a page: sized by the stylesheet, presentation attributes only
    (no style attribute or element, which the pages' Content-Security-Policy refuses), described by `labelled_by`: a
    group whose lines and lone claims screen readers reach by their titles, the axes' bare numbers hidden from them."""
    document = svg(figure)
    document = document[document.index("<svg"):]
    document = re.sub(r'<g id="(matplotlib\.axis_\d+)">', r'<g id="\1" aria-hidden="true">', document)
    document = re.sub(r"<metadata>.*?</metadata>\s*", "", document, flags=re.DOTALL)
    document = re.sub(r"<style[^>]*>.*?</style>\s*", "", document, flags=re.DOTALL)
    document = STYLE.sub(lambda match: presentation_attributes(match.group(1)), document)
    return re.sub(
        r'<svg [^>]*?(viewBox="[^"]*")[^>]*>',
        rf'<svg xmlns="http://www.w3.org/2000/svg" \1 class="chart-svg" role="group" aria-labelledby="{labelled_by}" '
        r'stroke-linejoin="round" stroke-linecap="butt" focusable="false">',
        document,
        count=1,
    )
