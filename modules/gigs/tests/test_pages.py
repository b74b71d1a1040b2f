"""The buyer's gig order pages: the requirements form starts the clock, the deliveries show
with their files, a revision is asked and the redelivery accepted from the page; another
buyer gets 404; the account menu links the pages only where the module is on."""

from __future__ import annotations

from modules.gigs.models import OrderStatus
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    deliver_link,
    refreshed,
    seller_client,
    signed_in,
)
from tenants.services.modules import set_module_enabled

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
    with django_capture_on_commit_callbacks(execute=True):
        accepted = buyer.post(f"{page}accept/")
    assert accepted.status_code == 302
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
