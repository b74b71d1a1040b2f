"""One module, every extension point, no edit outside its folder: the test module beta
(tests/testmodules/beta) declares a product type ("widget"), a deadline ("beta.follow_up"),
a storefront nav entry ("Widgets") and a webhook event ("beta.pinged"). Here a widget is
listed and sold, its follow-up deadline fires once after the worker that claimed it died and
pings the seller's endpoint once, and the nav entry shows where beta is on and goes with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django_tenants.utils import schema_context

from core.deadlines import conf
from core.deadlines.services import schedule_deadline
from core.deadlines.sweep import SweepResult, claim_due, sweep_due_deadlines
from core.integrations.models import DeliveryStatus
from core.integrations.tests.integration_helpers import (  # noqa: F401
    add_endpoint,
    deliveries_of,
    loopback_allowed_fixture,
    share_secret,
)
from core.integrations.tests.partner_server import partner_server_fixture  # noqa: F401
from tenants.services.modules import set_module_enabled
from tests.test_module_product_types import bought, widget_shop  # noqa: F401

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_a_widget_is_listed_in_beta_nav_page_and_sold(
    widget_shop,  # noqa: F811
    client_for,
    django_capture_on_commit_callbacks,
):
    shop = widget_shop
    visitor = client_for(shop.tenant)
    home = visitor.get("/").content.decode()
    assert 'href="/beta/" data-module="beta">Widgets</a>' in home
    assert "<li>Brass Widget</li>" in visitor.get("/beta/").content.decode()

    order = bought(client_for, django_capture_on_commit_callbacks, shop, shop.widget)
    assert [line["product_id"] for line in order["lines"]] == [shop.widget.pk]

    set_module_enabled(tenant=shop.tenant, key="beta", is_enabled=False)
    assert "Widgets</a>" not in visitor.get("/").content.decode()
    assert visitor.get("/beta/").status_code == 404


def test_the_follow_up_fires_once_after_its_worker_died_and_pings_the_seller_once(
    widget_shop,  # noqa: F811
    loopback_allowed,
    partner_server,
    django_capture_on_commit_callbacks,
):
    shop = widget_shop
    endpoint = add_endpoint(shop.tenant, shop.gizmo, partner_server, "/hooks", ["beta.pinged"])
    share_secret(shop.tenant, shop.gizmo, partner_server)
    key = f"widget:{shop.widget.pk}:follow-up"
    with schema_context(shop.tenant.schema_name):
        schedule_deadline(
            key=key,
            at=T0,
            task="beta.follow_up",
            payload={"seller_id": shop.gizmo.pk, "product_id": shop.widget.pk},
        )
        # A worker claims it and dies before running the handler: nothing fired, on record.
        claimed = claim_due(tasks=["beta.follow_up"], now=T0, size=10)
        assert len(claimed.claims) == 1
        assert deliveries_of(shop.tenant, endpoint) == []

        lease_over = T0 + conf.lease()
        assert sweep_due_deadlines(now=lease_over - timedelta(seconds=1)) == SweepResult()
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep_due_deadlines(now=lease_over) == SweepResult(fired=1)
        assert sweep_due_deadlines(now=lease_over + timedelta(days=1)) == SweepResult()

    (delivery,) = deliveries_of(shop.tenant, endpoint)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    (received,) = partner_server.calls
    assert received.path == "/hooks"
