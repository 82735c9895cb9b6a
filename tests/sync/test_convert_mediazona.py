"""Mediazona's feed (stats/sync/converters/mediazona.py): the shipped snapshots and the scraper's README."""

import csv
from pathlib import Path

import pytest

from stats.csvformat import FIGURE_CSV_COLUMNS
from stats.sync.converters.mediazona import FEEDS, convert, key
from stats.sync.feeds import Origin, Unreadable

DATA = Path(__file__).parent.parent / "data"
ORIGINS = Path(__file__).parent.parent.parent / "fixtures" / "origins"
FEED = FEEDS[0]
COMPARED = [column for column in FIGURE_CSV_COLUMNS if column not in ("id", "updated_at")]
CLAIM_FIELDS = [
    "conflict", "party", "category", "claimed_by", "value", "value_low", "value_high", "qualifier", "basis",
    "period_start", "period_end", "date_precision",
]
ORIGIN = Origin(read=lambda name, **params: None)
# The scraper's README as it writes it (extract_losses.py), on the day its total last moved in our copy.
README = """
# Confirmed Losses of the Russian Army

## Casualties

As of **2026-02-12**, there have been **168142** confirmed[^1] fatalities.
Of these, **128321** have a known date of death.

## Chart

![7-Day Intervals Bar Chart](./docs/7days.svg)

## Source

https://zona.media/casualties

---

[^1]: "Confirmed" means each death is supported by a name, obituary, tomb photo, etc.
"""
HEADER = "snapshot_date,mediazona_confirmed_total,with_known_date_of_death\n"


def as_strings(row: dict) -> dict:
    return {column: str(row[column]) for column in COMPARED}


@pytest.fixture(scope="module")
def shipped_rows() -> list[dict]:
    return convert((ORIGINS / FEED.shipped).read_bytes(), ORIGIN)


def test_the_shipped_snapshots_give_the_shipped_figures(shipped_rows):
    with (DATA / "shipped-figures.csv").open(encoding="utf-8", newline="") as stream:
        expected = [
            {column: line[column] for column in COMPARED}
            for line in csv.DictReader(stream)
            if line["dataset"] == FEED.dataset and line["feed"] == FEED.name
        ]
    assert len(expected) == 50
    assert [as_strings(row) for row in shipped_rows] == expected
    assert all(list(row) == FIGURE_CSV_COLUMNS for row in shipped_rows)


def test_keys_are_unique_in_the_shipped_version(shipped_rows):
    keys = [key(row) for row in shipped_rows]
    assert len(set(keys)) == len(keys) == 50


def test_the_readme_gives_its_one_total_as_a_snapshot_would():
    [row] = convert(README.encode(), ORIGIN)
    [snapshot] = convert(f"{HEADER}2026-02-12,168142,128321\n".encode(), ORIGIN)
    assert row == snapshot
    assert (key(row), row["value"], row["report_title"]) == (
        "2026-02-12", 168142, "Mediazona, zona.media/casualties, as seen on 12 February 2026"
    )


def test_the_readme_of_the_newest_shipped_total_matches_its_claim(shipped_rows):
    [row] = convert(README.replace("2026-02-12", "2026-01-30").encode(), ORIGIN)
    assert [row[field] for field in CLAIM_FIELDS] == [shipped_rows[-1][field] for field in CLAIM_FIELDS]


@pytest.mark.parametrize(
    "sentence",
    [
        "As of **2024-03-01** there are **45123** confirmed[^1] fatalities",  # the scraper's earlier wording
        "As of 2024-03-01, there have been 45,123 confirmed fatalities.",
    ],
)
def test_the_readme_sentence_is_read_in_its_other_forms(sentence):
    [row] = convert(f"# Losses\n\n{sentence}\n".encode(), ORIGIN)
    assert (key(row), row["value"]) == ("2024-03-01", 45123)


def test_a_repeated_total_is_one_claim_on_its_first_day_and_a_fall_is_a_correction():
    body = f"{HEADER}2024-06-12,54185,1\n2024-06-13,54185,1\n2024-06-14,54181,1\n2024-06-15,54185,1\n".encode()
    rows = convert(body, ORIGIN)
    assert [(key(row), row["value"]) for row in rows] == [
        ("2024-06-12", 54185), ("2024-06-14", 54181), ("2024-06-15", 54185)
    ]
    assert "fell by 4" in rows[1]["notes"] and "fell" not in rows[2]["notes"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>As of **2026-02-12**, there have been **1** confirmed</body></html>", "HTML"),
        (b"# Confirmed Losses of the Russian Army\n\n## Casualties\n", "does not state a total"),
        (README.replace("**168142**", "**0**").encode(), "not a total of names"),
        (README.replace("2026-02-12", "2026-02-30").encode(), "not a day"),
        (b"\xff" + README.encode(), "not UTF-8"),
        (b"snapshot_date,with_known_date_of_death\n2024-01-04,29235\n", "lack the column"),
        (f"{HEADER}".encode(), "no line"),
        (f"{HEADER}2024-01-04,40599,29235\n2024-01-05".encode(), "truncated"),
        (f"{HEADER}2024-01-04,40 599,29235\n".encode(), "not a total"),
        (f"{HEADER}04/01/2024,40599,29235\n".encode(), "not a day"),
    ],
)
def test_a_version_that_cannot_be_read_is_refused_whole(body, reason):
    with pytest.raises(Unreadable, match=reason):
        convert(body, ORIGIN)


def test_the_feed_is_partial_and_reads_nothing_else():
    assert FEED.label == "mediazona-names-snapshots/total"
    assert FEED.partial and not FEED.also_reads and (ORIGINS / FEED.shipped).exists()
