"""The conversation pages: "Contact seller" from a product, the buyer's inbox and
conversation (read on view), htmx sending, the studio's inbox for the shop's side, the
account menu's unread count and the operators' queue; strangers and other marketplaces get
404, teammates without the rights get the studio's 403."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from core.conversations import services
from core.conversations.models import (
    ContactFilterMode,
    Conversation,
    Message,
    MessageReport,
    Participant,
    ReportStatus,
)
from core.sellers.models import TeamMember
from tests.accounts_helpers import PASSWORD, make_user, signed_in_operator
from tests.commerce_helpers import make_shop


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def signed_in(client_for: Any, tenant: Any, email: str) -> Client:
    client: Client = client_for(tenant)
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def html(response: Any) -> str:
    assert response.status_code == 200, response.content[:500]
    return str(response.content.decode())


def start_chat(client: Client, shop: Any, text: str = "Is it in stock?") -> int:
    response = client.post(
        "/messages/new/",
        {"seller": shop.seller_one.slug, "product": shop.editor.slug, "text": text},
    )
    assert response.status_code == 302, response.content[:500]
    match = re.fullmatch(r"/messages/(\d+)/", response["Location"])
    assert match, response["Location"]
    return int(match.group(1))


def test_contact_seller_leads_from_the_product_page_to_a_new_conversation(client_for, shop):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    product_page = html(buyer.get(f"/p/{shop.editor.slug}/"))
    seller_page = html(buyer.get(f"/s/{shop.seller_one.slug}/"))
    link = f"/messages/new/?seller={shop.seller_one.slug}&amp;product={shop.editor.slug}"

    assert f'href="{link}"' in product_page and ">Contact seller</a>" in product_page
    assert f'href="/messages/new/?seller={shop.seller_one.slug}"' in seller_page
    compose = html(buyer.get(link.replace("&amp;", "&")))
    assert "Contact Acme Tools" in compose and "Swift Editor" in compose

    chat_id = start_chat(buyer, shop)
    page = html(buyer.get(f"/messages/{chat_id}/"))

    assert "Is it in stock?" in page and "<h1>Acme Tools</h1>" in page
    assert f'data-conversation="{chat_id}"' in page
    assert "themes/base/js/souk-live.js" in page
    with schema_context(shop.tenant.schema_name):
        conversation = Conversation.objects.get(pk=chat_id)
        assert conversation.product_id == shop.editor.pk


def test_a_guest_who_contacts_a_seller_is_asked_to_sign_in_first(client_for, shop):
    response = client_for(shop.tenant).get(f"/messages/new/?seller={shop.seller_one.slug}")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_seller_sees_the_conversation_in_the_studio_and_reading_it_says_seen(client_for, shop):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    chat_id = start_chat(buyer, shop)
    seller = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)

    menu_before = html(seller.get("/"))
    inbox = html(seller.get("/studio/messages/"))
    page = html(seller.get(f"/studio/messages/{chat_id}/"))
    buyer_page = html(buyer.get(f"/messages/{chat_id}/"))

    assert 'data-menu="messages"' in menu_before and ">Messages (1)</a>" in menu_before
    assert "Bea Buyer" in inbox and 'class="unread-badge"' in inbox
    assert f'href="/studio/messages/{chat_id}/"' in inbox
    assert "Is it in stock?" in page and "<h1>Bea Buyer</h1>" in page
    assert "data-receipt>Seen</span>" in buyer_page
    assert ">Messages</a>" in html(seller.get("/"))  # read: no count any more
    # The seller's side opens the studio's page, not the buyer's.
    assert seller.get(f"/messages/{chat_id}/")["Location"] == f"/studio/messages/{chat_id}/"


def test_sending_with_htmx_answers_the_new_message_and_errors_go_above_the_form(client_for, shop):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    chat_id = start_chat(buyer, shop)
    with schema_context(shop.tenant.schema_name):
        services.update_chat_settings(
            attachment_max_bytes=1024 * 1024, contact_filter=ContactFilterMode.BLOCK
        )

    sent = buyer.post(
        f"/messages/{chat_id}/send/", {"text": "Any discount?"}, HTTP_HX_REQUEST="true"
    )
    refused = buyer.post(
        f"/messages/{chat_id}/send/", {"text": "john at gmail dot com"}, HTTP_HX_REQUEST="true"
    )
    after = html(buyer.get(f"/messages/{chat_id}/after/?id=0"))

    assert sent.status_code == 200 and "Any discount?" in sent.content.decode()
    assert 'class="chat-message kind-text mine"' in sent.content.decode()
    assert refused["HX-Retarget"] == "#chat-error"
    assert "Keep the conversation here" in refused.content.decode()
    assert after.count("data-message=") == 2


def test_strangers_and_other_marketplaces_get_404_for_every_page(client_for, shop, tenant_b):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    chat_id = start_chat(buyer, shop)
    with schema_context(shop.tenant.schema_name):
        message_id = Message.objects.get(conversation_id=chat_id).pk
    make_user(shop.tenant, "stranger@example.com")
    stranger = signed_in(client_for, shop.tenant, "stranger@example.com")
    other_seller = signed_in(client_for, shop.tenant, shop.seller_two.owner.email)
    make_user(tenant_b, shop.buyer.email)
    elsewhere = signed_in(client_for, tenant_b, shop.buyer.email)

    for client in (stranger, other_seller, elsewhere):
        assert client.get(f"/messages/{chat_id}/").status_code == 404
        assert client.get(f"/messages/{chat_id}/after/?id=0").status_code == 404
        assert client.post(f"/messages/{chat_id}/send/", {"text": "hi"}).status_code == 404
        assert client.post(f"/messages/{chat_id}/read/").status_code == 404
        assert client.post(f"/messages/{chat_id}/m/{message_id}/report/").status_code == 404
    assert other_seller.get(f"/studio/messages/{chat_id}/").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert Message.objects.count() == 1 and not MessageReport.objects.exists()


def test_a_teammate_needs_customer_or_order_rights_for_the_studio_inbox(client_for, shop):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    chat_id = start_chat(buyer, shop)
    analyst = make_user(shop.tenant, "analyst@example.com")
    helper = make_user(shop.tenant, "helper@example.com")
    with schema_context(shop.tenant.schema_name):
        TeamMember.objects.create(
            seller=shop.seller_one, user=analyst, permissions=["view_analytics"]
        )
        # Granted after the conversation opened: joins it on opening the inbox.
        TeamMember.objects.create(
            seller=shop.seller_one, user=helper, permissions=["manage_customers"]
        )

    refused = signed_in(client_for, shop.tenant, "analyst@example.com").get("/studio/messages/")
    helper_client = signed_in(client_for, shop.tenant, "helper@example.com")
    inbox = html(helper_client.get("/studio/messages/"))

    assert refused.status_code == 403
    assert f'href="/studio/messages/{chat_id}/"' in inbox
    assert "Is it in stock?" in html(helper_client.get(f"/studio/messages/{chat_id}/"))
    with schema_context(shop.tenant.schema_name):
        assert Participant.objects.filter(conversation_id=chat_id, user=helper).exists()
        assert not Participant.objects.filter(conversation_id=chat_id, user=analyst).exists()


def test_the_operator_queue_lists_reports_and_removes_a_message(client_for, shop):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    chat_id = start_chat(buyer, shop)
    seller = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)
    seller.post(f"/messages/{chat_id}/send/", {"text": "Pay me outside, cheaper"})
    with schema_context(shop.tenant.schema_name):
        offending = Message.objects.get(conversation_id=chat_id, sender=shop.seller_one.owner)
    reported = buyer.post(
        f"/messages/{chat_id}/m/{offending.pk}/report/", {"reason": "asks to pay outside"}
    )
    operator, _ = signed_in_operator(client_for, shop.tenant)

    queue = html(operator.get("/operator/messages/reports/"))
    with schema_context(shop.tenant.schema_name):
        report = MessageReport.objects.get()
    removed = operator.post(f"/operator/messages/reports/{report.pk}/", {"action": "remove"})
    settings_saved = operator.post(
        "/operator/messages/settings/", {"contact_filter": "block", "attachment_max_mb": "5"}
    )

    assert reported.status_code == 302
    assert "Pay me outside, cheaper" in queue and "asks to pay outside" in queue
    assert removed.status_code == 302
    assert settings_saved.status_code == 302
    with schema_context(shop.tenant.schema_name):
        report.refresh_from_db()
        offending.refresh_from_db()
        assert report.status == ReportStatus.REMOVED and offending.removed_at is not None
        from core.conversations.selectors import chat_settings

        assert chat_settings().contact_filter == "block"
        assert chat_settings().attachment_max_bytes == 5 * 1024 * 1024
    assert "removed by the marketplace" in html(buyer.get(f"/messages/{chat_id}/"))
    assert buyer.get("/operator/messages/reports/").status_code == 403


def test_the_buyer_inbox_lists_conversations_with_unread_counts(client_for, shop):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    chat_id = start_chat(buyer, shop)
    seller = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)
    seller.post(f"/messages/{chat_id}/send/", {"text": "Yes, 12 left"})
    seller.post(f"/messages/{chat_id}/send/", {"text": "Want one?"})

    inbox = html(buyer.get("/messages/"))
    archived = buyer.post(f"/messages/{chat_id}/archive/", {"archived": "1"})

    assert "Acme Tools" in inbox and "Want one?" in inbox
    assert 'aria-label="2 unread">2</span>' in inbox
    assert archived.status_code == 302
    assert "Acme Tools" not in html(buyer.get("/messages/")).split("<h1>Messages</h1>")[1]
    assert "Acme Tools" in html(buyer.get("/messages/?show=archived"))
