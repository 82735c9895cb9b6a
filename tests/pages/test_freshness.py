"""How fresh the pages say their data is: each compilation's last check in the credits, a quantity's newest claim."""

import datetime

import pytest
from django.utils import timezone

from stats.models import Dataset, Feed
from tests.pages.test_pages import QUANTITY, claims, page  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("claims")]


def checked(dataset: Dataset, *moments: datetime.datetime) -> None:
    for number, moment in enumerate(moments):
        Feed.objects.create(dataset=dataset, name=f"feed-{number}", state="current", checked_at=moment)


def at(day: int) -> datetime.datetime:
    return datetime.datetime(2026, 8, day, 23, 30, tzinfo=datetime.UTC)


def test_the_home_page_credits_each_compilation_with_its_newest_check(client):
    economist = Dataset.objects.get(slug="economist")
    assert ", checked" not in page(client, "/")  # never read: nothing said
    checked(economist, at(7), at(9))
    assert "CC-BY-4.0</a> (commit 0000000), checked 9 August 2026.</li>" in page(client, "/")


def test_the_quantity_page_credits_each_compilation_with_its_newest_check(client):
    checked(Dataset.objects.get(slug="economist"), at(9), None)
    html = page(client, QUANTITY)
    assert "CC BY 4.0. The Economist&#x27;s estimates checked 9 August 2026.</p>" in html


def test_a_page_of_the_past_says_nothing_of_checks(client):
    checked(Dataset.objects.get(slug="economist"), at(9))
    moment = timezone.now().isoformat()
    assert "checked 9 August 2026" not in page(client, "/", as_recorded=moment)
    assert "checked 9 August 2026" not in page(client, QUANTITY, as_recorded=moment)


def test_the_quantity_page_says_how_recent_its_newest_claim_is(client):
    # The newest day counted is 16 December 2024, by both series; the later report of the two is named.
    html = page(client, QUANTITY)
    assert "Newest claim counted to 16 December 2024, reported 20 December 2024." in html
    # Whatever the claims chosen: it is what the service holds of the quantity.
    assert "Newest claim counted to 16 December 2024" in page(client, QUANTITY, claimed_by="cia")
