"""The seller's gig pages in the studio: the queue by due date, an order with the buyer's
requirements, and the delivery form (a refused delivery writes nothing; a good one with a
file and the checklist delivers); another seller's order is 404; a teammate without the
module's permissions is refused; the studio's nav links the queue."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from modules.gigs.models import GigDelivery, OrderStatus
from modules.gigs.tests.helpers import answers_for, buy, refreshed, seller_client, signed_in
from tests.accounts_helpers import call, make_user


def _text(response) -> str:
    return response.content.decode()


def test_a_seller_delivers_from_the_studio(shop, client_for, django_capture_on_commit_callbacks):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    seller = seller_client(client_for, shop.tenant, shop.seller)

    queue = seller.get("/studio/gigs/")
    assert queue.status_code == 200
    assert f'data-gig-order="{order.pk}"' in _text(queue)
    assert "Waiting for requirements" in _text(queue)
    assert 'href="/studio/gigs/"' in _text(seller.get("/studio/"))
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200

    page = f"/studio/gigs/orders/{order.pk}/"
    detail = _text(seller.get(page))
    assert "Nordlicht" in detail and "Checklist (tick every item)" in detail

    unticked = seller.post(f"{page}deliver/", {"links": "https://files.example/a.zip"})
    assert unticked.status_code == 422
    assert "Tick every checklist item before delivering." in _text(unticked)
    empty = seller.post(f"{page}deliver/", {"checklist": order.checklist})
    assert empty.status_code == 422
    assert "Attach a file or give a link" in _text(empty)
    with schema_context(shop.tenant.schema_name):
        assert not GigDelivery.objects.exists()  # refused deliveries leave no draft

    upload = SimpleUploadedFile("logo.svg", b"<svg></svg>", content_type="image/svg+xml")
    done = seller.post(
        f"{page}deliver/",
        {"description": "Here you go", "checklist": order.checklist, "file": upload},
    )
    assert (done.status_code, done["Location"]) == (302, page)
    assert refreshed(shop.tenant, order).status == OrderStatus.DELIVERED
    assert "logo.svg" in _text(seller.get(page))


def test_other_sellers_and_teammates_without_permission_are_refused(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    other = seller_client(client_for, shop.tenant, shop.other_seller)
    assert other.get(f"/studio/gigs/orders/{order.pk}/").status_code == 404
    assert f'data-gig-order="{order.pk}"' not in _text(other.get("/studio/gigs/"))

    from core.accounts.models import Role
    from core.sellers.models import TeamMember

    helper = make_user(shop.tenant, "helper@example.com", role=Role.SELLER)
    with schema_context(shop.tenant.schema_name):
        TeamMember.objects.create(seller=shop.seller, user=helper, permissions=["manage_products"])
    teammate = signed_in(client_for, shop.tenant, helper)
    assert teammate.get("/studio/gigs/").status_code in (403, 404)
    refused = call(teammate, "get", "/gigs/seller/orders")
    assert refused.status_code in (403, 404)
