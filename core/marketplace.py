"""The current marketplace's settings, asked from core without importing tenants (which
registers the provider at start-up; see core/registry/enablement.py for the same pattern)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class MarketplaceSettings:
    name: str
    default_currency: str
    # The default first; a product may carry prices in any of these.
    currencies: tuple[str, ...]


MarketplaceProvider = Callable[[], MarketplaceSettings]
_provider: MarketplaceProvider | None = None


def set_marketplace_provider(provider: MarketplaceProvider) -> None:
    global _provider
    _provider = provider


def current_marketplace() -> MarketplaceSettings:
    if _provider is None:
        raise RuntimeError("no marketplace provider registered (is 'tenants' installed?)")
    return _provider()


# The host name links in e-mails and canonical URLs are built on. Never the request's Host
# header: anyone can send any Host, and a reset link must not point at the attacker's site.
PrimaryDomainProvider = Callable[[], str]
_primary_domain_provider: PrimaryDomainProvider | None = None


def set_primary_domain_provider(provider: PrimaryDomainProvider) -> None:
    global _primary_domain_provider
    _primary_domain_provider = provider


def site_url(request: HttpRequest) -> str:
    """``scheme://primary-domain[:port]`` of the current marketplace (the platform's own domain
    on the platform host). The port is the server's (``SERVER_PORT``, not the Host header), so
    local development on :8000 keeps working; the scheme is the request's (behind a proxy only
    ``SECURE_PROXY_SSL_HEADER`` can change it)."""
    if _primary_domain_provider is None:
        raise RuntimeError("no primary domain provider registered (is 'tenants' installed?)")
    host = _primary_domain_provider()
    port = str(request.META.get("SERVER_PORT", ""))
    is_default_port = port in {"", "80", "443"}
    return f"{request.scheme}://{host}" + ("" if is_default_port else f":{port}")
