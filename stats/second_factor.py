"""The admin's second factor (django-otp): after the password, a code from an authenticator app (TOTP) or a one-time
recovery code. Every staff user must give one when ADMIN_REQUIRE_2FA is on (one without a device is led to enrol
first); otherwise those who enrolled are asked. Until then the admin, and the API's sessions, treat them as signed
out."""

import base64
import re
import textwrap

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
APP_DEVICE_NAME = "authenticator app"
RECOVERY_DEVICE_NAME = "recovery codes"
# An authenticator app's code is 6 digits; a recovery code is 8 letters and digits (django-otp's StaticToken). Each
# code is tried on the one device of its shape, so that a wrong code slows down only that device (django-otp's
# throttling doubles the wait after each failure).
APP_CODE = re.compile(r"^[0-9]{6}$")
TOO_MANY_FAILURES = "Too many wrong codes in a row: wait a little (longer after each wrong code), then try again."
WRONG_CODE = "That code is not right (or was used already): try the next one your app shows, or a recovery code."


def verified(user: AbstractBaseUser) -> bool:
    """Return whether `user` gave a second factor in this session (django-otp's middleware tells)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def enrolled(request: HttpRequest, user: AbstractBaseUser) -> bool:
    """Return whether `user` has a confirmed device (asked of the database once per request)."""
    known = request.__dict__.setdefault("_second_factor_enrolled", {})
    if user.pk not in known:
        known[user.pk] = user_has_device(user)
    return known[user.pk]


def due(request: HttpRequest) -> bool:
    """Return whether the signed-in user of `request` must still give a second factor in this session."""
    user = request.user
    if not user.is_authenticated or verified(user):
        return False
    return settings.ADMIN_REQUIRE_2FA or enrolled(request, user)


def verify(device: Device, code: str) -> None:
    """Check `code` on `device` (which uses it up), holding the device's row; raise ValidationError if it fails."""
    with transaction.atomic():
        device = type(device).objects.select_for_update().get(pk=device.pk)
        allowed, _why = device.verify_is_allowed()
        right = allowed and device.verify_token(code)
    # Raised after the transaction, which keeps the failure that django-otp counted (its throttling).
    if not allowed:
        raise forms.ValidationError(TOO_MANY_FAILURES, code="throttled")
    if not right:
        raise forms.ValidationError(WRONG_CODE, code="invalid")


def enrolment_confirm(*, user: AbstractBaseUser, device: TOTPDevice) -> list[str]:
    """Make `device` the user's one authenticator app and return new recovery codes, replacing any earlier ones."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=user).delete()
        recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    return codes


class CodeForm(forms.Form):
    """One code, from the authenticator app or (at sign-in) a recovery code, checked on the device it fits."""

    code = forms.CharField(
        label="Code", max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )

    def __init__(self, *args, devices: dict[str, Device | None], **kwargs):
        super().__init__(*args, **kwargs)
        self.devices = devices
        self.device = None

    def clean_code(self) -> str:
        code = re.sub(r"\s+", "", self.cleaned_data["code"]).lower()
        device = self.devices["app" if APP_CODE.match(code) else "recovery"]
        if device is None:
            raise forms.ValidationError(WRONG_CODE, code="invalid")
        verify(device, code)
        self.device = device
        return code


def safe_next(request: HttpRequest, default: str) -> str:
    """Return the address the sign-in was headed for, if it is one of this site's, else `default`."""
    wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return default


def key_in_groups(device: TOTPDevice) -> str:
    """Return the device's secret key in base32, as authenticator apps ask for it typed, in groups of four."""
    return " ".join(textwrap.wrap(base64.b32encode(device.bin_key).decode(), 4))


class AdminSite(admin.AdminSite):
    """Django's admin site, which lets a staff user in only after the second factor, where one is due."""

    index_template = "admin/stats/index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and not due(request)

    def get_urls(self):
        steps = [
            path("second-factor/", self.step_view(self.second_factor_view), name="second_factor"),
            path("second-factor/enrol/", self.step_view(self.enrol_view), name="second_factor_enrol"),
            # Signing out needs no second factor (Django's admin would send such a user back to sign in instead).
            path("logout/", never_cache(self.logout), name="logout"),
        ]
        return steps + super().get_urls()

    def step_view(self, view):
        """Wrap a view of the second factor: for a staff user who gave the password, never cached."""

        def inner(request, *args, **kwargs):
            if not (request.user.is_active and request.user.is_staff):
                return redirect_to_login(request.get_full_path(), reverse("admin:login", current_app=self.name))
            return view(request, *args, **kwargs)

        return never_cache(csrf_protect(inner))

    def step_redirect(self, request: HttpRequest, next_url: str) -> HttpResponseRedirect:
        """Send a user who gave the password on to the second factor, or to enrol one, then to `next_url`."""
        step = "admin:second_factor" if enrolled(request, request.user) else "admin:second_factor_enrol"
        query = f"?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else ""
        return HttpResponseRedirect(reverse(step, current_app=self.name) + query)

    def login(self, request, extra_context=None):
        staff = request.user.is_active and request.user.is_staff
        if request.method == "GET" and staff and due(request):
            return self.step_redirect(request, safe_next(request, ""))
        response = super().login(request, extra_context)
        staff = request.user.is_active and request.user.is_staff
        if request.method == "POST" and response.status_code == 302 and staff and due(request):
            # The password was right: the session is signed in, but the admin stays closed until the second factor.
            return self.step_redirect(request, response.url)
        return response

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "second_factor_enrolled": enrolled(request, request.user)}
        return super().index(request, extra_context)

    def step_context(self, request: HttpRequest, title: str, next_url: str) -> dict:
        return {
            **self.each_context(request), "title": title, "next": next_url,
            "username": request.user.get_username(),
        }

    def signed_in(self, request: HttpRequest, device: Device) -> None:
        """Record in the session that the user gave `device`'s code, under a new session key."""
        otp_login(request, device)
        request.session.cycle_key()

    def second_factor_view(self, request: HttpRequest) -> HttpResponse:
        """Ask a user who gave the password for a code from their app or a recovery code."""
        index = reverse("admin:index", current_app=self.name)
        next_url = safe_next(request, index)
        user = request.user
        if not due(request):
            return HttpResponseRedirect(next_url)
        if not enrolled(request, user):
            return self.step_redirect(request, next_url)
        devices = {
            "app": TOTPDevice.objects.filter(user=user, confirmed=True).first(),
            "recovery": StaticDevice.objects.filter(user=user, confirmed=True).first(),
        }
        form = CodeForm(request.POST or None, devices=devices)
        if request.method == "POST" and form.is_valid():
            self.signed_in(request, form.device)
            return HttpResponseRedirect(next_url)
        context = {
            **self.step_context(request, "Two-factor authentication", next_url), "form": form,
            "recovery_left": devices["recovery"].token_set.count() if devices["recovery"] else 0,
        }
        return TemplateResponse(request, "admin/stats/second_factor/verify.html", context)

    def enrol_view(self, request: HttpRequest) -> HttpResponse:
        """Set up an authenticator app (a new one replaces the old) and show new recovery codes, once."""
        index = reverse("admin:index", current_app=self.name)
        next_url = safe_next(request, index)
        user = request.user
        if enrolled(request, user) and not verified(user):
            # A password alone may not replace the device that guards it.
            return self.step_redirect(request, next_url)
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
        form = CodeForm(request.POST or None, devices={"app": device, "recovery": None})
        if request.method == "POST" and form.is_valid():
            codes = enrolment_confirm(user=user, device=device)
            self.signed_in(request, device)
            context = {**self.step_context(request, "Your recovery codes", next_url), "codes": codes}
            return TemplateResponse(request, "admin/stats/second_factor/recovery_codes.html", context)
        uri = device.config_url
        context = {
            **self.step_context(request, "Set up two-factor authentication", next_url), "form": form,
            "uri": uri, "key": key_in_groups(device), "replacing": enrolled(request, user),
            # A data: image: the admin's Content-Security-Policy allows those, and no script is needed.
            "qr_code": segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
        }
        return TemplateResponse(request, "admin/stats/second_factor/enrol.html", context)
