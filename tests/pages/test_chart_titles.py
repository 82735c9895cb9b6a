"""A chart a reader can point at: each claimant's line, and each claim drawn as a lone point, carries a <title> in the
inline SVG and in the SVG file (its claimant, basis, value with its hedge and day), escaped; the PNG is not worded."""

import datetime
import html
import re
from xml.etree import ElementTree

import pytest

from stats.models import Figure
from stats.pages import charts
from tests.factories import CategoryFactory, ConflictFactory, FigureFactory, PartyFactory, SourceFactory

pytestmark = pytest.mark.django_db
D = datetime.date
QUANTITY = "/conflicts/russia-ukraine/russia-armed-forces/killed/"
SVG = "{http://www.w3.org/2000/svg}"
# Highest latest value first, as the lines are drawn: one line, two claims too far apart to join, one lone claim.
TITLES = [
    ("claims-0-0", "Apart, confirmed: 2,000 (1,500–2,500), counted to 1 September 2024"),
    ("claims-0-1", "Apart, confirmed: 2,100, counted to 10 December 2024"),
    ("claims-1-0", "A & B <script>, estimated: latest about 1,012, counted to 12 December 2024"),
    ("claims-2-0", "Lone \"quoted\" O'Neil, claimed: at least 500, counted to November 2024"),
]


@pytest.fixture
def quantity(db):
    quantity = {"conflict": ConflictFactory(), "party": PartyFactory(slug="russia-armed-forces"),
                "category": CategoryFactory(slug="killed")}
    line = SourceFactory(name="A & B <script>")
    for day in (10, 11, 12):
        FigureFactory(**quantity, claimed_by=line, basis=Figure.Basis.ESTIMATED, value=1000 + day,
                      period_end=D(2024, 12, day))
    apart = SourceFactory(name="Apart")
    FigureFactory(**quantity, claimed_by=apart, basis=Figure.Basis.CONFIRMED, qualifier=Figure.Qualifier.EXACT,
                  value=2000, value_low=1500, value_high=2500, period_end=D(2024, 9, 1))
    FigureFactory(**quantity, claimed_by=apart, basis=Figure.Basis.CONFIRMED, qualifier=Figure.Qualifier.EXACT,
                  value=2100, period_end=D(2024, 12, 10))
    FigureFactory(**quantity, claimed_by=SourceFactory(name="Lone \"quoted\" O'Neil"), value=500,
                  qualifier=Figure.Qualifier.AT_LEAST, period_end=D(2024, 11, 30), date_precision="month")
    return quantity


def test_the_svg_file_titles_each_line_once_and_each_lone_claim(client, quantity):
    response = client.get(f"{QUANTITY}chart.svg")
    assert (response.status_code, response["Content-Type"]) == (200, "image/svg+xml")
    document = ElementTree.fromstring(response.content)  # still well-formed XML
    groups = [group for group in document.iter(f"{SVG}g") if group.get("id", "").startswith("claims-")]
    assert [(group.get("id"), group[0].tag, group[0].text) for group in groups] == [
        (gid, f"{SVG}title", words) for gid, words in TITLES
    ]
    assert all(group.get("role") == "img" for group in groups)


def test_titles_escape_the_names_they_quote(client, quantity):
    drawn = client.get(f"{QUANTITY}chart.svg").content.decode()
    assert "<title>A &amp; B &lt;script&gt;, estimated:" in drawn
    assert "<title>Lone &quot;quoted&quot; O&#x27;Neil, claimed:" in drawn
    assert "<script" not in drawn


def test_the_pages_inline_charts_carry_the_same_titles(client, quantity):
    response = client.get(QUANTITY)
    assert response.status_code == 200
    body = response.content.decode()
    charts_drawn = re.findall(r'<svg xmlns="http://www.w3.org/2000/svg"[^>]*class="chart-svg".*?</svg>', body,
                              flags=re.DOTALL)
    assert len(charts_drawn) == 2  # wide and narrow
    for drawn in charts_drawn:
        titled = re.findall(r'<g id="(claims-\d+-\d+)" role="img"><title>([^<]*)</title>', drawn)
        assert [(gid, html.unescape(words)) for gid, words in titled] == TITLES
        assert " style=" not in drawn and "<style" not in drawn  # the pages' policy forbids inline styles
    assert "<script>" not in body


def test_a_long_line_has_one_title_not_one_per_point(client, quantity):
    claimant = SourceFactory(name="Daily")
    for day in range(40):
        FigureFactory(**quantity, claimed_by=claimant, value=10_001 + day,
                      period_end=D(2024, 10, 1) + datetime.timedelta(days=day))
    drawn = client.get(f"{QUANTITY}chart.svg").content.decode()
    daily = re.findall(r"<title>Daily, ([^<]*)</title>", drawn)
    assert daily == ["claimed: latest about 10,040, counted to 9 November 2024"]


def test_the_png_is_drawn_without_the_titles(client, quantity, monkeypatch):
    def refuse(*_args):
        raise AssertionError("a PNG is worded")

    monkeypatch.setattr(charts, "pointed_at", refuse)
    response = client.get(f"{QUANTITY}chart.png")
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")


def test_the_runs_names_leave_the_png_as_it_was():
    points = [{"date": D(2024, 12, day), "value": day, "value_low": None, "value_high": None} for day in (1, 2, 3)]
    figure = charts.draw(charts.styled([charts.Line(label="One", points=points)]), size="wide", marked=None)
    named = charts.png(figure)
    for artist in figure.findobj():
        artist.set_gid(None)
    assert charts.png(figure) == named


def test_the_pages_inline_charts_hide_the_axes_bare_numbers_from_screen_readers(client, quantity):
    body = client.get(QUANTITY).content.decode()
    assert body.count('<g id="matplotlib.axis_1" aria-hidden="true">') == 2
    assert body.count('<g id="matplotlib.axis_2" aria-hidden="true">') == 2
