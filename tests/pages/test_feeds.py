"""The Atom feeds of claims recorded: valid Atom, an entry per figure added or corrected, conditional requests."""

import datetime

import feedparser
import pytest
from django.contrib.auth.models import Permission

from stats import versions
from stats.models import Figure
from stats.pages import feeds
from stats.redactions import revision_redact
from stats.services import figures_touch
from tests.factories import CategoryFactory, ConflictFactory, FigureFactory, PartyFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db
QUANTITY = "/conflicts/russia-ukraine/russia-armed-forces/killed/"
PRIVATE = "Told by the soldier's mother, Olena Kovalenko"


@pytest.fixture
def quantity(db) -> dict:
    """Russian soldiers killed, in the Russian invasion of Ukraine, and a claimant who counts them."""
    return {
        "conflict": ConflictFactory(),
        "party": PartyFactory(slug="russia-armed-forces", name="Russian armed forces"),
        "category": CategoryFactory(slug="killed", name="Killed"),
        "claimed_by": SourceFactory(slug="nato", name="NATO officials"),
    }


def read(client, address: str, **headers) -> feedparser.FeedParserDict:
    """Return a feed as feedparser reads it, having checked it is valid Atom."""
    response = client.get(address, **headers)
    assert response.status_code == 200, address
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def day(n: int) -> datetime.date:
    return datetime.date(2024, 1, 1) + datetime.timedelta(days=n)


def corrected(figure: Figure, **fields) -> Figure:
    """Change `fields` of `figure` as one recorded write (a curator's edit)."""
    with versions.recorded_write():
        for name, value in fields.items():
            setattr(figure, name, value)
        figure.save()
    return figure


def test_an_added_figure_is_an_entry_in_words_linking_its_page_with_its_citation(client, quantity):
    figure = FigureFactory(**quantity, value=500000, period_end=datetime.date(2026, 6, 17), quote="Half a million")
    revision = Figure.history.get(id=figure.pk)
    parsed = read(client, "/feeds/claims.atom")
    [entry] = parsed.entries
    assert entry.title == "NATO officials: about 500,000 killed among Russian armed forces, counted to 17 June 2026"
    assert entry.link == f"http://testserver/figures/{figure.pk}/"
    assert entry.id == f"http://testserver/figures/{figure.pk}/#revision-{revision.history_id}"
    assert entry.updated_parsed[:6] == revision.history_date.utctimetuple()[:6]
    assert entry.content[0].value == (
        f"<p>{figure.citation}</p><p>In the report&#x27;s words: “Half a million”</p>"
    )
    assert parsed.feed.links[0].href == "http://testserver/"


def test_a_correction_is_an_entry_of_its_own_saying_what_it_corrected(client, quantity):
    figure = FigureFactory(**quantity, value=38000)
    corrected(figure, value=38005, period_end=datetime.date(2024, 12, 17))
    newest, first = read(client, "/feeds/claims.atom").entries
    assert newest.title == "Corrected: NATO officials: about 38,005 killed among Russian armed forces, counted to " \
        "17 December 2024"
    assert newest.content[0].value.startswith(
        "<p>Corrected: value 38,000 → 38,005; counted to 16 December 2024 → 17 December 2024.</p>"
    )
    assert first.title == "NATO officials: about 38,000 killed among Russian armed forces, counted to 16 December 2024"
    assert newest.id != first.id and newest.link == first.link
    assert newest.updated_parsed >= first.updated_parsed


def test_a_touch_is_no_entry(client, quantity):
    # A report renamed marks its figures as updated (services.figures_touch): the figure itself did not change.
    report = ReportFactory()
    FigureFactory(**quantity, report=report)
    report.title = "Renamed"
    report.save()
    figures_touch(changed=report)
    assert Figure.history.filter(history_type="~").count() == 1
    assert len(read(client, "/feeds/claims.atom").entries) == 1


def test_entries_come_newest_first_and_stop_at_a_hundred(client, quantity):
    report = ReportFactory()
    made = [FigureFactory(**quantity, report=report, value=1000 + n, period_end=day(n)) for n in range(feeds.ENTRIES + 5)]
    entries = read(client, "/feeds/claims.atom").entries
    assert len(entries) == feeds.ENTRIES
    assert [entry.link for entry in entries] == [
        f"http://testserver/figures/{figure.pk}/" for figure in reversed(made[-feeds.ENTRIES:])
    ]


def test_a_deleted_figures_entries_are_dropped(client, quantity):
    kept = FigureFactory(**quantity, value=1)
    deleted = corrected(FigureFactory(**quantity, value=2), value=3)
    deleted.delete()
    assert [entry.link for entry in read(client, "/feeds/claims.atom").entries] == [
        f"http://testserver/figures/{kept.pk}/"
    ]


def test_a_redacted_revisions_text_is_not_in_the_feed(client, quantity, curator):
    figure = FigureFactory(**quantity, quote=PRIVATE)
    corrected(figure, value=770000)  # the quote carried over into the correction's revision
    curator.user_permissions.add(Permission.objects.get(codename="redact_revision"))
    first = Figure.history.filter(id=figure.pk).order_by("history_date", "history_id").first()
    revision_redact(model=Figure, revision=first.history_id, fields=["quote"], reason="Personal data",
                    user=curator)
    response = client.get("/feeds/claims.atom")
    assert "Olena" not in response.content.decode()
    entries = feedparser.parse(response.content).entries
    assert [entry.title.startswith("Corrected:") for entry in entries] == [True, False]
    assert all("Redacted on" in entry.content[0].value for entry in entries)


def test_a_revision_naming_a_report_deleted_since_is_no_entry(client, quantity):
    figure = FigureFactory(**quantity)
    old = figure.report
    corrected(figure, report=ReportFactory())
    old.delete()
    [entry] = read(client, "/feeds/claims.atom").entries
    assert entry.content[0].value.startswith(f"<p>Corrected: report (deleted since) → {figure.report.title}.</p>")


def test_a_conflicts_and_a_quantitys_feed_hold_only_their_claims(client, quantity):
    killed = FigureFactory(**quantity)
    FigureFactory(**{**quantity, "category": CategoryFactory(slug="injured", name="Injured")})
    FigureFactory(**{**quantity, "conflict": ConflictFactory(slug="gaza", name="War in Gaza")})
    assert len(read(client, "/feeds/claims.atom").entries) == 3
    assert len(read(client, "/conflicts/russia-ukraine/feed.atom").entries) == 2
    parsed = read(client, f"{QUANTITY}feed.atom")
    assert [entry.link for entry in parsed.entries] == [f"http://testserver/figures/{killed.pk}/"]
    assert parsed.feed.title == "conflictdata: Russian armed forces: killed (Russian invasion of Ukraine), claims " \
        "added and corrected"
    assert parsed.feed.links[0].href == f"http://testserver{QUANTITY}"


@pytest.mark.parametrize("address", [
    "/conflicts/nowhere/feed.atom",
    "/conflicts/russia-ukraine/nobody/killed/feed.atom",
    "/conflicts/russia-ukraine/russia-armed-forces/nothing/feed.atom",
    "/conflicts/russia-ukraine/russia-armed-forces/injured/feed.atom",  # no figure counts it
])
def test_an_unknown_conflict_party_or_category_is_404(client, quantity, address):
    FigureFactory(**quantity)
    CategoryFactory(slug="injured", name="Injured")
    assert client.get(address).status_code == 404


def test_a_reader_polling_an_unchanged_feed_gets_a_304_until_a_claim_is_recorded(client, quantity):
    FigureFactory(**quantity)
    first = client.get("/feeds/claims.atom")
    committed = versions.latest()[1]
    assert first["Last-Modified"] == committed.strftime("%a, %d %b %Y %H:%M:%S GMT")
    unchanged = client.get("/feeds/claims.atom", HTTP_IF_NONE_MATCH=first["ETag"])
    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (304, b"", first["ETag"])
    since = client.get("/feeds/claims.atom", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    FigureFactory(**quantity, value=1)
    changed = client.get("/feeds/claims.atom", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert client.get("/conflicts/russia-ukraine/feed.atom")["ETag"] != changed["ETag"]


def test_feeds_count_against_the_pages_rate_and_their_304s_do_not(client, quantity, settings):
    FigureFactory(**quantity)
    settings.PAGES_THROTTLE_ANON = "3/minute"
    etag = client.get("/feeds/claims.atom")["ETag"]
    polled = [client.get("/feeds/claims.atom", HTTP_IF_NONE_MATCH=etag).status_code for _ in range(5)]
    assert polled == [304] * 5
    fetched = [client.get(f"{QUANTITY}feed.atom").status_code for _ in range(3)]
    assert fetched == [200, 200, 429]


def test_a_feed_is_read_in_three_queries_however_many_entries(client, quantity, django_assert_num_queries):
    report = ReportFactory()
    for value in range(5):
        corrected(FigureFactory(**quantity, report=report, value=value, period_end=day(value)), value=value + 10)
    # 1: the data version (the ETag), 2: the revisions with what they cite, 3: the revisions the corrections follow
    with django_assert_num_queries(3):
        response = client.get("/feeds/claims.atom")
    assert len(feedparser.parse(response.content).entries) == 10


@pytest.mark.parametrize(("page", "feed"), [
    ("/", "/feeds/claims.atom"),
    ("/conflicts/russia-ukraine/", "/conflicts/russia-ukraine/feed.atom"),
    (QUANTITY, f"{QUANTITY}feed.atom"),
])
def test_pages_announce_their_feed_and_link_it(client, quantity, page, feed):
    FigureFactory(**quantity)
    html = client.get(page).content.decode()
    head, body = html.split("</head>")
    assert '<link rel="alternate" type="application/atom+xml" title="' in head
    assert f'href="{feed}">' in head
    assert f'<a href="{feed}">Atom feed</a>' in body


def test_a_correction_of_the_days_precision_alone_is_an_entry_saying_so(client, quantity):
    figure = FigureFactory(**quantity, value=500000, period_end=datetime.date(2026, 6, 17))
    corrected(figure, date_precision="month")
    [correction, _added] = read(client, "/feeds/claims.atom").entries
    assert correction.title.startswith("Corrected: NATO officials")
    assert "counted to 17 June 2026 → June 2026" in correction.summary


def test_a_control_character_in_a_quote_cannot_break_the_feed(client, quantity):
    FigureFactory(**quantity, value=500000, period_end=datetime.date(2026, 6, 17), quote="Losses \x0c continue\x0b")
    [entry] = read(client, "/feeds/claims.atom").entries
    assert "Losses \ufffd continue\ufffd" in entry.summary


@pytest.mark.parametrize("headers", [{"HTTP_IF_NONE_MATCH": "*"},
                                     {"HTTP_IF_MODIFIED_SINCE": "Thu, 01 Jan 2099 00:00:00 GMT"}])
def test_an_unknown_slug_is_404_whatever_the_requests_conditions(client, quantity, headers):
    assert client.get("/conflicts/nope/feed.atom", **headers).status_code == 404
