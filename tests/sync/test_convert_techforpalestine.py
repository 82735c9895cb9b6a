"""Tech for Palestine's feeds (stats/sync/converters/techforpalestine.py): the shipped copies give the shipped figures."""

import csv
import datetime
import json
from pathlib import Path

import pytest

from stats.sync.converters.techforpalestine import FEEDS
from stats.sync.feeds import Origin, Unreadable

ROOT = Path(__file__).resolve().parent.parent.parent
ORIGINS = ROOT / "fixtures" / "origins"
SHIPPED_FIGURES = ROOT / "tests" / "data" / "shipped-figures.csv"
UPSTREAM = ROOT / "tests" / "data" / "upstream" / "gaza-moh"
FEED = {feed.name: feed for feed in FEEDS}
CLAIM_FIELDS = [
    "conflict", "party", "category", "claimed_by", "value", "value_low", "value_high", "qualifier", "basis",
    "period_start", "period_end", "date_precision",
]
# The one figure a note alone carries: the total the situation report of 3 July 2026 states in its own words.
STATED_IN_A_NOTE = "claimed|killed|2026-06-29"


class ShippedNotes:
    """Reads the shipped copy of each note asked for, keeping every request (`only` limits which days answer)."""

    def __init__(self, feed, only=None):
        self.feed, self.only, self.asked = feed, only, []

    def __call__(self, name: str, **params) -> bytes | None:
        self.asked.append((name, params["date"]))
        path = ORIGINS / self.feed.shipped_also[name].format(**params)
        if self.only is not None and params["date"] not in self.only:
            return None
        return path.read_bytes() if path.is_file() else None


def shipped(feed) -> bytes:
    return (ORIGINS / feed.shipped).read_bytes()


def convert(feed, body: bytes | None = None, read=None) -> list[dict]:
    """Convert a version as the shipped commit's, reading the shipped notes unless told otherwise."""
    origin = Origin(read=read or ShippedNotes(feed), commit=feed.shipped_commit)
    return feed.convert(shipped(feed) if body is None else body, origin)


def without_notes(name: str, **params) -> None:
    return None


def by_key(feed, rows: list[dict]) -> dict[str, dict]:
    return {feed.key(row): row for row in rows}


@pytest.mark.parametrize("name", FEED)
def test_the_shipped_version_gives_the_shipped_figures(name):
    with SHIPPED_FIGURES.open(encoding="utf-8", newline="") as file:
        expected = [row for row in csv.DictReader(file) if row.pop("feed") == name]
    rows = convert(FEED[name])
    assert len(expected) == {"gaza": 1875, "west-bank": 1286, "lebanon": 374}[name]
    assert [{column: str(row[column]) for column in expected[0]} for row in rows] == expected


def test_the_verified_counts_are_published_on_the_day_of_the_shipped_commit_each_day_a_report():
    verified = [row for row in convert(FEED["west-bank"]) if row["basis"] == "confirmed"]
    assert {row["report_published_on"] for row in verified} == {"2026-08-22"}
    assert {row["report_url"] for row in verified} == {""}
    assert len({(row["report_title"], row["report_published_on"]) for row in verified}) == 402
    assert all("the day of the compilation's commit 9ea6456, which it was read from" in row["notes"]
               for row in verified)


def test_a_live_sync_publishes_the_verified_counts_on_the_day_it_reads_them_and_nothing_else_moves():
    feed = FEED["west-bank"]
    live = feed.convert(shipped(feed), Origin(read=ShippedNotes(feed), today=datetime.date(2026, 9, 1)))
    shipped_rows = convert(feed)
    verified = [row for row in live if row["basis"] == "confirmed"]
    assert {row["report_published_on"] for row in verified} == {"2026-09-01"}
    assert all("Published: 2026-09-01 (the day the compilation was read)" in row["notes"] for row in verified)
    assert [row for row in live if row["basis"] == "claimed"] == [
        row for row in shipped_rows if row["basis"] == "claimed"
    ]
    assert [[row[field] for field in CLAIM_FIELDS] for row in live] == [
        [row[field] for field in CLAIM_FIELDS] for row in shipped_rows
    ]


@pytest.mark.parametrize("name", FEED)
def test_keys_are_unique_in_the_shipped_version(name):
    rows = convert(FEED[name])
    assert len(by_key(FEED[name], rows)) == len(rows)


def test_keys_read_as_documented():
    assert FEED["gaza"].key(convert(FEED["gaza"])[0]) == "gaza-moh|killed|2023-10-07"
    assert STATED_IN_A_NOTE in by_key(FEED["west-bank"], convert(FEED["west-bank"]))
    lebanon = by_key(FEED["lebanon"], convert(FEED["lebanon"]))
    # The statement of 28 October 2024 gives yesterday's toll: its day counted to is the 27th.
    assert lebanon["lebanon-2023|killed|2024-10-27"]["report_published_on"] == "2024-10-28"
    assert "lebanon-2026|injured|2026-08-16" in lebanon


def a_row_without(feed, field: str) -> bytes:
    rows = json.loads(shipped(feed))
    del rows[5][field]
    return json.dumps(rows).encode()


def a_row_with(feed, field: str, value) -> bytes:
    rows = json.loads(shipped(feed))
    rows[5][field] = value
    return json.dumps(rows).encode()


BROKEN = {
    "not UTF-8": lambda feed: b'[{"report_date": "2024-01-05\xff"}]',
    "not JSON": lambda feed: b'[{"report_date": "2024-01-05",',
    "truncated": lambda feed: shipped(feed)[: len(shipped(feed)) // 2],
    "an HTML page": lambda feed: b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
    "empty": lambda feed: b"",
    "an empty list": lambda feed: b"[]",
    "an object": lambda feed: json.dumps({"data": json.loads(shipped(feed))}).encode(),
    "a list of lists": lambda feed: b"[[1, 2]]",
    "no report_date": lambda feed: a_row_without(feed, "report_date"),
    "a report_date that is not a day": lambda feed: a_row_with(feed, "report_date", "05/01/2024"),
    "a compact report_date": lambda feed: a_row_with(feed, "report_date", "20240105"),
}
# Per feed, a field each row must have and a field whose value must be a count.
REQUIRED = {"gaza": "report_source", "west-bank": "flash_source", "lebanon": "killed_cum_reported"}
COUNTED = {"gaza": "killed_cum", "west-bank": "killed_cum", "lebanon": "injured_cum_reported"}


@pytest.mark.parametrize("name", FEED)
@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_version_is_unreadable(name, case):
    with pytest.raises(Unreadable):
        convert(FEED[name], BROKEN[case](FEED[name]))


@pytest.mark.parametrize("name", FEED)
def test_a_row_missing_a_field_is_unreadable(name):
    with pytest.raises(Unreadable, match=f"no {REQUIRED[name]}|{REQUIRED[name]} is None"):
        convert(FEED[name], a_row_without(FEED[name], REQUIRED[name]))


@pytest.mark.parametrize("name", FEED)
@pytest.mark.parametrize("value", ["12,000", 12.5, None, -1, True])
def test_a_value_that_is_not_a_count_is_unreadable(name, value):
    feed = FEED[name]
    rows = json.loads(shipped(feed))
    row = next(row for row in rows if COUNTED[name] in row and row.get("flash_source", "un") == "un")
    row[COUNTED[name]] = value
    with pytest.raises(Unreadable, match="not a count"):
        convert(feed, json.dumps(rows).encode())


@pytest.mark.parametrize(("name", "field"), [("gaza", "report_source"), ("west-bank", "flash_source"),
                                             ("lebanon", "report_source"), ("lebanon", "phase")])
def test_a_label_the_converter_does_not_know_is_unreadable(name, field):
    with pytest.raises(Unreadable, match=f"{field} is 'moh_web'"):
        convert(FEED[name], a_row_with(FEED[name], field, "moh_web"))


def test_compiler_only_fields_are_never_read():
    feed = FEED["gaza"]
    rows = json.loads(shipped(feed))
    for row in rows:
        row.update({field: "not a number" for field in row if field.startswith("ext_") or field == "killed"})
        row["killed_children_cum"] = None
    assert convert(feed, json.dumps(rows).encode()) == convert(feed)


@pytest.mark.parametrize("name", ["west-bank", "lebanon"])
def test_without_notes_the_rows_keep_their_keys_and_claims(name):
    feed = FEED[name]
    noted = by_key(feed, convert(feed))
    bare = by_key(feed, convert(feed, read=without_notes))
    assert set(noted) - set(bare) == ({STATED_IN_A_NOTE} if name == "west-bank" else set())
    assert set(bare) <= set(noted)
    for key, row in bare.items():
        assert [row[field] for field in CLAIM_FIELDS] == [noted[key][field] for field in CLAIM_FIELDS], key
        assert row["report_url"] == row["quote"] == ""


def test_without_notes_a_west_bank_update_after_the_compiler_began_summing_gives_no_figure():
    feed = FEED["west-bank"]
    bare = by_key(feed, convert(feed, read=without_notes))
    # 2026-06-08 is the last update whose note gives OCHA's cumulative; from 2026-06-15 the compiler sums.
    assert bare["claimed|killed|2026-06-08"]["value"] == 1088
    assert not any(key.startswith("claimed|") and key > "claimed|killed|2026-06-09" for key in bare)


@pytest.mark.parametrize("name", ["west-bank", "lebanon"])
def test_notes_are_read_once_for_each_day_that_needs_one(name):
    feed = FEED[name]
    read = ShippedNotes(feed)
    convert(feed, read=read)
    rows = json.loads(shipped(feed))
    needing = [row["report_date"] for row in rows if row.get("flash_source", "un") == "un"]
    assert sorted(read.asked) == sorted(("note", date) for date in needing)
    assert len(read.asked) == {"west-bank": 256, "lebanon": 187}[name]


@pytest.mark.parametrize("name", ["west-bank", "lebanon"])
def test_notes_of_the_newest_days_alone_enrich_those_days_and_only_those(name):
    feed = FEED[name]
    needing = sorted(row["report_date"] for row in json.loads(shipped(feed)) if row.get("flash_source", "un") == "un")
    newest = set(needing[-10:])
    noted = by_key(feed, convert(feed))
    bare = by_key(feed, convert(feed, read=without_notes))
    some = by_key(feed, convert(feed, read=ShippedNotes(feed, only=newest)))
    assert set(some) == set(bare) | {key for key, row in noted.items() if row["period_end"] in newest}
    for key, row in some.items():
        assert row == (noted[key] if row["period_end"] in newest else bare[key])


def test_a_note_that_disagrees_with_the_compilation_is_unreadable():
    feed = FEED["lebanon"]
    note = (ORIGINS / "lebanon/source_data/2024-12-04.md").read_bytes().replace(b"killed_cum: 4047", b"killed_cum: 4046")

    def read(name, date):
        return note if date == "2024-12-04" else ShippedNotes(feed)(name, date=date)

    with pytest.raises(Unreadable, match="2024-12-04: the note's killed_cum is not the ministry's 4047"):
        convert(feed, read=read)


@pytest.mark.parametrize(("name", "day", "written", "rewritten", "reason"), [
    ("west-bank", "2023-10-07", b"flash-update-1", b"press-release-1", "an OCHA report of an unknown kind"),
    ("west-bank", "2026-03-16", b"19-march-2026", b"19-marsh-2026", "'19-marsh-2026' in the note's address"),
    ("lebanon", "2024-10-21", b"Flash Update #37", b"Flash Update", "names no OCHA Flash Update number and date"),
])
def test_a_note_whose_report_cannot_be_told_is_unreadable(name, day, written, rewritten, reason):
    feed = FEED[name]
    shipped_notes = ShippedNotes(feed)

    def read(note, date):
        text = shipped_notes(note, date=date)
        return text.replace(written, rewritten) if date == day else text

    with pytest.raises(Unreadable, match=reason):
        convert(feed, read=read)


@pytest.mark.parametrize("note", [b"no front matter", b"---\n: [\n---\n", b"---\n- a list\n---\n", b"\xff---\n"])
def test_a_note_that_cannot_be_parsed_is_unreadable(note):
    with pytest.raises(Unreadable, match="the note of"):
        convert(FEED["west-bank"], read=lambda name, date: note)


def upstream(name: str) -> dict[str, dict]:
    feed = FEED["gaza"]
    return by_key(feed, feed.convert((UPSTREAM / name).read_bytes(), Origin(read=without_notes)))


def test_gaza_a_version_adding_only_sub_counts_gives_identical_rows():
    before = upstream("2025-02-13T084844_c0539064.json")
    assert len(before) == 923
    assert upstream("2025-02-13T090400_db172934.json") == before


def test_gaza_a_corrected_report_period_changes_only_that_days_notes():
    before = upstream("2025-03-20T111737_a056ad16.json")
    after = upstream("2025-03-26T090454_a912a898.json")
    # Six new days: 2025-03-21 repeats the 20th's totals over 0 hours (the compiler's carry-forward), five are reports.
    assert sorted(set(after) - set(before)) == [
        f"gaza-moh|{category}|2025-03-{day}" for category in ("injured", "killed") for day in range(22, 27)
    ]
    changed = {key: [field for field in row if row[field] != after[key][field]] for key, row in before.items()}
    assert {key: fields for key, fields in changed.items() if fields} == {
        "gaza-moh|killed|2025-03-20": ["notes"], "gaza-moh|injured|2025-03-20": ["notes"],
    }
    assert "(covering the previous 12 hours)" in before["gaza-moh|killed|2025-03-20"]["notes"]
    assert "(covering the previous 24 hours)" in after["gaza-moh|killed|2025-03-20"]["notes"]


def test_a_lebanese_statement_naming_yesterdays_toll_after_2024_keeps_its_day_and_says_so():
    feed = FEED["lebanon"]
    shipped_notes = ShippedNotes(feed)

    def read(note, date):
        text = shipped_notes(note, date=date)
        return text.replace(b"updated-total-toll", b"yesterdays-toll") if date == "2026-08-16" else text

    row = by_key(feed, convert(feed, read=read))["lebanon-2026|killed|2026-08-16"]
    assert row["report_url"].endswith("/yesterdays-toll-of-the-aggression-4346-martyrs-and-12301-wounded")
    assert "names \"yesterday's toll\"" in row["notes"] and "a curator may re-date it" in row["notes"]
