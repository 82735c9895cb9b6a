"""Numbers, hedges, bands and dates as people write them, with the same words as the citation."""

import datetime

from django import template

from stats.citations import QUALIFIER_WORDS, format_day
from stats.pages import headlines

register = template.Library()


@register.filter
def number(value) -> str:
    """Return 765110 as 765,110."""
    return "" if value is None else f"{value:,}"


@register.filter
def hedged(figure) -> str:
    """Return a figure's value with its hedge: 765,110; about 198,000; at least 417,284."""
    return f"{QUALIFIER_WORDS[figure.qualifier]}{figure.value:,}"


@register.filter
def band(figure) -> str:
    """Return a figure's band: 417,284–579,031; from 417,284; up to 579,031; empty without one."""
    low, high = figure.value_low, figure.value_high
    if low is not None and high is not None:
        return f"{low:,}–{high:,}"
    if low is not None:
        return f"from {low:,}"
    if high is not None:
        return f"up to {high:,}"
    return ""


@register.filter
def day(value, precision: str = "day") -> str:
    """Return a date as 16 December 2024 (December 2024, 2024 when only the month or year is known)."""
    if not isinstance(value, datetime.date):
        return ""
    return format_day(value, precision)


@register.filter
def counted_to(figure) -> str:
    """Return the day a figure counts to, as exactly as it is known."""
    return format_day(figure.period_end, figure.date_precision)


@register.filter
def groups_in_words(compared: dict) -> list[headlines.GroupWords]:
    """Return each of compare's groups as a sentence in parts: Estimates counted to …: 369,000 to 500,000 (6 …)."""
    return [headlines.group_words(group) for group in compared["groups"]]


@register.filter
def older_in_words(compared: dict, where: str) -> str:
    """Return the sentence counting compare's older claims, saying `where` they are; empty without any."""
    return headlines.older_words(compared["older"], where)


@register.filter
def is_older(claim, compared: dict) -> bool:
    """Return whether a claim is among compare's older claims (in no range)."""
    return any(claim.pk == older.pk for entry in compared["older"] for older in entry["figures"])


@register.filter
def headline(compared: dict, where: str) -> str:
    """Return compare's groups and older claims as plain sentences (a page's description, a title)."""
    return headlines.headline(compared, where)


@register.simple_tag
def swatch(line, size: int = 14):
    """Return a legend key for a chart line: its colour and marker, drawn with presentation attributes only."""
    from django.utils.html import format_html

    middle = size / 2
    shapes = {
        "o": f'<circle cx="{middle}" cy="{middle}" r="{size / 4}" fill="{line.colour}"/>',
        "s": f'<rect x="{size / 4}" y="{size / 4}" width="{size / 2}" height="{size / 2}" fill="{line.colour}"/>',
    }
    marker = shapes.get(line.marker, shapes["o"])
    dash = ' stroke-dasharray="4 2"' if line.dashes else ""
    return format_html(
        '<svg class="swatch" width="{}" height="{}" viewBox="0 0 {} {}" aria-hidden="true" focusable="false">'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2.5"{}/>{}</svg>',
        size * 2, size, size * 2, size, middle, size * 2, middle, line.colour, dash, marker_at(marker, size),
    )


def marker_at(marker: str, size: int):
    from django.utils.safestring import mark_safe

    # The marker sits in the middle of a key twice as wide as it is high.
    return mark_safe(f'<g transform="translate({size / 2} 0)">{marker}</g>')
