"""Conversations over the API: opening one with a seller (and what the buyer may name),
the inbox with unread counts and the last message, messages newest first with a cursor,
read receipts, edits within the window, archive, block and report; rate limits; and that
nobody outside a conversation learns it exists."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from core.conversations import services
from core.conversations.models import (
    Conversation,
    Message,
    MessageReport,
    Participant,
    ParticipantRole,
)
from core.conversations.services import messages as message_services
from core.outbox.models import OutboxEvent
from core.sellers.models import TeamMember
from tests.accounts_helpers import call, make_user
from tests.commerce_helpers import Shop, bearer_client, make_shop


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def as_user(client_for: Any, shop: Shop, user: Any) -> Client:
    return bearer_client(client_for, shop.tenant, user)


def open_chat(client: Client, **body: Any) -> Any:
    return call(client, "post", "/chats", body)


def test_a_buyer_opens_a_conversation_about_a_product_and_the_seller_side_takes_part(
    client_for, shop
):
    with schema_context(shop.tenant.schema_name):
        mate = make_user(shop.tenant, "mate@example.com")
        outsider_mate = make_user(shop.tenant, "analyst@example.com")
        TeamMember.objects.create(
            seller=shop.seller_one, user=mate, permissions=["manage_customers"]
        )
        TeamMember.objects.create(
            seller=shop.seller_one, user=outsider_mate, permissions=["view_analytics"]
        )
    buyer = as_user(client_for, shop, shop.buyer)

    first = open_chat(buyer, seller_id=shop.seller_one.pk, product_id=shop.editor.pk, text="Hi!")
    again = open_chat(buyer, seller_id=shop.seller_one.pk, product_id=shop.editor.pk)

    assert first.status_code == 201, first.content
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    body = first.json()
    assert body["subject"] == f"product:{shop.editor.pk}" and body["title"] == "Swift Editor"
    assert body["role"] == "buyer" and body["counterpart_name"] == "Acme Tools"
    assert body["last_message"]["text"] == "Hi!"
    with schema_context(shop.tenant.schema_name):
        roles = dict(
            Participant.objects.filter(conversation_id=body["id"]).values_list(
                "user__email", "role"
            )
        )
    assert roles == {
        "buyer@example.com": "buyer",
        "acme@example.com": "seller",
        "mate@example.com": "seller",
    }


def test_a_buyer_cannot_name_another_sellers_product_or_someone_elses_order(client_for, shop):
    buyer = as_user(client_for, shop, shop.buyer)

    wrong_product = open_chat(buyer, seller_id=shop.seller_one.pk, product_id=shop.scanner.pk)
    no_order = open_chat(buyer, seller_id=shop.seller_one.pk, order_id=999999)
    no_seller = open_chat(buyer, seller_id=999999)

    assert wrong_product.status_code == 404
    assert wrong_product.json()["error"]["code"] == "product_not_found"
    assert no_order.status_code == 404 and no_seller.status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not Conversation.objects.exists()


def test_a_seller_cannot_open_a_conversation_with_their_own_shop(client_for, shop):
    owner = as_user(client_for, shop, shop.seller_one.owner)

    response = open_chat(owner, seller_id=shop.seller_one.pk)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "cannot_message_yourself"


def test_messages_come_newest_first_with_a_cursor_and_the_seller_reads_them(client_for, shop):
    buyer = as_user(client_for, shop, shop.buyer)
    seller = as_user(client_for, shop, shop.seller_one.owner)
    chat_id = open_chat(buyer, seller_id=shop.seller_one.pk).json()["id"]
    for number in range(5):
        sent = call(buyer, "post", f"/chats/{chat_id}/messages", {"text": f"message {number}"})
        assert sent.status_code == 201, sent.content

    first_page = call(seller, "get", f"/chats/{chat_id}/messages?limit=3").json()
    second_page = call(
        seller, "get", f"/chats/{chat_id}/messages?limit=3&cursor={first_page['next_cursor']}"
    ).json()
    inbox_before = call(seller, "get", "/chats").json()["items"]
    read = call(seller, "put", f"/chats/{chat_id}/read")
    inbox_after = call(seller, "get", "/chats").json()["items"]
    buyer_view = call(buyer, "get", f"/chats/{chat_id}/messages").json()["items"]

    assert [m["text"] for m in first_page["items"]] == ["message 4", "message 3", "message 2"]
    assert [m["text"] for m in second_page["items"]] == ["message 1", "message 0"]
    assert second_page["next_cursor"] is None
    assert inbox_before[0]["unread_count"] == 5
    assert inbox_before[0]["last_message"]["text"] == "message 4"
    assert read.json() == {"read": 5}
    assert inbox_after[0]["unread_count"] == 0
    assert all(m["read_at"] is not None for m in buyer_view)
    assert call(seller, "get", "/chats/unread").json() == {"unread": 0}
    assert call(buyer, "get", "/chats/unread").json() == {"unread": 0}


def test_the_unread_total_adds_up_over_conversations_and_resets_per_conversation(client_for, shop):
    buyer = as_user(client_for, shop, shop.buyer)
    one = open_chat(buyer, seller_id=shop.seller_one.pk).json()["id"]
    two = open_chat(buyer, seller_id=shop.seller_two.pk).json()["id"]
    first_seller = as_user(client_for, shop, shop.seller_one.owner)
    second_seller = as_user(client_for, shop, shop.seller_two.owner)
    call(first_seller, "post", f"/chats/{one}/messages", {"text": "hello"})
    call(first_seller, "post", f"/chats/{one}/messages", {"text": "are you there?"})
    call(second_seller, "post", f"/chats/{two}/messages", {"text": "hi"})

    assert call(buyer, "get", "/chats/unread").json() == {"unread": 3}
    call(buyer, "put", f"/chats/{one}/read")
    assert call(buyer, "get", "/chats/unread").json() == {"unread": 1}


def test_someone_outside_the_conversation_gets_404_for_it_its_messages_and_actions(
    client_for, shop
):
    buyer = as_user(client_for, shop, shop.buyer)
    chat_id = open_chat(buyer, seller_id=shop.seller_one.pk, text="private").json()["id"]
    with schema_context(shop.tenant.schema_name):
        message_id = Message.objects.get(conversation_id=chat_id).pk
    stranger = as_user(client_for, shop, make_user(shop.tenant, "stranger@example.com"))
    other_seller = as_user(client_for, shop, shop.seller_two.owner)

    for client in (stranger, other_seller):
        assert call(client, "get", f"/chats/{chat_id}").status_code == 404
        assert call(client, "get", f"/chats/{chat_id}/messages").status_code == 404
        posted = call(client, "post", f"/chats/{chat_id}/messages", {"text": "me too"})
        assert posted.status_code == 404
        assert call(client, "put", f"/chats/{chat_id}/read").status_code == 404
        assert call(client, "put", f"/chats/{chat_id}/archive", {}).status_code == 404
        reported = call(client, "post", f"/chats/{chat_id}/messages/{message_id}/report", {})
        assert reported.status_code == 404
        assert call(client, "get", "/chats").json()["items"] == []
    with schema_context(shop.tenant.schema_name):
        assert Message.objects.count() == 1 and not MessageReport.objects.exists()


def test_a_teammate_without_customer_or_order_rights_is_refused_even_with_a_row(client_for, shop):
    buyer = as_user(client_for, shop, shop.buyer)
    mate = make_user(shop.tenant, "mate@example.com")
    with schema_context(shop.tenant.schema_name):
        membership = TeamMember.objects.create(
            seller=shop.seller_one, user=mate, permissions=["process_orders"]
        )
    chat_id = open_chat(buyer, seller_id=shop.seller_one.pk, text="hello").json()["id"]
    mate_client = as_user(client_for, shop, mate)
    assert call(mate_client, "get", f"/chats/{chat_id}/messages").status_code == 200

    with schema_context(shop.tenant.schema_name):
        membership.permissions = ["view_analytics"]
        membership.save()

    assert call(mate_client, "get", f"/chats/{chat_id}/messages").status_code == 404


def test_another_marketplace_does_not_know_the_conversation(client_for, shop, tenant_b):
    buyer = as_user(client_for, shop, shop.buyer)
    chat_id = open_chat(buyer, seller_id=shop.seller_one.pk, text="hello").json()["id"]
    # The same e-mail signs up on the other marketplace: a different user there.
    other = make_user(tenant_b, "buyer@example.com")
    other_client = bearer_client(client_for, tenant_b, other)

    assert call(other_client, "get", f"/chats/{chat_id}").status_code == 404
    assert call(other_client, "get", f"/chats/{chat_id}/messages").status_code == 404
    assert call(other_client, "get", "/chats").json()["items"] == []
    # The buyer's own token is not valid on the other marketplace at all.
    foreign = client_for(tenant_b)
    foreign.defaults["HTTP_AUTHORIZATION"] = buyer.defaults["HTTP_AUTHORIZATION"]
    assert call(foreign, "get", f"/chats/{chat_id}/messages").status_code == 401


def test_an_own_message_can_be_edited_for_five_minutes_only(client_for, shop):
    buyer = as_user(client_for, shop, shop.buyer)
    seller = as_user(client_for, shop, shop.seller_one.owner)
    chat_id = open_chat(buyer, seller_id=shop.seller_one.pk).json()["id"]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        message = call(buyer, "post", f"/chats/{chat_id}/messages", {"text": "helo"}).json()
    path = f"/chats/{chat_id}/messages/{message['id']}"

    with time_machine.travel(start + message_services.EDIT_WINDOW / 2, tick=False):
        edited = call(buyer, "patch", path, {"text": "hello"})
        by_other = call(seller, "patch", path, {"text": "hacked"})
    with time_machine.travel(start + message_services.EDIT_WINDOW * 1.1, tick=False):
        late = call(buyer, "patch", path, {"text": "hello!!"})

    assert edited.status_code == 200 and edited.json()["text"] == "hello"
    assert edited.json()["edited_at"] is not None
    assert by_other.status_code == 403
    assert by_other.json()["error"]["code"] == "not_your_message"
    assert late.status_code == 409 and late.json()["error"]["code"] == "edit_window_closed"
    with schema_context(shop.tenant.schema_name):
        assert Message.objects.get(pk=message["id"]).text == "hello"


def test_sending_too_fast_is_rate_limited_per_user(client_for, shop):
    buyer = as_user(client_for, shop, shop.buyer)
    chat_id = open_chat(buyer, seller_id=shop.seller_one.pk).json()["id"]
    limit = message_services.USER_RATE.limit
    # A burst of the limit goes through; the refusal comes right after it (on a slow, loaded
    # machine the rate frees a slot every few seconds, so allow a few more before it).
    answers = []
    for n in range(limit + 10):
        answers.append(call(buyer, "post", f"/chats/{chat_id}/messages", {"text": f"spam {n}"}))
        if answers[-1].status_code == 429:
            break
    statuses = [answer.status_code for answer in answers]

    assert statuses[:limit] == [201] * limit
    assert statuses[-1] == 429 and "Retry-After" in answers[-1]
    with schema_context(shop.tenant.schema_name):
        assert Message.objects.count() == statuses.count(201)


def test_an_empty_or_too_long_message_is_refused(client_for, shop):
    buyer = as_user(client_for, shop, shop.buyer)
    chat_id = open_chat(buyer, seller_id=shop.seller_one.pk).json()["id"]

    empty = call(buyer, "post", f"/chats/{chat_id}/messages", {"text": "   "})
    too_long = call(buyer, "post", f"/chats/{chat_id}/messages", {"text": "x" * 5001})

    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_message"
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"] == "message_too_long"


def test_blocking_stops_the_other_side_and_archiving_hides_until_a_new_message(client_for, shop):
    buyer = as_user(client_for, shop, shop.buyer)
    seller = as_user(client_for, shop, shop.seller_one.owner)
    chat_id = open_chat(buyer, seller_id=shop.seller_one.pk, text="hello").json()["id"]

    assert call(buyer, "put", f"/chats/{chat_id}/archive", {"is_archived": True}).status_code == 200
    assert call(buyer, "get", "/chats").json()["items"] == []
    assert len(call(buyer, "get", "/chats?archived=true").json()["items"]) == 1
    call(seller, "post", f"/chats/{chat_id}/messages", {"text": "still there?"})
    assert [c["id"] for c in call(buyer, "get", "/chats").json()["items"]] == [chat_id]

    assert call(buyer, "put", f"/chats/{chat_id}/block", {"is_blocked": True}).status_code == 200
    refused = call(seller, "post", f"/chats/{chat_id}/messages", {"text": "buy more"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "blocked"
    call(buyer, "put", f"/chats/{chat_id}/block", {"is_blocked": False})
    assert call(seller, "post", f"/chats/{chat_id}/messages", {"text": "ok"}).status_code == 201


def test_a_message_posts_an_outbox_event_and_a_system_message_counts_unread_for_all(
    client_for, shop
):
    buyer = as_user(client_for, shop, shop.buyer)
    chat_id = open_chat(buyer, seller_id=shop.seller_one.pk, text="hello").json()["id"]

    with schema_context(shop.tenant.schema_name):
        system = services.post_system_message(
            conversation_id=chat_id, text="Delivered", data={"order_line": 1}
        )
        events = list(
            OutboxEvent.objects.filter(event_type="chat.message.created").values_list(
                "payload", flat=True
            )
        )
        unread = dict(
            Participant.objects.filter(conversation_id=chat_id).values_list("role", "unread_count")
        )

    assert [event["conversation_id"] for event in events] == [chat_id, chat_id]
    assert events[-1]["message_id"] == system.pk and events[-1]["kind"] == "system"
    assert unread == {ParticipantRole.BUYER: 1, ParticipantRole.SELLER: 2}
    listed = call(buyer, "get", f"/chats/{chat_id}/messages").json()["items"]
    assert listed[0]["kind"] == "system" and listed[0]["sender_id"] is None


def test_an_operator_added_to_a_conversation_sees_it_and_reports_reach_the_queue(client_for, shop):
    from tests.accounts_helpers import signed_in_operator

    buyer = as_user(client_for, shop, shop.buyer)
    seller = as_user(client_for, shop, shop.seller_one.owner)
    chat_id = open_chat(buyer, seller_id=shop.seller_one.pk).json()["id"]
    rude = call(seller, "post", f"/chats/{chat_id}/messages", {"text": "rude words"}).json()
    operator_client, operator = signed_in_operator(client_for, shop.tenant)

    reported = call(
        buyer, "post", f"/chats/{chat_id}/messages/{rude['id']}/report", {"reason": "rude"}
    )
    twice = call(buyer, "post", f"/chats/{chat_id}/messages/{rude['id']}/report", {"reason": "x"})
    own = call(seller, "post", f"/chats/{chat_id}/messages/{rude['id']}/report", {})
    queue = call(operator_client, "get", "/operator/messages/reports").json()["items"]
    removed = call(operator_client, "post", f"/operator/messages/reports/{queue[0]['id']}/remove")
    after = call(buyer, "get", f"/chats/{chat_id}/messages").json()["items"]
    with schema_context(shop.tenant.schema_name):
        services.add_participant(conversation_id=chat_id, user_id=operator.pk, role="operator")
    operator_view = call(operator_client, "get", f"/chats/{chat_id}/messages")

    assert reported.status_code == 201 and twice.status_code == 201
    assert twice.json()["id"] == reported.json()["id"]
    assert own.status_code == 409
    assert [r["message_id"] for r in queue] == [rude["id"]]
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    assert after[0]["is_removed"] is True and after[0]["text"] == ""
    assert call(buyer, "get", "/operator/messages/reports").status_code == 403
    assert operator_view.status_code == 200


def test_an_operator_removes_a_message_and_suspends_its_sender(client_for, shop):
    from core.accounts.models import User
    from tests.accounts_helpers import signed_in_operator

    buyer = as_user(client_for, shop, shop.buyer)
    seller = as_user(client_for, shop, shop.seller_one.owner)
    chat_id = open_chat(buyer, seller_id=shop.seller_one.pk).json()["id"]
    scam = call(seller, "post", f"/chats/{chat_id}/messages", {"text": "pay by gift card"}).json()
    report_id = call(
        buyer, "post", f"/chats/{chat_id}/messages/{scam['id']}/report", {"reason": "scam"}
    ).json()["id"]
    operator_client, _ = signed_in_operator(client_for, shop.tenant)

    no_reason = call(operator_client, "post", f"/operator/messages/reports/{report_id}/suspend", {})
    suspended = call(
        operator_client,
        "post",
        f"/operator/messages/reports/{report_id}/suspend",
        {"reason": "Asked buyers to pay by gift card"},
    )

    assert no_reason.status_code == 422 and no_reason.json()["error"]["code"] == "reason_required"
    assert suspended.status_code == 200 and suspended.json()["status"] == "removed"
    with schema_context(shop.tenant.schema_name):
        owner = User.objects.get(pk=shop.seller_one.owner_id)
        assert owner.suspended_at is not None and not owner.is_active
        assert Message.objects.get(pk=scam["id"]).removed_at is not None
    # Their token was revoked with the suspension.
    assert call(seller, "post", f"/chats/{chat_id}/messages", {"text": "hi"}).status_code == 401
