"""The SSRF guard: every address a URL's host resolves to must be public - private, loopback,
link-local, multicast, reserved and shared ranges are refused in IPv4 and IPv6 (mapped and
NAT64 forms too) - and allowing loopback (tests, development) allows loopback only. Resolution
is real (numeric hosts and ``localhost``); no network call is made."""

from __future__ import annotations

import ipaddress

import pytest

from core.errors import ErrorKind
from core.integrations import ssrf
from core.integrations.errors import IntegrationError, IntegrationErrorCode

UNSAFE_URLS = [
    "http://10.0.0.1/hook",
    "http://127.0.0.1:8000/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://localhost/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://0.0.0.0/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://192.168.1.10/hook",
    "http://224.0.0.1/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one number
]


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_ssrf_guard_refuses_private_loopback_link_local_and_reserved_targets(url, settings):
    settings.SOUK_WEBHOOKS_ALLOW_LOOPBACK = False

    with pytest.raises(IntegrationError) as refused:
        ssrf.check_url(url, field="url")

    assert refused.value.code == IntegrationErrorCode.UNSAFE_URL
    assert refused.value.details == {"field": "url"}
    assert refused.value.kind == ErrorKind.INVALID


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "http://user:pass@93.184.216.34/hook",
        "http:///hook",
        "http://no-such-host.invalid/hook",
        "http://93.184.216.34:99999/hook",
    ],
)
def test_ssrf_guard_refuses_what_is_not_a_plain_http_url(url):
    with pytest.raises(IntegrationError) as refused:
        ssrf.check_url(url)

    assert refused.value.code == IntegrationErrorCode.UNSAFE_URL


def test_ssrf_guard_lets_public_addresses_through():
    target = ssrf.check_url("https://93.184.216.34:8443/hooks/souk?v=1")

    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "93.184.216.34",
        8443,
        "/hooks/souk?v=1",
        "93.184.216.34",
    )
    assert ssrf.is_public_address(ipaddress.ip_address("2606:4700:4700::1111")) is True


def test_allowing_loopback_allows_loopback_only(settings):
    settings.SOUK_WEBHOOKS_ALLOW_LOOPBACK = True

    assert ssrf.check_url("http://127.0.0.1:9/hook").address == "127.0.0.1"
    assert ssrf.check_url("http://localhost:9/hook").host == "localhost"
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://[fe80::1]/"):
        with pytest.raises(IntegrationError):
            ssrf.check_url(url)
