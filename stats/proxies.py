"""Who the client is: the connecting address, or, behind proxies named in TRUSTED_PROXIES, the address they report.

The request log writes the client's own address, `client_address()`. The rate limits and the admin's sign-in limit
(django-axes) count clients by `client_key()`, the network that address lies in (an IPv6 client by its /64, which
one home or one server gets whole and may take any address of), so that a client can neither choose its own address
by sending an X-Forwarded-For header of its making nor escape a limit by rotating through the addresses it holds.
"""

import functools
import ipaddress
import re

from django.conf import settings
from rest_framework import throttling

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# An address with a port, as some load balancers write X-Forwarded-For entries: 192.0.2.7:5678, [2001:db8::1]:5678.
WITH_PORT = re.compile(
    r"\[(?P<bracketed>[0-9A-Fa-f:.]+)\](:(?P<port6>[0-9]{1,5}))?|(?P<ipv4>[0-9.]+):(?P<port4>[0-9]{1,5})"
)


# Every request asks, and a service sees the same few addresses again and again; few are kept, since a client
# writes the X-Forwarded-For entries parsed behind a proxy (up to a header of 8 kB each)
@functools.lru_cache(maxsize=256)
def parsed(text: str) -> Address | None:
    """Return the address in `text`, with or without a port (`192.0.2.7:5678`, `[2001:db8::1]:5678`), or None when
    it is not one (a name, garbage, a port beyond 65535)."""
    text = text.strip()
    with_port = WITH_PORT.fullmatch(text)
    if with_port:
        port = with_port["port6"] or with_port["port4"]
        if port is not None and int(port) > 65535:
            return None
        text = with_port["bracketed"] or with_port["ipv4"]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if with_port and with_port["bracketed"] and address.version != 6:
        return None  # brackets are IPv6's only
    return address


def trusted(address: Address | None) -> bool:
    return address is not None and any(address in network for network in settings.TRUSTED_PROXIES)


def client_address(request) -> str | None:
    """Return the client's address, as the request log writes it."""
    client = client_ip(request)
    return str(client) if client is not None else None


def client_key(request) -> str | None:
    """Return what a client is counted by: the first address of its network (its /64 by default for IPv6,
    IPV6_CLIENT_PREFIX; the address itself for IPv4, IPV4_CLIENT_PREFIX). An IPv4 address written as IPv6
    (`::ffff:192.0.2.7`, from a server listening on both) is counted as IPv4."""
    client = client_ip(request)
    if client is None:
        return None
    if client.version == 6 and client.ipv4_mapped is not None:
        client = client.ipv4_mapped
    prefix = settings.IPV6_CLIENT_PREFIX if client.version == 6 else settings.IPV4_CLIENT_PREFIX
    mask = ((1 << prefix) - 1) << (client.max_prefixlen - prefix)
    return str(type(client)(int(client) & mask))


def client_ip(request) -> Address | None:
    """Return the client's address.

    Without trusted proxies, the connecting address (REMOTE_ADDR), whatever X-Forwarded-For says. When the connecting
    address is a trusted proxy, the right-most X-Forwarded-For address that is not itself a trusted proxy: each proxy
    appends the address it received from, so the entries to its left may have been written by anyone. An entry may
    carry a port (`192.0.2.7:5678`, `[2001:db8::1]:5678`); a malformed entry ends the walk, and the last good address
    is the client's; never an error.
    """
    client = parsed(request.META.get("REMOTE_ADDR", ""))
    if not trusted(client):
        return client
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = parsed(entry)
        if address is None:
            break
        client = address
        if not trusted(address):
            break
    return client


class AnonRateThrottle(throttling.AnonRateThrottle):
    """DRF's limit for anonymous clients, by their network (`client_key()`)."""

    def get_ident(self, request):
        return client_key(request)


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's limit per account (anonymous clients by their network, `client_key()`)."""

    def get_ident(self, request):
        return client_key(request)


class ExportRateThrottle(throttling.ScopedRateThrottle):
    """The export's own limit (API_THROTTLE_EXPORT), per account or network (`client_key()`): one export can be a
    whole database."""

    def get_ident(self, request):
        return client_key(request)
