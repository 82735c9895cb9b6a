"""The General Staff's feed (stats/sync/converters/general_staff.py): the shipped copies give the shipped figures."""

import csv
import json
from pathlib import Path

import pytest

from stats.csvformat import FIGURE_CSV_COLUMNS
from stats.sync.converters.general_staff import FEEDS, convert, key
from stats.sync.feeds import Origin, Unreadable

DATA = Path(__file__).parent.parent / "data"
ORIGINS = Path(__file__).parent.parent.parent / "fixtures" / "origins"
UPSTREAM = DATA / "upstream" / "general-staff"
FEED = FEEDS[0]
CLAIM_FIELDS = [
    "conflict", "party", "category", "claimed_by", "value", "value_low", "value_high", "qualifier", "basis",
    "period_start", "period_end", "date_precision",
]
COMPARED = [column for column in FIGURE_CSV_COLUMNS if column not in ("id", "updated_at")]
ENTRY = {"date": "2024-12-17", "day": 1028, "personnel": 765110, "personnel*": "about"}


def shipped_origin() -> Origin:
    return Origin(read=lambda name, **params: (ORIGINS / FEED.shipped_also[name].format(**params)).read_bytes())


def unreachable() -> Origin:
    return Origin(read=lambda name, **params: None)


def as_strings(row: dict) -> dict:
    return {column: str(row[column]) for column in COMPARED}


@pytest.fixture(scope="module")
def shipped_rows() -> list[dict]:
    return convert((ORIGINS / FEED.shipped).read_bytes(), shipped_origin())


def test_the_shipped_copies_give_the_shipped_figures(shipped_rows):
    with (DATA / "shipped-figures.csv").open(encoding="utf-8", newline="") as stream:
        expected = [
            {column: line[column] for column in COMPARED}
            for line in csv.DictReader(stream)
            if line["dataset"] == FEED.dataset and line["feed"] == FEED.name
        ]
    assert len(expected) == 1626
    assert [as_strings(row) for row in shipped_rows] == expected


def test_rows_hold_exactly_the_export_columns(shipped_rows):
    assert all(list(row) == FIGURE_CSV_COLUMNS for row in shipped_rows)


def test_keys_are_unique_in_the_shipped_version(shipped_rows):
    keys = [key(row) for row in shipped_rows]
    assert len(set(keys)) == len(keys) == 1626


def test_without_the_ministry_pages_the_claims_are_the_same(shipped_rows):
    bare = convert((ORIGINS / FEED.shipped).read_bytes(), unreachable())
    assert [key(row) for row in bare] == [key(row) for row in shipped_rows]
    assert [[row[field] for field in CLAIM_FIELDS] for row in bare] == [
        [row[field] for field in CLAIM_FIELDS] for row in shipped_rows
    ]
    assert {(row["report_url"], row["publisher"], row["notes"]) for row in bare} == {("", "ukraine-general-staff", "")}
    assert sum(row["publisher"] == "ukraine-mod" for row in shipped_rows) == 1435


def test_an_unreadable_ministry_file_is_read_as_missing():
    rows = convert(json.dumps([ENTRY]).encode(), Origin(read=lambda name, **params: b"<html>502</html>"))
    assert (rows[0]["report_url"], rows[0]["publisher"]) == ("", "ukraine-general-staff")


def test_a_report_counts_the_day_before_it_was_published():
    [row] = convert(json.dumps([ENTRY]).encode(), unreachable())
    assert (row["period_end"], row["report_published_on"], row["value"], row["qualifier"]) == (
        "2024-12-16", "2024-12-17", 765110, "approximately"
    )
    assert row["report_title"] == "Enemy combat losses as of 17 December 2024"


def test_a_page_with_another_count_is_noted():
    page = {"date": "2024-12-17", "sourceUri": "https://mod.gov.ua/news/бойові-втрати", "personnel": 765111}
    origin = Origin(read=lambda name, **params: json.dumps([page]).encode())
    [row] = convert(json.dumps([ENTRY]).encode(), origin)
    assert row["publisher"] == "ukraine-mod"
    assert row["report_url"] == (
        "https://mod.gov.ua/news/%D0%B1%D0%BE%D0%B9%D0%BE%D0%B2%D1%96-%D0%B2%D1%82%D1%80%D0%B0%D1%82%D0%B8"
    )
    assert "gives 765,111" in row["notes"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"[]", "no day"),
        (b"<!DOCTYPE html><html><body>Not Found</body></html>", "not valid JSON"),
        (b'[{"date": "2022-02-25", "personnel": 2800, "personnel*": "about"},', "not valid JSON"),
        (b"\xff\xfe[]", "not UTF-8"),
        (json.dumps({"data": [ENTRY]}).encode(), "JSON dict where a list"),
        (json.dumps([{"date": "2024-12-17", "personnel*": "about"}]).encode(), "lacks personnel"),
        (json.dumps([{**ENTRY, "personnel": "765,110"}]).encode(), "is not a count"),
        (json.dumps([{**ENTRY, "personnel": 765110.5}]).encode(), "is not a count"),
        (json.dumps([{**ENTRY, "date": "17/12/2024"}]).encode(), "is not a day"),
        (json.dumps([{**ENTRY, "personnel*": "nearly"}]).encode(), "neither about nor more"),
        (json.dumps([ENTRY, 5]).encode(), "entry 2 is not an object"),
    ],
)
def test_a_version_that_cannot_be_read_is_refused_whole(body, reason):
    with pytest.raises(Unreadable, match=reason):
        convert(body, shipped_origin())


@pytest.mark.parametrize("version", sorted(path.name for path in UPSTREAM.glob("*.json")))
def test_every_past_version_converts_or_is_refused(version):
    body = (UPSTREAM / version).read_bytes()
    if version == "2022-07-16T181756_37d0bbc.json":
        with pytest.raises(Unreadable, match="not valid JSON"):
            convert(body, shipped_origin())
    else:
        assert len(convert(body, shipped_origin())) == len(json.loads(body))


def test_the_year_typo_yields_both_rows_under_one_key():
    rows = convert((UPSTREAM / "2025-01-01T153626_4d628ed.json").read_bytes(), shipped_origin())
    twice = [row for row in rows if key(row) == "2023-12-31"]
    assert [(row["value"], row["report_published_on"]) for row in twice] == [
        (360010, "2024-01-01"), (790800, "2024-01-01")
    ]
    assert len({key(row) for row in rows}) == len(rows) - 1


def test_the_corrected_year_moves_the_day_to_its_key():
    rows = convert((UPSTREAM / "2025-01-01T154140_d88a4b6.json").read_bytes(), shipped_origin())
    assert (key(rows[-1]), rows[-1]["value"]) == ("2024-12-31", 790800)
    assert len({key(row) for row in rows}) == len(rows)


def test_the_feed_declares_its_origin_and_copies():
    assert FEED.label == "petroivaniuk-war-dataset/personnel"
    assert (ORIGINS / FEED.shipped).exists() and (ORIGINS / FEED.shipped_also["orc-losses"]).exists()
    assert set(FEED.also_reads) == set(FEED.shipped_also) == {"orc-losses"}
    assert not FEED.partial and not FEED.model_run


@pytest.mark.parametrize(
    ("version", "last_day"),
    [
        ("2023-05-09T143800_fa8f140.json", "2023-05-08"),
        ("2023-05-09T144827_5da1e9e.json", "2023-05-07"),
        ("2023-05-09T144850_50cc01e.json", "2023-05-08"),
        ("2023-05-09T145304_040048e.json", "2023-05-07"),
        ("2023-05-09T145340_e31ec4b.json", "2023-05-08"),
    ],
)
def test_the_flapping_day_comes_and_goes_with_its_version(version, last_day):
    rows = convert((UPSTREAM / version).read_bytes(), unreachable())
    assert key(rows[-1]) == last_day
