"""The `uk-mod-monthly` feed: the UK Ministry of Defence's average daily Russian casualties, month by month.

The origin is `Soldier deaths_casualties in Ukraine - uk mod month-by-month estimates.csv` in The Economist's
repository, one row per month. As fixtures/README.md (section 05) says, each month is a window (the 1st to the last
day) counting the average times the month's days, which must equal the compiler's `casualties in month` (else the
version is refused: the columns no longer mean what they did); the compiler's running sum is never read. The report
is the x.com post in `source_url`, dated by its ID; the spreadsheet increments of one post's ID name that post. A
`source_url` that is not an x.com post has no known day: the version is refused until a rule dates it.

The key is the month: `period_start/period_end`.
"""

import datetime

from stats.addresses import as_uri
from stats.sync.feeds import Origin, Unreadable

from .common import csv_rows, day_words, figure, split_address, x_post_day

COLUMNS = ("month", "year", "casualties (average daily losses)", "days in month", "casualties in month", "source_url")


def convert(body: bytes, origin: Origin) -> list[dict]:
    """Return one window per month of the chart, in the file's order."""
    return [month_figure(row) for row in csv_rows(body, COLUMNS)]


def key(row: dict) -> str:
    return f"{row['period_start']}/{row['period_end']}"


def month_days(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first, following - datetime.timedelta(days=1)


def whole(row: dict, column: str) -> int:
    text = row[column].strip()
    if not text.isdigit():
        raise Unreadable(f"{row['month']} {row['year']}: {column} {text!r} is not a whole number")
    return int(text)


def month_figure(row: dict) -> dict:
    """Return one month's window: the daily average times the month's days."""
    try:
        month = datetime.datetime.strptime(row["month"].strip().title(), "%B").month
    except ValueError as error:
        raise Unreadable(f"{row['month']!r} is not the name of a month") from error
    first, last = month_days(whole(row, "year"), month)
    average, days = whole(row, "casualties (average daily losses)"), (last - first).days + 1
    if (whole(row, "days in month"), whole(row, "casualties in month")) != (days, average * days):
        raise Unreadable(f"{row['month']} {row['year']}: the compiler's days or product differ from ours")
    given = row["source_url"].strip()
    address, _ = split_address(given)
    published_on = x_post_day(address)
    if published_on is None:
        raise Unreadable(f"{row['month']} {row['year']}: the address {given!r} is not an x.com post, whose ID "
                         "would give its day")
    notes = (
        f"The UK Ministry of Defence gave an average of {average:,} Russian casualties a day in "
        f"{first:%B %Y}; the count, {average * days:,}, is our multiplication of that average by the month's "
        f"{days} days, not a figure of the Ministry's."
    )
    if given != address:
        notes += (f" The Economist's table gives the address {given}, a spreadsheet increment of the post's ID; "
                  f"the report is the post {address}.")
    return figure(
        conflict="russia-ukraine",
        party="russia-armed-forces",
        category="total",
        claimed_by="uk-mod",
        value=average * days,
        qualifier="approximately",
        basis="estimated",
        period_start=first.isoformat(),
        period_end=last.isoformat(),
        date_precision="day",
        report_title=f"UK Ministry of Defence on {address.split('/')[2]}, {day_words(published_on)}",
        report_url=as_uri(address),
        report_published_on=published_on.isoformat(),
        publisher="uk-mod",
        notes=notes,
        dataset="economist-ukraine-estimates",
    )
