"""The pages in a real browser (Debian's Chromium, driven by Playwright): what a person sees and can do.

These test the pages, not the queries (tests/pages does that on both databases), so CI runs them on SQLite only.
"""

import contextlib
import datetime
import http.server
import os
import re
import shutil
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from stats.models import Figure, Source
from tests.conftest import REQUIRE_SERVICES
from tests.factories import (
    CategoryFactory,
    ConflictFactory,
    DatasetFactory,
    FigureFactory,
    PartyFactory,
    ReportFactory,
    SourceFactory,
)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As a sandboxed, offline machine needs it: no first-run dialogs, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
QUANTITY = "/conflicts/russia-ukraine/russia-armed-forces/killed/"
D = datetime.date

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite" and os.environ.get("CONFLICTDATA_BROWSER_TESTS") != "1",
        reason="the browser tests test the pages, not the database: CI runs them on SQLite",
    ),
]


@pytest.fixture(scope="module")
def chromium():
    if not shutil.which(CHROMIUM):
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message}; CI requires it")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API keeps an event loop in this thread, which Django takes for async code; the tests'
    # own database calls are synchronous all the same.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """A browser tab that remembers every console error and Content-Security-Policy violation it saw."""

    def __init__(self, browser, base: str, width: int):
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path: str):
        response = self.page.goto(self.base + path)
        assert response.status == 200, (path, response.status)
        self.page.wait_for_load_state("load")
        return self.page

    def accessibility_problems(self) -> list[str]:
        from axe_playwright_python.sync_playwright import Axe

        violations = Axe().run(self.page).response["violations"]
        return [
            f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            f"{[node['target'] for node in violation['nodes']][:3]}"
            for violation in violations if violation["impact"] in {"serious", "critical"}
        ]


@pytest.fixture
def visit(chromium, live_server):
    tabs = []

    def open_tab(width: int = 1280) -> Visit:
        tab = Visit(chromium, live_server.url, width)
        tabs.append(tab)
        return tab

    yield open_tab
    for tab in tabs:
        tab.context.close()


@pytest.fixture
def claims(db):
    """Russian soldiers killed according to three claimants: a series, an estimate with its band, one claim."""
    conflict = ConflictFactory()
    party = PartyFactory(slug="russia-armed-forces", name="Russian armed forces")
    killed = CategoryFactory(slug="killed", name="Killed")
    staff = SourceFactory(slug="general-staff", name="General Staff", affiliation=PartyFactory(slug="ukraine"))
    economist = SourceFactory(slug="the-economist", name="The Economist")
    cia = SourceFactory(slug="cia", name="CIA")
    dataset = DatasetFactory(slug="economist", attribution="The Economist")
    quantity = {"conflict": conflict, "party": party, "category": killed}
    for day in range(1, 29):
        FigureFactory(**quantity, claimed_by=staff, value=30000 + 100 * day, period_end=D(2024, 11, day),
                      report=ReportFactory(published_on=D(2024, 11, day + 1)))
        FigureFactory(**quantity, claimed_by=economist, value=20000 + 90 * day, value_low=15000 + 90 * day,
                      value_high=25000 + 90 * day, basis="estimated", period_end=D(2024, 11, day),
                      report=ReportFactory(published_on=D(2024, 11, 30)), dataset=dataset)
    FigureFactory(**quantity, claimed_by=cia, value=15000, value_low=15000, qualifier="at_least", basis="estimated",
                  period_end=D(2024, 11, 20), report=ReportFactory(url=None, published_on=D(2024, 11, 20)))
    return quantity


def legend(page) -> list[str]:
    return page.locator("ul.legend li > span:not(.note)").all_inner_texts()


def claimants_in_table(page) -> list[str]:
    return page.locator("table.claims tbody th[scope=row]").all_inner_texts()


def test_the_chart_draws_a_series_per_claimant_and_its_legend_and_table_name_them(visit, claims):
    tab = visit()
    page = tab.open(QUANTITY)
    assert legend(page) == ["General Staff", "The Economist", "CIA"]
    assert claimants_in_table(page) == ["General Staff", "The Economist", "CIA"]
    chart = page.locator(".chart-wide svg.chart-svg")
    assert chart.is_visible()
    assert chart.get_attribute("aria-labelledby") == "chart-title"
    # A line (a path drawn with a stroke) in each claimant's colour, and the band of the estimate shaded.
    colours = {"#0072b2", "#d55e00", "#009e73"}  # stats.pages.charts.COLOURS, in order
    strokes = set(chart.locator("path[stroke]").evaluate_all("paths => paths.map(p => p.getAttribute('stroke'))"))
    assert colours <= {stroke.lower() for stroke in strokes}
    assert chart.locator("[fill-opacity=\"0.18\"]").count() >= 1  # the band
    assert page.locator(".chart-narrow svg").is_hidden()  # the phone's chart, shown below 600 px
    assert tab.errors == []


def test_the_copy_button_puts_the_citation_on_the_clipboard(visit, claims):
    tab = visit()
    page = tab.open(QUANTITY)
    first = page.locator("table.claims q.citation").first
    page.locator("table.claims button.copy").first.click()
    page.wait_for_function("() => document.querySelector('table.claims button.copy').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == first.inner_text()
    assert first.inner_text().startswith("General Staff claimed about 32,800 killed among Russian armed forces")
    assert tab.errors == []


def test_the_filters_change_the_address_and_the_view(visit, claims):
    tab = visit()
    page = tab.open(QUANTITY)
    page.get_by_label("General Staff").uncheck()
    page.get_by_label("Latest claims as of").fill("2024-11-10")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**as_of=2024-11-10**")
    assert page.url.endswith(f"{QUANTITY}?claimed_by=cia,the-economist&as_of=2024-11-10")
    assert claimants_in_table(page) == ["The Economist"]  # the CIA's claim counts to 20 November
    assert legend(page) == ["The Economist", "CIA"]
    assert page.locator("text=The dashed line marks 10 November 2024.").is_visible()
    page.get_by_label("Independent of the belligerents only").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**independent=true**")
    assert claimants_in_table(page) == ["The Economist"]
    # The address holds the view: opened afresh, it shows the same.
    again = visit().open(page.url.removeprefix(tab.base))
    assert claimants_in_table(again) == ["The Economist"]
    assert tab.errors == []


PAGES = ["/", "/conflicts/russia-ukraine/", QUANTITY, "/about/", "/search/?q=economist",
         "/embed/russia-ukraine/russia-armed-forces/killed/"]


@pytest.mark.parametrize("width", [360, 1280])
def test_every_page_holds_its_layout_without_errors_or_accessibility_problems(visit, claims, width, tmp_path):
    from PIL import Image

    tab = visit(width)
    paths = [*PAGES, f"/figures/{Figure.objects.filter(claimed_by__slug='the-economist').first().pk}/"]
    for path in paths:
        page = tab.open(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow} px wider than the window at {width} px"
        assert tab.accessibility_problems() == [], path
        shot = tmp_path / f"{width}-{len(list(tmp_path.iterdir()))}.png"
        page.screenshot(path=str(shot), full_page=True)
        with Image.open(shot) as image:
            assert image.width == width
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 20, f"{path} looks blank at {width} px"
    assert tab.errors == []


def test_from_the_home_page_the_chart_of_russian_soldiers_killed_is_one_click_away_with_every_claimant(visit):
    call_command("load_shipped_data", verbosity=0)
    tab = visit()
    page = tab.open("/")
    page.get_by_role("link", name="Russian armed forces: killed").first.click()
    page.wait_for_url(f"**{QUANTITY}")
    shipped = Figure.objects.filter(
        conflict__slug="russia-ukraine", party__slug="russia-armed-forces", category__slug="killed", period_start=None,
    ).values("claimed_by").distinct()
    names = set(Source.objects.filter(pk__in=shipped).values_list("name", flat=True))
    assert len(names) >= 15
    labels = {re.sub(r" \((claimed|estimated|confirmed)\)$", "", label) for label in legend(page)}
    assert labels == names
    assert page.locator(".chart-wide svg.chart-svg").is_visible()
    assert tab.errors == []


@contextlib.contextmanager
def another_site(article: str):
    """Serve `article` as another site's page would be, at an origin of its own (a server on 127.0.0.1)."""

    class Article(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = article.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Article)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/article/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_embed_code_pasted_into_another_page_makes_one_iframe_with_no_event_attribute(visit, claims):
    injected = 'Embed test" onload="alert(document.domain)" x="'
    party = claims["party"]
    party.name = injected
    party.save()
    tab = visit()
    page = tab.open(f"{QUANTITY}?as_of=2024-11-20&claimed_by=cia,the-economist")
    page.get_by_role("button", name="Copy embed code").click()
    page.wait_for_function("() => document.querySelector('button[data-copy=embed-code]').textContent === 'Copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    shown = page.locator("#embed-code").evaluate("code => code.textContent")
    assert copied == shown.strip()
    for snippet in (copied, shown):
        with another_site(f"<!doctype html><title>An article</title><p>Our chart:</p>{snippet}") as address:
            article = tab.context.new_page()
            dialogs = []
            article.on("dialog", lambda dialog, seen=dialogs: (seen.append(dialog.message), dialog.dismiss()))
            article.goto(address)
            frames = article.locator("iframe")
            assert frames.count() == 1
            names = frames.evaluate("frame => frame.getAttributeNames()")
            assert names == ["src", "title", "width", "height", "loading"]
            assert frames.get_attribute("title") == f"{injected}: killed (Russian invasion of Ukraine), by claimant"
            assert frames.get_attribute("src") == (
                f"{tab.base}/embed/russia-ukraine/russia-armed-forces/killed/?as_of=2024-11-20&"
                "claimed_by=cia%2Cthe-economist"
            )
            # The chart is framed, and its page names the party as written.
            embedded = article.frame_locator("iframe")
            embedded.locator("svg.chart-svg").first.wait_for(state="attached")
            assert embedded.locator("#chart-title").inner_text() == f"{injected}: killed, by claimant: the claims over time"
            assert dialogs == []
            article.close()
    assert tab.errors == []
