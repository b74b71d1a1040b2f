"""The chat embedded on the buyer's order page: the conversation of this buyer and this
seller about this order (core conversations), posted to from the page and found in
/messages/ too; another buyer cannot read it (404); the page's queries do not grow with the
messages. Deliver and the answer to a cancellation take an Idempotency-Key: a replay
answers the first result again and nothing happens twice."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.conversations.models import Conversation, Message
from core.conversations.services.messages import post_message
from core.sellers.models import Seller
from modules.gigs.models import GigDelivery, OrderStatus
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    paying,
    refreshed,
    seller_client,
    signed_in,
)
from tests.accounts_helpers import call


def _page_queries(client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries), response.content.decode()


def test_the_order_page_embeds_the_orders_conversation_both_ways(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    page = f"/gigs/orders/{order.pk}/"
    first = buyer.get(page)
    assert first.status_code == 200
    with schema_context(shop.tenant.schema_name):
        conversation = Conversation.objects.get(order_line_id=order.order_line_id)
        owner_id = Seller.objects.get(pk=shop.seller.pk).owner_id
    text = first.content.decode()
    assert f'data-conversation="{conversation.pk}"' in text
    assert "Messages with Studio Nord" in text

    # Posting from the order page's form (the conversation's send endpoint) ...
    sent = buyer.post(f"/messages/{conversation.pk}/send/", {"text": "Can you use teal?"})
    assert sent.status_code == 302
    assert "Can you use teal?" in buyer.get(page).content.decode()
    # ... is in the buyer's messages and the seller's too, who answers there.
    assert "Can you use teal?" in buyer.get(f"/messages/{conversation.pk}/").content.decode()
    with schema_context(shop.tenant.schema_name):
        post_message(conversation_id=conversation.pk, sender_id=owner_id, text="Teal it is")
    assert "Teal it is" in buyer.get(page).content.decode()
    seller = seller_client(client_for, shop.tenant, shop.seller)
    assert seller.get("/studio/messages/").status_code == 200

    # Another buyer reads neither the order nor its conversation.
    other = signed_in(client_for, shop.tenant, shop.other_buyer)
    assert other.get(page).status_code == 404
    assert other.get(f"/messages/{conversation.pk}/").status_code == 404
    assert other.post(f"/messages/{conversation.pk}/send/", {"text": "hi"}).status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert Message.objects.filter(conversation=conversation).count() == 2
        assert Conversation.objects.count() == 1  # viewing again opened no second one


def test_the_order_page_queries_do_not_grow_with_the_messages(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    page = f"/gigs/orders/{order.pk}/"
    buyer.get(page)  # opens the conversation
    with schema_context(shop.tenant.schema_name):
        conversation = Conversation.objects.get(order_line_id=order.order_line_id)
        owner_id = Seller.objects.get(pk=shop.seller.pk).owner_id
        post_message(conversation_id=conversation.pk, sender_id=owner_id, text="Hello 0")
    one, _ = _page_queries(buyer, page)
    with schema_context(shop.tenant.schema_name):
        for number in range(1, 12):
            sender = owner_id if number % 2 else shop.buyer.pk
            Message.objects.create(
                conversation=conversation, sender_id=sender, text=f"Hello {number}"
            )
    many, text = _page_queries(buyer, page)
    assert "Hello 11" in text
    assert many == one, (one, many)
    assert one <= 45, one


def test_deliver_and_the_cancellation_answer_happen_once_per_idempotency_key(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    draft = call(
        seller,
        "post",
        f"/gigs/seller/orders/{order.pk}/deliveries",
        {"links": ["https://files.example/a.zip"], "checklist_ticked": order.checklist},
    ).json()
    deliver = f"/gigs/seller/orders/{order.pk}/deliveries/{draft['id']}/deliver"
    assert call(seller, "post", deliver).status_code == 400  # no key: refused, nothing done
    assert refreshed(shop.tenant, order).status == OrderStatus.IN_PROGRESS
    key = paying()
    first = call(seller, "post", deliver, **key)
    assert first.status_code == 200, first.content
    replay = call(seller, "post", deliver, **key)
    assert (replay.status_code, replay.json()) == (200, first.json())
    with schema_context(shop.tenant.schema_name):
        assert GigDelivery.objects.filter(order_id=order.pk, status="submitted").count() == 1
    assert call(seller, "post", deliver, **paying()).status_code == 409  # a new key: refused
    other_seller = seller_client(client_for, shop.tenant, shop.other_seller)
    assert call(other_seller, "post", deliver, **paying()).status_code == 404

    ask = call(buyer, "post", f"/gigs/orders/{order.pk}/cancellation", {"reason": "Budget"})
    assert ask.status_code == 200
    answer = f"/gigs/seller/orders/{order.pk}/cancellation/answer"
    key = paying()
    declined = call(seller, "post", answer, {"is_accepted": False}, **key)
    assert declined.status_code == 200, declined.content
    assert declined.json()["cancellation_requested_at"] is None
    again = call(seller, "post", answer, {"is_accepted": False}, **key)
    assert again.json() == declined.json()
    # The same key with another answer is a different request: refused, not replayed.
    changed = call(seller, "post", answer, {"is_accepted": True}, **key)
    assert changed.status_code in (409, 422), changed.content
    assert refreshed(shop.tenant, order).status == OrderStatus.DELIVERED
    other_buyer = signed_in(client_for, shop.tenant, shop.other_buyer)
    buyer_answer = f"/gigs/orders/{order.pk}/cancellation/answer"
    refused = call(other_buyer, "post", buyer_answer, {"is_accepted": True}, **paying())
    assert refused.status_code == 404
