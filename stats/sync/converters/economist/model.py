"""The `model-deaths` and `model-casualties` feeds: The Economist's own daily model estimate of Russian losses.

The origin is `output-data/tracker/meta-estimate-deaths.csv` (and `…-casualties.csv`) in The Economist's repository:
one row per day since the invasion, cumulative, re-estimated whole at every run of the model (a model run: the engine
replaces a run's figures with the next run's). As fixtures/README.md (section 06) says: `value` is `estimate`, the
band the 95% confidence interval, all rounded to whole people (halves up); the prediction interval goes to `notes`;
a day not yet estimated (`NA`) is skipped.

The run's report: when the origin's commit is known (the shipped copy, 978a24b), its address is the file at that
commit, in the folder the feed reads (`…/blob/<commit>/output-data/tracker/<file>`: the files moved there in July
2025, and `output-data/<file>` does not exist at 978a24b); when it is not (a live fetch), the report has no address.
Either way its title names the run's last day ("…, to 22 August 2026 (meta-estimate-deaths.csv)") and it is
published that day, the newest day estimated in the file.

The key is the day counted to (`period_end`).
"""

import datetime

from stats.sync.feeds import Origin, Unreadable

from .common import blob, csv_rows, day_words, figure, iso_day, rounded

COLUMNS = ("date", "estimate", "ci_lower", "ci_upper", "pi_low", "pi_high")
WORDS = {"killed": "Russian soldiers killed", "total": "Russian soldiers killed and wounded"}
FILES = {"killed": "meta-estimate-deaths.csv", "total": "meta-estimate-casualties.csv"}
FOLDER = "output-data/tracker/"  # the files' folder in the repository, for the feed's address and the report's


def key(row: dict) -> str:
    return row["period_end"]


def converter(category: str):
    """Return the converter of the file of one category (`killed` or `total`)."""

    def convert(body: bytes, origin: Origin) -> list[dict]:
        return model_figures(csv_rows(body, COLUMNS), category, origin)

    return convert


def model_figures(rows: list[dict], category: str, origin: Origin) -> list[dict]:
    """Return the model's estimate for every day of one run, oldest first."""
    estimated = sorted(((iso_day(row["date"]), row) for row in rows if row["estimate"] != "NA"),
                       key=lambda pair: pair[0])
    if not estimated:
        raise Unreadable("no day is estimated (every estimate is NA)")
    last_day = estimated[-1][0]
    name = FILES[category]
    report = {
        "report_title": f"The Economist, daily model estimate of {WORDS[category]}, to {day_words(last_day)} ({name})",
        "report_url": blob(origin.commit, FOLDER + name) if origin.commit else "",
        "report_published_on": last_day.isoformat(),
        "publisher": "the-economist",
    }
    return [day_figure(day, row, category, report) for day, row in estimated]


def day_figure(day: datetime.date, row: dict, category: str, report: dict) -> dict:
    try:
        value, ci_lower, ci_upper, pi_low, pi_high = (rounded(row[column]) for column in COLUMNS[1:])
    except Unreadable as error:
        raise Unreadable(f"the row of {day}: {error}") from error
    return figure(
        conflict="russia-ukraine",
        party="russia-armed-forces",
        category=category,
        claimed_by="the-economist",
        value=value,
        value_low=ci_lower,
        value_high=ci_upper,
        qualifier="approximately",
        basis="estimated",
        period_end=day.isoformat(),
        date_precision="day",
        notes=(
            f"The Economist's model estimate of {WORDS[category]} since 24 February 2022, to this day, rounded to "
            f"whole people; the band is its 95% confidence interval. Its wider 95% prediction interval, not shipped "
            f"as the band, is {pi_low:,} to {pi_high:,}."
        ),
        dataset="economist-ukraine-estimates",
        **report,
    )
