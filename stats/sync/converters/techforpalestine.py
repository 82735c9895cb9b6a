"""Tech for Palestine's daily compilations (TechForPalestine/palestine-datasets, Unlicense), read from its versioned
API: three feeds of the dataset `techforpalestine-datasets`. The rules are fixtures/README.md's ("Gaza", "West
Bank", "Lebanon"); in short:

- `gaza` (`casualties_daily.json`): each row is one day's report, `report_source` naming whose (`mohtel` the Ministry
  of Health, `gmotel` the Government Media Office, `missing` nobody's: not figures). Its `killed_cum`/`injured_cum`
  are the body's cumulative claims, counting up to and published on `report_date`. A 0-hour row whose totals all
  repeat the day before's is the compiler's carry-forward, not a report. Key: claimant, category and day
  (`gaza-moh|killed|2024-01-05`).
- `west-bank` (`west_bank_daily.json`): OCHA's verified database (`verified.*_cum`, basis confirmed, every day; each
  day a report published on the day of the compilation's version it was read from, an upper bound) and OCHA's
  updates (top-level `*_cum` of `flash_source: un` rows, basis claimed; `fill` rows are the compiler's). From
  2026-06-15 the compiler sums the week's increments itself: a day's note says which cumulatives are OCHA's (its
  front matter gives `killed_cum`) and may state the total in the update's own words. Key: basis, category and the
  compiler's day (`claimed|killed|2024-08-02`), which is always `period_end`.
- `lebanon` (`lebanon_casualties_daily.json`, v3): the Ministry of Public Health's own figures (`*_cum_reported`),
  phase 1 in conflict `lebanon-2023`, phase 2 in `lebanon-2026` (the compiler's `*_cum` adds phase 1 to phase 2: a
  sum, never read). Key: conflict, category and `period_end` (`lebanon-2023|killed|2024-10-27`): the compiler's day,
  or the day before for the ministry's statements of "yesterday's toll" (2024-10-28 to 2024-11-28), a rule on the
  compilation alone, so the key is the same whether the day's note was read or not.

West Bank and Lebanon also read each day's note (notes.py): the report's address, title, publication date, quote and
the words on dating. Without it a row still comes, with what the compilation alone gives. The one claim a note alone
carries is a West Bank update's total stated in its words where the compiler's cumulative is its sum (2026-06-29);
and on a `un` day from 2026-06-15 whose note is not read, no update figure comes (the cumulative is the compiler's).
Compiler-only fields (`ext_*`, sub-counts, increments) are never read.
"""

import datetime
import json
import re

from stats.addresses import as_uri
from stats.sync.converters.notes import (
    Note,
    address_and_headline,
    day_words,
    first_address,
    flash_update,
    headline_of_page,
    numbers_in,
    path_end,
    read_note,
    update_report,
)
from stats.sync.feeds import Feed, Origin, Unreadable

DATASET = "techforpalestine-datasets"
API = "https://data.techforpalestine.org/api"
NOTES = "https://raw.githubusercontent.com/TechForPalestine/palestine-datasets/main/source_data"
SHIPPED_COMMIT = "9ea6456"
SHIPPED_READ_ON = datetime.date(2026, 8, 22)  # the shipped commit's day, whose newest rows are of that day
CATEGORIES = ["killed", "injured"]
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def compilation(body: bytes) -> list[dict]:
    """Return the compilation's rows, refusing a version that is not a non-empty JSON list of objects."""
    try:
        rows = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise Unreadable(f"not UTF-8 ({error.reason} at byte {error.start})") from error
    except json.JSONDecodeError as error:
        raise Unreadable(f"not JSON ({error.msg}, line {error.lineno} column {error.colno})") from error
    if not isinstance(rows, list):
        raise Unreadable(f"the top level is a JSON {type(rows).__name__}, not a list of days")
    if not rows:
        raise Unreadable("an empty list of days")
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise Unreadable(f"row {index + 1} is a JSON {type(row).__name__}, not an object")
    return rows


def report_day(row: dict, index: int) -> datetime.date:
    """Return the row's `report_date`, the compiler's day."""
    text = row.get("report_date")
    if text is None:
        raise Unreadable(f"row {index + 1} has no report_date")
    try:
        if not (isinstance(text, str) and ISO_DAY.fullmatch(text)):
            raise ValueError
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise Unreadable(f"row {index + 1}: report_date {text!r} is not a day (YYYY-MM-DD)") from None


def count(row: dict, field: str, where: str) -> int:
    """Return a count the row must give, refusing the version when it is missing or not a whole number."""
    if field not in row:
        raise Unreadable(f"{where}: no {field}")
    value = row[field]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Unreadable(f"{where}: {field} is {value!r}, not a count")
    return value


def choice(row: dict, field: str, where: str, known) -> str:
    """Return a label the row must give, one of `known`."""
    value = row.get(field)
    if value not in known:
        raise Unreadable(f"{where}: {field} is {value!r}, not one of {', '.join(sorted(known))}")
    return value


def days(body: bytes, check) -> list[tuple[datetime.date, dict]]:
    """Return the compilation's rows with their days, in day order, each checked by `check(row, where)`."""
    dated = []
    for index, row in enumerate(compilation(body)):
        day = report_day(row, index)
        check(row, row["report_date"])
        dated.append((day, row))
    return sorted(dated, key=lambda pair: pair[0])


def figure(**fields) -> dict:
    """Return a row in the export's columns: a cumulative, exact, day-dated figure of the dataset."""
    return {
        "id": "",
        "value_low": "",
        "value_high": "",
        "qualifier": "exact",
        "period_start": "",
        "date_precision": "day",
        "quote": "",
        "dataset": DATASET,
        "updated_at": "",
    } | fields


# Gaza ---------------------------------------------------------------------------------------------------------------

# report_source: (claimant and publisher, its name in the notes, the report's title before its date)
BODIES = {
    "mohtel": ("gaza-moh", "the Ministry of Health's", "Ministry of Health in Gaza, daily report of"),
    "gmotel": ("gaza-gmo", "the Government Media Office's", "Government Media Office in Gaza, report of"),
}
NO_REPORT = "missing"
GAZA_FIELDS = {"killed": "killed_cum", "injured": "injured_cum"}


def check_gaza(row: dict, where: str) -> None:
    choice(row, "report_source", where, {*BODIES, NO_REPORT})
    count(row, "report_period", where)
    for field in GAZA_FIELDS.values():
        if field in row:
            count(row, field, where)


def carried_forward(report: dict, previous: dict | None) -> bool:
    """Return whether the row is a day without a report: 0 hours covered, every total the day before's repeated."""
    return (
        report["report_period"] == 0 and previous is not None
        and all(previous.get(field) == report.get(field) for field in GAZA_FIELDS.values())
    )


def covering(report: dict, following: dict) -> str:
    """Return the words on the hours a report covers, and on the compiler's contradiction where there is one."""
    hours = report["report_period"]
    if hours:
        return f"covering the previous {hours} hours"
    words = (
        "marked by the compiler as covering 0 hours, but with a total that differs from the day before's, so a "
        "report of that day"
    )
    if following.get("report_period", 0) > 24:
        words += (
            f"; the next report is marked as covering {following['report_period']} hours, which would mean none on "
            "this day: the compiler's data contradicts itself here"
        )
    return words


def convert_gaza(body: bytes, origin: Origin) -> list[dict]:
    """Return the figures of the Ministry of Health's and the Government Media Office's reports, day by day."""
    ordered = [row for _, row in days(body, check_gaza)]
    figures = []
    last_claimed: dict[tuple[str, str], tuple[str, int]] = {}
    for index, report in enumerate(ordered):
        previous = ordered[index - 1] if index else None
        body_of = BODIES.get(report["report_source"])
        if body_of is None or carried_forward(report, previous):
            continue
        claimant, whose, title = body_of
        following = ordered[index + 1] if index + 1 < len(ordered) else {}
        date = report["report_date"]
        for category, field in GAZA_FIELDS.items():
            if field not in report:
                continue
            value = report[field]
            notes = (
                f"Cumulative since 7 October 2023, from {whose} report of this day ({covering(report, following)}), "
                f"as compiled by Tech for Palestine (casualties_daily.json: {field}, report_source "
                f"{report['report_source']})."
            )
            earlier = last_claimed.get((claimant, category))
            if earlier and value < earlier[1]:
                notes += f" Lower than the {earlier[0]} report's {earlier[1]:,}: kept as published (a correction)."
            last_claimed[(claimant, category)] = (date, value)
            figures.append(figure(
                conflict="gaza-war", party="gaza-palestinians", category=category, claimed_by=claimant, value=value,
                basis="claimed", period_end=date,
                report_title=f"{title} {day_words(datetime.date.fromisoformat(date))}", report_url="",
                report_published_on=date, publisher=claimant, notes=notes,
            ))
    return figures


def gaza_key(row: dict) -> str:
    """Return claimant, category and day: `gaza-moh|killed|2024-01-05`."""
    return f"{row['claimed_by']}|{row['category']}|{row['period_end']}"


# West Bank ----------------------------------------------------------------------------------------------------------

FLASH_SOURCES = {"un", "fill"}
# From this day the compiler's cumulatives of `un` days are its own sums of the week's increments (the notes give
# only the increments): where a day's note is not read, its cumulative is taken as OCHA's only before this day.
SUMMED_FROM = datetime.date(2026, 6, 15)
# OCHA's own sentence giving the total since 7 October 2023, in an update the compiler summed.
STATED_TOTAL = re.compile(
    r"the number of Palestinians (?P<category>killed|injured) since 7 October 2023 to (?P<value>[\d,]+) Palestinians"
)


def check_west_bank(row: dict, where: str) -> None:
    if choice(row, "flash_source", where, FLASH_SOURCES) == "un":
        for category in CATEGORIES:
            count(row, f"{category}_cum", where)
    if "verified" in row:
        verified = row["verified"]
        if not isinstance(verified, dict):
            raise Unreadable(f"{where}: verified is {verified!r}, not an object")
        for category in CATEGORIES:
            if f"{category}_cum" in verified:
                count(verified, f"{category}_cum", f"{where}, verified")



def unread_report(day: datetime.date) -> tuple[str, datetime.date, str]:
    """Return the report of a `un` day whose note was not read: OCHA's update of the day, its kind unknown."""
    note = (
        " The day's note in the compilation (the update's address and kind) was not read: the report's date is the "
        "compiler's day."
    )
    return f"OCHA update of {day_words(day)} on the West Bank", day, note


def ocha_figure(day: datetime.date, category: str, value: int, basis: str, report: tuple, notes: str,
                quote: str = "") -> dict:
    """Return a figure of OCHA's about Palestinians in the West Bank, counting up to `day`."""
    title, url, published_on = report
    return figure(
        conflict="west-bank-2023", party="west-bank-palestinians", category=category, claimed_by="ocha",
        value=value, basis=basis, period_end=day.isoformat(), report_title=title, report_url=url,
        report_published_on=published_on.isoformat(), publisher="ocha", quote=quote, notes=notes,
    )


def update_figures(row: dict, day: datetime.date, note: Note | None) -> list[dict]:
    """Return the figures of OCHA's update of the day: the cumulatives it reports, not the compiler's sums."""
    if note is None:
        reported = CATEGORIES if day < SUMMED_FROM else []
        title, published_on, date_note = unread_report(day)
        report = (title, "", published_on)
    else:
        reported = [category for category in CATEGORIES if note.reported(f"{category}_cum") is not None]
        if not reported:
            return stated_figures(day, note.body)
        address = first_address(note.body)
        title, published_on, date_note = update_report(address, day)
        report = (title, as_uri(address), published_on)
    figures = []
    for category in reported:
        field = f"{category}_cum"
        if note is not None and note.reported(field) != row[field]:
            raise Unreadable(f"{row['report_date']}: {field} is {row[field]}, its note's {note.reported(field)!r}")
        notes = (
            f"OCHA's count of Palestinians {category} in the West Bank, East Jerusalem included, since 7 October "
            "2023, as reported in this update (not yet verified in its casualty database), as compiled by Tech for "
            f"Palestine (west_bank_daily.json: {field}, flash_source un).{date_note}"
        )
        figures.append(ocha_figure(day, category, row[field], "claimed", report, notes))
    return figures


def stated_figures(day: datetime.date, body: str) -> list[dict]:
    """Return the totals an update states in its own words where the compiler's cumulative is its own sum."""
    figures = []
    for match in STATED_TOTAL.finditer(body):
        address = first_address(body)
        title, published_on, date_note = update_report(address, day)
        sentence = body[body.rfind("\n", 0, match.start()) + 1 : body.find(".", match.end()) + 1].strip()
        notes = (
            f"OCHA's count of Palestinians {match['category']} in the West Bank, East Jerusalem included, since 7 "
            "October 2023, in this update's own words. The compiler's cumulative for this day is its own sum of the "
            f"week's increments (not shipped); the update states the total itself.{date_note}"
        )
        figures.append(ocha_figure(day, match["category"], int(match["value"].replace(",", "")), "claimed",
                                   (title, as_uri(address), published_on), notes, quote=sentence))
    return figures


def verified_read_on(origin: Origin) -> tuple[datetime.date, str]:
    """Return the day of the compilation's version the verified counts are read from, and how it is known.

    The compiler dates a verified count by the day it counts up to, read from the database later (on 7 October 2023
    it already counts 6 killed where that day's update said 3): the version's day is the latest the count can have
    been read, and the earliest known day it existed.
    """
    if origin.commit == SHIPPED_COMMIT:
        return SHIPPED_READ_ON, f"the day of the compilation's commit {SHIPPED_COMMIT}, which it was read from"
    if origin.commit is None:
        return origin.today, "the day the compilation was read"
    return origin.today, "the day the compilation's commit was read"


def verified_figures(row: dict, day: datetime.date, read_on: tuple[datetime.date, str]) -> list[dict]:
    """Return OCHA's verified counts up to the day, in a report of their own published on the day they were read."""
    published_on, read = read_on
    report = (f"OCHA casualty database (West Bank), verified count up to {day_words(day)}", "", published_on)
    figures = []
    for category in CATEGORIES:
        field = f"{category}_cum"
        if field not in row["verified"]:
            continue
        notes = (
            f"OCHA's verified count of Palestinians {category} in the West Bank, East Jerusalem included, from 7 "
            "October 2023 up to this day, in its casualty database, as compiled by Tech for Palestine "
            f"(west_bank_daily.json: verified.{field}). The database is no dated publication, and the compiler's "
            "file dates each count by the day it counts up to without saying when it read the database (later: on "
            f"7 October 2023 it counts more than that day's flash update). Published: {published_on.isoformat()} "
            f"({read}), the latest day the count can have been read; when it first existed is not known."
        )
        figures.append(ocha_figure(day, category, row["verified"][field], "confirmed", report, notes))
    return figures


def convert_west_bank(body: bytes, origin: Origin) -> list[dict]:
    """Return OCHA's figures day by day: the update's (reading the day's note), then the database's."""
    read_on = verified_read_on(origin)
    figures = []
    for day, row in days(body, check_west_bank):
        if row["flash_source"] == "un":
            figures += update_figures(row, day, read_note(origin, row["report_date"]))
        if "verified" in row:
            figures += verified_figures(row, day, read_on)
    return figures


def west_bank_key(row: dict) -> str:
    """Return basis, category and the compiler's day: `claimed|killed|2024-08-02`."""
    return f"{row['basis']}|{row['category']}|{row['period_end']}"


# Lebanon ------------------------------------------------------------------------------------------------------------

CONFLICTS = {1: "lebanon-2023", 2: "lebanon-2026"}
COUNTED_FROM = {1: "8 October 2023", 2: "2 March 2026"}
PUBLISHERS = {"ocha": "ocha", "moph_lb": "lebanon-moph"}
# The ministry's statements of 28 October to 28 November 2024 give the previous day's toll (their addresses say
# "yesterday's toll"; the one of 28 November names Tuesday's, after 48 hours without a statement): they count up to
# the day before. A rule on the compilation alone, so that a figure's dates never wait for its note.
DAY_BEFORE_DAYS = (datetime.date(2024, 10, 28), datetime.date(2024, 11, 28))
DAY_BEFORE = {
    "yesterdays-toll": "Its address names \"yesterday's toll\": the statement counts up to the day before it was "
    "published.",
    "the-toll-on-tuesday": "Its address names Tuesday's toll (26 November) after 48 hours without a statement: it "
    "is taken to count up to the day before it was published (27 November, when the ceasefire began).",
}
DAY_BEFORE_UNREAD = (
    "The ministry's statements of 28 October to 28 November 2024 give the previous day's toll (\"yesterday's toll\"): "
    "the statement counts up to the day before it was published."
)


def check_lebanon(row: dict, where: str) -> None:
    choice(row, "report_source", where, PUBLISHERS)
    count(row, "report_period", where)
    if row.get("phase") not in CONFLICTS or isinstance(row.get("phase"), bool):
        raise Unreadable(f"{where}: phase is {row.get('phase')!r}, not one of 1, 2")
    for category in CATEGORIES:
        count(row, f"{category}_cum_reported", where)


def counted_to(row: dict, day: datetime.date) -> datetime.date:
    """Return the day a report counts up to, from the compilation alone."""
    first, last = DAY_BEFORE_DAYS
    if row["report_source"] == "moph_lb" and row["phase"] == 1 and first <= day <= last:
        return day - datetime.timedelta(days=1)
    return day


def dating_words(address: str, day_before: bool) -> str:
    """Return the notes' words on a statement counting up to the day before, by what its address names."""
    said = next((said for words, said in DAY_BEFORE.items() if words in path_end(address)), "")
    if day_before:
        return f" {said or DAY_BEFORE_UNREAD}"
    if said:
        return (
            f" {said} But the compilation dates it by its own day (only the statements of 28 October to 28 November "
            "2024 are known to count to the day before): a curator may re-date it."
        )
    return ""


def ocha_report(row: dict, day: datetime.date, address: str, headline: str) -> dict:
    """Return OCHA's flash update relaying the ministry's figures: its number and date from the note's link."""
    number, published_on = flash_update(row["report_date"], headline, address)
    return {
        "url": as_uri(address), "published_on": published_on, "headline": "",
        "title": f"OCHA Lebanon Flash Update #{number}, {day_words(published_on)}",
        "dates": (
            f" OCHA relays the ministry's figures (\"Figures as relayed from Lebanon MoPH\"). Counted up to "
            f"{day_words(day)} (the compiler's date); the update was published on {day_words(published_on)} (the "
            "date in its address)."
        ),
    }


def report_of(row: dict, day: datetime.date, note: Note | None) -> dict:
    """Return the report's title, address, publication date, headline and the notes' words on its dates."""
    address, headline = address_and_headline(note.body) if note else ("", "")
    if row["report_source"] == "ocha":
        if note:
            return ocha_report(row, day, address, headline)
        return {
            "url": "", "published_on": day, "headline": "",
            "title": f"OCHA Lebanon Flash Update counting up to {day_words(day)}",
            "dates": (
                f" OCHA relays the ministry's figures. Counted up to {day_words(day)} (the compiler's date); the day's "
                "note in the compilation (the update's address and publication date) was not read."
            ),
        }
    dates = dating_words(address, counted_to(row, day) != day)
    if not dates and note is None:
        dates = " The day's note in the compilation (the statement's address) was not read."
    elif not dates and not address:
        dates = " The compiler records no address for this statement."
    return {
        "url": as_uri(address), "published_on": day,
        "headline": headline if headline and headline_of_page(headline, address) else "",
        "title": f"Ministry of Public Health of Lebanon, toll of the aggression published on {day_words(day)}",
        "dates": dates,
    }


def lebanon_notes(row: dict, category: str, report: dict, quoted: bool) -> str:
    """Return a figure's notes: what it counts, where the compilation has it, its dating, and what is not shipped."""
    phase = row["phase"]
    notes = (
        f"People {category} in Lebanon since {COUNTED_FROM[phase]}, as the Ministry of Public Health counts them "
        f"(phase {phase} of its count), as compiled by Tech for Palestine (lebanon_casualties_daily.json: "
        f"{category}_cum_reported, report_source {row['report_source']}; the compiler's report_period: "
        f"{row['report_period']} hours since the previous report).{report['dates']}"
    )
    if phase == 2:
        notes += (
            f" The compiler's {category}_cum adds the 2023-2024 count to the ministry's: a sum, not a claim, not "
            "shipped."
        )
    if category == "killed" and report["headline"] and not quoted:
        # A rounded headline ("exceeds 1000", "1400 Martyrs"): the statement's own figure is the compiler's.
        notes += f" The page's headline reads \"{report['headline']}\"; the figure is as compiled."
    return notes


def convert_lebanon(body: bytes, origin: Origin) -> list[dict]:
    """Return the ministry's figures report by report, each day's note giving its report where it can be read."""
    figures = []
    for day, row in days(body, check_lebanon):
        note = read_note(origin, row["report_date"])
        report = report_of(row, day, note)
        for category in CATEGORIES:
            value = row[f"{category}_cum_reported"]
            if note is not None and note.front_matter.get(f"{category}_cum", value) != value:
                raise Unreadable(f"{row['report_date']}: the note's {category}_cum is not the ministry's {value}")
            quote = report["headline"] if value in numbers_in(report["headline"]) else ""
            figures.append(figure(
                conflict=CONFLICTS[row["phase"]], party="lebanon-people", category=category,
                claimed_by="lebanon-moph", value=value, basis="claimed",
                period_end=counted_to(row, day).isoformat(), report_title=report["title"],
                report_url=report["url"], report_published_on=report["published_on"].isoformat(),
                publisher=PUBLISHERS[row["report_source"]], quote=quote,
                notes=lebanon_notes(row, category, report, bool(quote)),
            ))
    return figures


def lebanon_key(row: dict) -> str:
    """Return conflict, category and the day counted to: `lebanon-2023|killed|2024-10-27`."""
    return f"{row['conflict']}|{row['category']}|{row['period_end']}"


FEEDS = [
    Feed(
        dataset=DATASET,
        name="gaza",
        address=f"{API}/v2/casualties_daily.json",
        convert=convert_gaza,
        key=gaza_key,
        description=(
            "The Gaza Ministry of Health's (and on days without one, the Government Media Office's) daily cumulative "
            "killed and injured, one report per day. Key: claimant, category and day (gaza-moh|killed|2024-01-05)."
        ),
        shipped="gaza-moh/casualties_daily.json",
        shipped_commit=SHIPPED_COMMIT,
    ),
    Feed(
        dataset=DATASET,
        name="west-bank",
        address=f"{API}/v2/west_bank_daily.json",
        convert=convert_west_bank,
        key=west_bank_key,
        description=(
            "OCHA's West Bank killed and injured: its verified database (confirmed) and its updates (claimed). Key: "
            "basis, category and the compiler's day (claimed|killed|2024-08-02). Also reads each update day's note "
            "(address, title, dating, which cumulatives are OCHA's, a total stated in words)."
        ),
        also_reads={"note": f"{NOTES}/west-bank-daily/{{date}}.md"},
        shipped="west-bank/west_bank_daily.json",
        shipped_also={"note": "west-bank/source_data/{date}.md"},
        shipped_commit=SHIPPED_COMMIT,
    ),
    Feed(
        dataset=DATASET,
        name="lebanon",
        address=f"{API}/v3/lebanon_casualties_daily.json",
        convert=convert_lebanon,
        key=lebanon_key,
        description=(
            "Lebanon's Ministry of Public Health's killed and injured, in two counts (lebanon-2023, lebanon-2026). "
            "Key: conflict, category and the day counted to (lebanon-2023|killed|2024-10-27). Also reads each day's "
            "note (the report's address, title, publication date and headline)."
        ),
        also_reads={"note": f"{NOTES}/lebanon-daily/{{date}}.md"},
        shipped="lebanon/lebanon_casualties_daily.json",
        shipped_also={"note": "lebanon/source_data/{date}.md"},
        shipped_commit=SHIPPED_COMMIT,
    ),
]
