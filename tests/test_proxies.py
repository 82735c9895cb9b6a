"""Who the client is: the connecting address, or, behind trusted proxies, the address they forwarded; and the
network the rate limits count it by."""

import ipaddress
import urllib.error
import urllib.request

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from conflictdata.env import env_networks, env_prefix
from stats.proxies import AnonRateThrottle, ExportRateThrottle, UserRateThrottle, client_address, client_key
from tests.test_throttling import serving

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32")]


def request(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/api/v1/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "client"),
    [
        ([], "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # no trusted proxy: the header is ignored
        (PROXIES, "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # from an untrusted peer: ignored too
        (PROXIES, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (PROXIES, "10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.3", "198.51.100.1"),  # the right-most untrusted
        (PROXIES, "10.0.0.2", "198.51.100.1, not-an-ip, 10.0.0.3", "10.0.0.3"),  # a malformed entry ends the walk
        (PROXIES, "10.0.0.2", "not-an-ip", "10.0.0.2"),
        (PROXIES, "10.0.0.2", "", "10.0.0.2"),
        (PROXIES, "10.0.0.2", None, "10.0.0.2"),
        (PROXIES, "2001:db8::1", "2001:db8::5, 2a00:1450::1", "2a00:1450::1"),
        # An entry with a port, as some load balancers write it, is that address.
        (PROXIES, "10.0.0.2", "198.51.100.1:5678", "198.51.100.1"),
        (PROXIES, "10.0.0.2", "6.6.6.6, [2a00:1450::1]:5678", "2a00:1450::1"),
        (PROXIES, "10.0.0.2", "198.51.100.1, [2001:db8::5]:443", "198.51.100.1"),  # a trusted proxy's, with a port
        (PROXIES, "10.0.0.2", "[2a00:1450::1]", "2a00:1450::1"),
        # A port beyond 65535, or IPv4 in brackets, is malformed and ends the walk.
        (PROXIES, "10.0.0.2", "198.51.100.1:65536", "10.0.0.2"),
        (PROXIES, "10.0.0.2", "[198.51.100.1]:443", "10.0.0.2"),
        (PROXIES, "10.0.0.2", "198.51.100.1:", "10.0.0.2"),
        ([], "", None, None),
    ],
)
def test_the_client_address(settings, proxies, remote, forwarded, client):
    settings.TRUSTED_PROXIES = proxies
    assert client_address(request(remote, forwarded)) == client


@pytest.mark.parametrize(
    ("remote", "forwarded", "key"),
    [
        ("203.0.113.9", None, "203.0.113.9"),  # IPv4: the address itself
        ("2a00:1450:4001:81c:1:2:3:4", None, "2a00:1450:4001:81c::"),  # IPv6: the first address of its /64
        ("2a00:1450:4001:81c:ffff:ffff:ffff:ffff", None, "2a00:1450:4001:81c::"),
        ("2a00:1450:4001:81d::1", None, "2a00:1450:4001:81d::"),  # the next /64 is another client
        ("::ffff:203.0.113.9", None, "203.0.113.9"),  # IPv4 written as IPv6 is IPv4
        ("10.0.0.2", "[2a00:1450:4001:81c::9]:5678", "2a00:1450:4001:81c::"),  # behind a proxy, with a port
        ("", None, None),
    ],
)
def test_a_client_is_counted_by_its_network(settings, remote, forwarded, key):
    settings.TRUSTED_PROXIES = PROXIES
    assert client_key(request(remote, forwarded)) == key


def test_the_networks_clients_are_counted_by_can_be_set(settings):
    settings.IPV6_CLIENT_PREFIX, settings.IPV4_CLIENT_PREFIX = 48, 24
    assert client_key(request("2a00:1450:4001:81c::1")) == "2a00:1450:4001::"
    assert client_key(request("203.0.113.9")) == "203.0.113.0"
    settings.IPV6_CLIENT_PREFIX = 128
    assert client_key(request("2a00:1450:4001:81c::1")) == "2a00:1450:4001:81c::1"


@pytest.mark.parametrize(("name", "bits", "default"), [("IPV6_CLIENT_PREFIX", 128, 64), ("IPV4_CLIENT_PREFIX", 32, 32)])
def test_a_client_prefix_is_a_whole_number_up_to_the_addresses_length(monkeypatch, name, bits, default):
    monkeypatch.delenv(name, raising=False)
    assert env_prefix(name, default, bits=bits) == default
    monkeypatch.setenv(name, " 24 ")
    assert env_prefix(name, default, bits=bits) == 24
    monkeypatch.setenv(name, str(bits))
    assert env_prefix(name, default, bits=bits) == bits
    for wrong in ["0", str(bits + 1), "/24", "24.5", "-8", "sixty-four", "1e2"]:
        monkeypatch.setenv(name, wrong)
        with pytest.raises(ImproperlyConfigured, match=rf"^{name} must be a prefix length, a whole number from 1 to "
                                                       rf"{bits} \(like {default}\); got '"):
            env_prefix(name, default, bits=bits)


@pytest.mark.parametrize("throttle", [AnonRateThrottle, UserRateThrottle, ExportRateThrottle])
def test_every_rate_limit_counts_clients_by_their_network(settings, throttle):
    settings.TRUSTED_PROXIES = []
    assert throttle().get_ident(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"
    settings.TRUSTED_PROXIES = PROXIES
    assert throttle().get_ident(request("10.0.0.2", "198.51.100.1")) == "198.51.100.1"
    assert throttle().get_ident(request("10.0.0.2", "198.51.100.1:5678")) == "198.51.100.1"
    assert throttle().get_ident(request("10.0.0.2", "2a00:1450:4001:81c::7")) == "2a00:1450:4001:81c::"


def get(url: str, forwarded_for: str) -> int:
    """Return the status of GET `url` as the trusted proxy in front passes on a request from `forwarded_for`."""
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": forwarded_for}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_addresses_of_one_ipv6_64_share_one_limit_across_processes(tmp_path, redis_url):
    """125 requests, each from another address of one /64, behind a trusted proxy, against 120 a minute: the first
    120 are served and the other 5 refused, whichever of two processes (sharing Redis) answers."""
    with serving(tmp_path, redis_url, API_THROTTLE_ANON="120/minute", TRUSTED_PROXIES="127.0.0.1") as servers:
        statuses = [
            get(f"{servers[n % 2]}/api/v1/categories/", f"198.51.100.1, 2a00:1450:4001:81c::{n + 1:x}")
            for n in range(125)
        ]
        assert statuses == [200] * 120 + [429] * 5
        # The same /64 written with a port, and the /64 in another process: refused too.
        assert get(f"{servers[0]}/api/v1/categories/", "[2a00:1450:4001:81c:ffff::1]:5678") == 429
        # The next /64, and the IPv4 client the proxy's header named further left, are other clients.
        assert get(f"{servers[1]}/api/v1/categories/", "2a00:1450:4001:81d::1") == 200
        assert get(f"{servers[1]}/api/v1/categories/", "198.51.100.1") == 200


def test_trusted_proxies_are_addresses_or_networks(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7,2001:db8::/32")
    assert [str(network) for network in env_networks("TRUSTED_PROXIES")] == [
        "10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32",
    ]
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")
    with pytest.raises(ImproperlyConfigured, match=r"^TRUSTED_PROXIES must be a comma-separated list of IP addresses"):
        env_networks("TRUSTED_PROXIES")
    monkeypatch.delenv("TRUSTED_PROXIES")
    assert env_networks("TRUSTED_PROXIES") == []
