"""Two curators writing one row at the same moment, through the API, against PostgreSQL (tests/concurrency.py)."""

from functools import partial

import pytest

from stats.models import Figure, Party
from tests.concurrency import api_as, curator_named, race, require_postgresql
from tests.factories import FigureFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql_only")]

ROUNDS = 3


@pytest.fixture
def postgresql_only():
    require_postgresql()


@pytest.fixture
def alice():
    return api_as(curator_named("alice"))


@pytest.fixture
def bob():
    return api_as(curator_named("bob"))


def sent(client, method: str, url: str, body=None, **headers):
    """Return the request, ready to send (in a thread of its own)."""
    return partial(getattr(client, method), url, body, format="json", **headers)


def figure_writes(figure: Figure) -> dict:
    """Return a write of each kind to `figure`, as (method, body)."""
    whole = {
        "conflict": figure.conflict.slug, "party": figure.party.slug, "category": figure.category.slug,
        "claimed_by": figure.claimed_by.slug, "report": figure.report_id, "value": 1000, "qualifier": "exact",
        "basis": figure.basis, "period_end": figure.period_end.isoformat(),
    }
    return {
        "patch value": ("patch", {"value": 765200}), "patch notes": ("patch", {"notes": "Read from the table."}),
        "put": ("put", whole), "delete": ("delete", None),
    }


@pytest.mark.parametrize(("first", "second"), [
    ("patch value", "patch notes"), ("put", "patch notes"), ("delete", "patch value"), ("patch notes", "delete"),
    ("delete", "delete"),
])
def test_of_two_writers_with_the_same_if_match_one_succeeds_and_the_other_gets_412(alice, bob, first, second):
    for round_number in range(ROUNDS):
        figure = FigureFactory(notes="")
        url = f"/api/v1/figures/{figure.pk}/"
        read = alice.get(url)
        etag, before = read["ETag"], read.json()
        writes = figure_writes(figure)
        (alice_method, alice_body), (bob_method, bob_body) = writes[first], writes[second]
        alice_answer, bob_answer = race(
            Figure,
            sent(alice, alice_method, url, alice_body, HTTP_IF_MATCH=etag),
            sent(bob, bob_method, url, bob_body, HTTP_IF_MATCH=etag),
        )
        assert alice_answer.status_code in (200, 204), (round_number, alice_answer.content)
        assert bob_answer.status_code == 412, (round_number, bob_answer.content)
        assert "If-Match" in bob_answer.json()["detail"]
        after = alice.get(url)
        if alice_method == "delete":
            assert after.status_code == 404
            continue
        # Alice's write whole, nothing of Bob's.
        shown = after.json()
        assert {name: shown[name] for name in alice_body} == alice_body
        assert all(shown[name] == before[name] for name in bob_body or {} if name not in alice_body)
        assert after["ETag"] == alice_answer["ETag"]


def test_of_two_writers_of_a_vocabulary_with_the_same_if_match_one_gets_412(alice, bob):
    for round_number in range(ROUNDS):
        party = FigureFactory(party__country="UA").party
        url = f"/api/v1/parties/{party.slug}/"
        etag = alice.get(url)["ETag"]
        alice_answer, bob_answer = race(
            Party,
            sent(alice, "patch", url, {"name": "Named by Alice"}, HTTP_IF_MATCH=etag),
            sent(bob, "patch", url, {"country": "PL"}, HTTP_IF_MATCH=etag),
        )
        assert (alice_answer.status_code, bob_answer.status_code) == (200, 412), round_number
        party.refresh_from_db()
        assert (party.name, party.country.code) == ("Named by Alice", "UA")


def test_patches_of_different_fields_at_once_both_stay_and_each_revision_names_its_own(alice, bob, api):
    for round_number in range(ROUNDS):
        figure = FigureFactory(value=765110, notes="")
        url = f"/api/v1/figures/{figure.pk}/"
        value_write = sent(alice, "patch", url, {"value": 765200})
        notes_write = sent(bob, "patch", url, {"notes": "Read from the table."})
        # Each takes the lead in turn.
        answers = race(Figure, value_write, notes_write) if round_number % 2 == 0 else race(
            Figure, notes_write, value_write
        )[::-1]
        assert [answer.status_code for answer in answers] == [200, 200], round_number
        shown = api.get(url).json()
        assert (shown["value"], shown["notes"]) == (765200, "Read from the table.")
        assert answers[0].json()["notes"] in ("", "Read from the table.")  # each answer shows the row it wrote
        history = api.get(f"{url}history/").json()
        said = [(entry["changed_by"], entry["change"], entry["changes"]) for entry in history]
        alice_said = ("alice", "changed", [{"field": "value", "old": 765110, "new": 765200}])
        bob_said = ("bob", "changed", [{"field": "notes", "old": "", "new": "Read from the table."}])
        newest_first = [bob_said, alice_said] if round_number % 2 == 0 else [alice_said, bob_said]
        assert said[:2] == newest_first, round_number
        assert said[2][1] == "created"


def test_options_describes_a_figures_writes_to_a_curator_without_locking_it(alice):
    # OPTIONS reads the row to describe PUT, in autocommit (no transaction): no row lock may be asked for there.
    response = alice.options(f"/api/v1/figures/{FigureFactory().pk}/")
    assert response.status_code == 200
    assert "PUT" in response.json()["actions"]


def test_the_browsable_api_shows_a_curator_the_forms_to_write_a_figure(client):
    # The page builds its PUT and PATCH forms as those actions (DRF's override_method), in autocommit: no row lock.
    client.force_login(curator_named("alice"))
    response = client.get(f"/api/v1/figures/{FigureFactory().pk}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "Make a PUT request" in response.content.decode()
