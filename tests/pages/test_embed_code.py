"""The embed code a quantity's page gives to paste: HTML whose attribute values are escaped as attribute values, shown
on the page escaped once more (the copy button copies the text shown)."""

import datetime
import html
import re
from html.parser import HTMLParser

import pytest

from tests.factories import CategoryFactory, ConflictFactory, FigureFactory, PartyFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db
D = datetime.date
QUANTITY = "/conflicts/russia-ukraine/russia-armed-forces/killed/"
INJECTED = 'Embed test" onload="alert(document.domain)" x="'


class Tags(HTMLParser):
    """Every start tag of a document, with its attributes, as a browser's parser reads them."""

    def __init__(self, document: str):
        super().__init__()
        self.tags = []
        self.feed(document)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


@pytest.fixture
def quantity(db):
    quantity = {"conflict": ConflictFactory(name="War <b>&amp;</b> 'peace'"),
                "party": PartyFactory(slug="russia-armed-forces", name=INJECTED),
                "category": CategoryFactory(slug="killed", name="Killed")}
    for slug in ("general-staff", "the-economist"):
        FigureFactory(**quantity, claimed_by=SourceFactory(slug=slug), value=1000, period_end=D(2024, 12, 10),
                      report=ReportFactory(published_on=D(2024, 12, 20)))
    return quantity


def test_the_embed_code_pasted_elsewhere_is_one_iframe_with_no_event_attribute(client, quantity):
    response = client.get(QUANTITY, {"as_of": "2024-12-12", "claimed_by": "general-staff,the-economist"})
    assert response.status_code == 200
    [shown] = re.findall(r'<code id="embed-code">(.*?)</code>', response.content.decode(), flags=re.DOTALL)
    assert "<" not in shown and '"' not in shown  # escaped for display: the page shows the snippet as text
    snippet = html.unescape(shown)  # the text a reader sees and the copy button copies
    assert snippet == (
        '<iframe src="http://testserver/embed/russia-ukraine/russia-armed-forces/killed/?as_of=2024-12-12&amp;'
        'claimed_by=general-staff%2Cthe-economist" title="Embed test&quot; onload=&quot;alert(document.domain)&quot; '
        'x=&quot;: killed (War &lt;b&gt;&amp;amp;&lt;/b&gt; &#x27;peace&#x27;), by claimant" width="100%" height="520" '
        'loading="lazy"></iframe>'
    )
    assert Tags(snippet).tags == [("iframe", [
        ("src", "http://testserver/embed/russia-ukraine/russia-armed-forces/killed/?as_of=2024-12-12&"
                "claimed_by=general-staff%2Cthe-economist"),
        ("title", f"{INJECTED}: killed (War <b>&amp;</b> 'peace'), by claimant"),
        ("width", "100%"), ("height", "520"), ("loading", "lazy"),
    ])]


def test_a_304_keeps_the_policy_its_page_was_given(client, quantity):
    """A browser takes a 304's headers for its copy's: the embed's must still let other sites frame it."""
    for path, framed in (("/embed/russia-ukraine/russia-armed-forces/killed/", "frame-ancestors *"),
                         (QUANTITY, "frame-ancestors 'none'")):
        first = client.get(path)
        assert first.status_code == 200
        again = client.get(path, headers={"If-None-Match": first["ETag"]})
        assert again.status_code == 304
        assert again["Content-Security-Policy"] == first["Content-Security-Policy"]
        assert framed in again["Content-Security-Policy"]
        assert "style-src 'self';" in again["Content-Security-Policy"] + ";"
