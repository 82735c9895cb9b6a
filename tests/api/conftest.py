import pytest
from rest_framework.test import APIClient

from stats.tokens import token_create


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def curator_api(curator):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=curator)[1]}")
    return client


@pytest.fixture
def member_api(django_user_model):
    """An authenticated user who is not a curator."""
    user = django_user_model.objects.create_user("reader", password="a-long-reader-password")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user)[1]}")
    return client


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]
