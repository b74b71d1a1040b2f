"""What the conversation services tell the world, on the real Redis channel layer: a new
message reaches the conversation's group (and each participant's own group), a read receipt
follows when the other side reads; nothing reaches the same conversation id's group on
another marketplace. The recipients get a ``chat.message`` notification, the sender none;
the ``conversation`` topic admits participants only and relays only typing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django_tenants.utils import schema_context

from core.conversations import services
from core.conversations.services import messages as message_services
from core.notifications.models import Notification
from core.realtime.topics import find_topic, group_name, user_group
from core.sellers.models import TeamMember
from tests.accounts_helpers import call, make_user
from tests.commerce_helpers import bearer_client, make_shop


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


@pytest.fixture
def layer(redis_url: str, settings: Any) -> Any:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": "souk-test-conversations"},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    found = get_channel_layer()
    assert type(found).__name__ == "RedisChannelLayer"
    yield found
    async_to_sync(found.flush)()
    channel_layers.backends.clear()


def listen(layer: Any, group: str) -> str:
    channel: str = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def receive(layer: Any, channel: str, seconds: float = 2.0) -> dict[str, Any] | None:
    async def read() -> dict[str, Any] | None:
        try:
            message: dict[str, Any] = await asyncio.wait_for(layer.receive(channel), seconds)
        except TimeoutError:
            return None
        return message

    return async_to_sync(read)()


def test_a_message_and_its_read_receipt_reach_the_conversation_group_live(
    shop, tenant_b, layer, django_capture_on_commit_callbacks
):
    with schema_context(shop.tenant.schema_name):
        conversation = services.open_conversation(
            buyer_id=shop.buyer.pk, seller_id=shop.seller_one.pk
        )
    topic_channel = listen(
        layer, group_name(shop.tenant.schema_name, "conversation", conversation.pk)
    )
    seller_channel = listen(layer, user_group(shop.tenant.schema_name, shop.seller_one.owner_id))
    # The same conversation id and seller user id, on another marketplace.
    foreign_topic = listen(layer, group_name(tenant_b.schema_name, "conversation", conversation.pk))
    foreign_user = listen(layer, user_group(tenant_b.schema_name, shop.seller_one.owner_id))

    with (
        schema_context(shop.tenant.schema_name),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = services.post_message(
            conversation_id=conversation.pk, sender_id=shop.buyer.pk, text="Hello live"
        )
    new = receive(layer, topic_channel)
    to_seller = receive(layer, seller_channel)
    with (
        schema_context(shop.tenant.schema_name),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.mark_read(conversation_id=conversation.pk, user_id=shop.seller_one.owner_id)
    read = receive(layer, topic_channel)

    assert new is not None and new["event"] == "chat.message.new"
    assert new["data"]["id"] == message.pk and new["data"]["text"] == "Hello live"
    assert to_seller is not None and to_seller["data"]["conversation_id"] == conversation.pk
    assert read is not None and read["event"] == "chat.message.read"
    assert read["data"]["reader_id"] == shop.seller_one.owner_id
    assert receive(layer, foreign_topic, 0.3) is None
    assert receive(layer, foreign_user, 0.3) is None


def test_recipients_are_notified_and_the_sender_is_not(client_for, shop):
    mate = make_user(shop.tenant, "mate@example.com")
    with schema_context(shop.tenant.schema_name):
        TeamMember.objects.create(seller=shop.seller_one, user=mate, permissions=["process_orders"])
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)

    call(buyer, "post", "/chats", {"seller_id": shop.seller_one.pk, "text": "Anyone there?"})

    with schema_context(shop.tenant.schema_name):
        notified = sorted(
            Notification.objects.filter(type_key="chat.message").values_list("user__email", "url")
        )
    assert [email for email, _ in notified] == ["acme@example.com", "mate@example.com"]
    assert all(url.startswith("/messages/") for _, url in notified)


def test_the_conversation_topic_admits_participants_only_and_relays_only_typing(shop):
    with schema_context(shop.tenant.schema_name):
        conversation = services.open_conversation(
            buyer_id=shop.buyer.pk, seller_id=shop.seller_one.pk
        )
        stranger = make_user(shop.tenant, "stranger@example.com")
        topic = find_topic("conversation")
        assert topic is not None
        assert topic.relayed_client_events == ("chat.typing",)
        assert topic.can_join(shop.buyer.pk, conversation.pk)
        assert topic.can_join(shop.seller_one.owner_id, conversation.pk)
        assert not topic.can_join(stranger.pk, conversation.pk)
        assert not topic.can_join(shop.seller_two.owner_id, conversation.pk)
        assert not topic.can_join(shop.buyer.pk, conversation.pk + 1000)


def test_one_conversation_is_rate_limited_whoever_writes(client_for, shop):
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    chat_id = call(buyer, "post", "/chats", {"seller_id": shop.seller_one.pk}).json()["id"]
    writers = [buyer, bearer_client(client_for, shop.tenant, shop.seller_one.owner)]
    for number in range(2):
        mate = make_user(shop.tenant, f"mate{number}@example.com")
        with schema_context(shop.tenant.schema_name):
            TeamMember.objects.create(
                seller=shop.seller_one, user=mate, permissions=["manage_customers"]
            )
            services.add_participant(conversation_id=chat_id, user_id=mate.pk, role="seller")
        writers.append(bearer_client(client_for, shop.tenant, mate))
    per_user = message_services.USER_RATE.limit
    per_conversation = message_services.CONVERSATION_RATE.limit
    assert per_user * len(writers) > per_conversation > per_user

    responses = [
        call(writer, "post", f"/chats/{chat_id}/messages", {"text": f"{n}"})
        for writer in writers
        for n in range(per_user)
    ]

    # No writer went over their own rate; the conversation's refused the rest (GCRA lets a
    # few more through as the seconds of the run pass).
    sent = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code == 429]
    assert len(sent) + len(refused) == len(responses)
    assert per_conversation <= len(sent) < per_conversation + 10
    assert {r.json()["error"]["details"]["scope"] for r in refused} == {"chat.conversation"}
