"""The pages for people, read as a server answers them: content, status, headers, queries."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stats.models import Figure
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


@pytest.fixture
def claims(db) -> dict:
    """Russian soldiers killed according to three claimants: a daily series, an estimate with a band, one claim."""
    conflict = ConflictFactory()
    party = PartyFactory(slug="russia-armed-forces", name="Russian armed forces")
    killed = CategoryFactory(slug="killed", name="Killed")
    staff = SourceFactory(slug="general-staff", name="General Staff", affiliation=PartyFactory(slug="ukraine"))
    economist = SourceFactory(slug="the-economist", name="The Economist")
    cia = SourceFactory(slug="cia", name="CIA")
    dataset = DatasetFactory(slug="economist", name="The Economist's estimates", attribution="The Economist")
    quantity = {"conflict": conflict, "party": party, "category": killed}
    made = {"staff": [], "economist": []}
    for day in range(10, 17):
        made["staff"].append(FigureFactory(
            **quantity, claimed_by=staff, value=1000 + day, period_end=D(2024, 12, day),
            report=ReportFactory(published_on=D(2024, 12, day + 1)),
        ))
        made["economist"].append(FigureFactory(
            **quantity, claimed_by=economist, value=800 + day, value_low=700 + day, value_high=900 + day,
            basis="estimated", period_end=D(2024, 12, day), report=ReportFactory(published_on=D(2024, 12, 20)),
            dataset=dataset,
        ))
    made["cia"] = FigureFactory(
        **quantity, claimed_by=cia, value=15000, value_low=15000, qualifier="at_least", basis="estimated",
        period_end=D(2022, 7, 20), report=ReportFactory(url=None, published_on=D(2022, 7, 20), title="Aspen Forum"),
    )
    return made


def words(html: str) -> str:
    """Return the text of some HTML as a reader reads it: tags dropped, spaces collapsed, entities unescaped."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def page(client, path: str, status: int = 200, **params) -> str:
    response = client.get(path, params)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "text/html; charset=utf-8"
    return response.content.decode()


def test_the_home_page_shows_each_conflicts_headline_quantities_and_the_credits(client, claims):
    html = page(client, "/")
    assert '<a href="/conflicts/russia-ukraine/">Russian invasion of Ukraine</a>' in html
    assert '<a href="/conflicts/russia-ukraine/russia-armed-forces/killed/">' in html
    card = words(html.split('<a href="/conflicts/russia-ukraine/russia-armed-forces/killed/">', 1)[1].split("</a>")[0])
    assert card == (
        "Russian armed forces: killed Estimates: about 816 (The Economist, to 16 December 2024). Statements: about "
        "1,016 (General Staff, to 16 December 2024). 1 older claim, counted to 20 July 2022, is left out of these "
        "ranges."
    )
    assert '<span class="range">about 816</span>' in html
    assert 'role="search"' in html and 'action="/search/"' in html
    assert "The Economist&#x27;s estimates</a>: The Economist," in html
    assert 'href="/api/docs/"' in html and 'href="/admin/"' in html


def test_a_conflict_page_lists_each_quantitys_latest_claims_with_hedges_and_bands(client, claims):
    html = page(client, "/conflicts/russia-ukraine/")
    rows = re.findall(r'<th scope="row"><a href="/figures/(\d+)/">([^<]+)</a></th>\s*<td class="number">([^<]+)</td>'
                      r'\s*<td class="number">([^<]*)</td>\s*<td>(.+?)</td>', html)
    assert rows == [
        (str(claims["cia"].pk), "CIA", "at least 15,000", "from 15,000", '20 July 2022 <span class="older">older</span>'),
        (str(claims["staff"][-1].pk), "General Staff", "about 1,016", "", "16 December 2024"),
        (str(claims["economist"][-1].pk), "The Economist", "about 816", "716–916", "16 December 2024"),
    ]
    assert ("Estimates: about 816 (The Economist, to 16 December 2024). Statements: about 1,016 (General Staff, to 16 "
            "December 2024). 1 older claim, counted to 20 July 2022, is listed below, marked older.") in words(html)
    assert page(client, "/conflicts/russia-ukraine/", as_of="2024-12-12").count('<th scope="row">') == 3
    assert page(client, "/conflicts/russia-ukraine/", as_of="2022-02-24").count('<th scope="row">') == 0


def test_a_quantity_page_draws_a_line_per_claimant_and_tables_their_latest_claims(client, claims):
    html = page(client, QUANTITY)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2  # the wide chart and the narrow one
    legend = re.findall(r'<li><svg class="swatch".*?</svg> <span>([^<]+)</span>', html)
    assert legend == ["CIA", "General Staff", "The Economist"]
    [lead] = re.findall(r'<p class="lead headline">(.*?)</p>', html, flags=re.DOTALL)
    assert words(lead) == (
        "Estimates: about 816 (The Economist, to 16 December 2024). Statements: about 1,016 (General Staff, to 16 "
        "December 2024). 1 older claim, counted to 20 July 2022, is listed below, marked older."
    )
    assert "<strong>about 816</strong>" in lead
    assert html.count('<span class="older">older</span>') == 1
    assert html.count('class="citation"') == 3
    assert Figure.objects.with_related().get(pk=claims["cia"].pk).citation in html.replace("&#x27;", "'")
    assert '<dt>Median</dt><dd>1,016</dd>' in html
    assert '<dt>Highest ÷ lowest</dt><dd>18.38</dd>' in html
    assert ('href="/api/v1/compare/?conflict=russia-ukraine&amp;party=russia-armed-forces&amp;category=killed">'
            in html)
    assert ("/api/v1/series/?conflict=russia-ukraine&amp;party=russia-armed-forces&amp;category=killed&amp;"
            "claimed_by=the-economist&amp;basis=estimated") in html
    assert 'src="http://testserver/embed/russia-ukraine/russia-armed-forces/killed/"' in html.replace("&quot;", '"')
    assert '<meta property="og:image" content="http://testserver/conflicts/russia-ukraine/russia-armed-forces/killed/chart.png">' in html


def test_the_addresss_choices_narrow_the_page_as_the_api_narrows_compare(client, claims):
    html = page(client, QUANTITY, claimed_by="cia,the-economist", as_of="2024-12-12")
    assert re.findall(r'<th scope="row"><a href="/figures/\d+/">([^<]+)</a>', html) == ["CIA", "The Economist"]
    assert "The dashed line marks 12 December 2024." in html
    assert '<link rel="canonical" href="http://testserver/conflicts/russia-ukraine/russia-armed-forces/killed/?as_of=2024-12-12&amp;claimed_by=cia%2Cthe-economist">' in html
    # Checkboxes (claimed_by repeated) mean the same as the API's commas.
    assert page(client, QUANTITY, claimed_by=["cia", "the-economist"], as_of="2024-12-12") == html
    independent = page(client, QUANTITY, independent="true")
    assert re.findall(r'<th scope="row"><a href="/figures/\d+/">([^<]+)</a>', independent) == ["CIA", "The Economist"]
    window = page(client, QUANTITY, start="2024-12-12", end="2024-12-13")
    assert "period_end_after=2024-12-12&amp;period_end_before=2024-12-13" in window


def test_a_quantity_page_offers_its_wide_csv_to_paste_into_a_chart_tool(client, claims):
    html = page(client, QUANTITY, claimed_by="cia,the-economist", start="2022-03-01")
    wide = ("http://testserver/api/v1/series/export/?conflict=russia-ukraine&party=russia-armed-forces&"
            "category=killed&claimed_by=cia,the-economist&start=2022-03-01")
    assert f"<code>{wide.replace('&', '&amp;')}</code>" in html
    assert "Paste this address into Datawrapper" in html
    response = client.get(wide)
    assert response.status_code == 200
    assert response.content.decode().splitlines()[0] == "date,CIA,The Economist"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"as_of": "soon"}, "<code>as_of</code>: Date has wrong format."),
        ({"claimed_by": "nobody"}, "<code>claimed_by</code>: No source has the slug &#x27;nobody&#x27;."),
        ({"independent": "maybe"}, "<code>independent</code>: Use true or false."),
        ({"start": "2024-12-13", "end": "2024-12-12"}, "<code>end</code>: The end cannot come before the start."),
    ],
)
def test_a_bad_parameter_is_a_400_page_that_says_what_is_wrong(client, claims, params, message):
    html = page(client, QUANTITY, status=400, **params)
    assert message in html
    assert f'<a href="{QUANTITY}">Show the page without these choices</a>' in html


@pytest.mark.parametrize(
    "path",
    ["/conflicts/nowhere/", "/conflicts/russia-ukraine/nobody/killed/", "/conflicts/russia-ukraine/russia-armed-forces/eaten/",
     "/conflicts/russia-ukraine/ukraine/killed/", "/figures/999999/", "/nothing/", "/conflicts/bad%20slug/"],
)
def test_an_unknown_address_is_an_html_404_page_linking_back(client, claims, path):
    html = page(client, path, status=404)
    assert "<h1>Nothing is here</h1>" in html
    assert '<a href="/">the conflicts</a>' in html


def test_unknown_addresses_under_the_api_stay_json(client):
    response = client.get("/api/v1/nothing/")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")


def test_a_figure_page_gives_the_claim_its_citation_its_provenance_history_and_the_others(client, claims):
    figure = claims["economist"][2]  # 12 December 2024
    html = page(client, f"/figures/{figure.pk}/")
    assert "<h1>The Economist: about 812 killed</h1>" in html
    assert "The Economist estimated about 812 killed among Russian armed forces (range 712–912)," in " ".join(html.split())
    assert "Compiled by The Economist, CC BY 4.0." in html
    assert ": created" in html
    others = re.findall(r'<th scope="row"><a href="/figures/\d+/">([^<]+)</a></th><td class="number">([^<]+)<', html)
    assert others == [("CIA", "at least 15,000"), ("General Staff", "about 1,012")]


def test_the_about_page_renders_the_codebook(client):
    html = page(client, "/about/")
    assert '<h1 id="how-to-read-the-numbers">How to read the numbers</h1>' in html
    assert "765,110" in html and "period_end" in html


def test_search_finds_conflicts_parties_and_sources_and_where_they_appear(client, claims):
    html = page(client, "/search/", q="economist")
    assert '<li>The Economist: <a href="/conflicts/russia-ukraine/russia-armed-forces/killed/">' in html
    assert "Nothing matches" in page(client, "/search/", q="zzzz")
    assert "Too short: &#x27;of&#x27;." in page(client, "/search/", status=400, q="of economist")


def test_the_pages_allow_no_inline_style_or_script(client, claims):
    for path in ["/", "/conflicts/russia-ukraine/", QUANTITY, f"/figures/{claims['cia'].pk}/", "/about/", "/search/",
                 "/embed/russia-ukraine/russia-armed-forces/killed/"]:
        response = client.get(path)
        policy = dict(
            directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";")
        )
        assert policy["style-src"] == "'self'", path
        assert policy["script-src"] == "'self'", path
        html = response.content.decode()
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path


def test_only_the_embed_may_be_framed(client, claims):
    embed = client.get("/embed/russia-ukraine/russia-armed-forces/killed/")
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed
    assert "<header" not in embed.content.decode()
    quantity = client.get(QUANTITY)
    assert quantity["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in quantity["Content-Security-Policy"]


def test_the_chart_downloads_as_png_and_svg_with_their_credits(client, claims):
    png = client.get(f"{QUANTITY}chart.png", {"as_of": "2024-12-16"})
    assert (png.status_code, png["Content-Type"]) == (200, "image/png")
    assert png.content.startswith(b"\x89PNG")
    assert png["Content-Disposition"] == 'attachment; filename="conflictdata-russia-ukraine-russia-armed-forces-killed.png"'
    svg = client.get(f"{QUANTITY}chart.svg").content.decode()
    assert "Russian armed forces: killed, by claimant" in svg
    assert "Source: conflictdata, http://testserver/conflicts/russia-ukraine/russia-armed-forces/killed/." in svg
    words = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    assert "Claims by CIA, General Staff, The Economist. The Economist's estimates: The Economist, CC BY 4.0." in words


def test_the_pages_take_a_fixed_number_of_queries(client, claims, django_assert_max_num_queries):
    for _claimant in range(3):
        source = SourceFactory()
        for day in range(1, 20):
            FigureFactory(conflict=claims["cia"].conflict, party=claims["cia"].party, category=claims["cia"].category,
                          claimed_by=source, period_end=D(2024, 11, day), report=ReportFactory(), value=day)
    with CaptureQueriesContext(connection) as home:
        page(client, "/")
    # 1-2 the latest claim of every quantity (the last day's figures, which of them count), 3 those claims with
    # their relations, 4 the conflicts, 5 the datasets, 6 their feeds' newest checks
    assert len(home) == 6
    with CaptureQueriesContext(connection) as quantity:
        page(client, QUANTITY)
    # 1-3 conflict, party, category; 4 whether the quantity has figures; 5-7 the compared claims (as on the home
    # page); 8 the claimant checkboxes; 9 the newest check of the claims' datasets' feeds; 10 the newest claim; 11 the
    # data version (the chart's cache key); 12 the lines' series; 13 their claimants' names
    assert len(quantity) == 13
    with CaptureQueriesContext(connection) as again:
        page(client, QUANTITY)
    assert len(again) == 11  # the chart and its legend remembered: no series read
    FigureFactory(conflict=claims["cia"].conflict, party=claims["cia"].party, category=claims["cia"].category,
                  claimed_by=claims["cia"].claimed_by, period_end=D(2024, 12, 1), value=16000)
    assert "16,000" in page(client, QUANTITY)  # a write is a new data version: the chart is drawn anew


def test_public_url_is_the_base_of_the_addresses_a_page_gives_to_paste(client, claims, settings):
    settings.PUBLIC_URL = "https://data.example.org"
    html = page(client, QUANTITY)
    assert '<link rel="canonical" href="https://data.example.org/conflicts/russia-ukraine/' in html
    assert 'src="https://data.example.org/embed/russia-ukraine/russia-armed-forces/killed/"' in html.replace(
        "&quot;", '"'
    )
