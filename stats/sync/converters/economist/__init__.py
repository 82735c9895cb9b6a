"""The Economist's repository of Russia-Ukraine war dead and wounded: four files, five feeds.

The origin is TheEconomist/the-economist-ukraine-war-dead-and-wounded-estimates (data CC BY 4.0, The Economist; the
Meduza weekly file is Meduza's and Mediazona's, no licence stated). Each module says what its file is, the rules it
carries over from fixtures/README.md and its key:

- `estimates`: others' estimates and claims (dataset `economist-ukraine-estimates`); key: label, party, category,
  day and address.
- `monthly`: the UK Ministry of Defence's monthly averages, as month windows; key: the month.
- `model`: The Economist's daily model estimate, killed and casualties, each file a model run; key: the day.
- `weekly`: Meduza's and Mediazona's weekly estimate (dataset `meduza-mediazona-weekly`); key: the ISO week.

None of them reads another file: no field depends on enrichment.
"""

import datetime

from stats.sync.feeds import Feed

from . import estimates, model, monthly, weekly
from .common import LIVE, SHIPPED_COMMIT

SOURCE_DATA = LIVE + "source-data/deaths-and-casualties-data/"
COMPILATION = SOURCE_DATA + "Soldier%20deaths_casualties%20in%20Ukraine%20-%20"
ESTIMATES = "economist-ukraine-estimates"
SHIPPED = "economist-ukraine/"

FEEDS = [
    Feed(
        dataset=ESTIMATES,
        name="estimates",
        address=COMPILATION + "estimates.csv",
        convert=estimates.convert,
        key=estimates.key,
        description=(
            "Others' estimates and claims of soldiers killed and wounded on both sides, as The Economist compiles "
            "them. Key: the compiler's claimant label, party, category, day counted to and the row's address."
        ),
        cadence=datetime.timedelta(days=7),
        shipped=SHIPPED + "estimates.csv",
        shipped_commit=SHIPPED_COMMIT,
    ),
    Feed(
        dataset=ESTIMATES,
        name="uk-mod-monthly",
        address=COMPILATION + "uk%20mod%20month-by-month%20estimates.csv",
        convert=monthly.convert,
        key=monthly.key,
        description=(
            "The UK Ministry of Defence's average daily Russian casualties per month, each month a window counting "
            "the average times its days. Key: the month."
        ),
        cadence=datetime.timedelta(days=31),
        shipped=SHIPPED + "uk-mod-monthly.csv",
        shipped_commit=SHIPPED_COMMIT,
    ),
    *(
        Feed(
            dataset=ESTIMATES,
            name=f"model-{kind}",
            address=LIVE + model.FOLDER + model.FILES[category],
            convert=model.converter(category),
            key=model.key,
            description=(
                f"The Economist's own daily model estimate of Russian soldiers {words}, cumulative, with its 95% "
                "confidence interval; each run re-estimates every day. Key: the day counted to."
            ),
            cadence=datetime.timedelta(days=1),
            model_run=True,
            shipped=SHIPPED + f"meta-estimate-{kind}.csv",
            shipped_commit=SHIPPED_COMMIT,
        )
        for kind, category, words in (("deaths", "killed", "killed"), ("casualties", "total", "killed and wounded"))
    ),
    Feed(
        dataset="meduza-mediazona-weekly",
        name="weekly",
        address=SOURCE_DATA + "meduza_2026_weekly.csv",
        convert=weekly.convert,
        key=weekly.key,
        description=(
            "Meduza's and Mediazona's estimate of Russian soldiers killed per ISO week of death, shared through The "
            "Economist's repository (meduza_2026_weekly.csv). Key: the ISO week."
        ),
        cadence=datetime.timedelta(days=7),
        shipped=SHIPPED + "meduza-weekly.csv",
        shipped_commit=SHIPPED_COMMIT,
    ),
]
