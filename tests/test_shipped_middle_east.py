"""The Middle East shipped figures (the release's rows, tests/data/shipped-figures.csv) against the origins' files
they are synced from (fixtures/origins/), and as load_shipped_data loads them."""

import csv
import datetime
import functools
import json
import re
from collections import Counter

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from stats.models import Figure

pytestmark = pytest.mark.django_db

ORIGINS = settings.FIXTURES_DIR / "origins"
GAZA, SOLDIERS, WEST_BANK, LEBANON = "gaza", "israel-soldiers", "west-bank", "lebanon"
SITUATION_UPDATE_198 = "https://www.ochaopt.org/content/humanitarian-situation-update-198-west-bank"
MOPH_16_AUGUST_2026 = (
    "https://www.moph.gov.lb/en/Media#/en/Media/view/86631/updated-total-toll-of-the-aggression-4346-martyrs-and-12301-"
    "wounded"
)


@functools.cache
def reference() -> tuple[dict, ...]:
    with (settings.BASE_DIR / "tests" / "data" / "shipped-figures.csv").open(encoding="utf-8", newline="") as stream:
        return tuple(csv.DictReader(stream))


def shipped(feed: str) -> list[dict]:
    """Return the release's rows of this feed, in the order they were shipped, without the feed column."""
    return [{column: cell for column, cell in row.items() if column != "feed"} for row in reference() if row["feed"] == feed]


def one(rows: list[dict], **wanted) -> dict:
    [found] = [row for row in rows if all(row[name] == value for name, value in wanted.items())]
    return found


def front_matter(folder: str, date: str) -> dict:
    text = (ORIGINS / folder / "source_data" / f"{date}.md").read_text(encoding="utf-8")
    return yaml.safe_load(re.match(r"---\n(.*?)\n---", text, re.DOTALL).group(1))


# Gaza


def test_every_report_of_the_ministry_and_the_media_office_is_a_figure_and_nothing_else_is():
    reports = json.loads((ORIGINS / "gaza-moh" / "casualties_daily.json").read_text())
    expected = Counter()
    previous = None
    for report in reports:
        claimant = {"mohtel": "gaza-moh", "gmotel": "gaza-gmo"}.get(report["report_source"])
        # A day without a report: 0 hours covered and every total the day before's.
        repeated = report["report_period"] == 0 and all(
            previous.get(field) == report.get(field) for field in ("killed_cum", "injured_cum")
        )
        for category in ("killed", "injured"):
            field = f"{category}_cum"
            if claimant and field in report and not repeated:
                expected[(claimant, category, report["report_date"], report[field])] += 1
        previous = report
    rows = shipped(GAZA)
    assert Counter((r["claimed_by"], r["category"], r["period_end"], int(r["value"])) for r in rows) == expected
    assert Counter((r["claimed_by"], r["category"]) for r in rows) == {
        ("gaza-moh", "killed"): 916, ("gaza-moh", "injured"): 916, ("gaza-gmo", "killed"): 22, ("gaza-gmo", "injured"): 21,
    }


def test_no_day_the_compiler_filled_in_is_shipped_for_gaza():
    rows = shipped(GAZA)
    dates = {row["period_end"] for row in rows}
    # report_source "missing", one with a carried-forward killed_cum of 14,800 during the truce
    assert not dates & {"2023-10-13", "2023-11-11", "2023-11-24", "2023-11-29", "2026-06-20", "2026-08-21"}
    # report_period 0, totals repeated from the day before
    assert not dates & {"2024-08-11", "2024-09-19", "2024-09-20", "2025-10-31", "2026-01-30"}
    # ext_killed_cum of the missing row of 11 November 2023, an extrapolation
    assert not [row for row in rows if row["value"] == "11129"]
    # a 0-hour day with a total that changed is a report of that day: both its totals are the ministry's
    assert [(r["category"], r["value"]) for r in rows if r["period_end"] == "2025-10-30"] == [
        ("killed", "68643"), ("injured", "170655"),
    ]
    december = [r for r in rows if r["period_end"] == "2025-12-19"]
    assert [(r["category"], r["value"]) for r in december] == [("killed", "70669"), ("injured", "171165")]
    assert "the compiler's data contradicts itself here" in december[0]["notes"]


def test_gaza_figures_are_dated_by_their_report_and_name_their_body():
    rows = shipped(GAZA)
    first = one(rows, period_end="2023-10-07", category="killed")
    assert (first["claimed_by"], first["value"], first["report_published_on"], first["publisher"]) == (
        "gaza-moh", "232", "2023-10-07", "gaza-moh",
    )
    assert first["report_title"] == "Ministry of Health in Gaza, daily report of 7 October 2023"
    assert (first["conflict"], first["party"], first["period_start"], first["basis"], first["report_url"]) == (
        "gaza-war", "gaza-palestinians", "", "claimed", "",
    )
    media_office = one(rows, period_end="2023-11-12", category="injured")
    assert (media_office["claimed_by"], media_office["value"], media_office["report_title"]) == (
        "gaza-gmo", "28200", "Government Media Office in Gaza, report of 12 November 2023",
    )
    assert [r["category"] for r in rows if r["period_end"] == "2023-10-17"] == ["killed"]  # no injured total that day
    weekend = one(rows, period_end="2024-08-12", category="killed")
    assert weekend["value"] == "39897"
    assert "covering the previous 48 hours" in weekend["notes"]
    assert {row["dataset"] for row in rows} == {"techforpalestine-datasets"}


# Israeli soldiers killed in Gaza


def test_every_israeli_soldiers_count_from_the_first_death_is_a_figure_the_later_line_of_a_day_winning():
    with (ORIGINS / "israel-soldiers-gaza" / "israel-killed.csv").open(encoding="utf-8") as stream:
        lines = list(csv.DictReader(stream))
    last = {}
    for line in lines:
        last[line["date"]] = line["killed_soldiers_gaza"]
    expected = [(date, value) for date, value in sorted(last.items()) if date >= "2023-10-31"]
    rows = shipped(SOLDIERS)
    assert len(lines) == 193
    assert [(row["period_end"], row["value"]) for row in rows] == expected
    assert len(rows) == 169


def test_the_soldiers_series_starts_at_the_first_death_and_keeps_the_correction():
    rows = shipped(SOLDIERS)
    assert (rows[0]["period_end"], rows[0]["value"]) == ("2023-10-31", "3")
    assert "0" not in {row["value"] for row in rows}
    assert one(rows, period_end="2023-12-14")["value"] == "116"
    assert one(rows, period_end="2024-06-24")["value"] == "314"
    assert "twice (313, then 314)" in one(rows, period_end="2024-06-24")["notes"]
    fall = one(rows, period_end="2023-12-10")
    assert fall["value"] == "98"
    assert "Lower than the previous update's 101 (9 December 2023)" in fall["notes"]
    assert {
        (r["conflict"], r["party"], r["claimed_by"], r["publisher"], r["basis"], r["period_start"], r["dataset"])
        for r in rows
    } == {("gaza-war", "israel-soldiers-gaza-ground-operation", "israel-defense-forces", "ocha", "claimed", "",
           "360info-gaza-one-year")}
    assert all(row["period_end"] == row["report_published_on"] and not row["report_url"] for row in rows)


# West Bank


def test_every_verified_count_and_every_reported_flash_total_is_a_figure():
    days = json.loads((ORIGINS / "west-bank" / "west_bank_daily.json").read_text())
    expected = Counter()
    for day in days:
        for category in ("killed", "injured"):
            field = f"{category}_cum"
            if field in day.get("verified", {}):
                expected[("confirmed", category, day["report_date"], day["verified"][field])] += 1
            if day["flash_source"] == "un" and front_matter("west-bank", day["report_date"]).get(field) not in (None, ""):
                expected[("claimed", category, day["report_date"], day[field])] += 1
    # The situation report of 3 July 2026 states the total in its own words, where the compiler summed.
    expected[("claimed", "killed", "2026-06-29", 1109)] += 1
    rows = shipped(WEST_BANK)
    assert Counter((r["basis"], r["category"], r["period_end"], int(r["value"])) for r in rows) == expected
    assert Counter((r["basis"], r["category"]) for r in rows) == {
        ("confirmed", "killed"): 402, ("confirmed", "injured"): 389, ("claimed", "killed"): 248,
        ("claimed", "injured"): 247,
    }
    stated = one(rows, period_end="2026-06-29", category="killed")
    assert (stated["report_published_on"], stated["report_url"]) == (
        "2026-07-03", "https://www.ochaopt.org/content/humanitarian-situation-report-3-july-2026#west-bank",
    )
    assert "the number of Palestinians killed since 7 October 2023 to 1,109 Palestinians" in stated["quote"]


def test_no_flash_total_the_compiler_filled_in_or_summed_is_shipped():
    days = json.loads((ORIGINS / "west-bank" / "west_bank_daily.json").read_text())
    fills = {day["report_date"] for day in days if day["flash_source"] == "fill"}
    claimed = [row for row in shipped(WEST_BANK) if row["basis"] == "claimed"]
    assert not fills & {row["period_end"] for row in claimed}
    assert "570" not in {row["value"] for row in shipped(WEST_BANK)}  # the fill of 30 July to 4 August 2024
    # From 15 June 2026 the compiler summed the week's increments (up to 1,108): not claims. Only the total one report
    # states in its own words (1,109 on 2026-06-29) is shipped after 2026-06-08.
    assert sorted(row["period_end"] for row in claimed)[-2:] == ["2026-06-08", "2026-06-29"]
    assert not {"1108", "1094"} & {row["value"] for row in claimed}


def test_the_west_bank_verified_count_and_flash_update_are_two_claims_of_ocha():
    rows = shipped(WEST_BANK)
    verified = one(rows, period_end="2024-08-02", category="killed")
    assert (verified["value"], verified["basis"], verified["claimed_by"], verified["report_url"]) == (
        "582", "confirmed", "ocha", "",
    )
    assert verified["report_title"] == "OCHA casualty database (West Bank), verified count up to 2 August 2024"
    assert verified["report_published_on"] == "2026-08-22"
    flash = one(rows, period_end="2024-07-29", category="killed", basis="claimed")
    assert (flash["value"], flash["report_url"], flash["report_published_on"]) == (
        "569", SITUATION_UPDATE_198, "2024-07-29",
    )
    first = one(rows, period_end="2023-10-07", category="killed", basis="claimed")
    assert (first["value"], first["report_title"]) == ("3", "OCHA Flash Update #1 (Gaza Strip and Israel), 7 October 2023")
    report_of_19_march = one(rows, period_end="2026-03-16", category="killed", basis="claimed")
    assert (report_of_19_march["value"], report_of_19_march["report_published_on"]) == ("1058", "2026-03-19")
    assert report_of_19_march["report_url"].endswith("/humanitarian-situation-report-19-march-2026#west-bank")
    no_address = one(rows, period_end="2024-04-13", category="killed", basis="claimed")
    assert (no_address["value"], no_address["report_url"]) == ("446", "")
    assert {(r["conflict"], r["party"], r["publisher"]) for r in rows} == {
        ("west-bank-2023", "west-bank-palestinians", "ocha")
    }


def test_the_verified_counts_are_published_on_the_day_of_the_compilation_read_one_report_per_day_counted_to():
    verified = [row for row in shipped(WEST_BANK) if row["basis"] == "confirmed"]
    assert {row["report_published_on"] for row in verified} == {"2026-08-22"}
    reports = {(row["report_title"], row["report_published_on"]) for row in verified}
    assert len(reports) == len({row["period_end"] for row in verified}) == 402
    assert all("Published: 2026-08-22 (the day of the compilation's commit 9ea6456" in row["notes"] for row in verified)
    first = one(verified, period_end="2023-10-07", category="killed")
    assert (first["value"], first["report_title"]) == ("6", "OCHA casualty database (West Bank), verified count up to "
                                                       "7 October 2023")


# Lebanon


def test_every_lebanon_report_gives_the_ministrys_own_figures():
    reports = json.loads((ORIGINS / "lebanon" / "lebanon_casualties_daily.json").read_text())
    conflicts = {1: "lebanon-2023", 2: "lebanon-2026"}
    expected = Counter(
        (conflicts[report["phase"]], category, report[f"{category}_cum_reported"])
        for report in reports for category in ("killed", "injured")
    )
    rows = shipped(LEBANON)
    assert Counter((r["conflict"], r["category"], int(r["value"])) for r in rows) == expected
    assert len(rows) == 374
    for report in reports:
        assert front_matter("lebanon", report["report_date"])["killed_cum"] == report["killed_cum_reported"]


def test_no_lebanon_figure_is_the_compilers_sum_of_the_two_counts():
    rows = shipped(LEBANON)
    values = {row["value"] for row in rows}
    assert not values & {"8393", "28939", "4170"}  # killed and injured of 16 August 2026, killed of 5 March 2026
    latest = one(rows, period_end="2026-08-16", category="killed")
    assert (latest["value"], latest["conflict"], latest["report_url"], latest["publisher"]) == (
        "4346", "lebanon-2026", MOPH_16_AUGUST_2026, "lebanon-moph",
    )
    first = one(rows, period_end="2026-03-05", category="killed")
    assert (first["value"], first["quote"]) == (
        "123", "The Death Toll from the Aggression has Risen to 123 Martyrs and 683 Wounded",
    )


def test_lebanon_figures_relayed_by_ocha_are_the_ministrys_published_by_ocha():
    rows = shipped(LEBANON)
    assert {row["claimed_by"] for row in rows} == {"lebanon-moph"}
    relayed = one(rows, period_end="2023-11-14", category="killed")
    assert (relayed["value"], relayed["publisher"], relayed["report_published_on"], relayed["conflict"]) == (
        "77", "ocha", "2023-11-18", "lebanon-2023",
    )
    assert relayed["report_url"].startswith("https://reliefweb.int/report/lebanon/lebanon-flash-update-1-")
    assert {row["publisher"] for row in rows if row["report_published_on"] <= "2024-10-21"} == {"ocha"}
    assert {row["publisher"] for row in rows if row["report_published_on"] >= "2024-10-28"} == {"lebanon-moph"}
    # The ministry's statements of autumn 2024 give yesterday's toll: they count up to the day before.
    statement = one(rows, report_published_on="2024-10-29", category="killed")
    assert (statement["value"], statement["period_end"]) == ("2792", "2024-10-28")
    assert statement["quote"] == "2,792 Martyrs and 12,772 Wounded since the Start of the Aggression"
    last_of_phase_1 = one(rows, period_end="2024-12-04", category="injured")
    assert (last_of_phase_1["value"], last_of_phase_1["report_published_on"]) == ("16638", "2024-12-04")
    assert sum(1 for row in rows if row["report_url"]) == 2 * 154


# The data loaded


def test_the_shipped_middle_east_figures_load_as_claims_with_their_reports(capsys):
    call_command("load_shipped_data")
    figures = Figure.objects.select_related("report__publisher", "claimed_by", "dataset", "conflict", "party")

    verified = figures.get(party__slug="west-bank-palestinians", category__slug="killed", basis="confirmed",
                           period_end=datetime.date(2024, 8, 2))
    assert (verified.value, verified.claimed_by.slug, verified.report.url, verified.report.published_on) == (
        582, "ocha", None, datetime.date(2026, 8, 22),
    )
    assert verified.dataset.slug == "techforpalestine-datasets"
    flash = figures.get(report__url=SITUATION_UPDATE_198, category__slug="killed")
    assert (flash.value, flash.basis, flash.period_start, flash.period_end) == (
        569, "claimed", None, datetime.date(2024, 7, 29),
    )

    lebanon = figures.get(report__url=MOPH_16_AUGUST_2026, category__slug="killed")
    assert (lebanon.value, lebanon.conflict.slug, lebanon.claimed_by.slug, lebanon.report.publisher.slug) == (
        4346, "lebanon-2026", "lebanon-moph", "lebanon-moph",
    )
    assert not figures.filter(party__slug="lebanon-people", value=8393).exists()

    correction = figures.get(party__slug="israel-soldiers-gaza-ground-operation", period_end=datetime.date(2023, 12, 10))
    assert (correction.value, correction.claimed_by.slug, correction.report.publisher.slug) == (
        98, "israel-defense-forces", "ocha",
    )
    assert (correction.report.url, correction.dataset.slug) == (None, "360info-gaza-one-year")
    assert figures.filter(party__slug="israel-soldiers-gaza-ground-operation").count() == 169

    gaza = figures.get(claimed_by__slug="gaza-moh", category__slug="killed", period_end=datetime.date(2024, 1, 15))
    assert (gaza.value, gaza.report.title, gaza.report.published_on, gaza.conflict.slug) == (
        24100, "Ministry of Health in Gaza, daily report of 15 January 2024", datetime.date(2024, 1, 15), "gaza-war",
    )
    assert figures.filter(party__slug="gaza-palestinians").count() == 1875
    assert figures.filter(party__slug="west-bank-palestinians").count() == 1286
    assert figures.filter(party__slug="lebanon-people").count() == 374
