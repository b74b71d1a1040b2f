"""The unread total and the inbox stay one query each however much history there is
(pinned with django_assert_num_queries, before and after a few thousand more messages and
a hundred more conversations). bench/notifications.py measures the same at 100k messages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.conversations import selectors, services
from core.conversations.models import Conversation, Message, Participant
from tests.accounts_helpers import call, make_user
from tests.commerce_helpers import bearer_client, make_shop


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def _search_path_set() -> None:
    """django-tenants sets the schema's search_path before the first query in a schema
    context; do that outside the counted block."""
    Participant.objects.exists()


def _grow_history(shop: Any, *, conversations: int, messages_each: int) -> None:
    """More conversations of the buyer (with other buyers' noise beside them), each with
    many messages, written in bulk like history accumulates."""
    with schema_context(shop.tenant.schema_name):
        for number in range(conversations):
            other = make_user(shop.tenant, f"other{number}@example.com")
            for buyer_id in (shop.buyer.pk, other.pk):
                conversation = Conversation.objects.create(
                    buyer_id=buyer_id, seller=shop.seller_one, subject=f"bulk:{number}"
                )
                Participant.objects.bulk_create(
                    [
                        Participant(conversation=conversation, user_id=buyer_id, role="buyer"),
                        Participant(
                            conversation=conversation,
                            user_id=shop.seller_one.owner_id,
                            role="seller",
                            unread_count=messages_each,
                        ),
                    ]
                )
                Message.objects.bulk_create(
                    [
                        Message(
                            conversation=conversation,
                            sender_id=buyer_id,
                            text=f"message {index}",
                        )
                        for index in range(messages_each)
                    ]
                )
                last = Message.objects.filter(conversation=conversation).order_by("-pk").first()
                Conversation.objects.filter(pk=conversation.pk).update(
                    last_message=last, last_message_at=last.created_at if last else None
                )


def test_the_unread_total_is_one_query_whatever_the_history(
    shop, client_for, django_assert_num_queries
):
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    chat_id = call(buyer, "post", "/chats", {"seller_id": shop.seller_one.pk, "text": "hi"}).json()[
        "id"
    ]
    with schema_context(shop.tenant.schema_name):
        services.post_system_message(conversation_id=chat_id, text="Delivered")
        with django_assert_num_queries(1):
            small = selectors.unread_total(shop.seller_one.owner_id)

    _grow_history(shop, conversations=40, messages_each=50)

    with schema_context(shop.tenant.schema_name):
        _search_path_set()
        with django_assert_num_queries(1):
            large = selectors.unread_total(shop.seller_one.owner_id)
        with django_assert_num_queries(1):
            buyer_total = selectors.unread_total(shop.buyer.pk)
    assert small == 2
    assert large == 2 + 80 * 50
    assert buyer_total == 1


def test_the_inbox_is_one_query_whatever_the_history(shop, client_for, django_assert_num_queries):
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    call(buyer, "post", "/chats", {"seller_id": shop.seller_one.pk, "text": "hi"})
    with schema_context(shop.tenant.schema_name):
        _search_path_set()
        with django_assert_num_queries(1):
            rows, _ = selectors.inbox_page(shop.buyer.pk, limit=25)
        assert len(rows) == 1

    def api_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = call(buyer, "get", "/chats?limit=25")
        assert response.status_code == 200
        return len(captured.captured_queries)

    before = api_queries()
    _grow_history(shop, conversations=40, messages_each=50)

    with schema_context(shop.tenant.schema_name):
        _search_path_set()
        with django_assert_num_queries(1):
            rows, cursor = selectors.inbox_page(shop.buyer.pk, limit=25)
        # Every row carries what the list shows without another query.
        with django_assert_num_queries(0):
            shown = [
                (
                    row.unread_count,
                    row.conversation.seller.business_name,
                    row.conversation.last_message.text if row.conversation.last_message else "",
                )
                for row in rows
            ]
    assert len(rows) == 25 and cursor is not None
    assert shown[0][2] == "message 49"
    # The API's page costs the same however long the history (auth + the one SELECT).
    assert api_queries() == before
