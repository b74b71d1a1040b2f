"""The buyer's library pages: the library lists the purchases; a purchase's page shows each
file's versions with the downloads left and no link in the HTML; "Download" is a POST that
redirects to a working link and logs the download; the copy being prepared is said and
polled; the reset where allowed; a refund shown and not downloadable; the order page points
to the library. Another buyer, another marketplace and the module switched off are 404."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from modules.digital.models import Download, StampedCopy
from modules.digital.tests.helpers import Shop, handbook_pdf
from modules.digital.tests.test_downloads import client_of
from modules.digital.tests.test_library import buy, refund
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import make_user
from tests.fleet_helpers import host_of


def html(response: Any) -> str:
    assert response.status_code == 200, response.content[:400]
    return str(response.content.decode())


def test_the_library_and_the_purchase_page(
    shop: Shop, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = shop.upload(handbook_pdf(2), changelog="First edition")
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    second = shop.upload(handbook_pdf(3), changelog="Two new chapters")
    buyer = client_of(shop, shop.buyer.email)

    listing = html(buyer.get("/digital/library/"))
    assert "Your downloads" in listing and "Freelancer&#x27;s Handbook" in listing
    assert f'href="/digital/library/{entitlement.pk}/"' in listing

    page = html(buyer.get(f"/digital/library/{entitlement.pk}/"))
    assert "Two new chapters" in page and second.sha256 in page
    assert "5 of 5 downloads left" in page
    assert '<details class="dl-earlier">' in page
    earlier = page.index('<details class="dl-earlier">')
    assert page.index(f'data-version="{second.pk}"') < earlier
    assert earlier < page.index(f'data-version="{first.pk}"')
    assert f"/digital/library/{entitlement.pk}/versions/{second.pk}/download/" in page
    assert "/digital/files/" not in page  # no link sits in the HTML
    assert "Personal use" in page
    assert "Reset my downloads" not in page  # the seller does not allow it


def test_download_redirects_to_a_working_link_and_logs_it(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    buyer = client_of(shop, shop.buyer.email)

    response = buyer.post(
        f"/digital/library/{entitlement.pk}/versions/{version.pk}/download/",
        HTTP_USER_AGENT="Firefox test",
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/digital/files/")
    fetched = buyer.get(response["Location"])
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    with schema_context(shop.tenant.schema_name):
        logged = Download.objects.get()
        assert (logged.user_agent, logged.version_id) == ("Firefox test", version.pk)
    assert "4 of 5 downloads left" in html(buyer.get(f"/digital/library/{entitlement.pk}/"))


def test_download_needs_a_post_and_a_signed_in_buyer(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    path = f"/digital/library/{entitlement.pk}/versions/{version.pk}/download/"
    assert client_of(shop, shop.buyer.email).get(path).status_code == 405
    anonymous = Client(HTTP_HOST=host_of(shop.tenant))
    assert anonymous.get("/digital/library/").status_code == 302
    assert anonymous.post(path).status_code == 302
    with schema_context(shop.tenant.schema_name):
        assert not Download.objects.exists()


def test_a_copy_being_prepared_is_polled_and_the_download_waits(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        StampedCopy.objects.filter(entitlement=entitlement).update(status="pending")
    buyer = client_of(shop, shop.buyer.email)
    page_url = f"/digital/library/{entitlement.pk}/"

    page = html(buyer.get(page_url))
    assert "Your copy is being prepared" in page
    assert 'hx-trigger="every 3s"' in page and 'hx-select="#dl-files"' in page
    tried = buyer.post(f"{page_url}versions/{version.pk}/download/")
    assert tried.status_code == 302 and tried["Location"] == page_url
    assert "ready in a moment" in html(buyer.get(page_url))

    with schema_context(shop.tenant.schema_name):
        StampedCopy.objects.filter(entitlement=entitlement).update(status="ready")
    ready = html(buyer.get(page_url))
    assert 'hx-trigger="every 3s"' not in ready and "Stamped with your name" in ready


def test_the_reset_button_where_the_seller_allows_it(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(
        shop, django_capture_on_commit_callbacks, download_limit=1, allow_limit_reset=True
    )
    buyer = client_of(shop, shop.buyer.email)
    page_url = f"/digital/library/{entitlement.pk}/"
    download = f"{page_url}versions/{version.pk}/download/"
    assert "Reset my downloads" not in html(buyer.get(page_url))  # nothing to reset yet
    assert buyer.post(download).status_code == 302
    used_up = html(buyer.get(page_url))
    assert "0 of 1 downloads left" in used_up and "Reset my downloads" in used_up
    refused = buyer.post(download)
    assert refused["Location"] == page_url
    assert "used every download" in html(buyer.get(page_url))

    reset = buyer.post(f"{page_url}reset/")

    assert reset.status_code == 302
    after = html(buyer.get(page_url))
    assert "Your downloads are reset (1 download forgiven)." in after
    assert "1 of 1 downloads left" in after


def test_a_refunded_purchase_is_shown_and_not_downloadable(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    refund(shop, entitlement, django_capture_on_commit_callbacks)
    buyer = client_of(shop, shop.buyer.email)

    assert "Refunded: no longer available" in html(buyer.get("/digital/library/"))
    page = html(buyer.get(f"/digital/library/{entitlement.pk}/"))
    assert "Refunded: no longer available" in page and "Download</button>" not in page
    download = f"/digital/library/{entitlement.pk}/versions/{version.pk}/download/"
    assert buyer.post(download).status_code == 404


def test_the_order_page_lists_the_files_with_a_link_to_the_library(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    buyer = client_of(shop, shop.buyer.email)

    page = html(buyer.get(f"/account/orders/{entitlement.order_line.order_id}/"))

    assert "The handbook (PDF)" in page and "5 of 5 downloads left" in page
    assert f'href="/digital/library/{entitlement.pk}/"' in page


def test_another_buyers_purchase_is_not_found(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks, allow_limit_reset=True)
    other = make_user(shop.tenant, "other@pdf-press.example")
    client = client_of(shop, other.email)
    page_url = f"/digital/library/{entitlement.pk}/"

    assert f'data-purchase="{entitlement.pk}"' not in html(client.get("/digital/library/"))
    assert client.get(page_url).status_code == 404
    assert client.post(f"{page_url}versions/{version.pk}/download/").status_code == 404
    assert client.post(f"{page_url}reset/").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not Download.objects.exists()


def test_another_marketplace_and_the_module_off_are_not_found(
    shop: Shop, make_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    buyer = client_of(shop, shop.buyer.email)
    page_url = f"/digital/library/{entitlement.pk}/"
    download = f"{page_url}versions/{version.pk}/download/"

    use_public_schema()
    elsewhere = Shop(make_tenant, "other-press")
    stranger = client_of(elsewhere, elsewhere.buyer.email)
    assert stranger.get(page_url).status_code == 404
    assert stranger.post(download).status_code == 404

    set_module_enabled(tenant=shop.tenant, key="digital", is_enabled=False)
    assert buyer.get("/digital/library/").status_code == 404
    assert buyer.get(page_url).status_code == 404
    assert buyer.post(download).status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not Download.objects.exists()
