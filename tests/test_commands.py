import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_createcurator_makes_a_staff_user_in_the_curators_group(capsys, client):
    call_command("createcurator", "olena", email="olena@example.org")
    output = capsys.readouterr().out
    password = re.fullmatch(r"Curator 'olena' created\. Password \(shown once\): (\S+)\n", output).group(1)
    user = get_user_model().objects.get(username="olena")
    assert (user.is_staff, user.is_superuser, user.email) == (True, False, "olena@example.org")
    assert list(user.groups.values_list("name", flat=True)) == ["curators"]
    assert user.has_perm("stats.add_figure") and user.has_perm("stats.delete_report")
    assert not user.has_perm("auth.add_user")
    signed_in = client.post("/admin/login/", {"username": "olena", "password": password, "next": "/admin/"})
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/admin/")


def test_createcurator_refuses_an_existing_name():
    call_command("createcurator", "olena")
    with pytest.raises(CommandError, match=r"A user named 'olena' already exists\."):
        call_command("createcurator", "olena")


def test_createcurator_refuses_an_invalid_name():
    with pytest.raises(CommandError, match="Enter a valid username"):
        call_command("createcurator", "no spaces please")


def test_the_curators_group_holds_every_permission_on_the_claims_models_and_their_own_tokens():
    from django.contrib.auth.models import Group

    codenames = set(Group.objects.get(name="curators").permissions.values_list("codename", flat=True))
    assert codenames == {
        f"{action}_{model}"
        for model in ("conflict", "party", "source", "report", "category", "figure", "dataset")
        for action in ("add", "change", "delete", "view")
    } | {
        "view_redaction",  # reading the record of redactions; making one takes `redact_revision`, given to few
        "add_authtoken", "delete_authtoken", "view_authtoken",  # their own API tokens (knox)
        "view_feed", "view_heldchange", "decide_heldchange",  # the sync's feeds, and deciding what it held
    }


def test_no_model_change_lacks_a_migration(capsys):
    call_command("makemigrations", "--check", "--dry-run")
    assert "No changes detected" in capsys.readouterr().out
