import csv
import datetime
import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count

from stats.models import Category, Conflict, Figure, Party, Report, Source

pytestmark = pytest.mark.django_db

ARTICLE_TITLE = "Russia claims to have trained 300,000 reserve soldiers for Ukraine war"


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Category, Conflict, Party, Source, Report, Figure)}


def load(capsys) -> str:
    """Load the shipped data; return the command's last line (the lines before it name each feed's first sync)."""
    call_command("load_shipped_data")
    return capsys.readouterr().out.splitlines(keepends=True)[-1]


def reference() -> list[dict]:
    """The figures the release before the sync shipped, as its CSVs held them (tests/data/shipped-figures.csv)."""
    with (settings.BASE_DIR / "tests" / "data" / "shipped-figures.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def as_reference_row(figure: Figure) -> dict:
    report = figure.report
    cells = {
        "dataset": figure.dataset.slug, "conflict": figure.conflict.slug, "party": figure.party.slug,
        "category": figure.category.slug, "claimed_by": figure.claimed_by.slug, "value": figure.value,
        "value_low": figure.value_low, "value_high": figure.value_high, "qualifier": figure.qualifier,
        "basis": figure.basis, "period_start": figure.period_start, "period_end": figure.period_end,
        "date_precision": figure.date_precision, "report_title": report.title, "report_url": report.url,
        "report_published_on": report.published_on,
        "publisher": report.publisher.slug if report.publisher else None, "quote": figure.quote, "notes": figure.notes,
    }
    return {name: "" if value is None else str(value) for name, value in cells.items()}


def test_it_loads_the_vocabularies_and_the_founding_articles_claims(capsys):
    assert load(capsys) == (
        "Shipped data: added 6 categories, 5 conflicts, 6 datasets, 9001 figures, 8 parties, 3685 reports, "
        "47 sources.\n"
    )
    slugs = set(Category.objects.values_list("slug", flat=True))
    assert slugs == {"killed", "injured", "total", "missing", "captured", "reservists-trained"}
    report = Report.objects.get(title=ARTICLE_TITLE)
    assert (report.title, report.published_on, report.url, report.publisher) == (
        ARTICLE_TITLE, datetime.date(2024, 12, 16), None, None,
    )
    claims = {
        (f.claimed_by.slug, f.category.slug, f.value, f.qualifier, f.period_start, f.period_end, f.date_precision)
        for f in Figure.objects.with_related().filter(report=report)
    }
    december_16 = datetime.date(2024, 12, 16)
    assert claims == {
        ("ukraine-general-staff", "total", 765110, "exact", None, december_16, "day"),
        ("ukraine-general-staff", "total", 1600, "approximately", december_16, december_16, "day"),
        ("volodymyr-zelenskyy", "killed", 198000, "approximately", None, december_16, "year"),
        ("volodymyr-zelenskyy", "injured", 550000, "approximately", None, december_16, "year"),
        ("russia-government", "reservists-trained", 300000, "exact", None, december_16, "year"),
    }
    total = Figure.objects.get(value=765110, report=report)
    assert "765,110 since February 24, 2022" in total.quote
    assert "gives no date" in Figure.objects.get(value=198000).notes


def test_a_second_load_adds_nothing(capsys):
    load(capsys)
    before = counts()
    assert load(capsys) == "Shipped data: already loaded, nothing to add.\n"
    assert counts() == before


def test_a_second_load_keeps_what_curators_changed(capsys):
    load(capsys)
    Figure.objects.filter(value=198000).update(value=199000, notes="Corrected by a curator.")
    Category.objects.filter(slug="killed").update(name="Dead", description="A curator's wording.")
    Source.objects.filter(slug="ukraine-general-staff").update(url="")
    load(capsys)
    corrected = Figure.objects.get(claimed_by__slug="volodymyr-zelenskyy", category__slug="killed")
    assert (corrected.value, corrected.notes) == (199000, "Corrected by a curator.")
    assert Category.objects.get(slug="killed").name == "Dead"
    assert Source.objects.get(slug="ukraine-general-staff").url == ""
    assert Figure.objects.count() == 9001


def test_a_second_load_adds_only_what_is_missing(capsys):
    load(capsys)
    Figure.objects.filter(value=1600).delete()
    assert load(capsys) == "Shipped data: added 1 figures.\n"
    assert Figure.objects.filter(value=1600).count() == 1


def test_a_broken_fixture_loads_nothing_and_says_why(tmp_path, settings):
    good = json.loads((settings.FIXTURES_DIR / "01-vocabularies.json").read_text())
    bad = [*good, {"model": "stats.party", "fields": {"slug": "x", "name": "X", "kind": "army", "country": ""}}]
    (tmp_path / "01.json").write_text(json.dumps(bad))
    settings.FIXTURES_DIR = tmp_path
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("load_shipped_data")
    assert counts() == dict.fromkeys(counts(), 0)


def test_the_general_staff_series_is_shipped_whole_and_equal_to_its_source(capsys, client):
    load(capsys)
    source = [row for row in reference() if row["feed"] == "personnel"]
    assert len(source) == 1626
    response = client.get(
        "/api/v1/series/", {"party": "russia-armed-forces", "category": "total", "claimed_by": "ukraine-general-staff"}
    )
    points = response.json()["points"]
    assert len(points) == 1626
    assert [(p["date"], p["value"]) for p in points] == [(row["period_end"], int(row["value"])) for row in source]
    december_16 = next(point for point in points if point["date"] == "2024-12-16")
    assert (december_16["value"], december_16["change"]) == (765110, 1600)
    assert (points[0]["date"], points[0]["value"]) == ("2022-02-24", 2800)
    figure = Figure.objects.select_related("report__publisher").get(pk=december_16["figure"])
    assert (figure.report.published_on, figure.report.publisher.slug, figure.qualifier) == (
        datetime.date(2024, 12, 17), "ukraine-mod", "approximately",
    )
    assert figure.report.url.startswith("https://mod.gov.ua/news/")


def test_the_figures_after_loading_equal_the_reference_value_for_value(capsys):
    """Nothing shipped changes by accident: the sync of the origins' shipped files gives the release's figures."""
    load(capsys)
    loaded = sorted(
        tuple(sorted(as_reference_row(figure).items()))
        for figure in Figure.objects.filter(dataset__isnull=False).select_related(
            "dataset", "conflict", "party", "category", "claimed_by", "report__publisher")
    )
    expected = sorted(tuple(sorted((name, cell) for name, cell in row.items() if name != "feed")) for row in reference())
    assert len(loaded) == len(expected) == 8996
    assert loaded == expected


def test_the_shipped_series_keeps_the_hedges_and_the_ministrys_pages():
    built = {row["report_published_on"]: row for row in reference() if row["feed"] == "personnel"}
    assert built["2022-03-07"]["qualifier"] == "at_least"  # "more" in the source
    assert built["2024-12-17"]["value"] == "765110"
    assert built["2024-10-07"]["notes"].startswith("The Ministry of Defence's page for this day")


def test_the_shipped_claims_disagree_as_the_sources_do(capsys, client):
    """What a journalist asks of the shipped data, through the API: several claimants, their bands and
    independence, side by side, and never a compiler's arithmetic."""
    load(capsys)

    def compare(**params) -> dict:
        response = client.get("/api/v1/compare/", params)
        assert response.status_code == 200, response.json()
        return {(claim["claimed_by"], claim["basis"]): claim for claim in response.json()["claims"]}

    killed = compare(party="russia-armed-forces", category="killed", as_of="2024-12-16")
    assert len(killed) >= 10
    assert (killed[("the-economist", "estimated")]["value_low"], killed[("the-economist", "estimated")]["value_high"]
            ) == (183850, 200450)
    assert killed[("mediazona-meduza", "estimated")]["value_low"] == 106000
    assert killed[("volodymyr-zelenskyy", "claimed")]["independent"] is False
    assert killed[("mediazona", "confirmed")]["independent"] is True

    total = compare(party="russia-armed-forces", category="total", as_of="2026-01-31")
    assert total[("uk-mod", "estimated")]["value"] == 1225000
    assert total[("uk-mod", "estimated")]["period_end"] == "2026-01-26"
    assert total[("ukraine-general-staff", "claimed")]["independent"] is False
    assert total[("the-economist", "estimated")]["value_low"] is not None
    assert not Figure.objects.filter(value=1230459).exists()  # The Economist's running sum of the UK's months

    series = client.get("/api/v1/series/", {"party": "russia-armed-forces", "category": "killed",
                                            "claimed_by": "the-economist", "interval": "month"}).json()
    assert series["basis"] == "estimated"
    assert all(point["value_low"] <= point["value"] <= point["value_high"] for point in series["points"])

    west_bank = compare(party="west-bank-palestinians", category="killed", as_of="2024-08-02")
    assert {key: (claim["value"], claim["period_end"]) for key, claim in west_bank.items()} == {
        ("ocha", "confirmed"): (582, "2024-08-02"), ("ocha", "claimed"): (569, "2024-07-29"),
    }
    assert not Figure.objects.filter(party__slug="west-bank-palestinians", value=570).exists()  # the compiler's fill

    lebanon = Figure.objects.get(conflict__slug="lebanon-2026", category__slug="killed", period_end="2026-08-16")
    assert (lebanon.value, lebanon.claimed_by.slug) == (4346, "lebanon-moph")
    assert not Figure.objects.filter(value=8393).exists()  # the compiler's sum of two counts

    assert dict(Figure.objects.values_list("dataset__slug").annotate(Count("pk")).order_by()) == {
        None: 5, "petroivaniuk-war-dataset": 1626, "economist-ukraine-estimates": 3416, "meduza-mediazona-weekly": 200,
        "mediazona-names-snapshots": 50, "techforpalestine-datasets": 3535, "360info-gaza-one-year": 169,
    }
