"""The admin's sign-in limit: per username from each client network (an IPv6 client by its /64), and per username
from everywhere, with a cool-off of 15 minutes (stats/signin.py, conflictdata/settings.py)."""

import datetime
import ipaddress

import pytest
from axes.models import AccessAttempt
from django.db.models import F, Sum
from django.test import Client

pytestmark = pytest.mark.django_db

RIGHT = "a-long-curator-password"


@pytest.fixture(autouse=True)
def behind_a_proxy(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]


def sign_in(curator, forwarded_for: str, password: str = "wrong") -> int:
    """Return the status of one sign-in to the admin as `curator`, from `forwarded_for` through the proxy in front."""
    response = Client().post(
        "/admin/login/", {"username": curator.username, "password": password, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    return response.status_code


def counted(curator) -> int:
    return AccessAttempt.objects.filter(username=curator.username).aggregate(n=Sum("failures_since_start"))["n"] or 0


def test_failures_from_several_addresses_of_one_ipv6_64_lock_that_64_out(curator):
    """12 wrong passwords for one user spread over 3 addresses of one /64 (one written with a port): the 5th
    locks the /64 out, since it is one client's (SIGN_IN_FAILURES_PER_NETWORK = 5, as before for one address, so
    that a curator who mistypes 4 times is not stopped)."""
    addresses = ["2a00:1450:4001:81c::a", "[2a00:1450:4001:81c::b]:5678", "2a00:1450:4001:81c:ffff::c"]
    statuses = [sign_in(curator, addresses[n % 3]) for n in range(12)]
    assert statuses == [200] * 4 + [429] * 8
    # Any address of that /64, even with the right password, is refused; the failures are counted once per /64.
    assert sign_in(curator, "2a00:1450:4001:81c::d", RIGHT) == 429
    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [
        ("2a00:1450:4001:81c::", 5),
    ]
    # Another /64 is another client: 5 failures are far from the username's own cap of 20.
    assert sign_in(curator, "2a00:1450:4001:81d::1", RIGHT) == 302


def test_a_username_is_locked_out_after_20_failures_from_unrelated_addresses(curator):
    """A guesser rotating through unrelated networks, one wrong password from each: the 20th failure for the
    username locks it out of every network it has not signed in from (SIGN_IN_FAILURES_PER_USERNAME = 20: 4 times
    the per-network 5, so that one network's guesser, or a curator mistyping on a few devices, locks no one out; and
    at most 20 guesses per username in any 15 minutes, under 2,000 a day, however many addresses the guesser holds)."""
    statuses = [sign_in(curator, f"198.51.{n}.{n + 1}") for n in range(20)]
    assert statuses == [200] * 19 + [429]
    # The right password from yet another network is refused, and so is any other network's guess, uncounted.
    assert sign_in(curator, "203.0.113.50", RIGHT) == 429
    assert sign_in(curator, "2a00:1450:4001:81c::1") == 429
    assert counted(curator) == 20


def test_the_username_cap_spares_a_network_the_curator_signed_in_from(curator, django_user_model):
    """A stranger's 20 failures lock the username out of new networks only: the curator, back on the network they
    signed in from last week, is not locked out by someone else's guessing. That network keeps its own limit of 5."""
    assert sign_in(curator, "[2a00:1450:4001:81c::1]:443", RIGHT) == 302  # the curator's office /64
    assert [sign_in(curator, f"198.51.{n}.{n + 1}") for n in range(20)] == [200] * 19 + [429]
    assert sign_in(curator, "203.0.113.50", RIGHT) == 429
    # The office, from another address of its /64 (a privacy address of the next day), may sign in.
    assert sign_in(curator, "2a00:1450:4001:81c::2", RIGHT) == 302
    # Another user's count is their own.
    other = django_user_model.objects.create_user("other", password=RIGHT, is_staff=True)
    assert sign_in(other, "203.0.113.50", RIGHT) == 302
    # A guesser inside the office /64 meets the per-network limit there.
    assert [sign_in(curator, "2a00:1450:4001:81c::3") for _ in range(5)] == [200] * 4 + [429]
    assert sign_in(curator, "2a00:1450:4001:81c::2", RIGHT) == 429


def test_a_lockout_ends_15_minutes_after_the_failure_that_set_it(curator):
    """The right user with the right password from a new network is refused while the username is locked out, and
    signs in once 15 minutes have passed since the failures (AXES_COOLOFF_TIME: a wait of minutes, not an hour, is
    all a stranger's guessing can cost a curator). Failures while locked out are not counted, so that a guesser
    cannot prolong the lockout for ever. The clock is moved by moving the recorded failures into the past."""
    assert [sign_in(curator, f"198.51.{n}.{n + 1}") for n in range(20)] == [200] * 19 + [429]
    for address in ("198.51.0.1", "198.51.100.100", "203.0.113.50"):
        assert sign_in(curator, address) == 429
    assert counted(curator) == 20

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - datetime.timedelta(minutes=14))
    assert sign_in(curator, "203.0.113.50", RIGHT) == 429  # 14 minutes later: still locked out
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - datetime.timedelta(minutes=1, seconds=1))
    assert sign_in(curator, "203.0.113.50", RIGHT) == 302  # 15 minutes later: signed in
    assert counted(curator) == 0  # a sign-in from a new network clears the username's failures
