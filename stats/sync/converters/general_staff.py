"""The General Staff of Ukraine's daily claim of Russian personnel losses, from PetroIvaniuk's compilation.

Origin: `data/russia_losses_personnel.json` of PetroIvaniuk/2022-Ukraine-Russia-War-Dataset (MIT), a JSON list with
one entry per morning report: `date` (the day the report was published), `personnel` (the cumulative losses since
24 February 2022) and `personnel*` (the report's hedge, "about" or "more"). Other fields (`day`, `POW`) are the
compiler's and never read. Also read: lod-db/orc-losses' `russian-losses.json` (MIT), for each day the Ministry of
Defence's page, its address and its own count; it only enriches the rows (see fixtures/README.md, "The General Staff
series"):

- each report counts the day before it was published: `period_end` = `date` - 1, cumulative, claimant
  `ukraine-general-staff`, party `russia-armed-forces`, category `total`, "about" → approximately, "more" → at_least;
- where orc-losses knows the day's page, it is the report's address (percent-encoded as a URI) and the Ministry of
  Defence (`ukraine-mod`) its publisher, and a page whose count differs says so in `notes`; without that file (or
  that day in it) the report has no address and the General Staff is its publisher.

Key: the day counted to (`period_end`). Nothing is deduplicated: a version that gives one date twice (the compiler's
typo year of 2025-01-01, "2024-01-01") yields both rows under one key, for the engine to hold.
"""

import datetime
import json

from stats.addresses import as_uri
from stats.sync.feeds import Feed, Origin, Unreadable

QUALIFIERS = {"about": "approximately", "more": "at_least"}
ORC_LOSSES = "orc-losses"


def day_words(day: datetime.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def parsed_list(body: bytes, what: str) -> list:
    """Return the JSON list `body` holds, or raise Unreadable saying why it is not one."""
    if not body.strip():
        raise Unreadable(f"{what} is empty")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise Unreadable(f"{what} is not UTF-8 ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise Unreadable(f"{what} is not valid JSON ({error.msg}, line {error.lineno} column {error.colno})") from None
    if not isinstance(data, list):
        raise Unreadable(f"{what} holds a JSON {type(data).__name__} where a list of days was expected")
    if not data:
        raise Unreadable(f"{what} holds no day")
    return data


def claim(entry, position: int) -> tuple[datetime.date, int, str]:
    """Return one entry's publication day, value and qualifier, or raise Unreadable naming the entry."""
    where = f"entry {position + 1}"
    if not isinstance(entry, dict):
        raise Unreadable(f"{where} is not an object")
    missing = [name for name in ("date", "personnel", "personnel*") if name not in entry]
    if missing:
        raise Unreadable(f"{where} lacks {', '.join(missing)}")
    try:
        published_on = datetime.date.fromisoformat(entry["date"])
    except (TypeError, ValueError):
        raise Unreadable(f"{where}: the date {entry['date']!r} is not a day (YYYY-MM-DD)") from None
    value = entry["personnel"]
    if type(value) is not int or value < 0:
        raise Unreadable(f"{where} ({entry['date']}): personnel {value!r} is not a count")
    if entry["personnel*"] not in QUALIFIERS:
        raise Unreadable(f"{where} ({entry['date']}): personnel* {entry['personnel*']!r} is neither about nor more")
    return published_on, value, QUALIFIERS[entry["personnel*"]]


def ministry_pages(origin: Origin) -> dict[str, dict]:
    """Return orc-losses' pages by day; none when that file cannot be read, since it only adds addresses and notes."""
    body = origin.read(ORC_LOSSES)
    if body is None:
        return {}
    try:
        entries = parsed_list(body, "orc-losses")
    except Unreadable:
        return {}
    return {
        entry["date"]: entry
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(entry.get("date"), str)
        and isinstance(entry.get("sourceUri"), str)
        and type(entry.get("personnel")) is int
    }


def differing_note(page: dict, value: int) -> str:
    if page["personnel"] == value:
        return ""
    return (
        f"The Ministry of Defence's page for this day, as compiled by lod-db/orc-losses, gives {page['personnel']:,}; "
        "this figure follows the PetroIvaniuk/2022-Ukraine-Russia-War-Dataset compilation."
    )


def convert(body: bytes, origin: Origin) -> list[dict]:
    """Return one row per entry, in date order (a date given twice keeps the file's order)."""
    claims = [claim(entry, position) for position, entry in enumerate(parsed_list(body, "The file"))]
    pages = ministry_pages(origin)
    rows = []
    for published_on, value, qualifier in sorted(claims, key=lambda each: each[0]):
        page = pages.get(published_on.isoformat())
        rows.append({
            "id": "",
            "conflict": "russia-ukraine",
            "party": "russia-armed-forces",
            "category": "total",
            "claimed_by": "ukraine-general-staff",
            "value": value,
            "value_low": "",
            "value_high": "",
            "qualifier": qualifier,
            "basis": "claimed",
            "period_start": "",
            "period_end": (published_on - datetime.timedelta(days=1)).isoformat(),
            "date_precision": "day",
            "report_title": f"Enemy combat losses as of {day_words(published_on)}",
            "report_url": as_uri(page["sourceUri"]) if page else "",
            "report_published_on": published_on.isoformat(),
            "publisher": "ukraine-mod" if page else "ukraine-general-staff",
            "quote": "",
            "notes": differing_note(page, value) if page else "",
            "dataset": "petroivaniuk-war-dataset",
            "updated_at": "",
        })
    return rows


def key(row: dict) -> str:
    """Return the day the report counts to: the series has one claim per day."""
    return row["period_end"]


FEEDS = [
    Feed(
        dataset="petroivaniuk-war-dataset",
        name="personnel",
        address="https://raw.githubusercontent.com/PetroIvaniuk/2022-Ukraine-Russia-War-Dataset/main/data/"
        "russia_losses_personnel.json",
        convert=convert,
        key=key,
        description=(
            "The General Staff of Ukraine's morning report of Russian personnel losses since 24 February 2022, one "
            "per day, keyed by the day it counts to (the day before publication). Also reads lod-db/orc-losses for "
            "the Ministry of Defence's page of each day (report address, publisher, a note where its count differs)."
        ),
        also_reads={ORC_LOSSES: "https://raw.githubusercontent.com/lod-db/orc-losses/main/russian-losses.json"},
        shipped="general-staff/russia_losses_personnel.json",
        shipped_also={ORC_LOSSES: "orc-losses/russian-losses.json"},
        shipped_commit="37655f8",
    ),
]
