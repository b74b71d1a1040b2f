"""The buyer's gig order pages: the requirements form starts the clock, the deliveries show
with their files, a revision is asked and the redelivery accepted from the page; another
buyer gets 404; the account menu links the pages only where the module is on."""

from __future__ import annotations

from django_tenants.utils import schema_context

from modules.gigs.models import GigFeedback, OrderStatus
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    deliver_link,
    paying,
    refreshed,
    seller_client,
    signed_in,
)
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call

ACCOUNT_LINK = 'href="/gigs/orders/" data-module="gigs"'


def _text(response) -> str:
    return response.content.decode()


def test_a_buyer_runs_an_order_from_the_pages(shop, client_for, django_capture_on_commit_callbacks):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = buy(
        buyer,
        shop.tenant,
        shop.gig,
        django_capture_on_commit_callbacks,
        extra_ids=[shop.extra_id("Express")],
    )
    page = f"/gigs/orders/{order.pk}/"

    listed = buyer.get("/gigs/orders/")
    assert listed.status_code == 200
    assert f'data-gig-order="{order.pk}"' in _text(listed) and "Logo design" in _text(listed)
    detail = _text(buyer.get(page))
    assert "Send requirements" in detail and "Your brand name?" in detail
    assert "Standard with Express" in detail

    form = {f"answer_{key}": value for key, value in answers_for(order).items()}
    sent = buyer.post(f"{page}requirements/", form)
    assert (sent.status_code, sent["Location"]) == (302, page)
    assert refreshed(shop.tenant, order).status == OrderStatus.IN_PROGRESS
    assert "Requirements sent: the clock started" in _text(buyer.get(page))

    assert deliver_link(seller, order).status_code == 200
    delivered = _text(buyer.get(page))
    assert "Delivery #1" in delivered and "https://files.example/logo.zip" in delivered
    assert "Accept and pay the seller" in delivered

    asked = buyer.post(f"{page}revisions/", {"notes": "Warmer colours"})
    assert asked.status_code == 302
    assert refreshed(shop.tenant, order).status == OrderStatus.REVISION_REQUESTED
    assert deliver_link(seller, order, "https://files.example/logo-2.zip").status_code == 200
    # Accepting confirms the order's acceptance criteria, every one of them.
    assert f'name="confirm" value="{order.checklist[0]}"' in _text(buyer.get(page))
    partly = buyer.post(f"{page}accept/", {"confirm": order.checklist[:1]}, follow=True)
    assert "Confirm every criterion you accept" in _text(partly)
    assert refreshed(shop.tenant, order).status == OrderStatus.DELIVERED
    with django_capture_on_commit_callbacks(execute=True):
        accepted = buyer.post(f"{page}accept/", {"confirm": order.checklist})
    assert accepted.status_code == 302
    with schema_context(shop.tenant.schema_name):
        last = order.deliveries.order_by("-number").first()
        assert last is not None and last.checklist_confirmed == order.checklist
    done = _text(buyer.get(page))
    assert refreshed(shop.tenant, order).status == OrderStatus.COMPLETED
    assert "Revision #2" in done and "Revision 1 asked" in done and "Accepted" in done
    assert "(paid to the seller)" in done
    # Accepting again is refused on the page, with the service's message.
    again = buyer.post(f"{page}accept/", follow=True)
    assert "Only a delivered order can be accepted." in _text(again)

    other = signed_in(client_for, shop.tenant, shop.other_buyer)
    assert other.get(page).status_code == 404
    assert other.post(f"{page}accept/").status_code == 404
    assert f'data-gig-order="{order.pk}"' not in _text(other.get("/gigs/orders/"))


def test_the_pages_and_their_account_link_exist_only_where_the_module_is_on(shop, client_for):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    assert ACCOUNT_LINK in _text(buyer.get("/accounts/profile/"))
    set_module_enabled(tenant=shop.tenant, key="gigs", is_enabled=False)
    assert ACCOUNT_LINK not in _text(buyer.get("/accounts/profile/"))
    assert buyer.get("/gigs/orders/").status_code == 404


def test_the_order_page_sells_an_extra_revision_asks_to_cancel_and_takes_feedback(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks, tier="basic")
    page = f"/gigs/orders/{order.pk}/"
    form = {f"answer_{key}": value for key, value in answers_for(order).items()}
    assert buyer.post(f"{page}requirements/", form).status_code == 302
    assert deliver_link(seller, order).status_code == 200
    assert buyer.post(f"{page}revisions/", {"notes": "Bigger"}).status_code == 302
    assert deliver_link(seller, order).status_code == 200
    out = _text(buyer.get(page))
    assert "Buy an extra revision" in out and "Ask for a revision" not in out

    to_cart = buyer.post(f"{page}extra-revision/")
    assert (to_cart.status_code, to_cart["Location"]) == (302, "/cart/")
    assert "One more revision" in _text(buyer.get("/cart/"))

    asked = buyer.post(f"{page}cancellation/", {"reason": "Changed my mind"}, follow=True)
    assert "Waiting for the seller" in _text(asked)
    declined = call(
        seller,
        "post",
        f"/gigs/seller/orders/{order.pk}/cancellation/answer",
        {"is_accepted": False},
        **paying(),
    )
    assert declined.status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = {"confirm": refreshed(shop.tenant, order).checklist}
        assert buyer.post(f"{page}accept/", confirmed).status_code == 302
    assert "How was it?" in _text(buyer.get(page))
    scores = {"quality": "5", "communication": "4", "timeliness": "5", "comment": "Great"}
    given = buyer.post(f"{page}feedback/", scores, follow=True)
    assert "Thanks for your feedback." in _text(given)
    assert 'data-feedback="buyer"' in _text(given) and "How was it?" not in _text(given)
    with schema_context(shop.tenant.schema_name):
        assert GigFeedback.objects.get().quality == 5
