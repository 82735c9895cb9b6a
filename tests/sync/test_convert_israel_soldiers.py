"""360info's feed of Israeli soldiers killed in Gaza (stats/sync/converters/israel_soldiers.py)."""

import csv
import datetime
from pathlib import Path

import pytest

from stats.csvformat import FIGURE_CSV_COLUMNS
from stats.sync.converters.israel_soldiers import FEEDS, convert, key
from stats.sync.feeds import Origin, Unreadable

DATA = Path(__file__).parent.parent / "data"
ORIGINS = Path(__file__).parent.parent.parent / "fixtures" / "origins"
FEED = FEEDS[0]
COMPARED = [column for column in FIGURE_CSV_COLUMNS if column not in ("id", "updated_at")]
ORIGIN = Origin(read=lambda name, **params: None)
HEADER = "date,killed_soldiers_gaza\n"


def as_strings(row: dict) -> dict:
    return {column: str(row[column]) for column in COMPARED}


@pytest.fixture(scope="module")
def shipped_rows() -> list[dict]:
    return convert((ORIGINS / FEED.shipped).read_bytes(), ORIGIN)


def test_the_shipped_copy_gives_the_shipped_figures(shipped_rows):
    with (DATA / "shipped-figures.csv").open(encoding="utf-8", newline="") as stream:
        expected = [
            {column: line[column] for column in COMPARED}
            for line in csv.DictReader(stream)
            if line["dataset"] == FEED.dataset and line["feed"] == FEED.name
        ]
    assert len(expected) == 169
    assert [as_strings(row) for row in shipped_rows] == expected
    assert all(list(row) == FIGURE_CSV_COLUMNS for row in shipped_rows)


def test_keys_are_unique_in_the_shipped_version(shipped_rows):
    keys = [key(row) for row in shipped_rows]
    assert len(set(keys)) == len(keys) == 169


def test_a_repeated_date_keeps_its_later_line_and_leading_zeros_are_no_claims():
    rows = convert(f"{HEADER}2023-10-30,0\n2023-10-31,3\n2023-12-14,115\n2023-12-14,116\n".encode(), ORIGIN)
    assert [(key(row), row["value"]) for row in rows] == [("2023-10-31", 3), ("2023-12-14", 116)]
    assert "twice (115, then 116)" in rows[1]["notes"]


def test_a_fall_is_kept_as_a_correction(shipped_rows):
    [fall] = [row for row in shipped_rows if key(row) == "2023-12-10"]
    assert fall["value"] == 98 and "Lower than the previous update's 101" in fall["notes"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>404: Not Found</body></html>", "lacks the column"),
        (b"date,killed\n2023-10-31,3\n", "lacks the column"),
        (HEADER.encode(), "no line"),
        (f"{HEADER}2023-10-31,3\n2023-11-01".encode(), "truncated"),
        (f"{HEADER}2023-10-31,three\n".encode(), "not a count"),
        (f"{HEADER}2023-10-31,-3\n".encode(), "not a count"),
        (f"{HEADER}31/10/2023,3\n".encode(), "not a day"),
        (b"\xff\xfe" + HEADER.encode(), "not UTF-8"),
    ],
)
def test_a_version_that_cannot_be_read_is_refused_whole(body, reason):
    with pytest.raises(Unreadable, match=reason):
        convert(body, ORIGIN)


def test_the_finished_report_is_checked_monthly():
    assert FEED.label == "360info-gaza-one-year/israel-soldiers"
    assert FEED.cadence == datetime.timedelta(days=30) and not FEED.partial and not FEED.also_reads
    assert (ORIGINS / FEED.shipped).exists()
