"""The off-platform contact filter: what it catches (plain and disguised e-mails, phone
numbers, messenger handles and links), what it leaves alone, the operator's strictness
(off / mask / block) and that it is lifted once the buyer has paid an order with the seller."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.conversations import services
from core.conversations.contact_filter import MASK, find_contacts, mask_contacts
from core.conversations.models import ContactFilterMode, Message
from tests.accounts_helpers import call
from tests.commerce_helpers import add, bearer_client, checkout, make_shop

CAUGHT = [
    ("write to john.doe@gmail.com please", "email"),
    ("john at gmail dot com", "email"),
    ("john [at] yahoo [dot] com", "email"),
    ("j o h n @ g m a i l . c o m", "email"),
    ("J O H N at G M A I L dot C O M", "email"),
    ("reach me: john (at) proton (dot) me", "email"),
    ("my mail is johnny at gmail", "email"),
    ("+1 (555) 123-4567", "phone"),
    ("call 555 123 4567 tonight", "phone"),
    ("5 5 5 1 2 3 4 5 6 7", "phone"),
    ("five five five one two three four five six seven", "phone"),
    ("call me on five-five-five one two three four five six seven", "phone"),
    ("my telegram is johnny", "messenger"),
    ("t.me/johnny", "messenger"),
    ("https://wa.me/15551234567", "phone"),
    ("add me on whatsapp", "messenger"),
    ("ping @johnny_b there", "messenger"),
    ("skype: live:john.doe", "messenger"),
    ("instagram.com/johnny", "messenger"),
]
LEFT_ALONE = [
    "Meet at noon. See you then",
    "Delivery on 2026-12-06 10:30 works for me",
    "Order 12345 costs 20 USD",
    "I need one or two revisions, maybe three",
    "Look at the file I sent. Thanks!",
    "The logo should be 1200 x 800 pixels",
]


@pytest.mark.parametrize(("text", "kind"), CAUGHT)
def test_the_filter_catches_contact_details_however_they_are_written(text, kind):
    findings = find_contacts(text)

    assert findings, text
    assert findings[0].kind == kind
    masked = mask_contacts(text, findings)
    assert MASK in masked
    # Nothing of the address survives the mask.
    for piece in ("gmail", "yahoo", "johnny", "4567", "seven", "john.doe", "wa.me"):
        if piece in text.lower():
            assert piece not in masked.lower(), masked


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_the_filter_leaves_ordinary_messages_alone(text):
    assert find_contacts(text) == []


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def _chat(client_for: Any, shop: Any) -> tuple[Any, int]:
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    chat_id = call(buyer, "post", "/chats", {"seller_id": shop.seller_one.pk}).json()["id"]
    return buyer, chat_id


def _set_filter(shop: Any, mode: str) -> None:
    with schema_context(shop.tenant.schema_name):
        services.update_chat_settings(attachment_max_bytes=10 * 1024 * 1024, contact_filter=mode)


def test_by_default_contact_details_are_masked_in_what_is_stored(client_for, shop):
    buyer, chat_id = _chat(client_for, shop)

    sent = call(
        buyer, "post", f"/chats/{chat_id}/messages", {"text": "mail j o h n at gmail dot com"}
    )

    assert sent.status_code == 201
    assert sent.json()["text"] == f"mail {MASK}" and sent.json()["is_filtered"] is True
    with schema_context(shop.tenant.schema_name):
        assert "gmail" not in Message.objects.get(pk=sent.json()["id"]).text


def test_in_block_mode_the_message_is_refused_and_nothing_is_stored(client_for, shop):
    _set_filter(shop, ContactFilterMode.BLOCK)
    buyer, chat_id = _chat(client_for, shop)

    refused = call(
        buyer,
        "post",
        f"/chats/{chat_id}/messages",
        {"text": "five five five one two three four five six seven"},
    )

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "contact_details_not_allowed"
    with schema_context(shop.tenant.schema_name):
        assert not Message.objects.exists()


def test_when_the_operator_turns_it_off_messages_pass_unchanged(client_for, shop):
    _set_filter(shop, ContactFilterMode.OFF)
    buyer, chat_id = _chat(client_for, shop)

    sent = call(buyer, "post", f"/chats/{chat_id}/messages", {"text": "john@gmail.com"})

    assert sent.json()["text"] == "john@gmail.com" and sent.json()["is_filtered"] is False


def test_the_filter_is_lifted_once_the_buyer_has_paid_an_order_with_that_seller(client_for, shop):
    _set_filter(shop, ContactFilterMode.BLOCK)
    buyer, chat_id = _chat(client_for, shop)
    other_buyer_chat = call(buyer, "post", "/chats", {"seller_id": shop.seller_two.pk}).json()["id"]
    text = {"text": "my whatsapp is five five five one two three four five six seven"}
    assert call(buyer, "post", f"/chats/{chat_id}/messages", text).status_code == 422

    # The buyer pays an order with seller one (the editor); seller two sold them nothing.
    assert add(buyer, shop.editor).status_code in (200, 201)
    assert checkout(buyer).status_code == 201
    seller = bearer_client(client_for, shop.tenant, shop.seller_one.owner)

    after_paying = call(buyer, "post", f"/chats/{chat_id}/messages", text)
    seller_reply = call(
        seller, "post", f"/chats/{chat_id}/messages", {"text": "mine is bob@acme.example"}
    )
    other_seller = call(buyer, "post", f"/chats/{other_buyer_chat}/messages", text)

    assert after_paying.status_code == 201
    assert after_paying.json()["text"] == text["text"] and not after_paying.json()["is_filtered"]
    assert seller_reply.json()["text"] == "mine is bob@acme.example"
    assert other_seller.status_code == 422


def test_an_edit_goes_through_the_filter_too(client_for, shop):
    buyer, chat_id = _chat(client_for, shop)
    sent = call(buyer, "post", f"/chats/{chat_id}/messages", {"text": "hello"}).json()

    edited = call(
        buyer, "patch", f"/chats/{chat_id}/messages/{sent['id']}", {"text": "t.me/johnny"}
    )

    assert edited.json()["text"] == MASK and edited.json()["is_filtered"] is True
