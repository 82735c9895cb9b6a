"""The admin's second factor: with ADMIN_REQUIRE_2FA a password alone reaches nothing; a staff user without a device
is led to enrol one, and one with a device gives its code or a recovery code (which works once)."""

import re

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from stats.second_factor import RECOVERY_CODES, enrolment_confirm

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-curator-password"
INDEX = "/admin/"
FIGURES = "/admin/stats/figure/"
VERIFY = "/admin/second-factor/"
ENROL = "/admin/second-factor/enrol/"


@pytest.fixture
def required(settings):
    settings.ADMIN_REQUIRE_2FA = True


@pytest.fixture
def enrolled(curator) -> tuple[TOTPDevice, list[str]]:
    """The curator's authenticator app and recovery codes."""
    device = TOTPDevice.objects.create(user=curator, name="authenticator app", confirmed=False)
    return device, enrolment_confirm(user=curator, device=device)


def code_of(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def sign_in(client, username="curator", password=PASSWORD, next_url=FIGURES, **headers):
    return client.post("/admin/login/", {"username": username, "password": password, "next": next_url}, **headers)


def test_with_2fa_required_a_password_alone_reaches_nothing_in_the_admin(client, curator, required):
    signed_in = sign_in(client)
    assert (signed_in.status_code, signed_in["Location"]) == (302, f"{ENROL}?next=%2Fadmin%2Fstats%2Ffigure%2F")
    for page in (INDEX, FIGURES, reverse("admin:knox_authtoken_add"), reverse("admin:password_change")):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith("/admin/login/"), page
    assert client.get("/admin/login/?next=/admin/")["Location"] == f"{ENROL}?next=%2Fadmin%2F"


def test_enrolment_shows_the_key_and_a_qr_code_and_a_code_from_the_app_opens_the_admin(client, curator, required):
    sign_in(client)
    page = client.get(f"{ENROL}?next={FIGURES}")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=curator)
    assert not device.confirmed
    content = page.content.decode()
    assert re.search(r'<img src="data:image/svg\+xml;charset=utf-8,[^"]+" alt="QR code', content)
    assert "otpauth://totp/conflictdata%3Acurator?secret=" in content
    assert page.context["key"].replace(" ", "") in device.config_url
    # No inline script: the admin's Content-Security-Policy allows none.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", content) == []
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "img-src 'self' data:" in page["Content-Security-Policy"]

    wrong = client.post(ENROL, {"code": "000000" if code_of(device) != "000000" else "111111", "next": FIGURES})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["code"]
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)  # no waiting in a test

    confirmed = client.post(ENROL, {"code": code_of(device), "next": FIGURES})
    assert confirmed.status_code == 200
    codes = confirmed.context["codes"]
    assert len(codes) == len(set(codes)) == RECOVERY_CODES
    assert all(f"<code>{code}</code>" in confirmed.content.decode() for code in codes)
    assert sorted(StaticToken.objects.filter(device__user=curator).values_list("token", flat=True)) == sorted(codes)
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(FIGURES).status_code == 200


def test_a_user_with_a_device_gives_its_code_after_the_password(client, curator, required, enrolled):
    device, _codes = enrolled
    signed_in = sign_in(client)
    assert signed_in["Location"] == f"{VERIFY}?next=%2Fadmin%2Fstats%2Ffigure%2F"
    assert client.get(FIGURES).status_code == 302
    # A password alone may not set up another device in place of the one it has.
    assert client.get(ENROL)["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=curator).count() == 1
    response = client.post(VERIFY, {"code": code_of(device), "next": FIGURES})
    assert (response.status_code, response["Location"]) == (302, FIGURES)
    assert client.get(FIGURES).status_code == 200


def test_a_wrong_code_is_refused(client, curator, required, enrolled):
    device, _codes = enrolled
    sign_in(client)
    wrong = "123456" if code_of(device) != "123456" else "654321"
    response = client.post(VERIFY, {"code": wrong, "next": FIGURES})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "That code is not right (or was used already): try the next one your app shows, or a recovery code."
    ]
    assert client.get(FIGURES).status_code == 302
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 1
    # After each failure django-otp makes the device wait twice as long before the next try (1 s, 2 s, 4 s…): after
    # ten, even the right code is refused for minutes.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=10)
    response = client.post(VERIFY, {"code": code_of(device), "next": FIGURES})
    assert response.context["form"].errors["code"] == ["Too many wrong codes in a row: wait a little (longer after each wrong code), then try again."]
    assert client.get(FIGURES).status_code == 302


def test_a_recovery_code_works_once(client, curator, required, enrolled):
    _device, codes = enrolled
    sign_in(client)
    response = client.post(VERIFY, {"code": codes[0].upper(), "next": FIGURES})
    assert (response.status_code, response["Location"]) == (302, FIGURES)
    assert client.get(FIGURES).status_code == 200
    assert client.get(VERIFY + "?next=" + FIGURES)["Location"] == FIGURES  # nothing more is due
    client.post(reverse("admin:logout"))

    sign_in(client)
    again = client.post(VERIFY, {"code": codes[0], "next": FIGURES})
    assert again.status_code == 200
    assert again.context["form"].errors["code"]
    assert client.get(FIGURES).status_code == 302
    assert StaticToken.objects.filter(device__user=curator).count() == RECOVERY_CODES - 1


def test_an_unverified_user_can_sign_out(client, curator, required, enrolled):
    sign_in(client)
    response = client.post(reverse("admin:logout"))
    assert response.status_code == 200
    assert client.get(VERIFY)["Location"].startswith("/admin/login/")


def test_without_the_setting_a_password_suffices_until_the_user_enrols(client, curator):
    assert sign_in(client)["Location"] == FIGURES
    assert client.get(FIGURES).status_code == 200
    # Enrolling from the admin: then this user too is asked for a code at every sign-in.
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=curator)
    assert client.post(ENROL, {"code": code_of(device)}).status_code == 200
    client.post(reverse("admin:logout"))
    assert sign_in(client)["Location"].startswith(VERIFY)
    assert client.get(FIGURES).status_code == 302


def test_a_verified_user_may_replace_the_app_and_the_recovery_codes(client, curator, enrolled):
    old, old_codes = enrolled
    sign_in(client)
    client.post(VERIFY, {"code": old_codes[0]})
    client.get(ENROL)
    new = TOTPDevice.objects.get(user=curator, confirmed=False)
    response = client.post(ENROL, {"code": code_of(new)})
    assert response.status_code == 200
    assert list(TOTPDevice.objects.filter(user=curator).values_list("pk", flat=True)) == [new.pk]
    assert StaticDevice.objects.filter(user=curator).count() == 1
    assert set(StaticToken.objects.filter(device__user=curator).values_list("token", flat=True)) == set(
        response.context["codes"]
    )
    assert old.pk != new.pk


def test_a_password_only_session_cannot_write_through_the_api(client, curator, required, enrolled):
    device, _codes = enrolled
    sign_in(client)
    body = {"slug": "displaced", "name": "Displaced", "description": ""}
    refused = client.post("/api/v1/categories/", body, content_type="application/json")
    assert refused.status_code == 401
    client.post(VERIFY, {"code": code_of(device)})
    api = APIClient(enforce_csrf_checks=False)
    api.cookies = client.cookies
    assert api.post("/api/v1/categories/", body, format="json").status_code == 201


def test_sign_in_attempts_are_still_limited_with_2fa_required(client, curator, required):
    # However many failures django-axes allows (AXES_* settings), it then refuses even the right password.
    statuses = [sign_in(client, password="wrong", REMOTE_ADDR="81.2.69.160").status_code for _ in range(30)]
    assert 429 in statuses
    assert set(statuses[: statuses.index(429)]) == {200}
    assert sign_in(client, REMOTE_ADDR="81.2.69.160").status_code == 429
    assert client.get(ENROL)["Location"].startswith("/admin/login/")
    assert AccessAttempt.objects.filter(username="curator").exists()
