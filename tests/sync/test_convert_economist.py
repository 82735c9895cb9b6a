"""The Economist's converters: the shipped copies give the shipped figures, and a version that cannot be read fails."""

import csv
import datetime
from pathlib import Path

import pytest

from stats.sync.converters.economist import FEEDS, estimates
from stats.sync.converters.economist.common import LIVE
from stats.sync.feeds import Origin, Unreadable

ROOT = Path(__file__).resolve().parents[2]
ORIGINS = ROOT / "fixtures" / "origins"
UPSTREAM = ROOT / "tests" / "data" / "upstream" / "economist-ukraine"
CLAIM_FIELDS = ("conflict", "party", "category", "claimed_by", "value", "value_low", "value_high", "qualifier",
                "basis", "period_start", "period_end", "date_precision")
FEED = {feed.name: feed for feed in FEEDS}
MIVD_TIMING = "Dutch Military Intelligence and Security Service (MIVD; note, timing clarified via email)"


def shipped_origin(feed) -> Origin:
    def read(name, **params):
        path = ORIGINS / feed.shipped_also[name].format(**params)
        return path.read_bytes() if path.exists() else None

    return Origin(read=read, commit=feed.shipped_commit)


def live_origin(today=datetime.date(2026, 8, 23)) -> Origin:
    return Origin(read=lambda name, **params: None, commit=None, today=today)


def shipped_body(feed) -> bytes:
    return (ORIGINS / feed.shipped).read_bytes()


def shipped_rows(feed) -> list[dict]:
    return feed.convert(shipped_body(feed), shipped_origin(feed))


def claims(rows: list[dict]) -> list[tuple]:
    return [tuple(str(row[field]) for field in CLAIM_FIELDS) for row in rows]


def reference(feed) -> list[dict]:
    with (ROOT / "tests" / "data" / "shipped-figures.csv").open(encoding="utf-8", newline="") as stream:
        return [row for row in csv.DictReader(stream) if (row["dataset"], row.pop("feed")) == (feed.dataset, feed.name)]


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.name)
def test_the_shipped_version_gives_the_shipped_figures(feed):
    expected = reference(feed)
    rows = shipped_rows(feed)
    assert expected
    assert [{column: str(row[column]) for column in expected[0]} for row in rows] == expected


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.name)
def test_keys_are_unique_in_the_shipped_version(feed):
    keys = [feed.key(row) for row in shipped_rows(feed)]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.name)
def test_no_field_depends_on_an_also_read_file(feed):
    def unreachable(name, **params):
        raise AssertionError(f"{feed.label} read {name}")

    assert not feed.also_reads
    assert feed.convert(shipped_body(feed), Origin(read=unreachable, commit=feed.shipped_commit)) == shipped_rows(feed)


def cut_in_a_row(body: bytes) -> bytes:
    """Return the body cut in the middle of a row's second field, as a download stopped short."""
    lines = body.splitlines(keepends=True)
    return b"".join(lines[:3]) + lines[3].split(b",")[0] + b","


UNREADABLE = {
    "not UTF-8": lambda body: body.replace(b"2022", b"\xff\xfe", 1),
    "an HTML page": lambda body: b"<!DOCTYPE html>\n<html><body>429 Too Many Requests</body></html>",
    "empty": lambda body: b"",
    "a header only": lambda body: body.splitlines(keepends=True)[0],
    "truncated": cut_in_a_row,
    "an unterminated quote": lambda body: body + b'\n"2026',
}


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.name)
@pytest.mark.parametrize("case", UNREADABLE)
def test_a_broken_version_is_unreadable(feed, case):
    with pytest.raises(Unreadable):
        feed.convert(UNREADABLE[case](shipped_body(feed)), shipped_origin(feed))


# Per feed, a cell of a row that is kept made unreadable (`None`: the column renamed away).
BAD_CELLS = {
    "estimates": [("date", "not-a-day"), ("date", "31/02/2024"), ("country", "belarus"), ("estimate", "about 5"),
                  ("source", None)],
    "uk-mod-monthly": [("casualties (average daily losses)", "386.5"), ("month", "marchember"),
                       ("casualties in month", "11967"), ("source_url", "https://www.gov.uk/statement"),
                       ("days in month", None)],
    "model-deaths": [("ci_lower", "about 400000"), ("date", "2026-08-32"), ("pi_high", None)],
    "model-casualties": [("pi_high", "NaN"), ("date", "22/08/2026")],
    "weekly": [("Week", "54"), ("EDLow", "1e999x"), ("Year", ""), ("EDHigh", None)],
}


@pytest.mark.parametrize(("name", "column", "text"), [
    (name, column, text) for name, cells in BAD_CELLS.items() for column, text in cells
])
def test_a_missing_column_or_a_bad_value_is_unreadable(name, column, text):
    feed = FEED[name]
    body = shipped_body(feed)
    broken = body.replace(column.encode(), b"renamed", 1) if text is None else with_cell(body, column, text)
    with pytest.raises(Unreadable):
        feed.convert(broken, shipped_origin(feed))


def with_cell(body: bytes, column: str, text: str) -> bytes:
    """Return the file with one cell of its second data row (a kept row in every shipped file) replaced."""
    rows = list(csv.reader(body.decode().splitlines()))
    rows[2][rows[0].index(column)] = text
    return lines_of(rows)


def lines_of(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows).encode()


def estimates_rows(version: str) -> list[dict]:
    return estimates.convert((UPSTREAM / version).read_bytes(), live_origin())


def test_the_june_version_keeps_the_may_rows_and_adds_six():
    may = {estimates.key(row): row for row in estimates_rows("estimates_2026-05-11_54dbaca.csv")}
    june = {estimates.key(row): row for row in estimates_rows("estimates_2026-06-17_bf1b0bd.csv")}
    assert (len(may), len(june)) == (77, 83)
    assert {key: june[key] for key in may} == may
    added = sorted((row["label"], row["party"], row["category"], row["period_end"], row["value"])
                   for key, row in june.items() if key not in may)
    assert added == [
        ("BBC Russia", "russia-armed-forces", "killed", "2026-06-12", 369000),
        ("Dutch Military Intelligence and Security Service (MIVD)", "russia-armed-forces", "total", "2025-12-31",
         1200000),
        ("Dutch Military Intelligence and Security Service (MIVD)", "ukraine-armed-forces", "total", "2025-12-31",
         500000),
        (MIVD_TIMING, "russia-armed-forces", "killed", "2025-12-31", 500000),
        ("UK MoD", "russia-armed-forces", "killed", "2026-05-27", 500000),
        ("UK MoD", "russia-armed-forces", "total", "2026-04-30", 1300000),
    ]


def test_the_mivd_label_with_a_trailing_space_is_mapped_under_its_stripped_label():
    assert b'"Dutch Military Intelligence and Security Service (MIVD; note, timing clarified via email) "' in (
        shipped_body(FEED["estimates"]))
    (row,) = [row for row in shipped_rows(FEED["estimates"]) if row["label"].startswith(MIVD_TIMING[:60])]
    assert (row["label"], row["claimed_by"]) == (MIVD_TIMING, "netherlands-mivd")
    assert "timing was clarified by email" in row["notes"]
    assert estimates.key(row).startswith(MIVD_TIMING + "|russia-armed-forces|killed|2025-12-31|https://")


def test_a_rewrite_only_in_form_gives_the_same_rows():
    body = shipped_body(FEED["estimates"])
    rows = list(csv.reader(body.decode().splitlines()))
    for row in rows[1:]:
        day, month, year = row[0].split("/")
        row[0] = f"{int(day):02d}/{int(month):02d}/{year}"
        row[5] += " "
    rewritten = lines_of(rows).replace(b"\n", b"\r\n", 40)
    assert rewritten != body
    assert estimates.convert(rewritten, live_origin()) == estimates.convert(body, live_origin())


def test_an_unknown_label_is_yielded_unclaimed_with_its_label():
    made_up = "15/03/2026,,,123456,deaths,  Made-up  Observatory ,https://www.example.org/2026/03/15/losses/,russia,"
    body = shipped_body(FEED["estimates"]) + b"\r\n" + made_up.encode()
    rows = estimates.convert(body, live_origin())
    (row,) = [row for row in rows if row["label"] == "Made-up Observatory"]
    assert (row["claimed_by"], row["publisher"], row["value"], row["period_end"]) == ("", "", 123456, "2026-03-15")
    assert row["report_title"] == "www.example.org, 15 March 2026: Russian military losses (Made-up Observatory)"
    assert estimates.key(row) == ("Made-up Observatory|russia-armed-forces|killed|2026-03-15|"
                                  "https://www.example.org/2026/03/15/losses/")
    assert [other for other in rows if other is not row] == shipped_rows(FEED["estimates"])


def test_gchqs_lecture_is_gchqs_claim_and_publication_whatever_the_compilers_label():
    rows = shipped_rows(FEED["estimates"])
    (lecture,) = [row for row in rows if row["report_url"].startswith("https://www.gchq.gov.uk/")]
    assert (lecture["label"], lecture["claimed_by"], lecture["publisher"]) == ("UK MoD", "uk-gchq", "uk-gchq")
    assert lecture["report_title"] == "GCHQ, 27 May 2026: Russian military losses"
    assert 'the claimant is GCHQ, which is not part of the Ministry of Defence; The Economist\'s table files the ' \
           'figure under "UK MoD".' in lecture["notes"]
    assert estimates.key(lecture) == ("UK MoD|russia-armed-forces|killed|2026-05-27|"
                                      "https://www.gchq.gov.uk/speech/gchq-annual-lecture-2026-as-delivered")


def test_every_uk_statement_to_the_osce_is_the_fcdos_whatever_the_compilers_label():
    statements = [row for row in shipped_rows(FEED["estimates"]) if "uk-statement-to-the-osce" in row["report_url"]]
    assert sorted((row["label"], row["claimed_by"], row["publisher"]) for row in statements) == [
        ("UK Foreign ministry", "uk-fcdo", "uk-fcdo"), ("UK MoD", "uk-fcdo", "uk-fcdo"),
    ]
    assert all(f'files the figure under "{row["label"]}"' in row["notes"] for row in statements)


def test_a_new_row_at_a_speakers_address_is_that_speakers_even_under_another_label():
    osce = ("1/7/2026,,,1400000,casualties,UK Ministry of Defence,https://www.gov.uk/government/speeches/"
            "losses-mount-uk-statement-to-the-osce-july-2026,russia,")
    gchq = "2/7/2026,,,510000,deaths,Made-up label,https://www.gchq.gov.uk/speech/director-speech-2026,russia,"
    body = shipped_body(FEED["estimates"]) + f"\r\n{osce}\r\n{gchq}".encode()
    added = {row["label"]: row for row in estimates.convert(body, live_origin())
             if row["period_end"] in ("2026-07-01", "2026-07-02")}
    assert {label: row["claimed_by"] for label, row in added.items()} == {
        "UK Ministry of Defence": "uk-fcdo", "Made-up label": "uk-gchq",
    }
    assert 'files the figure under "Made-up label"' in added["Made-up label"]["notes"]


def test_the_monthly_sums_and_the_misdated_general_staff_row_are_dropped():
    rows = shipped_rows(FEED["estimates"])
    body_rows = list(csv.DictReader(shipped_body(FEED["estimates"]).decode().splitlines()))
    assert (len(body_rows), len(rows)) == (124, 89)
    assert not [row for row in rows if row["report_url"] == estimates.MONTHLY_CHART]
    assert not [row for row in rows if row["claimed_by"] == "ukraine-general-staff" and row["value"] == 390580]


@pytest.mark.parametrize("name", ["model-deaths", "model-casualties"])
def test_a_live_model_run_has_a_report_without_address_named_and_dated_by_its_last_day(name):
    feed = FEED[name]
    rows = list(csv.reader(shipped_body(feed).decode().splitlines()))
    not_estimated, newest = rows[1], rows[2]
    not_estimated[0], newest[0] = "2026-08-23", "2026-08-22"  # the run one day on: its newest day the 22nd
    figures = feed.convert(lines_of(rows), live_origin())
    assert claims(figures)[:-1] == claims(shipped_rows(feed))[:-1]
    assert figures[-1]["period_end"] == "2026-08-22"
    assert {(row["report_url"], row["report_published_on"]) for row in figures} == {("", "2026-08-22")}
    assert figures[0]["report_title"].endswith(f", to 22 August 2026 ({name.replace('model', 'meta-estimate')}.csv)")


def test_the_shipped_model_run_is_the_file_at_the_shipped_commit():
    rows = shipped_rows(FEED["model-deaths"])
    assert {(row["report_url"], row["report_published_on"]) for row in rows} == {(
        "https://github.com/TheEconomist/the-economist-ukraine-war-dead-and-wounded-estimates/blob/978a24b/"
        "output-data/tracker/meta-estimate-deaths.csv", "2026-08-21")}
    assert {row["report_url"] for row in shipped_rows(FEED["model-casualties"])} == {
        "https://github.com/TheEconomist/the-economist-ukraine-war-dead-and-wounded-estimates/blob/978a24b/"
        "output-data/tracker/meta-estimate-casualties.csv"}


def test_the_model_reports_cite_the_folder_the_feeds_read():
    for name in ("model-deaths", "model-casualties"):
        folder = FEED[name].address.removeprefix(LIVE).rsplit("/", 1)[0]
        [address] = {row["report_url"] for row in shipped_rows(FEED[name])}
        assert address.endswith(f"/blob/978a24b/{folder}/{name.replace('model', 'meta-estimate')}.csv")


def test_a_live_weekly_file_has_a_report_without_address_published_the_day_it_is_read():
    feed = FEED["weekly"]
    rows = feed.convert(shipped_body(feed), live_origin(today=datetime.date(2026, 9, 1)))
    assert claims(rows) == claims(shipped_rows(feed))
    assert {(row["report_url"], row["report_published_on"]) for row in rows} == {("", "2026-09-01")}
    assert {row["report_published_on"] for row in shipped_rows(feed)} == {"2026-08-21"}


def test_the_keys_are_the_month_the_day_and_the_week():
    assert FEED["uk-mod-monthly"].key(shipped_rows(FEED["uk-mod-monthly"])[0]) == "2022-03-01/2022-03-31"
    assert FEED["model-deaths"].key(shipped_rows(FEED["model-deaths"])[0]) == "2022-02-24"
    assert FEED["weekly"].key(shipped_rows(FEED["weekly"])[0]) == "2022-02-28"
