"""Downloads: only the entitlement's buyer gets a link, each download is logged, limits are
enforced and reset where the seller allows it, the link's life follows the file's size, a
stamped copy is what the buyer downloads, and a refund closes even a link already given."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from core.commerce.services.refunds import refund_order
from core.events import dispatch_pending
from modules.digital.errors import DigitalError
from modules.digital.manifest import DigitalSettings
from modules.digital.models import DigitalProduct, Download, Entitlement, FileVersion
from modules.digital.services import downloads
from modules.digital.tests.helpers import Shop, handbook_pdf
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, make_user
from tests.fleet_helpers import host_of


def bought(shop: Shop, capture: Any, **terms: Any) -> tuple[Entitlement, FileVersion, Any]:
    with schema_context(shop.tenant.schema_name):
        DigitalProduct.objects.filter(pk=shop.terms.pk).update(**terms)
    version = shop.upload(handbook_pdf(2))
    order = shop.buy(shop.buyer, capture)
    with schema_context(shop.tenant.schema_name):
        return Entitlement.objects.get(buyer=shop.buyer), version, order


def grant(shop: Shop, entitlement: Entitlement, version: FileVersion, buyer_id: int = 0) -> Any:
    with schema_context(shop.tenant.schema_name):
        return downloads.authorise(
            buyer_id=buyer_id or shop.buyer.pk,
            entitlement_id=entitlement.pk,
            version_id=version.pk,
            ip="203.0.113.9",
            user_agent="Mozilla/5.0 test",
        )


def client_of(shop: Shop, email: str) -> Client:
    """A browser signed in through the login page of the shop's marketplace."""
    client = Client(HTTP_HOST=host_of(shop.tenant))
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_buyer_downloads_their_stamped_copy_and_the_download_is_logged(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    entitlement, version, order = bought(shop, django_capture_on_commit_callbacks)

    given = grant(shop, entitlement, version)

    assert given.stamped and given.name == "handbook.pdf"
    with schema_context(shop.tenant.schema_name):
        logged = Download.objects.get()
        assert (logged.ip, logged.user_agent, logged.version_id) == (
            "203.0.113.9",
            "Mozilla/5.0 test",
            version.pk,
        )
    response = client_of(shop, shop.buyer.email).get(given.url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert 'attachment; filename="handbook.pdf"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert f"order {order.pk}".encode() not in handbook_pdf(2)
    with schema_context(shop.tenant.schema_name):
        assert content == entitlement.stamped_copies.get().content.read()


def test_nobody_else_gets_a_link_or_uses_one(
    shop: Shop, make_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    entitlement, version, _ = bought(shop, django_capture_on_commit_callbacks)
    other = make_user(shop.tenant, "other@pdf-press.example")
    with pytest.raises(DigitalError) as refused:
        grant(shop, entitlement, version, buyer_id=other.pk)
    assert refused.value.code == "digital_not_found"

    given = grant(shop, entitlement, version)
    assert client_of(shop, other.email).get(given.url).status_code == 404
    anonymous = Client(HTTP_HOST=host_of(shop.tenant))
    assert anonymous.get(given.url).status_code == 404

    # The same link on another marketplace (its own buyer with the same id) is not found.
    use_public_schema()
    elsewhere = Shop(make_tenant, "other-press")
    assert client_of(elsewhere, elsewhere.buyer.email).get(given.url).status_code == 404


def test_limits_count_per_version_and_the_allowed_reset_forgives_them(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    entitlement, version, _ = bought(
        shop, django_capture_on_commit_callbacks, download_limit=2, allow_limit_reset=True
    )
    grant(shop, entitlement, version)
    grant(shop, entitlement, version)
    with pytest.raises(DigitalError) as used_up:
        grant(shop, entitlement, version)
    assert used_up.value.code == "download_limit_reached"

    with schema_context(shop.tenant.schema_name):
        assert downloads.reset_limit(buyer_id=shop.buyer.pk, entitlement_id=entitlement.pk) == 2
        assert downloads.downloads_left(entitlement, version) == 2
        assert Download.objects.count() == 2  # the log keeps every download
    grant(shop, entitlement, version)


def test_no_reset_unless_the_seller_allows_it(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    entitlement, _, _ = bought(shop, django_capture_on_commit_callbacks, download_limit=1)
    with schema_context(shop.tenant.schema_name), pytest.raises(DigitalError) as refused:
        downloads.reset_limit(buyer_id=shop.buyer.pk, entitlement_id=entitlement.pk)
    assert refused.value.kind == "forbidden"


def test_a_link_lives_in_proportion_to_the_file_within_bounds() -> None:
    bounds = DigitalSettings(link_min_seconds=60, link_max_seconds=3600)
    assert downloads.link_seconds(1_000, bounds) == 60
    assert downloads.link_seconds(100 * 1024 * 1024, bounds) == 401
    assert downloads.link_seconds(5 * 1024**3, bounds) == 3600


def test_an_expired_link_and_a_refund_close_the_door(
    shop: Shop, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    entitlement, version, order = bought(shop, django_capture_on_commit_callbacks)
    buyer = client_of(shop, shop.buyer.email)
    first = grant(shop, entitlement, version)
    time_machine.move_to(first.expires_at + timedelta(seconds=1), tick=False)
    assert buyer.get(first.url).status_code == 404

    fresh = grant(shop, entitlement, version)
    with schema_context(shop.tenant.schema_name):
        with django_capture_on_commit_callbacks(execute=True):
            refund_order(
                order_id=order.pk,
                lines=None,
                reason="Refunded",
                idempotency_key="refund-downloads",
                actor=None,
                actor_label="test",
            )
        dispatch_pending()
    assert buyer.get(fresh.url).status_code == 404
    with pytest.raises(DigitalError):
        grant(shop, entitlement, version)


def test_the_daily_limit_across_products(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    entitlement, version, _ = bought(shop, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        for _ in range(100):
            Download.objects.create(
                entitlement=entitlement, version=version, at=timezone.now(), counted=False
            )
    with pytest.raises(DigitalError) as refused:
        grant(shop, entitlement, version)
    assert "100 downloads a day" in refused.value.message


@pytest.mark.parametrize(
    ("accel", "header"), [("x-accel-redirect", "X-Accel-Redirect"), ("x-sendfile", "X-Sendfile")]
)
def test_the_web_server_sends_the_bytes_when_it_can(
    shop: Shop, settings: Any, accel: str, header: str, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SOUK_DOWNLOAD_ACCEL = accel
    entitlement, version, _ = bought(shop, django_capture_on_commit_callbacks)
    given = grant(shop, entitlement, version)

    response = client_of(shop, shop.buyer.email).get(given.url)

    assert response.status_code == 200 and response.content == b""
    with schema_context(shop.tenant.schema_name):
        stamped = entitlement.stamped_copies.get().content
        expected = f"/_protected/{stamped.name}" if accel == "x-accel-redirect" else stamped.path
    assert response[header] == expected
    assert 'attachment; filename="handbook.pdf"' in response["Content-Disposition"]
