"""Numbered pages read by the statement of their question's shape (stats/api/prepared.py) answer exactly as the ORM."""

import datetime

import pytest

from stats.api import prepared
from stats.api.analysis import SERIES_CANDIDATES
from stats.api.views import FigureViewSet
from stats.models import Figure
from tests.api.conftest import ids
from tests.factories import CategoryFactory, FigureFactory, PartyFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def figures():
    """Figures of two parties, two categories and two claimants, on several days, values and qualifiers."""
    parties, categories, claimants = PartyFactory.create_batch(2), CategoryFactory.create_batch(2), [
        SourceFactory(), SourceFactory(affiliation=PartyFactory())
    ]
    made = []
    for number in range(24):
        made.append(FigureFactory(
            party=parties[number % 2], category=categories[number // 2 % 2], claimed_by=claimants[number // 4 % 2],
            report=ReportFactory(published_on=D(2024, 1, 1 + number)), value=1000 + 37 * number % 500,
            qualifier=["exact", "at_least", "approximately"][number % 3], period_end=D(2024, 1, 1 + number % 9),
        ))
    return made


def statements(shape_names: set[str]) -> list:
    """Return the kept statements (None: a shape built through the ORM) of questions naming exactly these filters."""
    return [
        statement for key, statement in FigureViewSet.pages.statements.items()
        if {name for name, _shape in key[0][3]} == shape_names
    ]


def expected(queryset, ordering=("-period_end", "-id")) -> list[int]:
    return list(queryset.order_by(*ordering).values_list("id", flat=True)[:100])


def test_the_second_question_of_a_shape_is_read_by_its_statement_and_gives_what_the_orm_gives(api, figures):
    first, second = figures[0], figures[5]
    for figure in (first, second):
        response = api.get("/api/v1/figures/", {
            "party": figure.party.slug, "category": figure.category.slug, "claimed_by": figure.claimed_by.slug,
        })
        assert response.status_code == 200
        assert ids(response) == expected(Figure.objects.filter(
            party=figure.party, category=figure.category, claimed_by=figure.claimed_by
        ))
        assert response.json()["count"] == len(ids(response))
    (statement,) = statements({"party", "category", "claimed_by"})
    assert statement is not None and statement.sql.count("%s") == 3


def test_a_statement_learnt_from_equal_values_binds_each_value_in_its_place(api, figures):
    parties = sorted({figure.party for figure in figures}, key=lambda party: party.pk)
    # value_min and value_max equal when learnt, then different: each must land in its own place
    assert ids(api.get("/api/v1/figures/", {"value_min": 1037, "value_max": 1037})) == expected(
        Figure.objects.filter(value=1037)
    )
    response = api.get("/api/v1/figures/", {"value_min": 1100, "value_max": 1300})
    assert ids(response) == expected(Figure.objects.filter(value__gte=1100, value__lte=1300))
    assert len(ids(response)) > 1
    response = api.get("/api/v1/figures/", {"party": ",".join(party.slug for party in parties)})
    assert ids(response) == expected(Figure.objects.all())
    (statement,) = statements({"value_min", "value_max"})
    assert statement is not None


def test_dates_times_choices_booleans_orderings_and_pages_follow_their_own_values(api, figures):
    questions = [
        ({"period_end_after": "2024-01-03", "period_end_before": "2024-01-06"},
         Figure.objects.filter(period_end__gte=D(2024, 1, 3), period_end__lte=D(2024, 1, 6)), None),
        ({"period_end_after": "2024-01-05", "period_end_before": "2024-01-08"},
         Figure.objects.filter(period_end__gte=D(2024, 1, 5), period_end__lte=D(2024, 1, 8)), None),
        ({"published_after": "2024-01-10", "ordering": "-value"},
         Figure.objects.filter(report__published_on__gte=D(2024, 1, 10)), ("-value", "-id")),
        ({"published_after": "2024-01-20", "ordering": "-value"},
         Figure.objects.filter(report__published_on__gte=D(2024, 1, 20)), ("-value", "-id")),
        ({"qualifier": "exact,at_least", "independent": "true"},
         Figure.objects.filter(qualifier__in=["exact", "at_least"], claimed_by__affiliation__isnull=True), None),
        ({"qualifier": "approximately,at_least", "independent": "true"},
         Figure.objects.filter(qualifier__in=["approximately", "at_least"], claimed_by__affiliation__isnull=True),
         None),
        ({"qualifier": "approximately,at_least", "independent": "false"},
         Figure.objects.filter(qualifier__in=["approximately", "at_least"], claimed_by__affiliation__isnull=False),
         None),
        ({"updated_since": "2000-01-01T00:00:00Z", "report": str(figures[3].report_id)},
         Figure.objects.filter(report=figures[3].report), None),
        ({"updated_since": "2000-01-01T00:00:00Z", "report": str(figures[7].report_id)},
         Figure.objects.filter(report=figures[7].report), None),
        ({"updated_since": "2999-01-01T00:00:00Z", "report": str(figures[7].report_id)}, Figure.objects.none(), None),
    ]
    for params, queryset, ordering in questions:
        response = api.get("/api/v1/figures/", params)
        assert response.status_code == 200, response.json()
        assert ids(response) == expected(queryset, ordering or ("-period_end", "-id")), params
    kept = FigureViewSet.pages.statements.values()
    assert len(kept) == 5 and None not in kept  # one per shape: a boolean's value is part of the shape
    pages = [ids(api.get("/api/v1/figures/", {"page_size": 5, "page": page})) for page in (1, 2, 3, 4, 5)]
    assert [pk for page in pages for pk in page] == expected(Figure.objects.all())
    assert api.get("/api/v1/figures/", {"page_size": 5, "page": 6}).status_code == 404


def test_a_text_search_is_built_through_the_orm_each_time(api, figures):
    figures[2].notes = "shelling near the river"
    figures[2].save()
    assert ids(api.get("/api/v1/figures/", {"q": "river"})) == [figures[2].id]
    assert ids(api.get("/api/v1/figures/", {"q": "shelling"})) == [figures[2].id]
    assert statements({"q"}) == []
    assert [{name for name, _shape in shape[3]} for shape in FigureViewSet.pages.unkept] == [{"q"}]


def test_cursor_pages_forwards_and_back_are_read_by_their_statements_and_give_what_the_orm_gives(api, figures):
    response = api.get("/api/v1/figures/", {"page_size": 5, "ordering": "value"}).json()
    pages = [[row["id"] for row in response["results"]]]
    while response["next"]:
        response = api.get(response["next"]).json()
        pages.append([row["id"] for row in response["results"]])
    assert [pk for page in pages for pk in page] == expected(Figure.objects.all(), ("value", "id"))
    back = []
    while response["previous"]:
        response = api.get(response["previous"]).json()
        back.insert(0, [row["id"] for row in response["results"]])
    assert back == pages[:-1]
    kept = {key[1]: statement for key, statement in FigureViewSet.pages.statements.items()}
    assert set(kept) == {("offset", 0), ("seek", False), ("seek", True)} and None not in kept.values()


def test_a_repeated_value_is_read_once_and_its_shape_still_kept(api, figures):
    party, other = figures[0].party, figures[1].party
    assert ids(api.get("/api/v1/figures/", {"party": f"{party.slug},{party.slug}"})) == expected(
        Figure.objects.filter(party=party)
    )
    assert ids(api.get("/api/v1/figures/", {"party": f"{party.slug},{other.slug}"})) == expected(Figure.objects.all())
    assert len(statements({"party"})) == 2 and not FigureViewSet.pages.unkept


def test_pages_past_the_end_are_not_learnt_and_the_least_recently_used_statement_gives_way(api, figures, monkeypatch):
    for page in range(25, 40):  # 24 figures, one a page
        assert api.get("/api/v1/figures/", {"page": page, "page_size": 1}).status_code == 404
    assert not FigureViewSet.pages.statements
    monkeypatch.setattr(prepared, "MAX_SHAPES", 2)
    for value_min in ("1000", "1100", "1200"):
        assert ids(api.get("/api/v1/figures/", {"value_min": value_min})) == expected(
            Figure.objects.filter(value__gte=int(value_min))
        )
        assert ids(api.get("/api/v1/figures/", {"value_max": value_min})) == expected(
            Figure.objects.filter(value__lte=int(value_min))
        )
        assert ids(api.get("/api/v1/figures/", {"qualifier": "exact"})) == expected(
            Figure.objects.filter(qualifier="exact")
        )
    assert len(FigureViewSet.pages.statements) == 2


def test_a_filter_error_is_named_before_a_page_error(api, figures):
    response = api.get("/api/v1/figures/", {"party": "no-such-party", "page": "0"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"party": ["No party has the slug 'no-such-party'."]}


def series_by_orm(figures, interval: str = "day") -> list[tuple]:
    return [(row["id"], row["period_end"].isoformat()) for row in figures.series(interval)]


def test_series_of_one_shape_are_read_by_its_statement_and_each_gives_what_the_orm_gives(api, figures):
    first, second = figures[0], figures[5]
    questions = [
        (first, {}, {}),
        (second, {}, {}),
        # start and end equal when learnt, then different: each must land in its own place
        (first, {"start": "2024-01-08", "end": "2024-01-08"}, {"period_end__gte": D(2024, 1, 8),
                                                               "period_end__lte": D(2024, 1, 8)}),
        (second, {"start": "2024-01-05", "end": "2024-01-06"}, {"period_end__gte": D(2024, 1, 5),
                                                               "period_end__lte": D(2024, 1, 6)}),
        (first, {"end": "2024-01-08", "interval": "week"}, {"period_end__lte": D(2024, 1, 8)}),
    ]
    for figure, bounds, filters in questions:
        response = api.get("/api/v1/series/", {
            "party": figure.party.slug, "category": figure.category.slug, "claimed_by": figure.claimed_by.slug,
            **bounds,
        })
        assert response.status_code == 200, response.json()
        points = [(point["figure"], point["date"]) for point in response.json()["points"]]
        assert points == series_by_orm(
            Figure.objects.filter(party=figure.party, category=figure.category, claimed_by=figure.claimed_by,
                                  **filters),
            bounds.get("interval", "day"),
        )
        assert points
    assert len(SERIES_CANDIDATES.statements) == 3 and not SERIES_CANDIDATES.unkept  # no bounds, both, the end


def test_a_series_without_figures_has_a_shape_of_its_own(api, figures):
    figure = figures[0]
    for claimant in (SourceFactory(), figure.claimed_by):  # no figures: no conflict and no basis (IS NULL)
        response = api.get("/api/v1/series/", {
            "party": figure.party.slug, "category": figure.category.slug, "claimed_by": claimant.slug,
        })
        assert response.status_code == 200
        assert bool(response.json()["points"]) is (claimant == figure.claimed_by)
    assert len(SERIES_CANDIDATES.statements) == 2
