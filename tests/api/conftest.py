import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

# On PostgreSQL every API read also sets, then lifts, the database's time limit (stats/middleware.py).
READ_LIMIT_QUERIES = 2 if connection.vendor == "postgresql" else 0


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def curator_api(curator):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=curator).key}")
    return client


@pytest.fixture
def member_api(django_user_model):
    """An authenticated user who is not a curator."""
    user = django_user_model.objects.create_user("reader", password="a-long-reader-password")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]
