"""The admin's two-factor enrolment in a real browser: its pages work under the Content-Security-Policy."""

import base64

import pytest
from django_otp.oath import totp

from tests.browser.test_pages_in_chromium import chromium, pytestmark, visit  # noqa: F401  (fixtures, marks)


@pytest.fixture
def curator_signing_in(django_user_model, settings):
    settings.ADMIN_REQUIRE_2FA = True
    # A staff user (the transactional tests before this one may have emptied the curators group's table).
    return django_user_model.objects.create_user("olena", password="a-long-curator-password", is_staff=True)


def test_a_curator_enrols_an_authenticator_app_and_reaches_the_admin(visit, curator_signing_in):  # noqa: F811
    tab = visit(1280)
    failed = []
    tab.page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    page = tab.open("/admin/login/?next=/admin/")
    page.fill("#id_username", "olena")
    page.fill("#id_password", "a-long-curator-password")
    page.click("input[type=submit]")
    page.wait_for_load_state("load")
    assert page.url.endswith("/admin/second-factor/enrol/?next=%2Fadmin%2F")
    # The QR code is a data: image, which the admin's policy allows; it is drawn, and no script or style was refused.
    assert page.evaluate("document.querySelector('img[alt^=\"QR code\"]').naturalWidth") > 0
    key = page.locator("ol code").nth(1).inner_text().replace(" ", "")
    code = f"{totp(base64.b32decode(key)):06d}"  # what the app would show
    page.fill("#id_code", code)
    page.click("input[type=submit]")
    page.wait_for_load_state("load")
    assert len(page.locator("ul.recovery-codes code").all_inner_texts()) == 10
    page.click("text=Continue to the admin")
    page.wait_for_load_state("load")
    assert page.url.endswith("/admin/")
    assert page.locator("#sign-in-module").is_visible()
    assert tab.accessibility_problems() == []
    # The admin has no favicon: the browser's own request for one is the only thing that may fail.
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []
    assert [error for error in tab.errors if not error.startswith("Failed to load resource")] == []
