"""Mediazona's count of named Russian soldiers killed, as the MZCasualitiesExtractor scraper saw it each day.

Origin: thunderquack/MZCasualitiesExtractor (MIT; Mediazona states no terms for its figures). Its scraper reads the
headline total of https://zona.media/casualties daily and writes it into its README: "As of **2026-02-12**, there
have been **168142** confirmed[^1] fatalities." (earlier versions: "As of **DATE** there are **N** confirmed[^1]
fatalities"). The live feed reads that README, which states only the newest total: one row, the total as seen on
that day (so the feed is partial: a total missing from a version is not a removal). The shipped copy is
`derived_mediazona_headline_total_by_snapshot.csv`, the README's total in each of its commits (`snapshot_date`,
`mediazona_confirmed_total`; `with_known_date_of_death` is a sub-count, never read); `convert` reads either.

Rules carried over from fixtures/README.md (08): each total is a claim once, on the first day it was seen (the
snapshots are resolved here: a repeated total is the same claim), a cumulative `confirmed` count of Russian soldiers
killed by `mediazona`, `qualifier` exact, `period_end` and publication the day seen (not the day Mediazona
published it), a report of its own without an address; a total that fell is kept, its notes saying "a correction"
(the README alone cannot know the total before it, so its row never says so).

Key: the day seen (`period_end`).
"""

import csv
import datetime
import io
import re

from stats.sync.feeds import Feed, Origin, Unreadable

PAGE = "https://zona.media/casualties"
SNAPSHOT_COLUMNS = ("snapshot_date", "mediazona_confirmed_total")
# The scraper's sentence in either of its wordings; bold markers and the footnote mark are optional, in case the
# README is ever written plainer.
HEADLINE = re.compile(
    r"As of \**(?P<day>\d{4}-\d{2}-\d{2})\**,? there (?:have been|are) \**(?P<total>\d{1,3}(?:,\d{3})+|\d+)\**"
    r" confirmed(?:\[\^\d+\])? fatalities"
)


def day_words(day: datetime.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def text_of(body: bytes) -> str:
    if not body.strip():
        raise Unreadable("The file is empty")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(f"The file is not UTF-8 ({error.reason} at byte {error.start})") from None


def seen_day(text: str, where: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise Unreadable(f"{where}: {text!r} is not a day (YYYY-MM-DD)") from None


def total_of(text: str, where: str) -> int:
    """Return a headline total; zero is refused, since the scraper writes 0 when it did not find the total."""
    if not (text.isascii() and text.isdigit()) or int(text) == 0:
        raise Unreadable(f"{where}: {text!r} is not a total of names")
    return int(text)


def snapshots(text: str) -> list[tuple[datetime.date, int]]:
    """Return each snapshot's day and total, in the file's order, from the shipped CSV."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [name for name in SNAPSHOT_COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise Unreadable(f"The snapshots lack the column(s) {', '.join(missing)}")
    seen = []
    try:
        for line in reader:
            where = f"line {reader.line_num}"
            if None in line.values() or None in line:
                raise Unreadable(f"{where} does not have the header's columns (truncated?)")
            seen.append((seen_day(line["snapshot_date"], where), total_of(line["mediazona_confirmed_total"], where)))
    except csv.Error as error:
        raise Unreadable(f"The snapshots are not valid CSV ({error})") from None
    if not seen:
        raise Unreadable("The snapshots hold no line")
    return seen


def headline(text: str) -> tuple[datetime.date, int]:
    """Return the day and total the scraper's README states."""
    if text.lstrip()[:1] == "<":
        raise Unreadable("The file is an HTML page, not the scraper's README")
    found = HEADLINE.search(text)
    if not found:
        raise Unreadable('The README does not state a total (no "As of DATE, there have been N confirmed fatalities")')
    return seen_day(found["day"], "The README"), total_of(found["total"].replace(",", ""), "The README")


def changes(seen: list[tuple[datetime.date, int]]):
    """Yield the first snapshot of each total, and the total before it (None for the first)."""
    previous = None
    for seen_on, total in sorted(seen, key=lambda snapshot: snapshot[0]):  # stable: a day's snapshots keep order
        if total != previous:
            yield seen_on, total, previous
            previous = total


def row(seen_on: datetime.date, total: int, previous: int | None) -> dict:
    notes = (
        f"The headline total of Mediazona's count of named Russian soldiers killed, on {PAGE}, as a daily "
        f"scraper first saw it on {day_words(seen_on)}: the day seen, not the day Mediazona published it (which "
        "may be earlier). A count of names: a floor, not an estimate of all deaths."
    )
    if previous is not None and total < previous:
        notes += f" The total fell by {previous - total:,} from the previous one ({previous:,}): a correction."
    return {
        "id": "",
        "conflict": "russia-ukraine",
        "party": "russia-armed-forces",
        "category": "killed",
        "claimed_by": "mediazona",
        "value": total,
        "value_low": "",
        "value_high": "",
        "qualifier": "exact",
        "basis": "confirmed",
        "period_start": "",
        "period_end": seen_on.isoformat(),
        "date_precision": "day",
        "report_title": f"Mediazona, zona.media/casualties, as seen on {day_words(seen_on)}",
        "report_url": "",
        "report_published_on": seen_on.isoformat(),
        "publisher": "mediazona",
        "quote": "",
        "notes": notes,
        "dataset": "mediazona-names-snapshots",
        "updated_at": "",
    }


def convert(body: bytes, origin: Origin) -> list[dict]:
    """Return a row per total first seen: from the snapshots' CSV each change, from the README its one total."""
    text = text_of(body)
    if text.startswith(SNAPSHOT_COLUMNS[0] + ","):
        return [row(*change) for change in changes(snapshots(text))]
    return [row(*headline(text), None)]


def key(row: dict) -> str:
    """Return the day the total was seen: a new total is a new claim on the day it appears."""
    return row["period_end"]


FEEDS = [
    Feed(
        dataset="mediazona-names-snapshots",
        name="total",
        address="https://raw.githubusercontent.com/thunderquack/MZCasualitiesExtractor/main/README.md",
        convert=convert,
        key=key,
        description=(
            "Mediazona's count of named Russian soldiers killed, as the MZCasualitiesExtractor scraper's README "
            "states it (only the newest total: partial), keyed by the day the total was seen. Reads nothing else; "
            "the shipped copy is the scraper's history of that total, one line per snapshot."
        ),
        partial=True,
        shipped="mediazona-names/derived_mediazona_headline_total_by_snapshot.csv",
        shipped_commit="662ef6b",
    ),
]
