"""The sentence a journalist pastes to cite a figure: a plain function of fields a list query already selects."""

import datetime
from functools import lru_cache

QUALIFIER_WORDS = {"exact": "", "approximately": "about ", "at_least": "at least ", "at_most": "at most "}

# Where each argument of format_citation() comes from, as a lookup path from a figure: read from a model instance
# by Figure.citation and straight from values() by the API's lists.
CITATION_PATHS = {
    "claimed_by": "claimed_by__name", "basis": "basis", "qualifier": "qualifier", "value": "value",
    "value_low": "value_low", "value_high": "value_high", "category": "category__name", "party": "party__name",
    "conflict": "conflict__name", "period_start": "period_start", "period_end": "period_end",
    "date_precision": "date_precision", "report_title": "report__title", "report_published_on": "report__published_on",
    "report_url": "report__url", "publisher": "report__publisher__name",
}

# Where each argument of format_attribution() comes from.
ATTRIBUTION_PATHS = {"dataset": "dataset__name", "attribution": "dataset__attribution", "licence": "dataset__licence"}
# How common SPDX identifiers read in a credit line.
LICENCE_WORDS = {
    "CC-BY-4.0": "CC BY 4.0",
    "CC-BY-SA-4.0": "CC BY-SA 4.0",
    "CC0-1.0": "CC0 1.0 (public domain)",
    "MIT": "MIT licence",
    "Unlicense": "public domain (the Unlicense)",
    "NOASSERTION": "no licence stated",
}


@lru_cache(maxsize=8192)  # a page of figures repeats a few dates many times
def format_day(day: datetime.date | str, precision: str = "day") -> str:
    """Return a date (or its ISO text, as SQLite gives it) as a journalist writes it, as exactly as it is known:
    16 December 2024, December 2024, 2024."""
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return f"{day:%B} {day.year}"
    return f"{day.day} {day:%B} {day.year}"


def format_citation(  # lists pass its arguments by position, in the order of these parameters (reading.given())
    claimed_by: str,
    basis: str,
    qualifier: str,
    value: int,
    value_low: int | None,
    value_high: int | None,
    category: str,
    party: str,
    conflict: str,
    period_start: datetime.date | None,
    period_end: datetime.date,
    date_precision: str,
    report_title: str,
    report_published_on: datetime.date,
    report_url: str | None,
    publisher: str | None,
) -> str:
    """Return one sentence a journalist can paste: claimant, quantity, the date counted to, and the report."""
    quantity = f"{QUALIFIER_WORDS[qualifier]}{value:,} {category.lower()}"
    if value_low is not None and value_high is not None:
        quantity += f" (range {value_low:,} to {value_high:,})"
    elif value_low is not None:
        quantity += f" (range from {value_low:,})"
    elif value_high is not None:
        quantity += f" (range up to {value_high:,})"
    end = format_day(period_end, date_precision)
    if period_start is None:
        period = f", counted since the conflict began, as of {end}"
    elif period_start == period_end and date_precision == "day":
        period = f" on {end}"
    else:
        period = f" from {format_day(period_start)} to {end}"
    where = format_report(publisher, report_title, report_published_on, report_url)
    return f"{claimed_by} {basis} {quantity} among {party} ({conflict}){period} ({where})."


@lru_cache(maxsize=8192)  # a report states several figures: a page, and the next request, cite it again
def format_report(publisher: str | None, title: str, published_on: datetime.date | str, url: str | None) -> str:
    """Return a report as a citation names it: its publisher, title, date of publication and address."""
    parts = [publisher, f"“{title}”", f"published {format_day(published_on)}", url]
    return ", ".join([part for part in parts if part])


def format_attribution(dataset: str | None, attribution: str | None, licence: str | None) -> str | None:
    """Return whose compilation a figure was taken from and under which licence, or None without a dataset."""
    if dataset is None:
        return None
    return f"Compiled by {attribution or dataset}, {LICENCE_WORDS.get(licence, licence)}."
