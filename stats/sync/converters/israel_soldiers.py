"""Israeli soldiers killed in the Gaza ground operation, from 360info's "Gaza, one year on" report.

Origin: `data/raw/israel-killed.csv` of 360-info/report-gaza-1year (CC BY 4.0, 360info), columns `date` and
`killed_soldiers_gaza`: the Israeli military's count as OCHA's updates relayed it, transcribed by hand. The report is
finished (its last line is of 2024-09-27), so the file is not expected to change.

Rules carried over from fixtures/README.md (10): a cumulative figure of `israel-defense-forces`, party
`israel-soldiers-gaza-ground-operation`, in an OCHA report of that day without an address; the zeros before the
first death are not claims; a date given twice keeps its later line (the day's later update), its notes giving every
value (the repeats are resolved here, as the build resolved them); the one fall (101 to 98) is kept, with a note.

Key: the day (`period_end`, which is also the update's day).
"""

import csv
import datetime
import io

from stats.sync.feeds import Feed, Origin, Unreadable

COLUMNS = ("date", "killed_soldiers_gaza")
TITLE_SUBJECT = "the Israeli military's count of soldiers killed in Gaza"


def day_words(day: datetime.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def lines_of(body: bytes) -> list[tuple[datetime.date, int]]:
    """Return each line's day and count, in the file's order, or raise Unreadable saying what is wrong."""
    if not body.strip():
        raise Unreadable("The file is empty")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(f"The file is not UTF-8 ({error.reason} at byte {error.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise Unreadable(f"The file lacks the column(s) {', '.join(missing)}")
    lines = []
    try:
        for line in reader:
            lines.append(parsed(line, f"line {reader.line_num}"))
    except csv.Error as error:
        raise Unreadable(f"The file is not valid CSV ({error})") from None
    if not lines:
        raise Unreadable("The file holds no line")
    return lines


def parsed(line: dict, where: str) -> tuple[datetime.date, int]:
    if None in line or None in line.values():
        raise Unreadable(f"{where} does not have the header's columns (truncated?)")
    try:
        day = datetime.date.fromisoformat(line["date"])
    except ValueError:
        raise Unreadable(f"{where}: {line['date']!r} is not a day (YYYY-MM-DD)") from None
    if not (line["killed_soldiers_gaza"].isascii() and line["killed_soldiers_gaza"].isdigit()):
        raise Unreadable(f"{where}: {line['killed_soldiers_gaza']!r} is not a count")
    return day, int(line["killed_soldiers_gaza"])


def latest_per_day(lines: list[tuple[datetime.date, int]]) -> dict[datetime.date, tuple[int, list[int]]]:
    """Return each day's last value, with every value the file gives for that day in file order."""
    values: dict[datetime.date, list[int]] = {}
    for day, value in lines:
        values.setdefault(day, []).append(value)
    return {day: (given[-1], given) for day, given in values.items()}


def notes_for(value: int, given: list[int], previous: tuple[datetime.date, int] | None) -> str:
    notes = (
        "Israeli soldiers killed in the ground operation in Gaza since it began on 27 October 2023, as the Israel "
        "Defense Forces reported it and OCHA relayed it in its update of this day; transcribed by 360info "
        "(israel-killed.csv, which gives no address). Not all Israeli military deaths since 7 October 2023."
    )
    if len(given) > 1:
        times = "twice" if len(given) == 2 else f"{len(given)} times"
        listed = f"{value:,} each time" if len(set(given)) == 1 else ", then ".join(f"{each:,}" for each in given)
        notes += f" The file gives this date {times} ({listed}): the last line, the day's latest update, is kept."
    if previous and value < previous[1]:
        notes += (
            f" Lower than the previous update's {previous[1]:,} ({day_words(previous[0])}): kept as published, "
            "a correction."
        )
    return notes


def convert(body: bytes, origin: Origin) -> list[dict]:
    """Return one row per day from the first death on, each day's latest line."""
    rows = []
    previous = None
    for day, (value, given) in sorted(latest_per_day(lines_of(body)).items()):
        if value == 0 and previous is None:
            continue
        rows.append({
            "id": "",
            "conflict": "gaza-war",
            "party": "israel-soldiers-gaza-ground-operation",
            "category": "killed",
            "claimed_by": "israel-defense-forces",
            "value": value,
            "value_low": "",
            "value_high": "",
            "qualifier": "exact",
            "basis": "claimed",
            "period_start": "",
            "period_end": day.isoformat(),
            "date_precision": "day",
            "report_title": f"OCHA update of {day_words(day)} ({TITLE_SUBJECT})",
            "report_url": "",
            "report_published_on": day.isoformat(),
            "publisher": "ocha",
            "quote": "",
            "notes": notes_for(value, given, previous),
            "dataset": "360info-gaza-one-year",
            "updated_at": "",
        })
        previous = (day, value)
    return rows


def key(row: dict) -> str:
    """Return the day of the update: one count per day once repeated dates are resolved."""
    return row["period_end"]


FEEDS = [
    Feed(
        dataset="360info-gaza-one-year",
        name="israel-soldiers",
        address="https://raw.githubusercontent.com/360-info/report-gaza-1year/main/data/raw/israel-killed.csv",
        convert=convert,
        key=key,
        description=(
            "Israeli soldiers killed in the Gaza ground operation as the IDF reported them and OCHA relayed them, "
            "360info's transcription, keyed by the day of the update; reads nothing else. A finished report (last "
            "line 2024-09-27): checked monthly, since a change would be a rare correction, not a new day."
        ),
        cadence=datetime.timedelta(days=30),
        shipped="israel-soldiers-gaza/israel-killed.csv",
        shipped_commit="b9e42d9",
    ),
]
