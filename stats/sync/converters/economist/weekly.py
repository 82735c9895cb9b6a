"""The `weekly` feed of `meduza-mediazona-weekly`: Meduza's and Mediazona's estimate of Russian soldiers killed per
ISO week of death, shared through The Economist's repository.

The origin is `source-data/deaths-and-casualties-data/meduza_2026_weekly.csv` (its name carries a year: a new year's
file is a new address). As fixtures/README.md (section 07) says: each ISO week after the invasion's is a window
(Monday to Sunday); the value is the excess-deaths estimate `ED`, or the model's `EDPrediction` where `ED` is empty
(the trailing half-year), rounded, with its 95% interval as the band (ends put in order where the file swaps them).
The invasion's own week (2022-W08, from 21 February) is skipped, and so is a week with neither estimate (not yet
estimated).

The report: when the origin's commit is known, the file at that commit, published on the shipped commit's day
(2026-08-21) for the shipped copy and otherwise on the day of the sync; when it is not (a live fetch), the report has
no address and is published on the day of the sync (`origin.today`).

The key is the ISO week: its Monday (`period_start`).
"""

import datetime

from stats.sync.feeds import Origin, Unreadable

from .common import SHIPPED_COMMIT, blob, csv_rows, figure, rounded

PATH = "source-data/deaths-and-casualties-data/meduza_2026_weekly.csv"
COLUMNS = ("Year", "Week", "ED", "EDHigh", "EDLow", "EDPrediction", "EDPredictionHigh", "EDPredictionLow")
SHIPPED_PUBLISHED_ON = datetime.date(2026, 8, 21)  # the shipped commit's day, whose latest data are of that day
INVASION_WEEK = (2022, 8)
TITLE = ("Meduza and Mediazona, weekly estimate of Russian soldiers killed (meduza_2026_weekly.csv in The "
         "Economist's repository)")


def convert(body: bytes, origin: Origin) -> list[dict]:
    """Return one window per ISO week estimated, in the file's order."""
    report = report_of(origin)
    figures = []
    for row in csv_rows(body, COLUMNS):
        week = iso_week(row)
        if week != INVASION_WEEK and (row["ED"].strip() or row["EDPrediction"].strip()):
            figures.append(week_figure(week, row, report))
    return figures


def key(row: dict) -> str:
    return row["period_start"]


def report_of(origin: Origin) -> dict:
    if origin.commit is None:
        published_on, read = origin.today, "the day it was read"
    elif origin.commit == SHIPPED_COMMIT:
        published_on, read = SHIPPED_PUBLISHED_ON, "the day of the repository's commit read"
    else:
        published_on, read = origin.today, "the day the repository's commit was read"
    return {
        "report_title": TITLE,
        "report_url": blob(origin.commit, PATH) if origin.commit else "",
        "report_published_on": published_on.isoformat(),
        "publisher": "the-economist",
        "published_note": (f" Published: {read} ({published_on.isoformat()}); when the file first appeared there is "
                           "not known."),
    }


def iso_week(row: dict) -> tuple[int, int]:
    try:
        year, week = int(row["Year"]), int(row["Week"])
        datetime.date.fromisocalendar(year, week, 1)
    except ValueError as error:
        raise Unreadable(f"year {row['Year']!r}, week {row['Week']!r} is not an ISO week") from error
    return year, week


def week_figure(week: tuple[int, int], row: dict, report: dict) -> dict:
    """Return one week's window: the estimate, or the model's prediction where there is no estimate yet."""
    year, number = week
    monday = datetime.date.fromisocalendar(year, number, 1)
    estimated = bool(row["ED"].strip())
    columns = ("ED", "EDLow", "EDHigh") if estimated else ("EDPrediction", "EDPredictionLow", "EDPredictionHigh")
    try:
        value, low, high = (rounded(row[column]) for column in columns)
    except Unreadable as error:
        raise Unreadable(f"week {year}-W{number:02d}: {error}") from error
    if estimated:
        notes = (f"Meduza's and Mediazona's excess-deaths estimate of Russian soldiers killed in ISO week "
                 f"{year}-W{number:02d} (by date of death), rounded; the band is its 95% interval.")
    else:
        notes = (f"The model's prediction (EDPrediction) for ISO week {year}-W{number:02d}, not an estimate from "
                 "the probate records: Meduza and Mediazona use it for the trailing half-year, the second half of "
                 "2025. Rounded; the band is its 95% interval.")
    if low > high:
        # The file's interval is the right width around the estimate, its two ends given the wrong way round.
        notes += (f" The file gives the interval's ends the wrong way round (low {low:,}, high {high:,}): "
                  "the band is the two ends in order.")
        low, high = high, low
    return figure(
        conflict="russia-ukraine",
        party="russia-armed-forces",
        category="killed",
        claimed_by="mediazona-meduza",
        value=value,
        value_low=low,
        value_high=high,
        qualifier="approximately",
        basis="estimated",
        period_start=monday.isoformat(),
        period_end=(monday + datetime.timedelta(days=6)).isoformat(),
        date_precision="day",
        report_title=report["report_title"],
        report_url=report["report_url"],
        report_published_on=report["report_published_on"],
        publisher=report["publisher"],
        notes=notes + report["published_note"],
        dataset="meduza-mediazona-weekly",
    )
