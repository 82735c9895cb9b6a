"""The pages' headlines in words, from compare's groups: each basis's recent claims as one range, older claims only
counted; for the shipped Russian killed, the sentence is built here from the API's own groups."""

import datetime
import html
import re

import pytest
from django.core.management import call_command

from stats.citations import QUALIFIER_WORDS, format_day
from stats.models import Figure
from stats.pages.headlines import headline
from tests.factories import FigureFactory, SourceFactory

pytestmark = pytest.mark.django_db
D = datetime.date
QUANTITY = "/conflicts/russia-ukraine/russia-armed-forces/killed/"
QUESTION = {"conflict": "russia-ukraine", "party": "russia-armed-forces", "category": "killed"}
BASIS_WORDS = {"estimated": "Estimates", "confirmed": "Confirmed counts (verified or named)", "claimed": "Statements"}


def words(markup: str) -> str:
    """Return the text of some HTML as a reader reads it: tags dropped, spaces collapsed, entities unescaped."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def month(day: str) -> str:
    return f"{datetime.date.fromisoformat(day):%B %Y}"


def claim_of(slug: str, basis: str, day: str) -> Figure:
    return Figure.objects.select_related("claimed_by").get(
        conflict__slug="russia-ukraine", party__slug="russia-armed-forces", category__slug="killed",
        claimed_by__slug=slug, basis=basis, period_end=day, period_start=None,
    )


def expected_headline(body: dict, where: str) -> str:
    """Return the headline the pages should give for compare's answer `body`, written out from its groups."""
    sentences = []
    for group in body["groups"]:
        basis = BASIS_WORDS[group["basis"]]
        if group["claims"] == 1:
            figure = claim_of(group["claimed_by"][0], group["basis"], group["to"])
            sentences.append(f"{basis}: {QUALIFIER_WORDS[figure.qualifier]}{figure.value:,} ({figure.claimed_by.name}, "
                             f"to {format_day(figure.period_end, figure.date_precision)}).")
            continue
        months = month(group["from"]) if month(group["from"]) == month(group["to"]) else (
            f"{month(group['from'])} – {month(group['to'])}"
        )
        numbers = f"{group['min']:,}" if group["min"] == group["max"] else f"{group['min']:,} to {group['max']:,}"
        sentences.append(f"{basis} counted to {months}: {numbers} ({group['claims']} claimants).")
    older = sum(entry["claims"] for entry in body["older"])
    if older:
        newest = max(body["older"], key=lambda entry: entry["newest"])
        [shown] = [claim for claim in body["claims"]
                   if claim["basis"] == newest["basis"] and claim["period_end"] == newest["newest"]][:1]
        figure = claim_of(shown["claimed_by"], shown["basis"], shown["period_end"])
        day = format_day(figure.period_end, figure.date_precision)
        sentences.append(f"1 older claim, counted to {day}, is {where}." if older == 1
                         else f"{older} older claims, the newest counted to {day}, are {where}.")
    return " ".join(sentences)


def test_every_page_heads_the_shipped_russian_killed_with_the_apis_groups_in_words(client):
    call_command("load_shipped_data")
    body = client.get("/api/v1/compare/", QUESTION).json()
    below = expected_headline(body, "listed below, marked older")
    elsewhere = expected_headline(body, "left out of these ranges")
    # The form, whatever the counts: estimates ranged, Mediazona's names alone, the older claims counted.
    assert re.fullmatch(
        r"Estimates counted to \w+ \d{4} – \w+ \d{4}: [\d,]+ to [\d,]+ \(\d+ claimants\)\. Confirmed counts \(verified "
        r"or named\): 168,142 \(Mediazona, to 30 January 2026\)\. \d+ older claims, the newest counted to \d{1,2} \w+ "
        r"\d{4}, are listed below, marked older\.", below,
    ), below
    assert all(15000 not in (group["min"], group["max"]) for group in body["groups"])  # the CIA's 2022 claim

    page = client.get(QUANTITY).content.decode()
    [lead] = re.findall(r'<p class="lead headline">(.*?)</p>', page, flags=re.DOTALL)
    assert words(lead) == below
    older = sum(entry["claims"] for entry in body["older"])
    assert page.count('<span class="older">older</span>') == older
    assert words(page).count("Cite:") == len(body["claims"])  # the table still lists every latest claim
    [description] = re.findall(r'<meta name="description" content="([^"]*)"', page)
    assert html.unescape(description).endswith(expected_headline(body, "listed on the page"))

    conflict = client.get("/conflicts/russia-ukraine/").content.decode()
    assert below in words(conflict)

    home = client.get("/").content.decode()
    card = home.split(f'<a href="{QUANTITY}">', 1)[1].split("</a>", 1)[0]
    assert words(card) == f"Russian armed forces: killed {elsewhere}"

    embed = client.get(f"/embed/{QUESTION['conflict']}/{QUESTION['party']}/{QUESTION['category']}/").content.decode()
    [line] = re.findall(r'<p class="headline">(.*?)</p>', embed, flags=re.DOTALL)
    assert words(line) == elsewhere

    svg = client.get(f"{QUANTITY}chart.svg").content.decode()
    drawn = [html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    title = drawn.index("Russian armed forces: killed, by claimant")
    assert " ".join(drawn[title + 1:]).startswith(elsewhere)  # wrapped over a few lines
    assert client.get(f"{QUANTITY}chart.png").status_code == 200


def group(basis: str, *claims: Figure) -> dict:
    days = [claim.period_end for claim in claims]
    values = [claim.value for claim in claims]
    return {"basis": basis, "claims": len(claims), "min": min(values), "max": max(values), "from": min(days),
            "to": max(days), "figures": list(claims)}


def figure(name: str, day: datetime.date, value: int, **fields) -> Figure:
    return FigureFactory.build(claimed_by=SourceFactory.build(name=name), period_end=day, value=value, **fields)


def test_one_claim_keeps_its_hedge_and_the_precision_of_its_day():
    cia = figure("CIA", D(2022, 7, 20), 15000, qualifier="at_least")
    president = figure("President", D(2024, 12, 31), 198000, date_precision="year")
    compared = {"groups": [group("estimated", cia), group("claimed", president)], "older": []}
    assert headline(compared, "listed below") == (
        "Estimates: at least 15,000 (CIA, to 20 July 2022). Statements: about 198,000 (President, to 2024)."
    )


def test_claims_of_one_month_and_one_value_read_as_such():
    same = [figure(name, D(2026, 6, day), 500000) for name, day in (("NATO", 17), ("UK", 27))]
    older = figure("Staff", D(2024, 1, 1), 38500)
    compared = {"groups": [group("estimated", *same)], "older": [{"basis": "claimed", "figures": [older]}]}
    assert headline(compared, "listed below") == (
        "Estimates counted to June 2026: 500,000 (2 claimants). 1 older claim, counted to 1 January 2024, is listed "
        "below."
    )


def test_the_codebook_explains_the_rule_where_the_quantity_page_links(client):
    about = client.get("/about/").content.decode()
    [section] = re.findall(r'<h2 id="comparing-like-with-like">.*?(?=<h2)', about, flags=re.DOTALL)
    assert "within a year" in section and "<code>recent_days</code>" in section and "older" in section
