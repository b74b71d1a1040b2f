"""Links made outside a request (e-mails, PayPal's return address) lead where the marketplace
is served: https on the default port in production, the demo's http on :8000 in development."""

from __future__ import annotations

from django_tenants.utils import schema_context

from core.notifications.email import absolute_url, site_origin
from tests.fleet_helpers import host_of


def test_production_links_are_https_on_the_default_port(tenant_a, settings):
    settings.SOUK_PUBLIC_SCHEME, settings.SOUK_PUBLIC_PORT = "https", 0
    with schema_context(tenant_a.schema_name):
        assert site_origin() == f"https://{host_of(tenant_a)}"
        assert absolute_url("/orders/7/") == f"https://{host_of(tenant_a)}/orders/7/"
    settings.SOUK_PUBLIC_PORT = 443
    with schema_context(tenant_a.schema_name):
        assert site_origin() == f"https://{host_of(tenant_a)}"


def test_development_links_keep_the_demo_servers_scheme_and_port(tenant_a, tenant_b, settings):
    settings.SOUK_PUBLIC_SCHEME, settings.SOUK_PUBLIC_PORT = "http", 8000
    with schema_context(tenant_a.schema_name):
        assert absolute_url("/checkout/paypal/return/") == (
            f"http://{host_of(tenant_a)}:8000/checkout/paypal/return/"
        )
    with schema_context(tenant_b.schema_name):
        assert site_origin() == f"http://{host_of(tenant_b)}:8000"
