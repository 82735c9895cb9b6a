"""The admin's sign-in limit, as django-axes applies it (conflictdata/settings.py, README: Deployment).

Failures are counted for each username from each client network (`stats.proxies.client_key`: an IPv6 client by its
/64), and for each username from every network together. The second count catches a guesser who rotates through
addresses, but anyone may add to it: so it is higher than the first, and it does not apply to a network the user has
signed in from lately, so that a stranger's failures cannot lock a curator out of their usual network.
"""

import datetime

from axes.attempts import get_cool_off_threshold
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

# How long a network a user signed in from stays theirs (in axes' access log) and exempt from the username's count.
KNOWN_FOR = datetime.timedelta(days=90)


def lockout_parameters(request_or_attempt, credentials: dict | None = None) -> list[str | list[str]]:
    """Return what axes counts this sign-in's failures by: the network and the username together, and the username
    alone unless the user has signed in from this network within KNOWN_FOR."""
    username, network = who(request_or_attempt, credentials)
    known = username is not None and AccessLog.objects.filter(
        username=username, ip_address=network, attempt_time__gte=timezone.now() - KNOWN_FOR,
    ).exists()
    return [["ip_address", "username"]] if known else [["ip_address", "username"], "username"]


def failure_limit(request, credentials: dict | None = None) -> int:
    """Return how many failures lock this sign-in out.

    axes compares one limit with the largest of its counts, which is the username's from every network whenever the
    username alone is counted: the limit is then the network's own (SIGN_IN_FAILURES_PER_NETWORK) once this network
    has failed that often for this username, and the username's (SIGN_IN_FAILURES_PER_USERNAME) until it has.
    """
    username, network = who(request, credentials)
    here = AccessAttempt.objects.filter(
        username=username, ip_address=network, attempt_time__gte=get_cool_off_threshold(request),
    ).aggregate(failures=Sum("failures_since_start"))["failures"] or 0
    if here >= settings.SIGN_IN_FAILURES_PER_NETWORK:
        return settings.SIGN_IN_FAILURES_PER_NETWORK
    return settings.SIGN_IN_FAILURES_PER_USERNAME


def who(request_or_attempt, credentials: dict | None) -> tuple[str | None, str | None]:
    """Return the username and the client network (`client_key`) of a sign-in, or of a recorded attempt."""
    if isinstance(request_or_attempt, AccessAttempt):
        return request_or_attempt.username, request_or_attempt.ip_address
    return get_client_username(request_or_attempt, credentials), request_or_attempt.axes_ip_address
