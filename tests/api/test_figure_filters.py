"""Each figure filter: rows that differ only in the filtered field, exact ids, boundaries included."""

import datetime

import pytest
from django.utils import timezone

from stats.models import DataVersion, Figure
from tests.api.conftest import ids
from tests.factories import FigureFactory, PartyFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db

KINDS = {"party": {"kind": "other"}, "claimed_by": {"kind": "media"}}


@pytest.fixture
def base(figure):
    """Return a function making a figure that differs from `figure` only in the given fields."""

    def make(**changes) -> Figure:
        fields = {
            name: getattr(figure, name)
            for name in ("conflict", "party", "category", "claimed_by", "report", "value", "qualifier", "basis",
                         "period_start", "period_end", "date_precision")
        }
        fields.update(changes)
        return FigureFactory(**fields)

    return make


def get_ids(api, **params) -> list[int]:
    response = api.get("/api/v1/figures/", params)
    assert response.status_code == 200, response.json()
    return ids(response)


@pytest.mark.parametrize("name", ["party", "category", "claimed_by"])
def test_it_filters_by_a_slug_and_by_several(api, figure, base, name):
    other = base(**{name: type(getattr(figure, name)).objects.create(
        slug=f"other-{name}", name=f"Other {name}", **KINDS.get(name, {})
    )})
    third = base(**{name: type(getattr(figure, name)).objects.create(
        slug=f"third-{name}", name=f"Third {name}", **KINDS.get(name, {})
    )})
    assert get_ids(api, **{name: getattr(figure, name).slug}) == [figure.pk]
    assert get_ids(api, **{name: f"other-{name},{getattr(figure, name).slug}", "ordering": "id"}) == [
        figure.pk, other.pk,
    ]
    assert third.pk not in get_ids(api, **{name: f"other-{name}"})


def test_it_filters_by_conflict(api, figure, base):
    from tests.factories import ConflictFactory

    gaza = base(conflict=ConflictFactory(slug="gaza", name="Gaza", started_on=datetime.date(2023, 10, 7)))
    assert get_ids(api, conflict="gaza") == [gaza.pk]
    assert get_ids(api, conflict="russia-ukraine") == [figure.pk]


def test_it_filters_by_publisher_and_report(api, figure, base):
    ministry = SourceFactory(slug="ministry")
    published = base(report=ReportFactory(publisher=ministry))
    assert get_ids(api, publisher="ministry") == [published.pk]
    assert get_ids(api, report=figure.report_id) == [figure.pk]


@pytest.mark.parametrize(
    ("name", "value", "other_value"),
    [("qualifier", "at_least", "exact"), ("basis", "estimated", "confirmed"), ("date_precision", "month", "year")],
)
def test_it_filters_by_a_choice_and_by_several(api, figure, base, name, value, other_value):
    changes = {name: value, "period_end": datetime.date(2024, 11, 30)}
    chosen = base(**changes)
    assert get_ids(api, **{name: value}) == [chosen.pk]
    assert get_ids(api, **{name: f"{value},{getattr(figure, name)}", "ordering": "id"}) == [figure.pk, chosen.pk]
    assert get_ids(api, **{name: other_value}) == []


def test_period_end_bounds_are_inclusive(api, figure, base):
    earlier = base(period_end=datetime.date(2024, 12, 15))
    assert get_ids(api, period_end_after="2024-12-16") == [figure.pk]
    assert get_ids(api, period_end_before="2024-12-15") == [earlier.pk]
    assert get_ids(api, period_end_after="2024-12-15", period_end_before="2024-12-16") == [figure.pk, earlier.pk]


def test_published_bounds_are_inclusive(api, figure, base):
    later = base(report=ReportFactory(published_on=datetime.date(2024, 12, 18)))
    assert get_ids(api, published_after="2024-12-18") == [later.pk]
    assert get_ids(api, published_before="2024-12-17") == [figure.pk]


def test_value_bounds_are_inclusive(api, figure, base):
    smaller = base(value=1600, period_start=datetime.date(2024, 12, 16))
    assert get_ids(api, value_min=765110) == [figure.pk]
    assert get_ids(api, value_max=1600) == [smaller.pk]
    assert get_ids(api, value_min=1600, value_max=765110, ordering="value") == [smaller.pk, figure.pk]


def test_it_filters_cumulative_or_not(api, figure, base):
    daily = base(value=1600, period_start=datetime.date(2024, 12, 16))
    assert get_ids(api, cumulative="true") == [figure.pk]
    assert get_ids(api, cumulative="false") == [daily.pk]


def test_it_filters_independent_sources(api, figure, base):
    figure.claimed_by.affiliation = PartyFactory()
    figure.claimed_by.save()
    independent = base(claimed_by=SourceFactory(slug="ohchr", affiliation=None))
    assert get_ids(api, independent="true") == [independent.pk]
    assert get_ids(api, independent="false") == [figure.pk]


def test_it_filters_by_update_time(api, figure, base):
    later = base(basis="estimated")
    Figure.objects.filter(pk=figure.pk).update(updated_at=timezone.now() - datetime.timedelta(days=2))
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert get_ids(api, updated_since=since) == [later.pk]


def test_q_needs_every_word_in_quote_notes_or_title(api, figure, base):
    figure.quote = "Russia's troop losses have reached 765,110"
    figure.save()
    titled = base(report=ReportFactory(title="General Staff: LOSSES of the enemy"), notes="troop numbers")
    assert get_ids(api, q="losses", ordering="id") == [figure.pk, titled.pk]
    assert get_ids(api, q="TROOP losses", ordering="id") == [figure.pk, titled.pk]
    assert get_ids(api, q="enemy troop") == [titled.pk]
    assert get_ids(api, q="reached enemy") == []


def test_default_order_is_latest_period_end_then_highest_id(api, figure, base):
    same_day = base(basis="estimated")
    earlier = base(period_end=datetime.date(2024, 12, 1))
    assert get_ids(api) == [same_day.pk, figure.pk, earlier.pk]


def test_ordering_takes_several_fields_and_breaks_ties_by_id(api, figure, base):
    twin = base(basis="estimated")
    big = base(value=800000, period_end=datetime.date(2024, 12, 1))
    assert get_ids(api, ordering="value") == [figure.pk, twin.pk, big.pk]
    assert get_ids(api, ordering="-value") == [big.pk, twin.pk, figure.pk]
    # Ties follow the first field's direction: period_end ascending, so id ascending.
    assert get_ids(api, ordering="period_end,-value") == [big.pk, figure.pk, twin.pk]
    assert get_ids(api, ordering="-published_on,updated_at,id")[0] in {figure.pk, twin.pk, big.pk}


def test_a_slug_a_write_changes_is_found_by_its_new_name_at_once_and_by_its_old_one_in_the_past(api, figure):
    old = figure.party.slug
    assert get_ids(api, party=old) == [figure.id]  # the process now keeps the parties' slugs
    before = DataVersion.objects.order_by("-number").first().committed_at.isoformat()
    figure.party.slug = "renamed-party"
    figure.party.save()
    assert get_ids(api, party="renamed-party") == [figure.id]
    response = api.get("/api/v1/figures/", {"party": old})
    assert response.status_code == 400
    assert response.json()["errors"] == {"party": [f"No party has the slug '{old}'."]}
    assert get_ids(api, party=old, as_recorded=before) == [figure.id]
    assert api.get("/api/v1/figures/", {"party": "renamed-party", "as_recorded": before}).status_code == 400
