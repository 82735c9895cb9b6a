"""A page's address read with the API's rules: control characters, repeated or malformed values, far days and
poisoned moments are a 400 page naming the parameter, never a 500, and nothing is drawn from them."""

import datetime
import html
import re

import pytest
from django.utils import timezone

from tests.factories import CategoryFactory, ConflictFactory, FigureFactory, PartyFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db
D = datetime.date
QUANTITY = "/conflicts/russia-ukraine/russia-armed-forces/killed/"
EMBED = "/embed/russia-ukraine/russia-armed-forces/killed/"
CHARTS = [f"{QUANTITY}chart.png", f"{QUANTITY}chart.svg"]
QUESTION = ["as_of", "claimed_by", "independent", "start", "end", "as_recorded"]
# Every page and chart file, and the parameters each one reads.
READS = {
    "/": ["as_recorded"],
    "/about/": ["as_recorded"],
    "/search/": ["q", "as_recorded"],
    "/conflicts/russia-ukraine/": QUESTION,
    QUANTITY: QUESTION,
    EMBED: QUESTION,
    **dict.fromkeys(CHARTS, QUESTION),
}
VALID = {
    "as_of": "2024-12-12", "claimed_by": "general-staff", "independent": "true", "start": "2024-12-10",
    "end": "2024-12-14", "q": "economist", "as_recorded": "2024-12-20T10:00:00Z",
}
CONTROL = ["\x00", "\x01", "\t", "\n", "\x1b", "\x7f", "\x85", "\x9f"]
FAR = ["9999-12-31", "9990-01-01", "0001-01-01", "2022-02-23"]


@pytest.fixture
def claims(db):
    """Russian soldiers killed according to two claimants, over a week of December 2024."""
    quantity = {"conflict": ConflictFactory(), "party": PartyFactory(slug="russia-armed-forces"),
                "category": CategoryFactory(slug="killed", name="Killed")}
    staff = SourceFactory(slug="general-staff", name="General Staff", affiliation=PartyFactory(slug="ukraine"))
    economist = SourceFactory(slug="the-economist", name="The Economist")
    for day in range(10, 17):
        report = ReportFactory(published_on=D(2024, 12, 20))
        FigureFactory(**quantity, claimed_by=staff, value=1000 + day, period_end=D(2024, 12, day), report=report)
        FigureFactory(**quantity, claimed_by=economist, value=800 + day, basis="estimated",
                      period_end=D(2024, 12, day), report=report)
    return quantity


def errors_of(response) -> dict:
    """Return the 400 page's errors: each parameter named, with its message."""
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = response.content.decode()
    return {name: html.unescape(message) for name, message in re.findall(r"<li><code>([^<]+)</code>: ([^<]*)</li>", body)}


def stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def a_year_from_today() -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year + 1, day=28 if (today.month, today.day) == (2, 29) else today.day)


@pytest.mark.parametrize(("path", "name"), [(path, name) for path, names in READS.items() for name in names])
def test_a_control_character_in_any_parameter_a_page_reads_is_a_400_naming_it(client, claims, path, name):
    for character in CONTROL:
        for value in (VALID[name] + character + "Real figures at evil.example", character + VALID[name]):
            message = "NUL characters are not allowed." if character == "\x00" else "Control characters are not allowed."
            assert errors_of(client.get(path, {name: value})) == {name: message}, (path, name, character)


def test_a_poisoned_moment_draws_nothing_and_the_clean_address_gets_its_own_chart(client, claims):
    moment = stamp(timezone.now())
    for chart in CHARTS:
        poisoned = client.get(chart, {"as_recorded": f"{moment}\x00Real figures at evil.example"})
        assert errors_of(poisoned) == {"as_recorded": "NUL characters are not allowed."}
        clean = client.get(chart, {"as_recorded": moment})
        assert clean.status_code == 200
        assert b"evil.example" not in clean.content
    assert b"Real figures" not in client.get(CHARTS[1], {"as_recorded": moment}).content


@pytest.mark.parametrize("tail", ["junk", " junk", "\x00", "\n", "\x00\x00", "+01:00"])
def test_a_moment_followed_by_anything_is_refused_not_cut_short(client, claims, tail):
    given = f"{stamp(timezone.now())}{tail}"
    for path in ("/", QUANTITY, EMBED, *CHARTS):
        assert list(errors_of(client.get(path, {"as_recorded": given}))) == ["as_recorded"], path
    if "\x00" not in tail:  # the API refuses NUL in any parameter before reading it
        response = client.get("/api/v1/figures/", {"as_recorded": given})
        assert response.status_code == 400
        assert response.json()["errors"] == {"as_recorded": ["Give a time in ISO 8601, like 2025-03-03T10:00:00Z."]}


@pytest.mark.parametrize(
    "given", ["2024-12-20x10:00:00Z", "2024-12-20T10:00:00.1234567Z", "20241220T100000Z", "2024-W51-5", "2024-12-20Z"],
)
def test_a_moment_must_be_written_as_iso_8601_writes_it_whole(client, claims, given):
    assert errors_of(client.get(QUANTITY, {"as_recorded": given})) == {
        "as_recorded": "Give a time in ISO 8601, like 2025-03-03T10:00:00Z."
    }
    assert client.get("/api/v1/figures/", {"as_recorded": given}).status_code == 400


def test_the_ways_of_writing_a_moment_are_read_alike(client, claims):
    now = timezone.now()
    written = [stamp(now), now.isoformat(), stamp(now).replace("T", " "), stamp(now).replace("Z", "+00:00"),
               stamp(now).replace("Z", "+0000"), stamp(now)[:19] + "Z", now.astimezone(datetime.UTC).date().isoformat()]
    for given in written:
        response = client.get("/", {"as_recorded": given})
        assert response.status_code == 200, given
        assert "You are reading the data as recorded on" in response.content.decode()
    chart = client.get(CHARTS[1], {"as_recorded": stamp(now)})
    assert chart.status_code == 200
    assert "General Staff" in chart.content.decode()


def test_a_parameter_given_twice_is_refused_but_the_claimant_checkboxes_may_be(client, claims):
    once = "Give this parameter once; separate several values with commas."
    for name in ("as_of", "start", "independent", "as_recorded"):
        response = client.get(f"{QUANTITY}?{name}={VALID[name]}&{name}={VALID[name]}")
        assert errors_of(response) == {name: once}, name
    assert errors_of(client.get("/search/?q=economist&q=staff")) == {"q": once}
    ticked = client.get(f"{QUANTITY}?claimed_by=general-staff&claimed_by=the-economist")
    assert ticked.status_code == 200
    assert client.get(f"{QUANTITY}?as_of=&as_of=2024-12-12&start=").status_code == 200  # a form's empty fields


@pytest.mark.parametrize("path", ["/conflicts/russia-ukraine/", QUANTITY, EMBED, *CHARTS])
@pytest.mark.parametrize("name", ["as_of", "start", "end"])
def test_a_day_no_chart_can_hold_is_a_400_page_naming_it(client, claims, path, name):
    last = a_year_from_today()
    message = (f"Give a day from 2022-02-24 (when the earliest conflict began) to {last:%Y-%m-%d} "
               "(a year from today).")
    for day in [*FAR, (last + datetime.timedelta(days=1)).isoformat()]:
        assert errors_of(client.get(path, {name: day})) == {name: message}, (path, name, day)


@pytest.mark.parametrize("path", CHARTS)
def test_the_first_and_last_days_a_page_may_ask_are_drawn(client, claims, path):
    last = a_year_from_today().isoformat()
    for given in ({"as_of": "2022-02-24"}, {"as_of": last}, {"start": "2022-02-24", "end": last},
                  {"start": "2022-02-24", "end": "2022-02-24"}):
        response = client.get(path, given)
        assert response.status_code == 200, given
        assert response["Content-Type"] == ("image/png" if path.endswith("png") else "image/svg+xml")


def test_the_apis_analysis_still_answers_far_days(client, claims):
    for day in FAR:
        response = client.get("/api/v1/compare/", {"party": "russia-armed-forces", "category": "killed", "as_of": day})
        assert response.status_code == 200, day


def test_search_refuses_nul_and_overlong_text_before_the_database(client, claims):
    assert errors_of(client.get("/search/", {"q": "abc\x00"})) == {"q": "NUL characters are not allowed."}
    assert errors_of(client.get("/search/", {"q": "economist " * 20 + "x"})) == {
        "q": "Ensure this value has at most 200 characters (it has 201)."
    }
    found = client.get("/search/", {"q": " economist "})
    assert found.status_code == 200
    assert "The Economist" in found.content.decode()


def test_a_figure_number_no_database_holds_is_a_404(client, claims):
    for pk in ("0", "9223372036854775808", "99999999999999999999999999"):
        assert client.get(f"/figures/{pk}/").status_code == 404, pk


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00Z", "0001-01-01", "1970-01-01T00:00:00+14:00"])
def test_a_moment_before_any_data_reads_an_empty_past(client, claims, moment):
    home = client.get("/", {"as_recorded": moment})
    assert home.status_code == 200
    assert "You are reading the data as recorded on" in home.content.decode()
    for path in ("/conflicts/russia-ukraine/", QUANTITY, EMBED, *CHARTS):
        assert client.get(path, {"as_recorded": moment, "as_of": "2024-12-12"}).status_code == 404, path
    assert client.get("/search/", {"q": "economist", "as_recorded": moment}).status_code == 200
