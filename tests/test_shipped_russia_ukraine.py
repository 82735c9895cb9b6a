"""The Russia-Ukraine shipped figures (the release's rows, tests/data/shipped-figures.csv) against the origins' files
they are synced from (fixtures/origins/), and as load_shipped_data loads them."""

import csv
import datetime
import functools
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command

from stats.models import Figure

pytestmark = pytest.mark.django_db

ORIGINS = settings.FIXTURES_DIR / "origins"
ECONOMIST = ORIGINS / "economist-ukraine"
NAMES = ORIGINS / "mediazona-names" / "derived_mediazona_headline_total_by_snapshot.csv"
ESTIMATES, MONTHLY, WEEKLY, MEDIAZONA = "estimates", "uk-mod-monthly", "weekly", "total"
MODEL = ("model-deaths", "model-casualties")
MONTHLY_CHART = "https://x.com/DefenceHQ/status/1876584633103507960/photo/2"
WSJ = "https://www.wsj.com/world/one-million-are-now-dead-or-injured-in-the-russia-ukraine-war-b09d04e5"


@functools.cache
def reference() -> tuple[dict, ...]:
    with (settings.BASE_DIR / "tests" / "data" / "shipped-figures.csv").open(encoding="utf-8", newline="") as stream:
        return tuple(csv.DictReader(stream))


def shipped(*feeds: str) -> list[dict]:
    """Return the release's rows of these feeds, in the order they were shipped, without the feed column."""
    return [
        {column: cell for column, cell in row.items() if column != "feed"} for row in reference() if row["feed"] in feeds
    ]


def source(path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def number(text: str) -> int | None:
    return int(text.replace(",", "")) if text.strip() else None


def day(text: str) -> datetime.date:
    day_, month, year = (int(part) for part in text.split("/"))
    return datetime.date(year, month, day_)


def is_monthly_sum(row: dict) -> bool:
    return row["source"] == "UK MoD" and row["source_url"] == MONTHLY_CHART and day(row["date"]).day == 1


def one(rows: list[dict], **wanted) -> dict:
    [found] = [row for row in rows if all(row[name] == value for name, value in wanted.items())]
    return found


def test_every_estimate_is_a_figure_but_the_monthly_sums_and_the_misdated_general_staff_report():
    rows = source(ECONOMIST / "estimates.csv")
    sums = [row for row in rows if is_monthly_sum(row)]
    misdated = [row for row in rows if row["source"] == "Armed Forces of Ukraine" and row["date"] == "16/01/2024"]
    assert (len(rows), len(sums), [row["estimate"] for row in misdated]) == (124, 34, ["390580"])
    kept = [row for row in rows if row not in sums and row not in misdated]
    parties = {"russia": "russia-armed-forces", "ukraine": "ukraine-armed-forces"}
    categories = {"deaths": "killed", "casualties": "total"}
    expected = Counter(
        (
            number(row["estimate"]) or number(row["estimate_low"]) or number(row["estimate_high"]),
            number(row["estimate_low"]), number(row["estimate_high"]), categories[row["type"]], parties[row["country"]],
        )
        for row in kept
    )
    figures = shipped(ESTIMATES)
    assert len(figures) == len(kept) == 89
    assert Counter(
        (int(f["value"]), number(f["value_low"]), number(f["value_high"]), f["category"], f["party"]) for f in figures
    ) == expected
    shipped_values = {int(f["value"]) for f in figures}
    assert not shipped_values & {number(row["estimate"]) for row in [*sums, *misdated]}
    assert 1225000 in shipped_values  # the Ministry's own statement, unlike its chart's sums


def test_a_range_without_a_central_figure_is_shipped_as_its_low_end_at_least():
    figures = shipped(ESTIMATES)
    ranges = [f for f in figures if f["value_low"] and f["value_high"] and f["value"] == f["value_low"]]
    low_only = [f for f in figures if f["value_low"] and not f["value_high"]]
    high_only = [f for f in figures if f["value_high"] and not f["value_low"]]
    assert (len(ranges), len(low_only), len(high_only)) == (30, 14, 2)
    assert {f["qualifier"] for f in ranges + low_only} == {"at_least"}
    assert {f["qualifier"] for f in high_only} == {"at_most"}
    assert all(f["value"] == f["value_high"] for f in high_only)
    csis = one(figures, claimed_by="csis", period_end="2023-02-28", category="killed")
    assert (csis["value"], csis["value_low"], csis["value_high"], csis["qualifier"]) == ("60000", "60000", "70000",
                                                                                       "at_least")
    assert "without a central figure" in csis["notes"]
    with_point = one(figures, claimed_by="mediazona-meduza", period_end="2024-06-21")
    assert (with_point["value"], with_point["value_low"], with_point["value_high"], with_point["qualifier"]) == (
        "120000", "106000", "140000", "approximately",
    )


def test_the_spellings_of_one_body_are_one_claimant_and_messengers_are_publishers():
    figures = shipped(ESTIMATES)
    assert Counter(f["claimed_by"] for f in figures) == {
        "uk-mod": 11, "csis": 11, "us-officials": 12, "bbc-russian": 5, "mediazona-meduza": 6, "pentagon-leak": 4,
        "ualosses": 4, "us-cia": 3, "us-dod": 3, "nato-officials": 5, "netherlands-mivd": 3, "dmitry-kobak": 2,
        "france-foreign-minister": 2, "ukraine-government-leak": 2, "western-intelligence": 2, "iiss": 2,
        "norway-intelligence-service": 2, "ukraine-general-staff": 1, "russia-mod": 1, "ukraine-president-office": 1,
        "memory-book": 1, "uk-fcdo": 2, "lostarmour": 1, "yurii-butusov": 1, "us-intelligence-community": 1,
        "uk-gchq": 1,
    }
    nyt = [f for f in figures if f["report_url"].startswith("https://www.nytimes.com/2024/10/10/")]
    assert {(f["claimed_by"], f["publisher"]) for f in nyt} == {("us-officials", "new-york-times")}
    assert nyt[0]["report_title"] == (
        "The New York Times, 10 October 2024: Russian and Ukrainian military losses (US officials)"
    )
    mivd = one(figures, claimed_by="netherlands-mivd", category="killed")
    assert "timing was clarified by email" in mivd["notes"]


def test_gchqs_lecture_is_gchqs_claim_though_the_compilation_files_it_under_the_uk_mod():
    gchq = one(shipped(ESTIMATES), report_url="https://www.gchq.gov.uk/speech/gchq-annual-lecture-2026-as-delivered")
    assert (gchq["claimed_by"], gchq["publisher"], gchq["value"], gchq["period_end"]) == (
        "uk-gchq", "uk-gchq", "500000", "2026-05-27",
    )
    assert gchq["report_title"] == "GCHQ, 27 May 2026: Russian military losses"
    assert 'GCHQ\'s annual lecture of 2026 (its address): the claimant is GCHQ' in gchq["notes"]
    assert 'files the figure under "UK MoD"' in gchq["notes"]


def test_both_uk_statements_to_the_osce_are_the_fcdos_claims_with_the_compilations_labels_noted():
    statements = [f for f in shipped(ESTIMATES) if "uk-statement-to-the-osce" in f["report_url"]]
    assert sorted((f["period_end"], f["value"], f["claimed_by"], f["publisher"]) for f in statements) == [
        ("2024-05-30", "465000", "uk-fcdo", "uk-fcdo"), ("2026-04-30", "1300000", "uk-fcdo", "uk-fcdo"),
    ]
    labels = {f["period_end"]: f["notes"] for f in statements}
    assert 'files the figure under "UK Foreign ministry"' in labels["2024-05-30"]
    assert 'files the figure under "UK MoD"' in labels["2026-04-30"]
    assert all("delivered by the UK's delegation to the OSCE" in notes for notes in labels.values())


def test_the_basis_is_claimed_for_warring_parties_confirmed_for_names_and_estimated_otherwise():
    figures = shipped(ESTIMATES)
    by_basis = {
        basis: sorted((f["claimed_by"], int(f["value"])) for f in figures if f["basis"] == basis)
        for basis in ("claimed", "confirmed")
    }
    assert by_basis == {
        "claimed": [("russia-mod", 383000), ("ukraine-general-staff", 38500), ("ukraine-president-office", 10000)],
        "confirmed": [("memory-book", 30000), ("ualosses", 42152), ("ualosses", 60435)],
    }
    assert Counter(f["basis"] for f in figures)["estimated"] == 83
    assert one(figures, claimed_by="uk-mod", value="1225000")["basis"] == "estimated"
    assert {f["basis"] for f in figures if f["claimed_by"] in ("bbc-russian", "mediazona-meduza")} == {"estimated"}


def test_dates_are_the_figures_and_publication_days_the_reports():
    figures = shipped(ESTIMATES)

    def dates(**wanted):
        found = one(figures, **wanted)
        return found["period_end"], found["report_published_on"]

    # Re-dated to the day of the article their address is.
    assert dates(claimed_by="nato-officials", category="killed", party="russia-armed-forces",
                 report_url="https://www.washingtonpost.com/world/2022/03/24/russia-troops-casualties-nato-ukraine/") == (
        "2022-03-24", "2022-03-24")
    assert dates(claimed_by="western-intelligence", category="total") == ("2024-09-17", "2024-09-17")
    assert dates(claimed_by="ukraine-government-leak", category="killed") == ("2024-09-17", "2024-09-17")
    # From the post's ID.
    assert dates(claimed_by="uk-mod", value="1225000") == ("2026-01-26", "2026-01-26")
    assert dates(claimed_by="uk-mod", value="320000") == ("2023-11-30", "2023-12-04")
    # From the address.
    assert dates(claimed_by="ukraine-general-staff") == ("2022-07-19", "2022-07-24")
    assert dates(claimed_by="lostarmour") == ("2024-12-01", "2025-01-23")
    assert dates(claimed_by="iiss", category="total") == ("2025-01-01", "2025-02-01")
    assert dates(claimed_by="netherlands-mivd", category="killed") == ("2025-12-31", "2026-04-21")
    # Otherwise the figure's date, said in notes.
    tass = one(figures, claimed_by="russia-mod")
    assert (tass["period_end"], tass["report_published_on"]) == ("2023-12-19", "2023-12-19")
    assert "publication day is not known" in tass["notes"]


def test_notes_are_split_from_addresses_and_a_live_page_is_no_report_address():
    figures = shipped(ESTIMATES)
    emailed = [f for f in figures if f["claimed_by"] == "mediazona-meduza" and not f["report_url"]]
    assert [f["period_end"] for f in emailed] == ["2024-01-01", "2024-02-04", "2024-06-21"]
    assert all("via email from Alexandr at Meduza" in f["notes"] for f in emailed)
    ualosses = one(figures, claimed_by="ualosses", period_end="2025-05-30")
    assert (ualosses["report_url"], ualosses["report_title"], ualosses["publisher"]) == (
        "", "UALosses, list of fallen Ukrainian soldiers (ualosses.org), as of 30 May 2025", "ualosses",
    )
    assert "exclude pre-invasion deaths" in ualosses["notes"]
    assert "https://ualosses.org/en/soldiers/" in ualosses["notes"]
    assert not any("fbclid" in f["report_url"] or " " in f["report_url"] for f in figures)


def test_one_address_is_one_report_with_one_title_and_date_across_the_files():
    reports = {}
    for feed in (ESTIMATES, MONTHLY, *MODEL, WEEKLY):
        for f in shipped(feed):
            if f["report_url"]:
                reports.setdefault(f["report_url"], set()).add((f["report_title"], f["report_published_on"],
                                                                f["publisher"]))
    assert all(len(seen) == 1 for seen in reports.values())
    assert reports["https://x.com/DefenceHQ/status/1918563185390502173"] == {
        ("UK Ministry of Defence on x.com, 3 May 2025", "2025-05-03", "uk-mod"),
    }
    assert reports[WSJ] == {(
        "The Wall Street Journal, 17 September 2024: Russian and Ukrainian military losses (a confidential "
        "Ukrainian estimate, Western intelligence agencies)", "2024-09-17", "wall-street-journal",
    )}


def test_no_figure_counts_past_its_reports_day_or_before_the_invasion():
    for feed in (ESTIMATES, MONTHLY, *MODEL, WEEKLY, MEDIAZONA):
        for f in shipped(feed):
            assert f["period_end"] <= f["report_published_on"], (feed, f)
            assert (f["period_start"] or "2022-02-24") >= "2022-02-24", (feed, f)


def test_each_month_of_the_uk_chart_is_a_window_of_its_average_times_its_days():
    rows = source(ECONOMIST / "uk-mod-monthly.csv")
    windows = shipped(MONTHLY)
    assert len(windows) == len(rows) == 47
    assert [int(w["value"]) for w in windows] == [
        int(row["casualties (average daily losses)"]) * int(row["days in month"]) for row in rows
    ]
    sums = {int(row["cumulative casualties"]) for row in rows[1:]}  # the first month's sum is its own count
    for feed in (ESTIMATES, MONTHLY, *MODEL):
        assert not sums & {int(f["value"]) for f in shipped(feed)}, feed
    assert {(w["claimed_by"], w["basis"], w["qualifier"], w["category"]) for w in windows} == {
        ("uk-mod", "estimated", "approximately", "total"),
    }
    january = windows[-1]
    assert (january["period_start"], january["period_end"], january["value"], january["report_published_on"]) == (
        "2026-01-01", "2026-01-31", "31713", "2026-02-14",
    )
    assert "an average of 1,023 Russian casualties a day" in january["notes"]
    assert "our multiplication" in january["notes"]
    february_2025 = one(windows, period_start="2025-02-01")
    assert february_2025["report_url"] == "https://x.com/DefenceHQ/status/1918563185390502173"
    assert "1918563185390502174" in february_2025["notes"]
    assert Counter(w["report_url"] for w in windows)[MONTHLY_CHART] == 34


def test_the_economists_model_is_every_estimated_day_rounded_with_its_confidence_interval():
    model = shipped(*MODEL)
    for category, name in (("killed", "meta-estimate-deaths.csv"), ("total", "meta-estimate-casualties.csv")):
        rows = [row for row in source(ECONOMIST / name) if row["estimate"] != "NA"]
        figures = [f for f in model if f["category"] == category]
        assert len(figures) == len(rows) == 1640
        assert [f["period_end"] for f in figures] == sorted(row["date"] for row in rows)
        assert {f["report_url"] for f in figures} == {
            "https://github.com/TheEconomist/the-economist-ukraine-war-dead-and-wounded-estimates/blob/978a24b/"
            f"output-data/tracker/{name}"
        }
    first, last = one(model, category="killed", period_end="2022-02-24"), one(model, category="killed",
                                                                            period_end="2026-08-21")
    assert (first["value"], first["value_low"], first["value_high"]) == ("893", "463", "1725")
    assert (last["value"], last["value_low"], last["value_high"], last["report_published_on"]) == (
        "490321", "417284", "579031", "2026-08-21",
    )
    assert "374,039 to 642,755" in last["notes"]  # the prediction interval, said but not the band
    assert {(f["claimed_by"], f["basis"], f["period_start"], f["qualifier"]) for f in model} == {
        ("the-economist", "estimated", "", "approximately"),
    }


def test_meduzas_weeks_are_windows_from_the_first_week_after_the_invasion():
    rows = source(ECONOMIST / "meduza-weekly.csv")
    weeks = shipped(WEEKLY)
    assert len(rows) == 201 and len(weeks) == 200
    assert (weeks[0]["period_start"], weeks[0]["period_end"], weeks[0]["value"], weeks[0]["value_low"],
            weeks[0]["value_high"]) == ("2022-02-28", "2022-03-06", "651", "519", "782")
    assert weeks[-1]["period_end"] == "2025-12-28"
    assert all(
        datetime.date.fromisoformat(w["period_start"]).isoweekday() == 1
        and datetime.date.fromisoformat(w["period_end"]) - datetime.date.fromisoformat(w["period_start"])
        == datetime.timedelta(days=6)
        for w in weeks
    )
    predicted = [w for w in weeks if "prediction" in w["notes"]]
    assert len(predicted) == len([row for row in rows if not row["ED"]]) == 25
    assert (predicted[0]["period_start"], predicted[-1]["period_start"]) == ("2025-07-07", "2025-12-22")
    inverted = one(weeks, period_start="2022-06-13")
    assert (inverted["value"], inverted["value_low"], inverted["value_high"]) == ("8", "2", "13")
    assert "wrong way round" in inverted["notes"]
    assert {(w["claimed_by"], w["dataset"], w["publisher"]) for w in weeks} == {
        ("mediazona-meduza", "meduza-mediazona-weekly", "the-economist"),
    }
    # The excess-deaths estimate, or the prediction where there is none; never the count of names (BmzNow).
    assert [int(w["value"]) for w in weeks] == [round(float(row["ED"] or row["EDPrediction"])) for row in rows[1:]]


def test_each_mediazona_total_is_one_claim_on_the_day_it_was_first_seen():
    snapshots = source(NAMES)
    figures = shipped(MEDIAZONA)
    firsts, previous = [], None
    for snapshot in snapshots:
        if snapshot["mediazona_confirmed_total"] != previous:
            firsts.append((snapshot["snapshot_date"], snapshot["mediazona_confirmed_total"]))
            previous = snapshot["mediazona_confirmed_total"]
    assert [(f["period_end"], f["value"]) for f in figures] == firsts
    assert len(figures) == 50
    assert (figures[0]["value"], figures[0]["period_end"]) == ("40599", "2024-01-04")
    assert (figures[-1]["value"], figures[-1]["period_end"]) == ("168142", "2026-01-30")
    corrections = [(f["period_end"], f["value"]) for f in figures if "a correction" in f["notes"]]
    assert corrections == [("2024-06-14", "54181"), ("2025-05-13", "107616")]
    assert one(figures, period_end="2024-01-19")["value"] == "42284"  # seen twice that day: the new total counts
    assert {(f["report_url"], f["publisher"], f["basis"], f["claimed_by"], f["period_start"]) for f in figures} == {
        ("", "mediazona", "confirmed", "mediazona", ""),
    }
    assert figures[0]["report_title"] == "Mediazona, zona.media/casualties, as seen on 4 January 2024"
    assert all("https://zona.media/casualties" in f["notes"] and "the day seen" in f["notes"] for f in figures)


def test_the_shipped_figures_load_with_their_claimants_reports_and_datasets():
    call_command("load_shipped_data")
    related = Figure.objects.select_related("report__publisher", "claimed_by", "dataset")

    uk = related.get(claimed_by__slug="uk-mod", value=1225000)
    assert (uk.period_start, uk.period_end, uk.category.slug, uk.basis, uk.qualifier) == (
        None, datetime.date(2026, 1, 26), "total", "estimated", "approximately",
    )
    assert (uk.report.url, uk.report.published_on, uk.report.publisher.slug, uk.dataset.slug) == (
        "https://x.com/DefenceHQ/status/2015730587479278032/photo/1", datetime.date(2026, 1, 26), "uk-mod",
        "economist-ukraine-estimates",
    )

    model = related.get(claimed_by__slug="the-economist", category__slug="killed", period_end="2024-12-16")
    assert (model.value, model.value_low, model.value_high, model.period_start) == (191971, 183850, 200450, None)
    assert model.report.published_on == datetime.date(2026, 8, 21)

    january = related.get(claimed_by__slug="uk-mod", period_start="2026-01-01")
    assert (january.value, january.period_end, january.cumulative) == (31713, datetime.date(2026, 1, 31), False)

    names = related.get(claimed_by__slug="mediazona", value=168142)
    assert (names.basis, names.period_end, names.report.url, names.report.title, names.dataset.licence) == (
        "confirmed", datetime.date(2026, 1, 30), None, "Mediazona, zona.media/casualties, as seen on 30 January 2026",
        "NOASSERTION",
    )

    week = related.get(claimed_by__slug="mediazona-meduza", period_start="2022-02-28")
    assert (week.value, week.period_end, week.dataset.slug, week.dataset.licence) == (
        651, datetime.date(2022, 3, 6), "meduza-mediazona-weekly", "NOASSERTION",
    )
    assert not Figure.objects.filter(value=1230459).exists()
    assert Figure.objects.filter(dataset__slug="economist-ukraine-estimates").count() == 89 + 47 + 3280
