"""What the Economist's feeds share: reading a CSV version strictly, and the few ways of writing a number or a day."""

import csv
import datetime
import io
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from stats.csvformat import FIGURE_CSV_COLUMNS
from stats.sync.feeds import Unreadable

REPOSITORY = "TheEconomist/the-economist-ukraine-war-dead-and-wounded-estimates"
LIVE = f"https://raw.githubusercontent.com/{REPOSITORY}/main/"
SHIPPED_COMMIT = "978a24b"
X_POST = re.compile(r"^https://(?:x|twitter)\.com/\w+/status/(?P<id>\d+)")
# Twitter's "snowflake" IDs: milliseconds since this epoch in the bits above the lowest 22.
X_EPOCH_MS = 1288834974657
# The UK's February-April 2025 rows name spreadsheet increments of one post's ID (…502173, the same instant).
X_POST_ALIASES = {
    f"https://x.com/DefenceHQ/status/191856318539050217{n}": "https://x.com/DefenceHQ/status/1918563185390502173"
    for n in (4, 5, 6)
}
# Tracking parameters (a click's id), not part of the article's address.
TRACKING_QUERY = re.compile(r"\?ocid=[^#]*fbclid=[^#]*$")


def blob(commit: str, path: str) -> str:
    """Return the address of a file of the origin's repository as it was at `commit`."""
    return f"https://github.com/{REPOSITORY}/blob/{commit}/{path}"


def csv_rows(body: bytes, columns: Iterable[str]) -> list[dict]:
    """Return the rows of a CSV version as dicts, or raise Unreadable saying why it cannot be read.

    Line endings may be mixed (the compiler's spreadsheet leaves CRLF lines in an LF file); a record with another
    number of fields than the header is a truncated or broken file, and a file without a row has nothing to say.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(f"not UTF-8 text ({error.reason} at byte {error.start})") from error
    if not text.strip():
        raise Unreadable("the file is empty")
    if text.lstrip().startswith("<"):
        raise Unreadable("an HTML page, not a CSV file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        missing = [name for name in columns if name not in header]
        if missing:
            raise Unreadable(f"missing column(s): {', '.join(missing)}")
        rows = []
        for record in reader:
            if not record:
                continue
            if len(record) != len(header):
                raise Unreadable(f"line {reader.line_num} has {len(record)} fields where the header names "
                                 f"{len(header)}: the file is truncated or broken")
            rows.append(dict(zip(header, record, strict=True)))
    except csv.Error as error:
        raise Unreadable(f"not valid CSV, line {reader.line_num}: {error}") from error
    if not rows:
        raise Unreadable("the file has a header but no row")
    return rows


def figure(**fields) -> dict:
    """Return one row in the export's columns: the given fields, the others empty."""
    row = dict.fromkeys(FIGURE_CSV_COLUMNS, "")
    row.update({name: "" if value is None else value for name, value in fields.items()})
    return row


def day_words(day: datetime.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def count(text: str) -> int | None:
    """Return a number written with or without thousands separators, or None for an empty cell."""
    digits = text.strip().replace(",", "")
    if not digits:
        return None
    if not digits.isdigit():
        raise Unreadable(f"{text!r} is not a whole number")
    return int(digits)


def rounded(text: str) -> int:
    """Return a modelled value rounded to whole people (halves up)."""
    try:
        return int(Decimal(text).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError) as error:
        raise Unreadable(f"{text!r} is not a number") from error


def iso_day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise Unreadable(f"{text!r} is not a day (YYYY-MM-DD)") from error


def x_post_day(address: str) -> datetime.date | None:
    """Return the UTC day an x.com or twitter.com post was made, from its ID, or None for another address."""
    match = X_POST.match(address)
    if not match:
        return None
    milliseconds = (int(match["id"]) >> 22) + X_EPOCH_MS
    return datetime.datetime.fromtimestamp(milliseconds / 1000, datetime.UTC).date()


def split_address(cell: str) -> tuple[str, str]:
    """Return the address a `source_url` cell holds (or "") and the note it carries (or "")."""
    cell = cell.strip()
    if not cell.startswith("http"):
        return "", cell
    address, _, note = cell.partition(" ")
    address = TRACKING_QUERY.sub("", X_POST_ALIASES.get(address, address))
    return address, note.strip()
