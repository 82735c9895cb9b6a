import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from stats.citations import format_citation
from stats.models import DUPLICATE_CLAIM_MESSAGE, Figure, Report
from tests.factories import (
    CategoryFactory,
    ConflictFactory,
    FigureFactory,
    PartyFactory,
    ReportFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def messages_of(excinfo) -> list[str]:
    return excinfo.value.messages


def assert_database_refuses(queryset, constraint: str, **changes):
    """The database itself refuses the change, bypassing all validation, and names the check constraint."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        queryset.update(**changes)
    assert constraint in str(excinfo.value)


@pytest.mark.parametrize(
    ("changes", "constraint", "message"),
    [
        ({"value": -1}, "figure_value_not_negative", "The value cannot be negative."),
        ({"value_low": -5}, "figure_value_low_not_negative", "The value cannot be negative."),
        ({"value_high": -5}, "figure_value_high_not_negative", "The value cannot be negative."),
        ({"value": 10_000_000_001}, "", "The value cannot be above 10,000,000,000."),
        (
            {"value_low": 200, "value_high": 100},
            "figure_range_ordered",
            "The low end of the range cannot be above its high end.",
        ),
        (
            {"period_start": datetime.date(2024, 12, 10), "period_end": datetime.date(2024, 12, 1)},
            "figure_period_ordered",
            "The period cannot end before it starts.",
        ),
        ({"qualifier": "roughly"}, "figure_qualifier_valid", None),
        ({"basis": "rumoured"}, "figure_basis_valid", None),
        ({"date_precision": "week"}, "figure_date_precision_valid", None),
    ],
)
def test_figure_constraints_refuse_bad_data_with_their_message(figure, changes, constraint, message):
    for field, value in changes.items():
        setattr(figure, field, value)
    with pytest.raises(ValidationError) as excinfo:
        figure.full_clean()
    if message:
        assert message in messages_of(excinfo)
    if constraint:
        assert_database_refuses(Figure.objects.filter(pk=figure.pk), constraint, **changes)


def test_value_may_lie_outside_its_range(figure):
    figure.value_low, figure.value_high = 1, 10
    figure.full_clean()
    figure.save()
    assert Figure.objects.get(pk=figure.pk).value_high == 10


def test_it_refuses_a_duplicate_claim_with_a_null_period_start(figure):
    twin = Figure(
        **{field: getattr(figure, field) for field in ["conflict", "party", "category", "claimed_by", "report"]},
        value=1,
        period_end=figure.period_end,
        basis=figure.basis,
    )
    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean()
    assert messages_of(excinfo) == [DUPLICATE_CLAIM_MESSAGE]
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_it_refuses_a_duplicate_claim_for_a_given_period():
    first = FigureFactory(period_start=datetime.date(2024, 12, 16), value=1600)
    twin = FigureFactory.build(
        conflict=first.conflict, party=first.party, category=first.category, claimed_by=first.claimed_by,
        report=first.report, period_start=first.period_start, period_end=first.period_end, value=1700,
    )
    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean()
    assert messages_of(excinfo) == [DUPLICATE_CLAIM_MESSAGE]
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_the_same_numbers_under_another_basis_are_another_claim(figure):
    other = FigureFactory.build(
        conflict=figure.conflict, party=figure.party, category=figure.category, claimed_by=figure.claimed_by,
        report=figure.report, period_end=figure.period_end, basis=Figure.Basis.ESTIMATED,
    )
    other.full_clean()
    other.save()
    assert Figure.objects.count() == 2


def test_a_period_starting_with_the_conflict_is_stored_as_cumulative(figure):
    figure.period_start = figure.conflict.started_on
    figure.full_clean()
    assert figure.period_start is None
    assert figure.cumulative is True


def test_spelling_since_the_start_twice_is_still_a_duplicate(figure):
    twin = FigureFactory.build(
        conflict=figure.conflict, party=figure.party, category=figure.category, claimed_by=figure.claimed_by,
        report=figure.report, period_end=figure.period_end, period_start=figure.conflict.started_on,
    )
    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean()
    assert messages_of(excinfo) == [DUPLICATE_CLAIM_MESSAGE]


def test_a_period_may_not_begin_before_its_conflict(figure):
    figure.period_start = datetime.date(2022, 2, 23)
    with pytest.raises(ValidationError) as excinfo:
        figure.full_clean()
    assert excinfo.value.message_dict["period_start"] == [
        "The period cannot begin before the conflict did (2022-02-24)."
    ]


def test_a_period_may_not_end_before_its_conflict(figure):
    figure.period_end = datetime.date(2021, 12, 31)
    with pytest.raises(ValidationError) as excinfo:
        figure.full_clean()
    assert excinfo.value.message_dict["period_end"] == ["The period cannot end before the conflict began (2022-02-24)."]


def test_a_period_may_not_end_after_its_report_was_published(figure):
    figure.period_end = datetime.date(2024, 12, 18)
    with pytest.raises(ValidationError) as excinfo:
        figure.full_clean()
    assert excinfo.value.message_dict["period_end"] == [
        "The period cannot end after the report was published (2024-12-17)."
    ]


@pytest.mark.parametrize(
    ("precision", "entered", "stored"),
    [
        ("day", datetime.date(2024, 11, 3), datetime.date(2024, 11, 3)),
        ("month", datetime.date(2024, 11, 3), datetime.date(2024, 11, 30)),
        ("month", datetime.date(2024, 12, 1), datetime.date(2024, 12, 17)),  # the report's date is earlier
        ("year", datetime.date(2023, 5, 1), datetime.date(2023, 12, 31)),
        ("year", datetime.date(2024, 1, 1), datetime.date(2024, 12, 17)),
    ],
)
def test_a_month_or_year_ends_on_its_last_day_or_the_report_date(figure, precision, entered, stored):
    figure.date_precision, figure.period_end = precision, entered
    figure.full_clean()
    assert figure.period_end == stored


def test_an_unsaved_report_still_bounds_its_figures():
    figure = FigureFactory.build(report=ReportFactory.build(published_on=datetime.date(2024, 1, 1)))
    figure.conflict.save()
    figure.party.save()
    figure.category.save()
    figure.claimed_by.save()
    with pytest.raises(ValidationError) as excinfo:
        figure.full_clean(exclude=["report"])
    assert "period_end" in excinfo.value.message_dict


def test_slugs_are_unique_and_the_error_names_the_field():
    PartyFactory(slug="russia-armed-forces")
    duplicate = PartyFactory.build(slug="russia-armed-forces")
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert excinfo.value.message_dict == {"slug": ["A party with this slug already exists."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.parametrize(
    "factory", [ConflictFactory, SourceFactory, CategoryFactory], ids=["conflict", "source", "category"]
)
def test_every_vocabulary_refuses_a_second_slug(factory):
    factory(slug="the-slug")
    with pytest.raises(ValidationError) as excinfo:
        factory.build(slug="the-slug").full_clean()
    assert list(excinfo.value.message_dict) == ["slug"]


def test_a_conflict_cannot_end_before_it_starts():
    conflict = ConflictFactory()
    conflict.ended_on = datetime.date(2020, 1, 1)
    with pytest.raises(ValidationError) as excinfo:
        conflict.full_clean()
    assert excinfo.value.messages == ["A conflict cannot end before it starts."]


def test_report_addresses_are_unique():
    ReportFactory(url="https://example.org/a")
    with pytest.raises(ValidationError) as excinfo:
        ReportFactory.build(url="https://example.org/a").full_clean()
    assert excinfo.value.message_dict == {"url": ["A report with this address already exists."]}


def test_reports_without_an_address_store_null_and_do_not_collide():
    first = ReportFactory.build(url="")
    first.full_clean()
    first.save()
    second = ReportFactory(url=None)
    second.full_clean()
    assert Report.objects.filter(url__isnull=True).count() == 2
    assert_database_refuses(Report.objects.filter(pk=first.pk), "report_url_null_when_absent", url="")


def test_a_report_address_may_be_long():
    url = "https://www.mil.gov.ua/news/2024/12/17/" + "zagalni-bojovi-vtrati-protivnika-" * 8 + "x"
    assert len(url) > 250
    report = ReportFactory.build(url=url)
    report.full_clean()
    report.save()
    assert Report.objects.get(pk=report.pk).url == url


def test_a_language_is_a_two_letter_code():
    with pytest.raises(ValidationError) as excinfo:
        ReportFactory.build(language="English").full_clean()
    assert "language" in excinfo.value.message_dict


def test_a_country_is_an_iso_code():
    with pytest.raises(ValidationError) as excinfo:
        PartyFactory.build(country="XX").full_clean()
    assert "country" in excinfo.value.message_dict
    PartyFactory.build(country="").full_clean()


def test_cumulative_is_a_null_period_start(figure):
    assert figure.cumulative is True
    figure.period_start = datetime.date(2024, 12, 16)
    assert figure.cumulative is False


def test_a_citation_names_claimant_quantity_date_and_report():
    figure = FigureFactory(
        claimed_by__name="General Staff of the Armed Forces of Ukraine",
        party__name="Russian armed forces",
        category__name="Total casualties",
        report__title="Combat losses of the enemy",
        report__url="https://www.mil.gov.ua/news/2024/12/17/",
        report__publisher=SourceFactory(name="Ministry of Defence of Ukraine"),
    )
    assert figure.citation == (
        "General Staff of the Armed Forces of Ukraine claimed about 765,110 total casualties among Russian armed "
        "forces (Russian invasion of Ukraine), counted since the conflict began, as of 16 December 2024 "
        "(Ministry of Defence of Ukraine, “Combat losses of the enemy”, published 17 December 2024, "
        "https://www.mil.gov.ua/news/2024/12/17/)."
    )


def test_a_citation_says_one_day_a_period_a_range_and_an_imprecise_date():
    common = {
        "claimed_by": "UN OHCHR", "basis": "confirmed", "category": "Killed", "party": "Civilians",
        "conflict": "Russian invasion of Ukraine", "report_title": "Update", "report_url": None,
        "report_published_on": datetime.date(2024, 12, 17), "publisher": None,
    }
    one_day = format_citation(
        **common, qualifier="exact", value=12, value_low=None, value_high=None,
        period_start=datetime.date(2024, 12, 16), period_end=datetime.date(2024, 12, 16), date_precision="day",
    )
    assert one_day == (
        "UN OHCHR confirmed 12 killed among Civilians (Russian invasion of Ukraine) on 16 December 2024 "
        "(“Update”, published 17 December 2024)."
    )
    period = format_citation(
        **common, qualifier="at_least", value=1200, value_low=1000, value_high=1500,
        period_start=datetime.date(2024, 11, 1), period_end=datetime.date(2024, 11, 30), date_precision="month",
    )
    assert period == (
        "UN OHCHR confirmed at least 1,200 killed (range 1,000 to 1,500) among Civilians (Russian invasion of "
        "Ukraine) from 1 November 2024 to November 2024 (“Update”, published 17 December 2024)."
    )
    imprecise = format_citation(
        **common, qualifier="at_most", value=5, value_low=None, value_high=9,
        period_start=None, period_end=datetime.date(2024, 12, 17), date_precision="year",
    )
    assert imprecise == (
        "UN OHCHR confirmed at most 5 killed (range up to 9) among Civilians (Russian invasion of Ukraine), "
        "counted since the conflict began, as of 2024 (“Update”, published 17 December 2024)."
    )


def test_every_model_keeps_revisions(figure):
    figure.value = 765111
    figure.save()
    assert [record.history_type for record in figure.history.all()] == ["~", "+"]
    assert figure.history.first().value == 765111
    assert figure.report.history.count() == 1
