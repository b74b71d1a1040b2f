"""Attachments: the type comes from the content (a renamed program is refused), the size
limit is the marketplace's, and a file is reached only through a short-lived link made for
one participant: nobody else, no other conversation and no other marketplace gets it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from core.conversations import services
from core.conversations.models import Message
from tests.accounts_helpers import PASSWORD, call, make_user
from tests.commerce_helpers import make_shop

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 400


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def signed_in(client_for: Any, tenant: Any, email: str) -> Client:
    client: Client = client_for(tenant)
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def upload(client: Client, chat_id: int, name: str, content: bytes, caption: str = "") -> Any:
    return client.post(
        f"/api/v1/chats/{chat_id}/attachments",
        {"file": SimpleUploadedFile(name, content), "caption": caption},
    )


def open_chat(client: Client, seller_id: int) -> int:
    response = call(client, "post", "/chats", {"seller_id": seller_id})
    assert response.status_code in (200, 201), response.content
    return int(response.json()["id"])


def test_a_picture_reaches_the_other_side_through_a_link_made_for_them(client_for, shop):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    seller = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)
    chat_id = open_chat(buyer, shop.seller_one.pk)

    sent = upload(buyer, chat_id, "photo.png", PNG, caption="the logo")
    seller_view = call(seller, "get", f"/chats/{chat_id}/messages").json()["items"][0]
    fetched = seller.get(seller_view["attachment_url"])

    assert sent.status_code == 201, sent.content
    assert sent.json()["kind"] == "file" and sent.json()["text"] == "the logo"
    assert sent.json()["attachment_content_type"] == "image/png"
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content) == PNG
    assert fetched["Content-Type"] == "image/png"
    with schema_context(shop.tenant.schema_name):
        stored = Message.objects.get(pk=sent.json()["id"]).attachment.name
    # Stored under the tenant's prefix, never under the uploader's name.
    assert stored.startswith(f"{shop.tenant.schema_name}/conversations/{chat_id}/")
    assert "photo" not in stored


def test_nobody_else_gets_the_file_not_even_with_the_link(client_for, shop):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    chat_id = open_chat(buyer, shop.seller_one.pk)
    link = upload(buyer, chat_id, "photo.png", PNG).json()["attachment_url"]
    make_user(shop.tenant, "stranger@example.com")
    stranger = signed_in(client_for, shop.tenant, "stranger@example.com")
    # The stranger has a conversation of their own, with a file of their own.
    own_chat = open_chat(stranger, shop.seller_one.pk)
    own_link = upload(stranger, own_chat, "mine.png", PNG).json()["attachment_url"]

    assert stranger.get(link).status_code == 404
    assert stranger.get(own_link).status_code == 200
    # The buyer cannot use the stranger's link either (another conversation's file).
    assert buyer.get(own_link).status_code == 404
    assert client_for(shop.tenant).get(link).status_code == 302  # a guest is sent to sign in


def test_the_link_expires_after_five_minutes(client_for, shop):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    chat_id = open_chat(buyer, shop.seller_one.pk)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        link = upload(buyer, chat_id, "photo.png", PNG).json()["attachment_url"]
    with time_machine.travel(start + timedelta(seconds=290), tick=False):
        assert buyer.get(link).status_code == 200
    with time_machine.travel(start + timedelta(seconds=310), tick=False):
        assert buyer.get(link).status_code == 404


def test_a_program_renamed_to_pdf_is_refused_and_nothing_is_stored(client_for, shop):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    chat_id = open_chat(buyer, shop.seller_one.pk)

    refused = upload(buyer, chat_id, "invoice.pdf", ELF)
    windows = upload(buyer, chat_id, "notes.txt", b"MZ" + b"\x90" * 300)

    assert refused.status_code == 415
    assert refused.json()["error"]["code"] == "attachment_type_not_allowed"
    assert refused.json()["error"]["details"]["detected"] == "application/x-executable"
    assert windows.status_code == 415
    with schema_context(shop.tenant.schema_name):
        assert not Message.objects.exists()


def test_plain_text_is_accepted_by_its_content_and_the_size_limit_is_the_marketplaces(
    client_for, shop
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    chat_id = open_chat(buyer, shop.seller_one.pk)
    with schema_context(shop.tenant.schema_name):
        services.update_chat_settings(attachment_max_bytes=2048, contact_filter="mask")

    text = upload(buyer, chat_id, "brief.txt", "Logo: blue, round, ünïcode".encode())
    too_big = upload(buyer, chat_id, "big.png", PNG + b"\x00" * 3000)

    assert text.status_code == 201 and text.json()["attachment_content_type"] == "text/plain"
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "attachment_too_large"


def test_a_link_made_on_one_marketplace_is_refused_on_another_even_where_ids_match(
    client_for, shop, tenant_b
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    chat_id = open_chat(buyer, shop.seller_one.pk)
    sent = upload(buyer, chat_id, "photo.png", PNG).json()
    twin_shop = make_shop(tenant_b)
    twin = signed_in(client_for, tenant_b, twin_shop.buyer.email)
    twin_chat = open_chat(twin, twin_shop.seller_one.pk)
    twin_sent = upload(twin, twin_chat, "photo.png", PNG).json()
    # Ids repeat between schemas: a link marketplace A makes for the same user and message
    # ids as on B (what a collision would look like) must not open B's file.
    with schema_context(shop.tenant.schema_name):
        minted_on_a = services.signed_attachment_url(
            message=Message(pk=twin_sent["id"]), user_id=twin_shop.buyer.pk
        )

    assert twin.get(sent["attachment_url"]).status_code == 404
    assert twin.get(minted_on_a).status_code == 404
    assert twin.get(twin_sent["attachment_url"]).status_code == 200
