"""Code to copy for the operations a newsroom uses most: curl, Python and R, each asking a real question.

The schema shows them as `x-codeSamples` (Redoc) and the curl one in the description (Swagger UI); a test runs every
Python sample against a server holding the shipped data, with BASE_URL replaced by the server's address.
"""

from stats.api.examples import BASE_URL

FIGURES = f"{BASE_URL}/api/v1/figures/"
RUSSIAN_KILLED = "party=russia-armed-forces&category=killed"

SAMPLES = {
    "/api/v1/figures/": [
        ("curl", "curl", f"curl '{FIGURES}?{RUSSIAN_KILLED}&claimed_by=the-economist&period_end_after=2024-12-01"
         "&period_end_before=2024-12-31&page_size=100'"),
        ("Python", "Python (requests)", f'''import requests

# Every page of The Economist's estimates of Russian soldiers killed in December 2024: follow `next`.
url = "{FIGURES}"
params = {{"party": "russia-armed-forces", "category": "killed", "claimed_by": "the-economist",
          "period_end_after": "2024-12-01", "period_end_before": "2024-12-31", "page_size": 100}}
figures = []
while url:
    page = requests.get(url, params=params, timeout=30)
    page.raise_for_status()
    figures += page.json()["results"]
    url, params = page.json()["next"], None  # `next` keeps the filters
print(len(figures), "figures; the latest:", figures[0]["citation"])
'''),
        ("R", "R (httr2)", f'''library(httr2)

page <- request("{FIGURES}") |>
  req_url_query(party = "russia-armed-forces", category = "killed", claimed_by = "the-economist",
                period_end_after = "2024-12-01", period_end_before = "2024-12-31", page_size = 100) |>
  req_perform() |>
  resp_body_json()
sapply(page$results, function(figure) figure$citation)
'''),
    ],
    "/api/v1/figures/export/": [
        ("curl", "curl", f"curl -o figures.csv '{FIGURES}export/?{RUSSIAN_KILLED}&cumulative=true'"),
        ("Python", "Python (pandas)", f'''import pandas as pd

# Every cumulative claim of Russian soldiers killed, one row per figure.
figures = pd.read_csv(
    "{FIGURES}export/?{RUSSIAN_KILLED}&cumulative=true",
    parse_dates=["period_end"],
)
print(figures.groupby("claimed_by")["value"].max().sort_values())
'''),
        ("R", "R (readr)", f'''library(readr)

figures <- read_csv("{FIGURES}export/?{RUSSIAN_KILLED}&cumulative=true")
head(figures[, c("claimed_by", "value", "period_end")])
'''),
    ],
    "/api/v1/compare/": [
        ("curl", "curl", f"curl '{BASE_URL}/api/v1/compare/?{RUSSIAN_KILLED}&as_of=2024-12-16'"),
        ("Python", "Python (requests)", f'''import requests

# Who claimed how many Russian soldiers killed, as of 16 December 2024.
answer = requests.get(
    "{BASE_URL}/api/v1/compare/",
    params={{"party": "russia-armed-forces", "category": "killed", "as_of": "2024-12-16"}},
    timeout=30,
)
answer.raise_for_status()
for claim in answer.json()["claims"]:
    print(claim["claimed_by"], claim["value"], "counted to", claim["period_end"])
'''),
        ("R", "R (jsonlite)", f'''library(jsonlite)

answer <- fromJSON("{BASE_URL}/api/v1/compare/?{RUSSIAN_KILLED}&as_of=2024-12-16")
answer$claims[, c("claimed_by", "value", "period_end")]
'''),
    ],
    "/api/v1/series/": [
        ("curl", "curl", f"curl '{BASE_URL}/api/v1/series/?party=russia-armed-forces&category=total"
         "&claimed_by=ukraine-general-staff&interval=month'"),
        ("Python", "Python (requests, pandas)", f'''import pandas as pd
import requests

# The General Staff's count of Russian losses, the last point of each month.
answer = requests.get(
    "{BASE_URL}/api/v1/series/",
    params={{"party": "russia-armed-forces", "category": "total", "claimed_by": "ukraine-general-staff",
            "interval": "month"}},
    timeout=30,
)
answer.raise_for_status()
points = pd.DataFrame(answer.json()["points"])
print(points[["date", "value", "change"]].tail())
'''),
        ("R", "R (jsonlite)", f'''library(jsonlite)

series <- fromJSON(paste0("{BASE_URL}/api/v1/series/",
                          "?party=russia-armed-forces&category=total&claimed_by=ukraine-general-staff&interval=month"))
tail(series$points[, c("date", "value", "change")])
'''),
    ],
    "/api/v1/series/export/": [
        ("curl", "curl", f"curl -o russian-killed.csv '{BASE_URL}/api/v1/series/export/?{RUSSIAN_KILLED}'"),
        ("Python", "Python (pandas)", f'''import pandas as pd

# One row per day, one column per claimant: ready for a chart.
wide = pd.read_csv("{BASE_URL}/api/v1/series/export/?{RUSSIAN_KILLED}", parse_dates=["date"])
print(list(wide.columns))
print(wide.dropna(how="all", subset=wide.columns[1:]).tail())
'''),
        ("R", "R (readr)", f'''library(readr)

wide <- read_csv("{BASE_URL}/api/v1/series/export/?{RUSSIAN_KILLED}")
names(wide)
'''),
    ],
}


def code_samples(path: str, base: str = BASE_URL) -> list[dict]:
    """Return the samples of an operation in Redoc's `x-codeSamples` shape, addressed to `base` (the service's own
    address where it is known, so that a copied sample works as it is)."""
    return [{"lang": lang, "label": label, "source": source.replace(BASE_URL, base)}
            for lang, label, source in SAMPLES.get(path, [])]


def described_with_samples(description: str, path: str, base: str = BASE_URL) -> str:
    """Return the description followed by the curl sample, which Swagger UI shows where Redoc shows them all."""
    curl = [source.replace(BASE_URL, base) for lang, _, source in SAMPLES.get(path, []) if lang == "curl"]
    if not curl:
        return description
    return (
        f"{description}\n\n**Try it** (Python and R in the code samples of [the reference](/api/redoc/)):\n\n"
        f"```sh\n{curl[0]}\n```"
    )
