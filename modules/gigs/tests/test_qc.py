"""The operator's quality check (QC): in a marketplace that checks a category, a delivery
waits in review (the buyer sees nothing, no auto-accept clock) until an operator approves
it (the buyer is told, the clock starts then) or returns it with a note (the seller is told
and delivers again). Idempotent, recorded (who, when), frozen on the order when placed,
operators only, and each marketplace's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django_tenants.utils import schema_context
from pydantic import ValidationError

from core.catalog.models import Product
from core.events import dispatch_pending
from core.notifications.models import Notification
from modules.gigs.manifest import GigsSettings
from modules.gigs.models import DeliveryStatus, GigDelivery, OrderStatus
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    make_gig_shop,
    make_gigs_tenant,
    paying,
    refreshed,
    seller_client,
    signed_in,
    sweep,
)
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call, signed_in_operator
from tests.catalog_helpers import make_category

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _check_design(shop, slugs=("design",)):
    """The shop's logo gig is in "Design / Logos"; the marketplace checks ``slugs``."""
    design = make_category(shop.tenant, "Design")
    logos = make_category(shop.tenant, "Logos", parent=design)
    with schema_context(shop.tenant.schema_name):
        Product.objects.filter(pk=shop.gig.pk).update(category=logos)
    _configure(shop.tenant, list(slugs))


def _configure(tenant, slugs):
    with transaction.atomic():
        set_module_enabled(
            tenant=tenant, key="gigs", is_enabled=True, config={"qc_category_slugs": slugs}
        )


def _started(shop, client_for, capture, buyer_user=None):
    buyer = signed_in(client_for, shop.tenant, buyer_user or shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, capture)
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    return buyer, refreshed(shop.tenant, order)


def deliver_link(client, order, link="https://files.example/logo.zip"):
    """Seller: a draft with a link and the whole checklist ticked, delivered (with an
    Idempotency-Key, which the deliver endpoint may ask for)."""
    base = f"/gigs/seller/orders/{order.pk}/deliveries"
    body = {"description": "Here it is", "links": [link], "checklist_ticked": order.checklist}
    draft = call(client, "post", base, body)
    assert draft.status_code == 201, draft.content
    return call(client, "post", f"{base}/{draft.json()['id']}/deliver", **paying())


def _delivery(shop, order, number=None):
    with schema_context(shop.tenant.schema_name):
        rows = GigDelivery.objects.filter(order=order).exclude(status=DeliveryStatus.DRAFT)
        return rows.order_by("-id").first() if number is None else rows.get(number=number)


def _notes(shop, type_key):
    with schema_context(shop.tenant.schema_name):
        return list(Notification.objects.filter(type_key=type_key).order_by("id"))


def _dispatch(shop, capture):
    with capture(execute=True), schema_context(shop.tenant.schema_name):
        dispatch_pending()


def test_settings_name_categories_by_slug():
    settings = GigsSettings(qc_category_slugs=["Design", "design", " video-editing "])
    assert settings.qc_category_slugs == ["design", "video-editing"]
    with pytest.raises(ValidationError):
        GigsSettings(qc_category_slugs=["not a slug!"])
    with pytest.raises(ValidationError):
        GigsSettings(delivery_file_max_mb=0)
    assert GigsSettings().qc_category_slugs == []


def test_a_delivery_waits_in_review_and_approval_shows_it_and_starts_the_clock(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    capture = django_capture_on_commit_callbacks
    time_machine.move_to(T0, tick=False)
    _check_design(shop)
    buyer, order = _started(shop, client_for, capture)
    assert order.policy["qc_category_slugs"] == ["design"]
    seller = seller_client(client_for, shop.tenant, shop.seller)
    assert deliver_link(seller, order).status_code == 200
    _dispatch(shop, capture)

    held = refreshed(shop.tenant, order)
    assert held.status == OrderStatus.IN_REVIEW and held.auto_accept_at is None
    seen = call(buyer, "get", f"/gigs/orders/{order.pk}").json()
    assert seen["deliveries"] == [] and seen["status"] == "in_review"
    assert _notes(shop, "gigs.delivered") == []  # the buyer is told nothing yet
    refused = call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying())
    assert refused.status_code == 409
    asked = call(buyer, "post", f"/gigs/orders/{order.pk}/revisions", {"notes": "More blue"})
    assert asked.status_code == 409
    # Days pass in review: no auto-accept fires (none was scheduled).
    time_machine.move_to(T0 + timedelta(days=5), tick=False)
    with capture(execute=True):
        sweep(shop.tenant, T0 + timedelta(days=5))
    assert refreshed(shop.tenant, order).status == OrderStatus.IN_REVIEW

    operator, operator_user = signed_in_operator(client_for, shop.tenant)
    delivery = _delivery(shop, order)
    approved = operator.post(f"/operator/gigs/qc/{delivery.pk}/approve")
    assert approved.status_code == 302 and approved["Location"] == "/operator/gigs/qc/"
    after = refreshed(shop.tenant, order)
    assert after.status == OrderStatus.DELIVERED
    assert after.auto_accept_at == T0 + timedelta(days=5 + 3)  # from the approval
    delivery = _delivery(shop, order)
    assert delivery.qc_state == "approved"
    assert (
        delivery.qc_decided_by_id == operator_user.pk
        and delivery.qc_decided_at == after.delivered_at
    )
    _dispatch(shop, capture)
    told = _notes(shop, "gigs.delivered")
    assert [note.user_id for note in told] == [shop.buyer.pk]
    assert len(call(buyer, "get", f"/gigs/orders/{order.pk}").json()["deliveries"]) == 1

    # Approving again changes nothing (and returning now is refused).
    assert operator.post(f"/operator/gigs/qc/{delivery.pk}/approve").status_code == 302
    assert refreshed(shop.tenant, order).auto_accept_at == after.auto_accept_at
    returned = operator.post(f"/operator/gigs/qc/{delivery.pk}/return", {"note": "No"}, follow=True)
    assert "approved already" in returned.content.decode()
    assert _delivery(shop, order).qc_state == "approved"
    # The operator's order page shows the step, who took it and when.
    page = operator.get(f"/operator/gigs/orders/{order.pk}/").content.decode()
    assert "Delivery #1 approved: shown to the buyer" in page and operator_user.email in page

    # Auto-accept runs on the approval's clock.
    time_machine.move_to(T0 + timedelta(days=8, minutes=1), tick=False)
    with capture(execute=True):
        sweep(shop.tenant, T0 + timedelta(days=8, minutes=1))
    done = refreshed(shop.tenant, order)
    assert done.status == OrderStatus.COMPLETED and done.is_auto_accepted


def test_a_returned_delivery_goes_back_to_the_seller_with_the_note(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    capture = django_capture_on_commit_callbacks
    time_machine.move_to(T0, tick=False)
    _check_design(shop)
    buyer, order = _started(shop, client_for, capture)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    assert deliver_link(seller, order, "https://files.example/v1.zip").status_code == 200
    first = _delivery(shop, order)
    operator, operator_user = signed_in_operator(client_for, shop.tenant)

    empty = operator.post(f"/operator/gigs/qc/{first.pk}/return", {"note": "  "}, follow=True)
    assert "Tell the seller what to fix" in empty.content.decode()
    assert refreshed(shop.tenant, order).status == OrderStatus.IN_REVIEW

    note = "The SVG is missing; attach it."
    sent = operator.post(f"/operator/gigs/qc/{first.pk}/return", {"note": note})
    assert sent.status_code == 302
    back = refreshed(shop.tenant, order)
    assert back.status == OrderStatus.IN_PROGRESS and back.auto_accept_at is None
    first = _delivery(shop, order)
    assert first.qc_state == "returned" and first.qc_note == note
    assert first.qc_decided_by_id == operator_user.pk
    told = _notes(shop, "gigs.delivery_returned")
    assert [n.user_id for n in told] == [shop.seller.owner_id] and note in told[0].body
    # Again: nothing changes, nobody is told twice; approving it now is refused.
    assert operator.post(f"/operator/gigs/qc/{first.pk}/return", {"note": "x"}).status_code == 302
    assert (
        _delivery(shop, order).qc_note == note and len(_notes(shop, "gigs.delivery_returned")) == 1
    )
    refused = operator.post(f"/operator/gigs/qc/{first.pk}/approve", follow=True)
    assert "returned to the seller already" in refused.content.decode()
    assert call(buyer, "get", f"/gigs/orders/{order.pk}").json()["deliveries"] == []

    studio = seller.get(f"/studio/gigs/orders/{order.pk}/").content.decode()
    assert 'data-qc="returned"' in studio and note in studio

    assert deliver_link(seller, order, "https://files.example/v2.zip").status_code == 200
    second = _delivery(shop, order)
    assert second.pk != first.pk and second.qc_state == "in_review"
    studio = seller.get(f"/studio/gigs/orders/{order.pk}/").content.decode()
    assert 'data-qc="in_review"' in studio
    assert operator.post(f"/operator/gigs/qc/{second.pk}/approve").status_code == 302
    seen = call(buyer, "get", f"/gigs/orders/{order.pk}").json()["deliveries"]
    assert [d["links"] for d in seen] == [["https://files.example/v2.zip"]]


def test_the_check_is_frozen_on_the_order_when_placed(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    capture = django_capture_on_commit_callbacks
    time_machine.move_to(T0, tick=False)
    design = make_category(shop.tenant, "Design")
    with schema_context(shop.tenant.schema_name):
        Product.objects.filter(pk=shop.gig.pk).update(category=design)
    _, before = _started(shop, client_for, capture)  # placed while nothing is checked
    _configure(shop.tenant, ["design"])
    _, during = _started(shop, client_for, capture, shop.other_buyer)
    _configure(shop.tenant, [])  # the operator stops checking: not retroactive either
    seller = seller_client(client_for, shop.tenant, shop.seller)
    assert deliver_link(seller, before).status_code == 200
    assert deliver_link(seller, during).status_code == 200
    assert refreshed(shop.tenant, before).status == OrderStatus.DELIVERED
    assert refreshed(shop.tenant, during).status == OrderStatus.IN_REVIEW


def test_only_operators_decide_and_each_marketplace_its_own(
    shop, make_tenant, client_for, django_capture_on_commit_callbacks, time_machine
):
    capture = django_capture_on_commit_callbacks
    time_machine.move_to(T0, tick=False)
    other = make_gig_shop(make_gigs_tenant(make_tenant, "other-gig-market"))
    _check_design(shop)
    buyer, order = _started(shop, client_for, capture)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    assert deliver_link(seller, order).status_code == 200
    delivery = _delivery(shop, order)
    for outsider in (buyer, seller):
        assert outsider.get("/operator/gigs/qc/").status_code in (302, 403, 404)
        refused = outsider.post(f"/operator/gigs/qc/{delivery.pk}/approve")
        assert refused.status_code in (302, 403, 404)
    assert refreshed(shop.tenant, order).status == OrderStatus.IN_REVIEW

    other_operator, _ = signed_in_operator(client_for, other.tenant)
    queue = other_operator.get("/operator/gigs/qc/").content.decode()
    assert f'data-delivery-id="{delivery.pk}"' not in queue and "No delivery is waiting" in queue
    assert other_operator.post(f"/operator/gigs/qc/{delivery.pk}/approve").status_code == 404
    assert (
        other_operator.post(f"/operator/gigs/qc/{delivery.pk}/return", {"note": "x"}).status_code
        == 404
    )
    assert other_operator.get(f"/operator/gigs/orders/{order.pk}/").status_code == 404
    assert refreshed(shop.tenant, order).status == OrderStatus.IN_REVIEW


def test_the_queue_lists_the_oldest_first_with_checklist_and_work(
    shop,
    client_for,
    django_capture_on_commit_callbacks,
    time_machine,
    django_assert_max_num_queries,
):
    capture = django_capture_on_commit_callbacks
    time_machine.move_to(T0, tick=False)
    _check_design(shop)
    _, older = _started(shop, client_for, capture)
    _, newer = _started(shop, client_for, capture, shop.other_buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    assert deliver_link(seller, newer, "https://files.example/newer.zip").status_code == 200
    time_machine.move_to(T0 + timedelta(hours=2), tick=False)
    assert deliver_link(seller, older, "https://files.example/older.zip").status_code == 200
    operator, _ = signed_in_operator(client_for, shop.tenant)
    with django_assert_max_num_queries(25):
        page = operator.get("/operator/gigs/qc/")
    body = page.content.decode()
    assert page.status_code == 200
    assert body.index(f"Order #{newer.pk} ") < body.index(f"Order #{older.pk} ")
    assert "newer.zip" in body and "Logo in SVG and PNG" in body and 'class="ticked"' in body
    assert 'name="note"' in body and "Approve and show the buyer" in body
    orders_page = operator.get("/operator/gigs/").content.decode()
    assert 'data-qc-waiting="2"' in orders_page
