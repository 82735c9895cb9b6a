"""API tokens in the admin and on the command line: a curator lists, makes and revokes their own; a superuser,
everyone's; a key is shown once and kept nowhere; `createtoken` prints one; a password change revokes them."""

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from stats.tokens import token_create

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:knox_authtoken_changelist")
ADD = reverse("admin:knox_authtoken_add")


def writes_with(key: str, slug: str = "displaced") -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.post("/api/v1/categories/", {"slug": slug, "name": slug, "description": ""}, format="json").status_code


@pytest.fixture
def other_curator(django_user_model, curator):
    user = django_user_model.objects.create_user("other-curator", password="another-long-password", is_staff=True)
    user.groups.add(*curator.groups.all())
    return user


def listed(response) -> set[str]:
    return {token.pk for token in response.context["cl"].result_list}


def test_a_curator_lists_only_their_own_tokens(client, curator, other_curator):
    mine, _key = token_create(user=curator)
    theirs, _key = token_create(user=other_curator)
    client.force_login(curator)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed(response) == {mine.pk}
    assert theirs.token_key not in response.content.decode()
    # Another curator's token cannot be opened nor deleted either.
    assert client.get(reverse("admin:knox_authtoken_change", args=[theirs.pk])).status_code == 302
    client.post(reverse("admin:knox_authtoken_delete", args=[theirs.pk]), {"post": "yes"})
    assert AuthToken.objects.filter(pk=theirs.pk).exists()


def test_a_superuser_lists_every_token(admin_client, curator, other_curator):
    tokens = {token_create(user=curator)[0].pk, token_create(user=other_curator)[0].pk}
    assert listed(admin_client.get(CHANGELIST)) == tokens


def test_a_curator_revokes_their_token_in_the_admin(client, curator):
    token, key = token_create(user=curator)
    client.force_login(curator)
    response = client.post(reverse("admin:knox_authtoken_delete", args=[token.pk]), {"post": "yes"})
    assert (response.status_code, response["Location"]) == (302, CHANGELIST)
    assert not AuthToken.objects.exists()
    assert writes_with(key) == 401


def test_a_curator_makes_a_token_for_themself_and_sees_its_key_once(client, curator, other_curator):
    client.force_login(curator)
    form = client.get(ADD)
    assert form.status_code == 200
    assert 'name="user"' not in form.content.decode()
    response = client.post(ADD, {"user": other_curator.pk, "_save": "Save"})  # a user sent anyway is ignored
    assert response.status_code == 200
    key = response.context["key"]
    assert f'<code id="token-key">{key}</code>' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = AuthToken.objects.get()
    assert token.user == curator
    assert writes_with(key) == 201
    # Shown once: not in the session (as a message would be), not on the token's own page.
    assert all(key not in str(session.get_decoded()) for session in Session.objects.all())
    assert key not in client.get(reverse("admin:knox_authtoken_change", args=[token.pk])).content.decode()
    assert key not in client.get(CHANGELIST).content.decode()


def test_a_superuser_makes_a_token_for_a_curator(admin_client, curator):
    response = admin_client.post(ADD, {"user": curator.pk, "_save": "Save"})
    assert response.status_code == 200
    assert AuthToken.objects.get().user == curator
    assert writes_with(response.context["key"]) == 201


def test_a_token_cannot_be_edited(client, curator):
    token, _key = token_create(user=curator)
    client.force_login(curator)
    page = client.get(reverse("admin:knox_authtoken_change", args=[token.pk]))
    assert page.status_code == 200
    assert 'type="submit" value="Save"' not in page.content.decode()
    client.post(reverse("admin:knox_authtoken_change", args=[token.pk]), {"user": curator.pk})
    assert AuthToken.objects.get().expiry == token.expiry


def test_changing_the_password_in_the_admin_revokes_every_token(client, curator):
    _token, key = token_create(user=curator)
    client.force_login(curator)
    response = client.post(reverse("admin:password_change"), {
        "old_password": "a-long-curator-password",
        "new_password1": "a-new-and-longer-password", "new_password2": "a-new-and-longer-password",
    })
    assert response.status_code == 302
    assert not AuthToken.objects.exists()
    assert writes_with(key) == 401


def test_a_superuser_setting_a_curators_password_revokes_their_tokens(admin_client, curator):
    token_create(user=curator)
    response = admin_client.post(reverse("admin:auth_user_password_change", args=[curator.pk]), {
        "password1": "a-new-and-longer-password", "password2": "a-new-and-longer-password",
    })
    assert response.status_code == 302
    assert not AuthToken.objects.filter(user=curator).exists()


def test_createtoken_prints_a_working_key(capsys, curator):
    call_command("createtoken", "curator")
    output = capsys.readouterr()
    key = output.out.strip()
    assert len(key) == 64
    assert output.err.startswith("Token for 'curator', valid until ")
    assert AuthToken.objects.get().user == curator
    assert writes_with(key) == 201


def test_createtoken_refuses_an_unknown_or_inactive_user(curator):
    with pytest.raises(CommandError, match=r"No user is named 'nobody'\."):
        call_command("createtoken", "nobody")
    curator.is_active = False
    curator.save()
    with pytest.raises(CommandError, match="not active"):
        call_command("createtoken", "curator")
    assert not AuthToken.objects.exists()
