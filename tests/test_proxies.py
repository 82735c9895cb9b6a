"""Who the client is: the connecting address, or, behind trusted proxies, the address they forwarded."""

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from conflictdata.env import env_networks
from stats.proxies import AnonRateThrottle, ExportRateThrottle, UserRateThrottle, client_address

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
        (PROXIES, "10.0.0.2", "198.51.100.1:443", "10.0.0.2"),  # an address with a port is not an address
        ([], "", None, None),
    ],
)
def test_the_client_address(settings, proxies, remote, forwarded, client):
    settings.TRUSTED_PROXIES = proxies
    assert client_address(request(remote, forwarded)) == client


@pytest.mark.parametrize("throttle", [AnonRateThrottle, UserRateThrottle, ExportRateThrottle])
def test_every_rate_limit_counts_clients_by_that_address(settings, throttle):
    settings.TRUSTED_PROXIES = []
    assert throttle().get_ident(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"
    settings.TRUSTED_PROXIES = PROXIES
    assert throttle().get_ident(request("10.0.0.2", "198.51.100.1")) == "198.51.100.1"


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
