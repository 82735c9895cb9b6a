"""Compare's groups: the recent claims of each basis as one range, the older ones only counted (`recent_days`)."""

import datetime

import pytest

from tests.factories import CategoryFactory, ConflictFactory, FigureFactory, PartyFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db
D = datetime.date
NEWEST = D(2026, 8, 21)


@pytest.fixture
def quantity(db):
    return {"conflict": ConflictFactory(), "party": PartyFactory(slug="russia-armed-forces"),
            "category": CategoryFactory(slug="killed")}


def claim(quantity, slug: str, day: datetime.date, value: int, basis: str = "estimated", **fields):
    return FigureFactory(**quantity, claimed_by=SourceFactory(slug=slug), period_end=day, value=value, basis=basis,
                         report=ReportFactory(published_on=day), **fields)


def compare(api, **params) -> dict:
    response = api.get("/api/v1/compare/", {"party": "russia-armed-forces", "category": "killed", **params})
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def claims(quantity):
    """Estimates from 2022 to 2026, one confirmed count, statements two years older than the newest claim."""
    return {
        "model": claim(quantity, "model", NEWEST, 490321, value_low=417284, value_high=579031),
        "nato": claim(quantity, "nato", D(2026, 6, 17), 500000),
        # Exactly 365 days before the newest: still recent.
        "agency": claim(quantity, "agency", D(2025, 8, 21), 369000, qualifier="at_least", value_low=369000,
                        value_high=523000),
        # 366 days before: older.
        "joint": claim(quantity, "joint", D(2025, 8, 20), 200000),
        "cia": claim(quantity, "cia", D(2022, 7, 20), 15000),
        "names": claim(quantity, "names", D(2026, 1, 30), 168142, basis="confirmed"),
        "president": claim(quantity, "president", D(2024, 8, 16), 198000, basis="claimed"),
        "staff": claim(quantity, "staff", D(2022, 7, 19), 38500, basis="claimed"),
    }


def test_groups_range_each_bases_recent_claims_and_count_the_older_ones_apart(api, claims):
    body = compare(api, as_of="2026-12-31")
    assert body["groups"] == [
        {"basis": "estimated", "claimed_by": ["nato", "model", "agency"], "claims": 3, "min": 369000, "max": 500000,
         "median": 490321, "from": "2025-08-21", "to": "2026-08-21"},
        {"basis": "confirmed", "claimed_by": ["names"], "claims": 1, "min": 168142, "max": 168142, "median": 168142,
         "from": "2026-01-30", "to": "2026-01-30"},
    ]
    # The statements' last claim is two years older than the newest: no group, only counted.
    assert body["older"] == [
        {"basis": "estimated", "claims": 2, "newest": "2025-08-20"},
        {"basis": "claimed", "claims": 2, "newest": "2024-08-16"},
    ]
    assert body["summary"] == {"sources": 8, "min": 15000, "max": 500000, "median": 199000, "spread": 33.33}


def test_a_range_is_of_the_claims_values_not_their_bands(api, claims):
    [estimates, _names] = compare(api, as_of="2026-12-31")["groups"]
    assert (estimates["min"], estimates["max"]) == (369000, 500000)  # not the bands' 417,284 or 579,031


def test_recent_days_moves_the_cut(api, claims):
    body = compare(api, as_of="2026-12-31", recent_days="66")  # back to 2026-06-16
    assert body["groups"] == [
        {"basis": "estimated", "claimed_by": ["nato", "model"], "claims": 2, "min": 490321, "max": 500000,
         "median": 495160.5, "from": "2026-06-17", "to": "2026-08-21"},
    ]
    assert body["older"] == [
        {"basis": "estimated", "claims": 3, "newest": "2025-08-21"},
        {"basis": "confirmed", "claims": 1, "newest": "2026-01-30"},
        {"basis": "claimed", "claims": 2, "newest": "2024-08-16"},
    ]
    body = compare(api, as_of="2026-12-31", recent_days="36500")
    assert [(group["basis"], group["claims"]) for group in body["groups"]] == [
        ("estimated", 5), ("confirmed", 1), ("claimed", 2),
    ]
    assert body["older"] == []


def test_the_cut_follows_the_newest_claim_compared_after_as_of_and_claimed_by(api, claims):
    # Up to 2024: the president's claim is the newest, the staff's two years older.
    body = compare(api, as_of="2024-12-31")
    assert [(group["basis"], group["claimed_by"]) for group in body["groups"]] == [("claimed", ["president"])]
    assert body["older"] == [
        {"basis": "estimated", "claims": 1, "newest": "2022-07-20"},
        {"basis": "claimed", "claims": 1, "newest": "2022-07-19"},
    ]
    body = compare(api, as_of="2026-12-31", claimed_by="cia,staff")
    assert body["groups"] == [
        {"basis": "estimated", "claimed_by": ["cia"], "claims": 1, "min": 15000, "max": 15000, "median": 15000,
         "from": "2022-07-20", "to": "2022-07-20"},
        {"basis": "claimed", "claimed_by": ["staff"], "claims": 1, "min": 38500, "max": 38500, "median": 38500,
         "from": "2022-07-19", "to": "2022-07-19"},
    ]
    assert body["older"] == []


def test_one_claimant_on_two_bases_is_in_two_groups(api, quantity):
    verified = claim(quantity, "ocha", D(2026, 6, 29), 1109, basis="confirmed")
    FigureFactory(**quantity, claimed_by=verified.claimed_by, period_end=D(2026, 6, 8), value=1180, basis="claimed",
                  report=ReportFactory(published_on=D(2026, 6, 9)))
    groups = compare(api, as_of="2026-12-31")["groups"]
    assert [(group["basis"], group["claimed_by"], group["min"]) for group in groups] == [
        ("confirmed", ["ocha"], 1109), ("claimed", ["ocha"], 1180),
    ]


def test_without_claims_there_are_no_groups(api, quantity):
    assert compare(api, as_of="2026-12-31") | {"data_version": None} == {
        "as_of": "2026-12-31", "claims": [], "groups": [], "older": [], "data_version": None, "as_recorded": None,
        "summary": {"sources": 0, "min": None, "max": None, "median": None, "spread": None},
    }


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ("0", "Ensure this value is greater than or equal to 1."),
        ("-5", "Ensure this value is greater than or equal to 1."),
        ("36501", "Ensure this value is less than or equal to 36500."),
        ("abc", "A valid integer is required."),
        ("1.5", "A valid integer is required."),
    ],
)
def test_recent_days_must_be_an_integer_from_1_to_36500(api, quantity, given, error):
    response = api.get("/api/v1/compare/", {"party": "russia-armed-forces", "category": "killed",
                                            "recent_days": given})
    assert response.status_code == 400
    assert response.json()["errors"] == {"recent_days": [error]}


@pytest.mark.parametrize("given", ["1", "36500"])
def test_recent_days_takes_its_bounds(api, claims, given):
    assert compare(api, as_of="2026-12-31", recent_days=given)["groups"][0]["to"] == "2026-08-21"


def test_the_schema_says_what_recent_means(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/compare/"]["get"]
    [recent_days] = [parameter for parameter in operation["parameters"] if parameter["name"] == "recent_days"]
    assert recent_days["schema"] == {"type": "integer", "minimum": 1, "maximum": 36500, "default": 365}
    assert "newest claim compared" in recent_days["description"]
    components = schema["components"]["schemas"]
    compare_schema = components["Compare"]["properties"]
    assert "within `recent_days`" in compare_schema["groups"]["description"]
    assert "whatever its age or basis" in compare_schema["summary"]["description"]
    assert list(components["CompareGroup"]["properties"]) == [
        "basis", "claimed_by", "claims", "min", "max", "median", "from", "to",
    ]
    assert list(components["CompareOlder"]["properties"]) == ["basis", "claims", "newest"]
    assert "**recent**" in operation["description"]
