"""The analysis endpoints: latest, series, compare, history and deletions."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stats import versions
from stats.api.analysis import compare_summary, follows, series_points
from stats.models import Figure
from tests.api.conftest import ids
from tests.factories import (
    CategoryFactory,
    ConflictFactory,
    FigureFactory,
    PartyFactory,
    ReportFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def quantity(db):
    """One claimant's count of one party's casualties of one category: the fixed part of a series."""
    return {
        "conflict": ConflictFactory(), "party": PartyFactory(slug="russia-armed-forces"),
        "category": CategoryFactory(slug="total"), "claimed_by": SourceFactory(slug="general-staff"),
    }


def claim(quantity, day: datetime.date, value: int, published: datetime.date | None = None, **fields) -> Figure:
    report = ReportFactory(published_on=published or day + datetime.timedelta(days=1))
    return FigureFactory(**quantity, report=report, period_end=day, value=value, **fields)


def series(api, **params):
    query = {"party": "russia-armed-forces", "category": "total", "claimed_by": "general-staff", **params}
    response = api.get("/api/v1/series/", query)
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_series_gives_values_changes_and_flags(api, quantity):
    first = claim(quantity, D(2024, 12, 14), 761910)
    second = claim(quantity, D(2024, 12, 15), 763510)
    third = claim(quantity, D(2024, 12, 16), 765110)
    fallen = claim(quantity, D(2024, 12, 17), 765000)
    after_gap = claim(quantity, D(2024, 12, 20), 770000)
    body = series(api)
    assert body == {
        "conflict": "russia-ukraine", "party": "russia-armed-forces", "category": "total",
        "claimed_by": "general-staff", "basis": "claimed", "interval": "day", "start": None, "end": None,
        "points": [
            {"date": "2024-12-14", "value": 761910, "value_low": None, "value_high": None, "change": None,
             "figure": first.pk, "flags": []},
            {"date": "2024-12-15", "value": 763510, "value_low": None, "value_high": None, "change": 1600,
             "figure": second.pk, "flags": []},
            {"date": "2024-12-16", "value": 765110, "value_low": None, "value_high": None, "change": 1600,
             "figure": third.pk, "flags": []},
            {"date": "2024-12-17", "value": 765000, "value_low": None, "value_high": None, "change": -110,
             "figure": fallen.pk, "flags": ["correction"]},
            {"date": "2024-12-20", "value": 770000, "value_low": None, "value_high": None, "change": 5000,
             "figure": after_gap.pk, "flags": ["gap"]},
        ],
        "data_version": versions.current(), "as_recorded": None,
    }


def test_a_series_is_bounded_by_start_and_end_inclusive(api, quantity):
    for day in range(10, 20):
        claim(quantity, D(2024, 12, day), 1000 + day)
    body = series(api, start="2024-12-12", end="2024-12-14")
    assert [point["date"] for point in body["points"]] == ["2024-12-12", "2024-12-13", "2024-12-14"]
    assert (body["start"], body["end"]) == ("2024-12-12", "2024-12-14")
    assert body["points"][0]["change"] is None


def test_weekly_and_monthly_series_take_the_last_point_of_each(api, quantity):
    # Monday 2 December 2024 to Wednesday 1 January 2025, skipping the week of 16 December.
    days = [D(2024, 12, day) for day in (2, 5, 8, 9, 13, 23, 29)] + [D(2025, 1, 1)]
    made = {day: claim(quantity, day, 100 * index) for index, day in enumerate(days, start=1)}
    weekly = series(api, interval="week")["points"]
    assert [(p["date"], p["figure"], p["flags"]) for p in weekly] == [
        ("2024-12-08", made[D(2024, 12, 8)].pk, []),
        ("2024-12-13", made[D(2024, 12, 13)].pk, []),
        ("2024-12-29", made[D(2024, 12, 29)].pk, ["gap"]),
        ("2025-01-01", made[D(2025, 1, 1)].pk, []),
    ]
    monthly = series(api, interval="month")["points"]
    assert [(p["date"], p["value"], p["change"], p["flags"]) for p in monthly] == [
        ("2024-12-29", 700, None, []),
        ("2025-01-01", 800, 100, []),
    ]


def test_the_latest_published_report_wins_a_date(api, quantity):
    claim(quantity, D(2024, 12, 16), 765110, published=D(2024, 12, 17))
    revised = claim(quantity, D(2024, 12, 16), 765200, published=D(2024, 12, 20))
    claim(quantity, D(2024, 12, 16), 765300, published=D(2024, 12, 18))
    assert [(p["figure"], p["value"]) for p in series(api)["points"]] == [(revised.pk, 765200)]


def test_on_the_same_publication_day_the_latest_recorded_wins(api, quantity):
    claim(quantity, D(2024, 12, 16), 1, published=D(2024, 12, 17))
    later = claim(quantity, D(2024, 12, 16), 2, published=D(2024, 12, 17))
    assert [p["figure"] for p in series(api)["points"]] == [later.pk]


def test_a_series_leaves_out_other_claimants_and_non_cumulative_figures(api, quantity):
    kept = claim(quantity, D(2024, 12, 16), 765110)
    claim(quantity, D(2024, 12, 15), 1600, period_start=D(2024, 12, 15))
    FigureFactory(**{**quantity, "claimed_by": SourceFactory()}, period_end=D(2024, 12, 14), value=5)
    FigureFactory(**{**quantity, "category": CategoryFactory()}, period_end=D(2024, 12, 13), value=6)
    assert [p["figure"] for p in series(api)["points"]] == [kept.pk]


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({}, {"party", "category", "claimed_by"}),
        ({"party": "russia-armed-forces", "category": "total"}, {"claimed_by"}),
        ({"party": "nobody", "category": "total", "claimed_by": "general-staff"}, {"party"}),
        ({"party": "russia-armed-forces", "category": "total", "claimed_by": "general-staff", "interval": "year"},
         {"interval"}),
        ({"party": "russia-armed-forces", "category": "total", "claimed_by": "general-staff", "start": "2024-13-01"},
         {"start"}),
        ({"party": "russia-armed-forces", "category": "total", "claimed_by": "general-staff", "start": "2024-12-02",
          "end": "2024-12-01"}, {"end"}),
        ({"party": "russia-armed-forces", "category": "total", "claimed_by": "general-staff,other"}, {"claimed_by"}),
        ({"party": "russia-armed-forces", "category": "total", "claimed_by": "general-staff", "as_of": "2024-12-01"},
         {"as_of"}),
    ],
)
def test_series_parameters_missing_or_wrong_are_named(api, quantity, params, errors):
    response = api.get("/api/v1/series/", params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == errors


def test_a_party_in_several_conflicts_needs_a_conflict(api, quantity):
    claim(quantity, D(2024, 12, 16), 765110)
    assert series(api)["conflict"] == "russia-ukraine"  # its only conflict, remembered until the next write
    other = ConflictFactory(slug="syria", name="Syria", started_on=D(2015, 9, 30))
    FigureFactory(**{**quantity, "conflict": other}, period_end=D(2016, 1, 1), report__published_on=D(2016, 1, 2))
    params = {"party": "russia-armed-forces", "category": "total", "claimed_by": "general-staff"}
    response = api.get("/api/v1/series/", params)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "conflict": ["The party russia-armed-forces appears in several conflicts (russia-ukraine, syria): name one "
                     "with conflict."]
    }
    assert [p["value"] for p in series(api, conflict="syria")["points"]] == [765110]


def compare(api, **params):
    response = api.get("/api/v1/compare/", {"party": "russia-armed-forces", "category": "total", **params})
    assert response.status_code == 200, response.json()
    return response.json()


def test_compare_puts_each_sources_latest_claim_side_by_side(api, quantity):
    claim(quantity, D(2024, 12, 15), 763510)
    staff = claim(quantity, D(2024, 12, 16), 765110)
    monitor = SourceFactory(slug="monitor", affiliation=None)
    independent = claim({**quantity, "claimed_by": monitor}, D(2024, 11, 30), 600000, qualifier="at_least")
    quantity["claimed_by"].affiliation = PartyFactory()
    quantity["claimed_by"].save()
    body = compare(api, as_of="2024-12-31")
    assert body["as_of"] == "2024-12-31"
    assert [(c["claimed_by"], c["value"], c["independent"]) for c in body["claims"]] == [
        ("general-staff", 765110, False), ("monitor", 600000, True),
    ]
    first = body["claims"][0]
    assert first == {
        "claimed_by": "general-staff", "independent": False, "value": 765110, "value_low": None,
        "value_high": None, "qualifier": "approximately", "basis": "claimed", "period_end": "2024-12-16",
        "report": staff.report_id, "citation": Figure.objects.with_related().get(pk=staff.pk).citation,
    }
    assert body["claims"][1]["qualifier"] == "at_least"
    assert body["summary"] == {"sources": 2, "min": 600000, "max": 765110, "median": 682555, "spread": 1.28}
    assert independent.pk


def test_compare_as_of_leaves_out_later_claims(api, quantity):
    earlier = claim(quantity, D(2024, 12, 15), 763510)
    claim(quantity, D(2024, 12, 16), 765110)
    body = compare(api, as_of="2024-12-15")
    assert [c["value"] for c in body["claims"]] == [earlier.value]
    assert compare(api, as_of="2024-12-14") == {
        "as_of": "2024-12-14", "claims": [],
        "summary": {"sources": 0, "min": None, "max": None, "median": None, "spread": None},
        "groups": [], "older": [], "data_version": versions.current(), "as_recorded": None,
    }


def test_compare_defaults_to_today(api, quantity):
    claim(quantity, D(2024, 12, 16), 765110)
    assert compare(api)["as_of"] == timezone.localdate().isoformat()


@pytest.mark.parametrize(
    ("values", "summary"),
    [
        ([5, 1, 3], {"sources": 3, "min": 1, "max": 5, "median": 3, "spread": 5.0}),
        ([4, 1, 3, 10], {"sources": 4, "min": 1, "max": 10, "median": 3.5, "spread": 10.0}),
        ([0, 7], {"sources": 2, "min": 0, "max": 7, "median": 3.5, "spread": None}),
        ([3, 10], {"sources": 2, "min": 3, "max": 10, "median": 6.5, "spread": 3.33}),
    ],
)
def test_the_summary_arithmetic(values, summary):
    assert compare_summary(values) == summary


def test_one_body_counting_on_two_bases_makes_two_claims_in_compare_and_latest(api, quantity):
    """OCHA's verified database and its flash updates: one claimant, one quantity, two counts."""
    verified = claim(quantity, D(2024, 8, 2), 582, basis="confirmed")
    claim(quantity, D(2024, 7, 22), 560, basis="claimed")
    flash = claim(quantity, D(2024, 7, 29), 569, basis="claimed")
    body = compare(api, as_of="2024-08-02")
    assert [(c["claimed_by"], c["basis"], c["value"]) for c in body["claims"]] == [
        ("general-staff", "confirmed", 582), ("general-staff", "claimed", 569),
    ]
    assert body["summary"] == {"sources": 2, "min": 569, "max": 582, "median": 575.5, "spread": 1.02}
    assert sorted(ids(api.get("/api/v1/figures/latest/", {"as_of": "2024-08-02"}))) == sorted([verified.pk, flash.pk])


def test_compare_narrows_by_claimant_and_independence_as_the_list_does(api, quantity):
    claim(quantity, D(2024, 12, 16), 765110)
    quantity["claimed_by"].affiliation = PartyFactory()
    quantity["claimed_by"].save()
    claim({**quantity, "claimed_by": SourceFactory(slug="monitor")}, D(2024, 12, 1), 600000)
    claim({**quantity, "claimed_by": SourceFactory(slug="analyst")}, D(2024, 12, 2), 500000)
    claimants = [c["claimed_by"] for c in compare(api, as_of="2024-12-31", claimed_by="monitor,general-staff")["claims"]]
    assert claimants == ["general-staff", "monitor"]
    assert [c["claimed_by"] for c in compare(api, as_of="2024-12-31", independent="true")["claims"]] == [
        "monitor", "analyst",
    ]
    assert [c["claimed_by"] for c in compare(api, as_of="2024-12-31", independent="false")["claims"]] == [
        "general-staff",
    ]
    response = api.get("/api/v1/compare/", {"party": "russia-armed-forces", "category": "total",
                                            "claimed_by": "monitor,nobody", "independent": "yes"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "claimed_by": ["No source has the slug 'nobody'."], "independent": ["Use true or false."],
    }


def test_a_series_needs_a_basis_only_when_the_claimant_counts_on_several(api, quantity):
    claim(quantity, D(2024, 8, 1), 580, basis="confirmed", value_low=570, value_high=590)
    claim(quantity, D(2024, 8, 2), 582, basis="confirmed")
    assert [p["value"] for p in series(api)["points"]] == [580, 582]
    assert series(api)["basis"] == "confirmed"
    assert series(api)["points"][0]["value_low"] == 570 and series(api)["points"][0]["value_high"] == 590
    claim(quantity, D(2024, 7, 29), 569, basis="claimed")
    response = api.get("/api/v1/series/", {"party": "russia-armed-forces", "category": "total",
                                           "claimed_by": "general-staff"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "basis": ["The claimant general-staff counts this quantity on several bases (claimed, confirmed): name one "
                  "with basis."]
    }
    assert [p["value"] for p in series(api, basis="claimed")["points"]] == [569]
    assert series(api, basis="estimated")["points"] == []


def test_compare_requires_party_and_category(api, db):
    response = api.get("/api/v1/compare/")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"party", "category"}
    response = api.get("/api/v1/compare/", {"party": "x", "category": "y", "as_of": "soon"})
    assert set(response.json()["errors"]) == {"party", "category", "as_of"}


def test_latest_gives_one_figure_per_quantity_up_to_as_of(api, quantity):
    claim(quantity, D(2024, 12, 15), 763510)
    newest = claim(quantity, D(2024, 12, 16), 765110)
    killed = claim({**quantity, "category": CategoryFactory(slug="killed")}, D(2024, 12, 1), 198000)
    other_source = claim({**quantity, "claimed_by": SourceFactory()}, D(2024, 12, 10), 700000)
    claim(quantity, D(2024, 12, 16), 1600, period_start=D(2024, 12, 16))  # not cumulative
    response = api.get("/api/v1/figures/latest/", {"as_of": "2024-12-31"})
    assert response.status_code == 200
    assert ids(response) == [newest.pk, other_source.pk, killed.pk]
    assert ids(api.get("/api/v1/figures/latest/", {"as_of": "2024-12-15"})) == [
        Figure.objects.get(value=763510).pk, other_source.pk, killed.pk,
    ]
    assert ids(api.get("/api/v1/figures/latest/", {"as_of": "2024-12-31", "category": "killed"})) == [killed.pk]


def test_latest_pages_and_orders_like_the_list(api, quantity):
    made = [claim({**quantity, "claimed_by": SourceFactory()}, D(2024, 12, day), day) for day in range(1, 6)]
    first = api.get("/api/v1/figures/latest/", {"as_of": "2024-12-31", "page_size": 2, "ordering": "value"}).json()
    assert first["count"] == 5
    assert [row["id"] for row in first["results"]] == [made[0].pk, made[1].pk]
    second = api.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == [made[2].pk, made[3].pk]


def test_latest_parameters_are_strict(api, db):
    assert api.get("/api/v1/figures/latest/", {"as_of": "2024-02-30"}).json()["errors"] == {
        "as_of": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
    }
    assert list(api.get("/api/v1/figures/latest/", {"since": "x"}).json()["errors"]) == ["since"]


def test_history_records_api_and_admin_edits_with_field_old_new_and_author(
    curator_api, curator, admin_client, admin_user, figure
):
    assert curator_api.patch(f"/api/v1/figures/{figure.pk}/", {"value": 765200}, format="json").status_code == 200
    response = admin_client.post(
        reverse("admin:stats_figure_change", args=[figure.pk]),
        {
            "conflict": figure.conflict_id, "party": figure.party_id, "category": figure.category_id,
            "claimed_by": figure.claimed_by_id, "report": figure.report_id, "value": "765200", "value_low": "",
            "value_high": "", "qualifier": "exact", "basis": "claimed", "period_start": "",
            "period_end": "2024-12-16", "date_precision": "day", "quote": "Reached 765,200.", "notes": "",
        },
    )
    assert response.status_code == 302
    history = curator_api.get(f"/api/v1/figures/{figure.pk}/history/")
    assert history.status_code == 200
    body = history.json()
    assert [(entry["change"], entry["changed_by"]) for entry in body] == [
        ("changed", admin_user.username), ("changed", curator.username), ("created", None),
    ]
    assert body[0]["changes"] == [
        {"field": "qualifier", "old": "approximately", "new": "exact"},
        {"field": "quote", "old": "", "new": "Reached 765,200."},
    ]
    assert body[1]["changes"] == [{"field": "value", "old": 765110, "new": 765200}]
    created = {change["field"]: change for change in body[2]["changes"]}
    assert created["conflict"] == {"field": "conflict", "old": None, "new": "russia-ukraine"}
    assert created["period_end"] == {"field": "period_end", "old": None, "new": "2024-12-16"}


def test_history_outlives_the_figure_and_is_404_for_one_never_made(curator_api, api, figure):
    pk = figure.pk
    assert curator_api.delete(f"/api/v1/figures/{pk}/").status_code == 204
    body = api.get(f"/api/v1/figures/{pk}/history/").json()
    assert [entry["change"] for entry in body] == ["deleted", "created"]
    assert {"field": "value", "old": 765110, "new": None} in body[0]["changes"]
    missing = api.get("/api/v1/figures/999999/history/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No figure 999999 has ever existed."}


def test_deleted_lists_deletions_at_or_after_since(curator_api, api, figure):
    kept = FigureFactory(period_end=D(2024, 12, 1))
    before = timezone.now()
    assert curator_api.delete(f"/api/v1/figures/{figure.pk}/").status_code == 204
    response = api.get("/api/v1/figures/deleted/", {"since": before.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [figure.pk]
    assert body["count"] == 1
    assert set(body["results"][0]) == {"id", "deleted_at"}
    later = timezone.now() + datetime.timedelta(seconds=1)
    assert api.get("/api/v1/figures/deleted/", {"since": later.isoformat()}).json()["results"] == []
    assert kept.pk not in [row["id"] for row in body["results"]]


def test_deleted_requires_a_valid_since(api, db):
    assert api.get("/api/v1/figures/deleted/").json()["errors"] == {"since": ["This field is required."]}
    assert list(api.get("/api/v1/figures/deleted/", {"since": "yesterday"}).json()["errors"]) == ["since"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/series/?party=russia-armed-forces&category=total&claimed_by=general-staff",
        "/api/v1/compare/?party=russia-armed-forces&category=total",
        "/api/v1/figures/latest/",
        "/api/v1/figures/deleted/?since=2024-01-01T00:00:00Z",
    ],
)
def test_analysis_answers_carry_etags(api, quantity, path):
    claim(quantity, D(2024, 12, 16), 765110)
    etag = api.get(path)["ETag"]
    assert api.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    claim(quantity, D(2024, 12, 17), 766000)
    assert api.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_analysis_queries_are_few_and_fixed(api, quantity, django_assert_num_queries):
    for day in range(1, 31):
        claim(quantity, D(2024, 11, day), 1000 + day)
        claim({**quantity, "claimed_by": SourceFactory()}, D(2024, 11, day), 2000 + day)
    # 1 the data version, 2 the vocabularies (all five, kept while the version stands), 3 the conflicts of those
    # figures, 4 their bases, 5 the points
    with django_assert_num_queries(5):
        assert len(series(api)["points"]) == 30
    # 1 the data version, 2 the points: the conflict and basis of those figures are remembered for this version
    with django_assert_num_queries(2):
        assert len(series(api, interval="week")["points"]) == 5
    # 1 the data version, 2 the conflicts of those figures, 3 the last day's figures of each quantity, 4 which of them
    # were asked for, 5 the claims with relations
    with django_assert_num_queries(5):
        assert compare(api)["summary"]["sources"] == 31
    # 1 the data version, 2-3 the latest figures' ids (as for compare), 4 the count, 5 the page
    with django_assert_num_queries(5):
        assert api.get("/api/v1/figures/latest/").json()["count"] == 31


day_values = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=60)


@given(values=day_values, gaps=st.lists(st.integers(min_value=1, max_value=40), min_size=60, max_size=60))
@settings(max_examples=200)
def test_a_series_changes_sum_to_last_minus_first(values, gaps):
    days, day = [], D(2023, 1, 1)
    for _value, gap in zip(values, gaps, strict=False):
        days.append(day)
        day += datetime.timedelta(days=gap)
    rows, previous = [], None
    for index, (value, date) in enumerate(zip(values, days, strict=True)):
        rows.append({"id": index, "period_end": date, "value": value, "value_low": None, "value_high": None,
                     "previous_value": previous and previous[0], "previous_date": previous and previous[1]})
        previous = (value, date)
    rows[0]["previous_value"] = rows[0]["previous_date"] = None
    points = series_points(rows, "day")
    assert sum(point["change"] or 0 for point in points) == values[-1] - values[0]
    assert all(("correction" in p["flags"]) == (p["change"] is not None and p["change"] < 0) for p in points)


@given(
    values=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40),
    interval=st.sampled_from(["week", "month"]),
)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_bucketing_never_invents_values(api, quantity, values, interval):
    Figure.objects.all().delete()
    report = ReportFactory(published_on=D(2026, 1, 1))
    made = {}
    for index, value in enumerate(values):
        day = D(2023, 1, 1) + datetime.timedelta(days=5 * index)
        made[day] = FigureFactory(**quantity, report=report, period_end=day, value=value)
    points = series(api, interval=interval)["points"]
    for point in points:
        figure = made[D.fromisoformat(point["date"])]
        assert (point["figure"], point["value"]) == (figure.pk, figure.value)
    assert len(points) <= len(values)
    assert points[-1]["value"] == values[-1]


def test_follows_knows_days_iso_weeks_and_months():
    assert follows(D(2024, 12, 31), D(2025, 1, 1), "day")
    assert not follows(D(2024, 12, 30), D(2025, 1, 1), "day")
    assert follows(D(2024, 12, 22), D(2024, 12, 23), "week")  # Sunday, then Monday of the next ISO week
    assert follows(D(2024, 12, 16), D(2024, 12, 29), "week")
    assert not follows(D(2024, 12, 15), D(2024, 12, 29), "week")
    assert follows(D(2024, 12, 1), D(2025, 1, 31), "month")
    assert not follows(D(2024, 11, 30), D(2025, 1, 1), "month")


def test_history_and_deleted_take_a_fixed_number_of_queries(curator_api, api, figure, django_assert_num_queries):
    for value in range(5):
        assert curator_api.patch(f"/api/v1/figures/{figure.pk}/", {"value": value}, format="json").status_code == 200
    # 1 the data version, 2 the revisions with their users, 3-6 the slugs of conflict, party, category, claimant
    with django_assert_num_queries(6):
        assert len(api.get(f"/api/v1/figures/{figure.pk}/history/").json()) == 6
    for _ in range(3):
        FigureFactory(period_end=D(2024, 12, 1)).delete()
    # 1 the data version, 2 the count, 3 the page
    with django_assert_num_queries(3):
        assert api.get("/api/v1/figures/deleted/", {"since": "2000-01-01T00:00:00Z"}).json()["count"] == 3
