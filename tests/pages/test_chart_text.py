"""Every text drawn into a chart is plain text: curators' names with `$`, `\\`, `_`, `^`, braces or right-to-left
script are drawn as written, never read as mathematics."""

import datetime
import html
import re

import pytest

from tests.factories import (
    CategoryFactory,
    ConflictFactory,
    DatasetFactory,
    FigureFactory,
    PartyFactory,
    ReportFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date
QUANTITY = "/conflicts/russia-ukraine/russia-armed-forces/killed/"
NAMES = [
    "Kyiv Fund ($^{x}^{y}$ est.)",
    "US$ 5, $ figures",
    r"C:\temp\new_{x} \frac{1}{2}",
    "_leading underscore ^caret^ {braces}",
    "$$ \\$ $",
    "وزارة الصحة",
    "משרד הבריאות",
]


@pytest.fixture
def quantity(db):
    """One claim by each claimant named with mathematics' signs, about a party and a category named alike."""
    quantity = {"conflict": ConflictFactory(), "party": PartyFactory(slug="russia-armed-forces", name="Army $x_1$"),
                "category": CategoryFactory(slug="killed", name="Killed ^{2}")}
    dataset = DatasetFactory(name="Tally $5^{3}$", attribution="Fund_{a} $b$")
    for index, name in enumerate(NAMES):
        claimant = SourceFactory(name=name)
        for day in (10, 11, 12):
            FigureFactory(**quantity, claimed_by=claimant, value=1000 * (index + 1) + day, period_end=D(2024, 12, day),
                          dataset=dataset, report=ReportFactory(published_on=D(2024, 12, 20)))
    return quantity


def texts(svg: str) -> list[str]:
    """Return the text of each <text> element of an SVG, unescaped."""
    return [html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


@pytest.mark.parametrize("as_of", [None, "2024-12-11"])
def test_a_chart_file_draws_names_with_mathematics_signs_as_written(client, quantity, as_of):
    given = {} if as_of is None else {"as_of": as_of}
    png = client.get(f"{QUANTITY}chart.png", given)
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = client.get(f"{QUANTITY}chart.svg", given)
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    drawn = texts(svg.content.decode())
    for name in NAMES:  # each claimant's line, named in the legend
        assert name in drawn, name
    title = "Army $x_1$: killed ^{2}, by claimant" + (", as of 11 December 2024" if as_of else "")
    assert title in drawn
    credits = " ".join(drawn)  # the credits' lines, wrapped at spaces, follow one another
    assert "Tally $5^{3}$: Fund_{a} $b$, CC BY 4.0." in credits
    assert f"Claims by {', '.join(sorted(NAMES))}." in credits


def test_the_page_names_each_line_as_written_and_draws_its_charts(client, quantity):
    response = client.get(QUANTITY)
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    legend = re.findall(r'<li><svg class="swatch".*?</svg> <span>([^<]+)</span>', response.content.decode())
    assert sorted(html.unescape(label) for label in legend) == sorted(NAMES)
    assert body.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert "Army $x_1$: killed ^{2}" in body
