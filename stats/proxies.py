"""Who the client is: the connecting address, or, behind proxies named in TRUSTED_PROXIES, the address they report.

The rate limits, the admin's sign-in limit (django-axes) and the request log all ask `client_address()`, so that a
client cannot choose its own address by sending an X-Forwarded-For header of its making.
"""

import functools
import ipaddress

from django.conf import settings
from rest_framework import throttling

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


# Every request asks, and a service sees the same few addresses again and again; few are kept, since a client
# writes the X-Forwarded-For entries parsed behind a proxy (up to a header of 8 kB each)
@functools.lru_cache(maxsize=256)
def parsed(text: str) -> Address | None:
    """Return the address in `text`, or None when it is not one (a name, garbage, an address with a port)."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def trusted(address: Address | None) -> bool:
    return address is not None and any(address in network for network in settings.TRUSTED_PROXIES)


def client_address(request) -> str | None:
    """Return the client's address.

    Without trusted proxies, the connecting address (REMOTE_ADDR), whatever X-Forwarded-For says. When the connecting
    address is a trusted proxy, the right-most X-Forwarded-For address that is not itself a trusted proxy: each proxy
    appends the address it received from, so the entries to its left may have been written by anyone. A malformed
    entry ends the walk, and the last good address is the client's; never an error.
    """
    client = parsed(request.META.get("REMOTE_ADDR", ""))
    if not trusted(client):
        return str(client) if client is not None else None
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = parsed(entry)
        if address is None:
            break
        client = address
        if not trusted(address):
            break
    return str(client)


class AnonRateThrottle(throttling.AnonRateThrottle):
    """DRF's limit for anonymous clients, by the address `client_address()` finds."""

    def get_ident(self, request):
        return client_address(request)


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's limit per account (anonymous clients by the address `client_address()` finds)."""

    def get_ident(self, request):
        return client_address(request)


class ExportRateThrottle(throttling.ScopedRateThrottle):
    """The export's own limit (API_THROTTLE_EXPORT), per account or address: one export can be a whole database."""

    def get_ident(self, request):
        return client_address(request)
