"""What a chart costs and how many there can be: one drawing per normalised question and data version, nothing the
client sent drawn into a file, a size cap per cached entry, a cap on drawings at once, long lines thinned (the health
probe's warning about Redis without maxmemory: tests/test_deploy.py)."""

import datetime
import html
import re
import time

import pytest
import redis
from django.utils import timezone

from stats import versions
from stats.pages import charts, drawings
from tests.factories import FigureFactory
from tests.pages.test_pages import QUANTITY, claims  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def draws(monkeypatch) -> list:
    """Count the charts drawn (each call of charts.draw)."""
    drawn = []
    real = charts.draw

    def counting(lines, **kwargs):
        drawn.append(kwargs["size"])
        return real(lines, **kwargs)

    monkeypatch.setattr(charts, "draw", counting)
    return drawn


def svg_text(response) -> str:
    """Return the words of an SVG chart file, its lines of text joined."""
    assert (response.status_code, response["Content-Type"]) == (200, "image/svg+xml"), response.content[:300]
    return html.unescape(" ".join(re.findall(r"<text[^>]*>([^<]*)</text>", response.content.decode())))


def test_every_moment_between_two_writes_is_one_drawing_sourced_at_the_versions_commit(client, claims, draws):  # noqa: F811
    number, committed = versions.at(timezone.now())
    first, second = timezone.now(), timezone.now() + datetime.timedelta(microseconds=1)
    time.sleep(0.01)  # both moments are past
    answers = [client.get(f"{QUANTITY}chart.svg", {"as_recorded": moment.isoformat()}) for moment in (first, second)]
    assert draws == ["article"]
    assert answers[0].content == answers[1].content
    stamp = committed.isoformat().replace("+00:00", "Z")
    assert (f"Source: conflictdata, http://testserver/conflicts/russia-ukraine/russia-armed-forces/killed/"
            f"?as_recorded={stamp}.") in svg_text(answers[0])
    assert first.isoformat() not in answers[0].content.decode()
    # A write in between: a moment after it reads another version, and is another drawing.
    FigureFactory(conflict=claims["cia"].conflict, party=claims["cia"].party, category=claims["cia"].category,
                  claimed_by=claims["cia"].claimed_by, period_end=D(2024, 12, 1), value=16000)
    assert versions.current() > number
    client.get(f"{QUANTITY}chart.svg", {"as_recorded": timezone.now().isoformat()})
    assert draws == ["article", "article"]


def test_claimants_in_any_order_and_repeated_and_days_in_any_spelling_are_one_drawing(client, claims, draws):  # noqa: F811
    spellings = [
        {"claimed_by": "the-economist,cia", "as_of": "2024-12-16", "independent": "true"},
        {"claimed_by": "cia,the-economist,cia", "as_of": "20241216", "independent": "true"},
        {"claimed_by": ["cia", "the-economist", "the-economist"], "as_of": "2024-12-16", "independent": "true",
         "utm_source": "newsletter"},
    ]
    bodies = {client.get(f"{QUANTITY}chart.svg", spelling).content for spelling in spellings}
    assert draws == ["article"] and len(bodies) == 1
    words = svg_text(client.get(f"{QUANTITY}chart.svg", spellings[1]))
    assert ("Source:conflictdata,http://testserver/conflicts/russia-ukraine/russia-armed-forces/killed/"
            "?as_of=2024-12-16&claimed_by=cia,the-economist&independent=true.") in "".join(words.split())
    for spelling in spellings:  # the page's own chart too
        client.get(QUANTITY, spelling)
    assert draws == ["article", "wide", "narrow"]


def test_the_host_headers_port_is_never_drawn_nor_a_new_drawing(client, claims, draws):  # noqa: F811
    answers = [client.get(f"{QUANTITY}chart.svg", HTTP_HOST=f"testserver:{port}") for port in (8765, 9876)]
    assert draws == ["article"]
    for answer in answers:
        assert "8765" not in answer.content.decode() and "9876" not in answer.content.decode()
        assert ("Source: conflictdata, http://testserver/conflicts/russia-ukraine/russia-armed-forces/killed/. "
                in svg_text(answer))
    # Without PUBLIC_URL, the server's own name and port (as the WSGI server sets them) are the address drawn.
    served = client.get(f"{QUANTITY}chart.svg", HTTP_HOST="testserver", SERVER_NAME="data.internal", SERVER_PORT="8000")
    assert "Source: conflictdata, http://data.internal:8000/conflicts/russia-ukraine/" in svg_text(served)


def test_public_url_is_the_address_drawn_in_chart_files(client, claims, settings, draws):  # noqa: F811
    settings.PUBLIC_URL = "https://data.example.org"
    words = svg_text(client.get(f"{QUANTITY}chart.svg", {"as_of": "2024-12-16"}, HTTP_HOST="testserver:8765"))
    assert ("Source: conflictdata, https://data.example.org/conflicts/russia-ukraine/russia-armed-forces/killed/"
            "?as_of=2024-12-16.") in words


def test_a_chart_over_the_size_cap_is_served_but_not_kept(client, claims, settings, draws):  # noqa: F811
    first = client.get(f"{QUANTITY}chart.png")
    assert client.get(f"{QUANTITY}chart.png").content == first.content
    assert draws == ["article"]  # under the cap: kept, drawn once
    settings.CHART_CACHE_MAX_BYTES = len(first.content) - 1
    for _ in range(2):
        answer = client.get(f"{QUANTITY}chart.png", {"as_of": "2024-12-15"})
        assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG")
    assert draws == ["article", "article", "article"]  # over it: drawn every time it is asked


@pytest.fixture(params=["process", "redis"])
def slots(request, settings):
    """The drawings' cap of one at a time, counted in the process or in Redis."""
    settings.CHART_DRAWINGS_AT_ONCE = 1
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.REDIS_URL = url
        redis.Redis.from_url(url).delete(drawings.KEY)
    return request.param


def test_a_drawing_past_the_cap_is_a_503_with_retry_after(client, claims, slots, draws):  # noqa: F811
    assert client.get(f"{QUANTITY}chart.svg").status_code == 200
    with drawings.drawing_slot():  # another request is drawing
        busy = client.get(f"{QUANTITY}chart.png")
        assert (busy.status_code, busy["Retry-After"]) == (503, "2")
        assert "Busy drawing charts" in busy.content.decode()
        busy_page = client.get(QUANTITY, {"as_of": "2024-12-14"})
        assert (busy_page.status_code, busy_page["Retry-After"]) == (503, "2")
        assert client.get(f"{QUANTITY}chart.svg").status_code == 200  # a chart drawn before needs no slot
        # The embed's refusal is shown inside another site's page, as the embed is: it may be framed there.
        framed = client.get(QUANTITY.replace("/conflicts/", "/embed/"), {"as_of": "2024-12-13"})
        assert (framed.status_code, framed["Retry-After"]) == (503, "2")
        assert "frame-ancestors *" in framed["Content-Security-Policy"] and "X-Frame-Options" not in framed
        assert "frame-ancestors 'none'" in busy_page["Content-Security-Policy"]
    assert client.get(f"{QUANTITY}chart.png").status_code == 200
    assert draws == ["article", "article"]


def test_a_lease_left_by_a_killed_worker_expires(client, claims, settings, redis_url):  # noqa: F811
    settings.CHART_DRAWINGS_AT_ONCE, settings.REDIS_URL = 1, redis_url
    held = redis.Redis.from_url(redis_url)
    held.delete(drawings.KEY)
    held.zadd(drawings.KEY, {"killed-worker": time.time() + drawings.LEASE_SECONDS})
    assert client.get(f"{QUANTITY}chart.svg").status_code == 503
    held.zadd(drawings.KEY, {"killed-worker": time.time() - 1})  # its lease ran out
    assert client.get(f"{QUANTITY}chart.svg").status_code == 200
    assert held.zcard(drawings.KEY) == 0


def test_a_long_series_is_thinned_to_the_charts_width_keeping_its_ends_and_extremes():
    first = D(2015, 1, 1)
    values = [day * 10 for day in range(5000)]
    values[2500] = 3  # a correction: the count fell back for a day
    values[4000] = 90_000  # and a peak
    points = [{"date": first + datetime.timedelta(days=day), "value": value, "value_low": None, "value_high": None}
              for day, value in enumerate(values)]
    lines = charts.styled([charts.Line(label="Long", points=points)])
    for size, most in (("wide", 800), ("narrow", 380), ("article", 1000)):
        figure = charts.draw(lines, size=size, marked=None)
        (drawn,) = figure.axes[0].get_lines()
        ys = list(drawn.get_ydata())
        assert len(ys) <= most
        assert ys[0] == 0 and ys[-1] == 49_990 and 3 in ys and 90_000 in ys
        assert charts.png(figure).startswith(b"\x89PNG")


def test_runs_apart_stay_apart_when_thinned():
    first = D(2020, 1, 1)
    days = [*range(0, 3000), *range(3100, 6000)]  # a gap of 100 days: two runs
    points = [{"date": first + datetime.timedelta(days=day), "value": day, "value_low": None, "value_high": None}
              for day in days]
    figure = charts.draw(charts.styled([charts.Line(label="Two runs", points=points)]), size="wide", marked=None)
    runs = figure.axes[0].get_lines()
    assert len(runs) == 2 and sum(len(run.get_xdata()) for run in runs) <= 800


def test_a_304_counts_against_the_pages_rate_when_it_cost_a_drawing_or_matched_any_copy(
    client, claims, draws, settings  # noqa: F811
):
    # A page's 304 is decided after its view ran. `If-None-Match: *` matches whatever the view made, so each new
    # question would be drawn and kept uncounted; a chart too large to keep is drawn again for each 304.
    settings.PAGES_THROTTLE_ANON = "3/minute"
    starred = [
        client.get(f"{QUANTITY}chart.svg", {"as_of": f"2024-12-{day:02}"}, HTTP_IF_NONE_MATCH="*").status_code
        for day in range(10, 15)
    ]
    assert starred == [304, 304, 304, 429, 429]
    assert draws == ["article"] * 3


def test_a_304_for_a_chart_too_large_to_keep_counts_and_one_for_a_kept_chart_does_not(
    client, claims, draws, settings  # noqa: F811
):
    settings.PAGES_THROTTLE_ANON = "3/minute"
    kept = client.get(f"{QUANTITY}chart.svg")
    assert kept.status_code == 200
    again = [client.get(f"{QUANTITY}chart.svg", HTTP_IF_NONE_MATCH=kept["ETag"]).status_code for _ in range(5)]
    assert again == [304] * 5 and draws == ["article"]  # drawn once, remembered: the 304s cost no drawing
    settings.CHART_CACHE_MAX_BYTES = 1  # nothing is kept: every answer draws anew
    large = client.get(f"{QUANTITY}chart.svg", {"as_of": "2024-12-16"})
    assert large.status_code == 200
    redrawn = [
        client.get(f"{QUANTITY}chart.svg", {"as_of": "2024-12-16"}, HTTP_IF_NONE_MATCH=large["ETag"]).status_code
        for _ in range(3)
    ]
    assert redrawn == [304, 429, 429]  # the 200s and the redrawn 304 are the 3 a minute
    assert draws == ["article"] * 3
