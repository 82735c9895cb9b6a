"""API tokens (knox): sent as `Authorization: Token <key>`, kept as digests, expiring, revocable one by one or all
at once, revoked by a password change, and never traded for a password."""

import datetime
import hashlib

import pytest
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from stats.tokens import token_create

pytestmark = pytest.mark.django_db


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def write(client: APIClient, slug: str = "displaced"):
    """A curator's write: add a category."""
    return client.post("/api/v1/categories/", {"slug": slug, "name": slug.title(), "description": ""}, format="json")


def test_a_curators_token_writes(curator):
    _token, key = token_create(user=curator)
    response = write(client_with(key))
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "displaced"


def test_a_new_token_lives_for_api_token_ttl(curator, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": datetime.timedelta(days=7)}
    before = timezone.now()
    token, _key = token_create(user=curator)
    assert before + datetime.timedelta(days=7) <= token.expiry <= timezone.now() + datetime.timedelta(days=7)


def test_an_expired_token_is_401_and_is_deleted(curator):
    token, key = token_create(user=curator)
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    response = write(client_with(key))
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"
    assert not AuthToken.objects.filter(pk=token.pk).exists()
    # Reads are public, but a stale token is refused there too rather than ignored.
    assert client_with(key).get("/api/v1/categories/").status_code == 401


def test_the_database_keeps_a_digest_and_no_usable_key(curator):
    _token, key = token_create(user=curator)
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key, user_id, created, expiry FROM knox_authtoken")
        (row,) = cursor.fetchall()
    digest, token_key = row[0], row[1]
    assert digest == hashlib.sha512(key.encode()).hexdigest()
    assert token_key == key[:15]
    assert not any(key in str(value) for value in row)
    # Neither what is stored nor a guess made from it is a key.
    for stored in (digest, token_key, token_key + digest[: len(key) - 15]):
        assert write(client_with(stored), slug=f"s{len(stored)}").status_code == 401
    assert write(client_with(key)).status_code == 201


def test_logout_revokes_only_the_token_it_is_sent_with(curator):
    _laptop, laptop_key = token_create(user=curator)
    phone, phone_key = token_create(user=curator)
    response = client_with(laptop_key).post("/api/v1/auth/logout/")
    assert response.status_code == 204
    assert write(client_with(laptop_key)).status_code == 401
    assert write(client_with(phone_key)).status_code == 201
    assert list(AuthToken.objects.values_list("pk", flat=True)) == [phone.pk]


def test_logout_all_revokes_every_token_of_its_user_and_no_one_elses(curator, django_user_model):
    token_create(user=curator)
    _token, key = token_create(user=curator)
    other = django_user_model.objects.create_user("other-curator", is_staff=True)
    kept, _other_key = token_create(user=other)
    response = client_with(key).post("/api/v1/auth/logout-all/")
    assert response.status_code == 204
    assert list(AuthToken.objects.values_list("pk", flat=True)) == [kept.pk]
    assert client_with(key).post("/api/v1/auth/logout-all/").status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/auth/logout/", "/api/v1/auth/logout-all/"])
def test_logging_out_without_a_token_is_a_json_401(api, client, curator, path):
    response = api.post(path)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Token"
    # A signed-in admin session is not a token: it is signed out in the admin.
    client.force_login(curator)
    assert client.post(path).status_code == 401


def test_no_endpoint_trades_a_password_for_a_token(api, curator):
    for path in ("/api/v1/auth/login/", "/api/v1/auth/", "/api/v1/auth/token/"):
        response = api.post(path, {"username": "curator", "password": "a-long-curator-password"}, format="json")
        assert response.status_code == 404, path
    assert AuthToken.objects.count() == 0


def test_a_password_change_revokes_every_token_of_that_user(curator, django_user_model):
    _token, key = token_create(user=curator)
    other = django_user_model.objects.create_user("other-curator", is_staff=True)
    kept, _other_key = token_create(user=other)
    curator.set_password("a-new-and-long-curator-password")
    curator.save()
    assert write(client_with(key)).status_code == 401
    assert list(AuthToken.objects.values_list("pk", flat=True)) == [kept.pk]


def test_saving_a_user_without_a_new_password_keeps_their_tokens(curator):
    token, key = token_create(user=curator)
    curator.email = "curator@example.org"
    curator.save()
    assert list(AuthToken.objects.values_list("pk", flat=True)) == [token.pk]
    assert write(client_with(key)).status_code == 201
