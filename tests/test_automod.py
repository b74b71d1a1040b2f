"""Automated moderation end to end: listings, reviews, chat messages and seller profiles are
screened before they go live; above the marketplace's threshold they wait in the operators'
queue (a held chat message never reaches the recipient, over the API or live); operators
confirm or overturn, and the Moderation page shows how well each check does. Settings are
per marketplace; only operators see or act on the queue."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import mail
from django_tenants.utils import schema_context

from core.automod.models import ContentKind, Decision, Outcome, Removal, Verdict
from core.automod.pipeline import current_policy
from core.automod.selectors import check_quality
from core.automod.services.policy import PolicyInput, update_policy
from core.automod.services.screening import screen
from core.catalog.models import Product, ProductStatus
from core.catalog.services.moderation import reject_product
from core.catalog.services.products import ProductData, create_product, transition
from core.conversations import services as chat
from core.conversations.models import Message, Participant
from core.outbox.models import OutboxEvent
from core.realtime.topics import group_name, user_group
from core.reviews.models import Review, ReviewStatus
from core.reviews.selectors import published_reviews
from core.reviews.services.moderation import hide_review
from core.reviews.services.writing import create_review
from core.reviews.tests.helpers import make_line
from core.sellers.models import Seller
from core.sellers.services.onboarding import update_public_profile
from tests.accounts_helpers import call, make_user, sign_in
from tests.backoffice_helpers import assert_refused, operator, refusals
from tests.commerce_helpers import bearer_client, make_shop

CONTACT = "Great editor. Email me at deals@example.org for a cheaper price outside the shop."


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


@pytest.fixture
def layer(redis_url: str, settings: Any) -> Any:
    """The real Redis channel layer the live events go through."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": "souk-test-automod"},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    found = get_channel_layer()
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


def _policy(tenant: Any, **changes: Any) -> None:
    values = {
        "banned_words": [],
        "hold_threshold_percent": 60,
        "allowed_domains": [],
        "repeat_limit": 3,
        "repeat_window_hours": 24,
        "publish_clean_listings": False,
        **changes,
    }
    with schema_context(tenant.schema_name):
        update_policy(data=PolicyInput(**values))


def _decisions(tenant: Any, kind: ContentKind) -> list[Decision]:
    with schema_context(tenant.schema_name):
        return list(Decision.objects.filter(kind=kind).order_by("id"))


def _submit(shop: Any, name: str, description: str) -> Product:
    with schema_context(shop.tenant.schema_name):
        product = create_product(
            seller=shop.seller_one,
            data=ProductData(
                name=name, product_type="software", prices={"USD": 900}, description=description
            ),
        )
        transition(product=product, action="publish")
        product.refresh_from_db()
        return product


# --- listings -----------------------------------------------------------------------------


def test_a_listing_with_contact_details_is_held_for_the_operator_with_its_reasons(shop):
    _policy(shop.tenant, publish_clean_listings=True)

    product = _submit(shop, "Deal Editor", CONTACT)

    assert product.status == ProductStatus.IN_REVIEW
    [decision] = _decisions(shop.tenant, ContentKind.LISTING)[-1:]
    assert decision.object_id == product.pk
    assert decision.outcome == Outcome.HELD and decision.verdict == Verdict.PENDING
    assert decision.flagged == ["contact_details"]
    assert decision.checks == [
        {
            "check": "contact_details",
            "score": 0.9,
            "reason": "Contains an e-mail address (deals must stay on the marketplace).",
        }
    ]


def test_a_held_listing_the_seller_takes_back_leaves_the_queue(shop):
    product = _submit(shop, "Deal Editor", CONTACT)

    with schema_context(shop.tenant.schema_name):
        transition(product=product, action="unpublish")

    decision = _decisions(shop.tenant, ContentKind.LISTING)[-1]
    assert decision.verdict == Verdict.SUPERSEDED
    with schema_context(shop.tenant.schema_name):
        assert {row.check: row.held for row in check_quality()}["contact_details"] == 0


def test_a_clean_listing_goes_live_at_once_when_the_operator_chose_so(shop):
    _policy(shop.tenant, publish_clean_listings=True)

    product = _submit(shop, "Clean Editor", "A fast text editor with plugins and themes.")

    assert product.status == ProductStatus.PUBLISHED
    decision = _decisions(shop.tenant, ContentKind.LISTING)[-1]
    assert (decision.outcome, decision.verdict, decision.flagged) == (
        Outcome.PUBLISHED,
        Verdict.NONE,
        [],
    )


def test_a_clean_listing_waits_for_an_operator_as_before_by_default(shop):
    product = _submit(shop, "Plain Editor", "A fast text editor with plugins and themes.")

    assert product.status == ProductStatus.IN_REVIEW
    assert _decisions(shop.tenant, ContentKind.LISTING)[-1].outcome == Outcome.PUBLISHED


def test_the_marketplaces_own_link_does_not_hold_a_listing_but_another_site_does(shop):
    _policy(shop.tenant, publish_clean_listings=True)
    with schema_context(shop.tenant.schema_name):
        own = shop.tenant.domains.first().domain

    mine = _submit(shop, "Linked Editor", f"Guide at https://{own}/help/editor")
    theirs = _submit(shop, "Other Editor", "Cheaper at https://cheap-editors.example.net/buy")

    assert mine.status == ProductStatus.PUBLISHED
    assert theirs.status == ProductStatus.IN_REVIEW
    assert _decisions(shop.tenant, ContentKind.LISTING)[-1].flagged == ["links"]


# --- reviews ------------------------------------------------------------------------------


def _review(shop: Any, body: str, product: Product | None = None) -> Review:
    line = make_line(shop.tenant, shop.buyer, product or shop.editor)
    with schema_context(shop.tenant.schema_name):
        return create_review(buyer=shop.buyer, order_line_id=line.pk, rating=5, body=body)


def test_a_review_with_a_banned_word_is_held_neither_shown_nor_counted(shop):
    _policy(shop.tenant, banned_words=["garbage"])

    held = _review(shop, "Total G4RB4GE, do not buy.")

    with schema_context(shop.tenant.schema_name):
        product = Product.objects.get(pk=shop.editor.pk)
        assert held.status == ReviewStatus.HELD
        assert not published_reviews().filter(pk=held.pk).exists()
        assert (product.rating_count, product.rating_total) == (0, 0)
        assert not OutboxEvent.objects.filter(event_type="review.created").exists()
    decision = _decisions(shop.tenant, ContentKind.REVIEW)[-1]
    assert decision.checks[0]["reason"] == "Banned words: “garbage”."


def test_a_clean_review_is_published_and_counted_as_today(shop):
    _policy(shop.tenant, banned_words=["garbage"])

    review = _review(shop, "Works well and the support answered fast.")

    with schema_context(shop.tenant.schema_name):
        product = Product.objects.get(pk=shop.editor.pk)
        assert review.status == ReviewStatus.PUBLISHED
        assert published_reviews().filter(pk=review.pk).exists()
        assert (product.rating_count, product.rating_total) == (1, 5)


def test_overturning_a_held_review_publishes_and_counts_it(shop, client_for):
    _policy(shop.tenant, banned_words=["garbage"])
    held = _review(shop, "Not garbage at all, love it")
    decision = _decisions(shop.tenant, ContentKind.REVIEW)[-1]
    client = operator(client_for, shop.tenant)

    response = client.post(f"/operator/moderation/automated/{decision.pk}/", {"action": "overturn"})

    assert response.status_code == 302
    with schema_context(shop.tenant.schema_name):
        held.refresh_from_db()
        decision.refresh_from_db()
        product = Product.objects.get(pk=shop.editor.pk)
        assert held.status == ReviewStatus.PUBLISHED
        assert (product.rating_count, product.rating_total) == (1, 5)
        assert decision.verdict == Verdict.OVERTURNED
        assert decision.decided_by.email == "op@example.com"
        assert OutboxEvent.objects.filter(event_type="review.created").count() == 1


def test_confirming_a_held_review_hides_it_for_good_and_tells_the_buyer(
    shop, client_for, django_capture_on_commit_callbacks
):
    _policy(shop.tenant, banned_words=["garbage"])
    held = _review(shop, "garbage garbage garbage")
    decision = _decisions(shop.tenant, ContentKind.REVIEW)[-1]
    client = operator(client_for, shop.tenant)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/operator/moderation/automated/{decision.pk}/",
            {"action": "confirm", "reason": "Abusive language"},
        )

    with schema_context(shop.tenant.schema_name):
        held.refresh_from_db()
        assert held.status == ReviewStatus.HIDDEN and held.hidden_reason == "Abusive language"
        assert Removal.objects.get(kind=ContentKind.REVIEW, object_id=held.pk).flagged == [
            "banned_words"
        ]
        assert Product.objects.get(pk=shop.editor.pk).rating_count == 0
    assert [m.to for m in mail.outbox] == [[shop.buyer.email]]
    assert "Abusive language" in mail.outbox[0].body


# --- chat messages ------------------------------------------------------------------------


def test_a_held_chat_message_never_reaches_the_recipient_over_the_api_or_live(
    shop, client_for, layer, django_capture_on_commit_callbacks
):
    _policy(shop.tenant, banned_words=["paypal friends"])
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    seller = bearer_client(client_for, shop.tenant, shop.seller_one.owner)
    chat_id = call(buyer, "post", "/chats", {"seller_id": shop.seller_one.pk, "text": "Hi"}).json()[
        "id"
    ]
    topic = listen(layer, group_name(shop.tenant.schema_name, "conversation", chat_id))
    seller_group = listen(layer, user_group(shop.tenant.schema_name, shop.seller_one.owner_id))
    seller_unread = call(seller, "get", "/chats/unread").json()["unread"]

    with django_capture_on_commit_callbacks(execute=True):
        sent = call(
            buyer, "post", f"/chats/{chat_id}/messages", {"text": "Pay me by PayPal Friends"}
        )

    assert sent.status_code == 201
    assert sent.json()["is_held"] is True
    # The sender sees it, waiting; the recipient does not, by any road.
    mine = call(buyer, "get", f"/chats/{chat_id}/messages").json()["items"]
    theirs = call(seller, "get", f"/chats/{chat_id}/messages").json()["items"]
    assert [m["text"] for m in mine] == ["Pay me by PayPal Friends", "Hi"]
    assert [m["text"] for m in theirs] == ["Hi"]
    assert call(seller, "get", "/chats/unread").json()["unread"] == seller_unread
    inbox = call(seller, "get", "/chats").json()["items"]
    assert inbox[0]["last_message"]["text"] == "Hi"
    assert receive(layer, topic, 0.5) is None
    assert receive(layer, seller_group, 0.5) is None
    with schema_context(shop.tenant.schema_name):
        message = Message.objects.get(pk=sent.json()["id"])
        assert message.held_at is not None
        assert not OutboxEvent.objects.filter(
            event_type="chat.message.created", payload__message_id=message.pk
        ).exists()


def test_a_held_chat_message_is_only_on_its_senders_conversation_page(shop, client_for):
    _policy(shop.tenant, banned_words=["paypal friends"])
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    chat_id = call(buyer, "post", "/chats", {"seller_id": shop.seller_one.pk, "text": "Hi"}).json()[
        "id"
    ]
    held_id = call(
        buyer, "post", f"/chats/{chat_id}/messages", {"text": "Pay me by PayPal Friends"}
    ).json()["id"]
    buyer_web, seller_web = client_for(shop.tenant), client_for(shop.tenant)
    sign_in(buyer_web, shop.buyer.email)
    sign_in(seller_web, shop.seller_one.owner.email)

    mine = buyer_web.get(f"/messages/{chat_id}/").content.decode()
    theirs = seller_web.get(f"/messages/{chat_id}/").content.decode()
    polled = seller_web.get(f"/messages/{chat_id}/after/?id=0").content.decode()
    one = seller_web.get(f"/messages/{chat_id}/m/{held_id}/")

    assert "Pay me by PayPal Friends" in mine and "Waiting for the marketplace" in mine
    assert "PayPal Friends" not in theirs
    assert "PayPal Friends" not in polled
    assert one.status_code == 404


def test_an_edit_the_checks_flag_takes_a_delivered_message_back_from_the_recipient(
    shop, client_for, layer, django_capture_on_commit_callbacks
):
    _policy(shop.tenant, banned_words=["paypal friends"])
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    seller = bearer_client(client_for, shop.tenant, shop.seller_one.owner)
    chat_id = call(buyer, "post", "/chats", {"seller_id": shop.seller_one.pk, "text": "Hi"}).json()[
        "id"
    ]
    sent = call(buyer, "post", f"/chats/{chat_id}/messages", {"text": "How do I pay?"}).json()
    topic = listen(layer, group_name(shop.tenant.schema_name, "conversation", chat_id))

    with (
        schema_context(shop.tenant.schema_name),
        django_capture_on_commit_callbacks(execute=True),
    ):
        chat.edit_message(message_id=sent["id"], user_id=shop.buyer.pk, text="PayPal friends?")

    heard = receive(layer, topic)
    assert heard is not None and heard["event"] == "chat.message.changed"
    assert (heard["data"]["text"], heard["data"]["is_held"]) == ("", True)
    theirs = call(seller, "get", f"/chats/{chat_id}/messages").json()["items"]
    assert [m["text"] for m in theirs] == ["Hi"]
    assert call(seller, "get", "/chats").json()["items"][0]["last_message"]["text"] == "Hi"


def test_a_clean_chat_message_is_delivered_live_as_today(
    shop, client_for, layer, django_capture_on_commit_callbacks
):
    _policy(shop.tenant, banned_words=["paypal friends"])
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    chat_id = call(buyer, "post", "/chats", {"seller_id": shop.seller_one.pk, "text": "Hi"}).json()[
        "id"
    ]
    topic = listen(layer, group_name(shop.tenant.schema_name, "conversation", chat_id))

    with django_capture_on_commit_callbacks(execute=True):
        sent = call(buyer, "post", f"/chats/{chat_id}/messages", {"text": "Is there a trial?"})

    heard = receive(layer, topic)
    assert sent.json()["is_held"] is False
    assert heard is not None and heard["data"]["text"] == "Is there a trial?"


def test_overturning_a_held_chat_message_delivers_it_then(
    shop, client_for, layer, django_capture_on_commit_callbacks
):
    _policy(shop.tenant, banned_words=["paypal friends"])
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    seller = bearer_client(client_for, shop.tenant, shop.seller_one.owner)
    chat_id = call(buyer, "post", "/chats", {"seller_id": shop.seller_one.pk, "text": "Hi"}).json()[
        "id"
    ]
    call(buyer, "post", f"/chats/{chat_id}/messages", {"text": "paypal friends ok?"})
    decision = _decisions(shop.tenant, ContentKind.MESSAGE)[-1]
    topic = listen(layer, group_name(shop.tenant.schema_name, "conversation", chat_id))
    client = operator(client_for, shop.tenant)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/operator/moderation/automated/{decision.pk}/", {"action": "overturn"})

    heard = receive(layer, topic)
    assert heard is not None and heard["data"]["text"] == "paypal friends ok?"
    theirs = call(seller, "get", f"/chats/{chat_id}/messages").json()["items"]
    assert [m["text"] for m in theirs] == ["paypal friends ok?", "Hi"]


def test_the_chat_keeps_its_own_contact_filter_rather_than_holding_contact_details(shop):
    with schema_context(shop.tenant.schema_name):
        conversation = chat.open_conversation(buyer_id=shop.buyer.pk, seller_id=shop.seller_one.pk)
        message = chat.post_message(
            conversation_id=conversation.pk, sender_id=shop.buyer.pk, text=CONTACT
        )
        assert message.held_at is None and message.is_filtered  # masked, as configured
        assert "deals@example.org" not in message.text


def test_repeated_chat_spam_from_many_accounts_is_held_from_the_limit(shop):
    spam = "Cheap followers and likes, best prices, message me for a bundle"
    held = []
    with schema_context(shop.tenant.schema_name):
        for number in range(4):
            sender = make_user(shop.tenant, f"spammer{number}@example.com")
            conversation = chat.open_conversation(buyer_id=sender.pk, seller_id=shop.seller_one.pk)
            message = chat.post_message(
                conversation_id=conversation.pk, sender_id=sender.pk, text=spam
            )
            held.append(message.held_at is not None)

    assert held == [False, False, True, True]
    assert _decisions(shop.tenant, ContentKind.MESSAGE)[2].checks[0]["reason"] == (
        "The same text was posted 3 times in 24 hours (by 3 accounts)."
    )


# --- profile texts ------------------------------------------------------------------------


def test_a_held_profile_text_waits_while_the_public_profile_keeps_the_old_one(shop, client_for):
    with schema_context(shop.tenant.schema_name):
        seller = Seller.objects.get(pk=shop.seller_one.pk)
        update_public_profile(seller=seller, bio="We make editors.", website="", portfolio=[])
        update_public_profile(
            seller=seller,
            bio="We make editors. WhatsApp +44 20 7946 0958",
            website="",
            portfolio=[],
        )
        assert Seller.objects.get(pk=seller.pk).bio == "We make editors."
    decision = _decisions(shop.tenant, ContentKind.PROFILE)[-1]
    assert decision.pending_text == "We make editors. WhatsApp +44 20 7946 0958"

    operator(client_for, shop.tenant).post(
        f"/operator/moderation/automated/{decision.pk}/", {"action": "overturn"}
    )

    with schema_context(shop.tenant.schema_name):
        assert Seller.objects.get(pk=seller.pk).bio == decision.pending_text


# --- operators: confirm, overturn, figures -------------------------------------------------


def test_the_moderation_page_shows_holds_with_reasons_and_the_listing_buttons_decide_them(
    shop, client_for
):
    _policy(shop.tenant, publish_clean_listings=True)
    held = _submit(shop, "Deal Editor", CONTACT)
    client = operator(client_for, shop.tenant)

    page = client.get("/operator/moderation/").content.decode()
    assert "Held by automated checks" in page
    assert "Contains an e-mail address (deals must stay on the marketplace)." in page
    assert "Score 90 %" in page

    # The listing queue's own Reject button confirms the automated hold.
    client.post("/operator/moderation/", {"one": f"reject:{held.pk}", f"reason-{held.pk}": "No"})
    decision = _decisions(shop.tenant, ContentKind.LISTING)[-1]
    assert decision.verdict == Verdict.CONFIRMED
    with schema_context(shop.tenant.schema_name):
        assert Product.objects.get(pk=held.pk).status == ProductStatus.REJECTED


def test_precision_and_recall_per_check_follow_operator_decisions(shop, client_for):
    _policy(shop.tenant, banned_words=["garbage"])
    client = operator(client_for, shop.tenant)
    first = _submit(shop, "Editor One", CONTACT)
    second = _submit(shop, "Editor Two", "Write to sales@example.org, we answer fast.")
    garbage = _review(shop, "garbage product", product=shop.scanner)
    live = _review(shop, "Lovely tool, recommended to all my friends")
    holds = {d.object_id: d for d in _decisions(shop.tenant, ContentKind.LISTING)}
    review_hold = _decisions(shop.tenant, ContentKind.REVIEW)[0]

    for decision_id, action in (
        (holds[first.pk].pk, "confirm"),
        (holds[second.pk].pk, "overturn"),
        (review_hold.pk, "confirm"),
    ):
        client.post(f"/operator/moderation/automated/{decision_id}/", {"action": action})
    # A miss: a review that went live, which an operator then hid by hand.
    with schema_context(shop.tenant.schema_name):
        operator_user = make_user(shop.tenant, "op2@example.com", role="operator")
        hide_review(operator=operator_user, review_id=live.pk, reason="Fake")
        quality = {row.check: row for row in check_quality()}

    contact, banned, links = (
        quality["contact_details"],
        quality["banned_words"],
        quality["links"],
    )
    assert (contact.held, contact.confirmed, contact.precision_bp) == (2, 1, 5000)
    assert (banned.held, banned.confirmed, banned.precision_bp) == (1, 1, 10_000)
    # Removed: listing one, the garbage review, the hand-hidden review.
    assert (contact.removed_flagged, contact.removed, contact.recall_bp) == (1, 3, 3333)
    assert (banned.removed_flagged, banned.recall_bp) == (1, 3333)
    assert (links.held, links.precision_bp, links.recall_bp) == (0, None, 0)
    assert garbage.pk == review_hold.object_id
    page = client.get("/operator/moderation/").content.decode()
    assert 'id="chart-automod-quality-data"' in page
    assert "1 of 3" in page


def test_an_operator_rejecting_a_listing_no_check_flagged_counts_as_a_miss(shop):
    product = _submit(shop, "Quiet Editor", "An editor.")

    with schema_context(shop.tenant.schema_name):
        reject_product(product=product, reason="Counterfeit")
        removal = Removal.objects.get(kind=ContentKind.LISTING, object_id=product.pk)
        assert removal.flagged == []
        assert {row.check: row.recall_bp for row in check_quality()}["contact_details"] == 0


# --- settings, isolation, permissions ------------------------------------------------------


def test_the_operator_saves_banned_words_and_threshold_on_the_settings_page(shop, client_for):
    client = operator(client_for, shop.tenant)

    response = client.post(
        "/operator/moderation/automated/",
        {
            "banned_words": "Rolex\nreplica watch\nrolex",
            "hold_threshold_percent": "80",
            "allowed_domains": "https://github.com/",
            "repeat_limit": "5",
            "repeat_window_hours": "12",
        },
    )

    assert response.status_code == 302
    with schema_context(shop.tenant.schema_name):
        policy = current_policy()
    assert policy.banned_words == ("rolex", "replica watch")
    assert policy.threshold == 0.8 and policy.allowed_domains == ("github.com",)
    assert (policy.repeat_limit, policy.repeat_window_hours) == (5, 12)
    assert policy.publish_clean_listings is False
    assert "replica watch" in client.get("/operator/moderation/automated/").content.decode()


def test_a_threshold_out_of_range_is_refused_on_its_field(shop, client_for):
    response = operator(client_for, shop.tenant).post(
        "/operator/moderation/automated/",
        {"hold_threshold_percent": "0", "repeat_limit": "3", "repeat_window_hours": "24"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["hold_threshold_percent"]


def test_banned_words_and_holds_of_one_marketplace_do_not_reach_another(shop, tenant_b, client_for):
    other = make_shop(tenant_b)
    _policy(shop.tenant, banned_words=["garbage"])
    _review(shop, "garbage")

    on_b = _review(other, "garbage")

    assert on_b.status == ReviewStatus.PUBLISHED
    assert _decisions(tenant_b, ContentKind.REVIEW)[-1].outcome == Outcome.PUBLISHED
    with schema_context(tenant_b.schema_name):
        assert current_policy().banned_words == ()
    decision_a = _decisions(shop.tenant, ContentKind.REVIEW)[-1]
    client_b = operator(client_for, tenant_b)
    assert "“garbage”" not in client_b.get("/operator/moderation/").content.decode()
    client_b.post(f"/operator/moderation/automated/{decision_a.pk}/", {"action": "overturn"})
    with schema_context(shop.tenant.schema_name):
        assert Decision.objects.get(pk=decision_a.pk).verdict == Verdict.PENDING


def test_a_seller_cannot_see_or_act_on_the_moderation_queue(shop, client_for):
    _policy(shop.tenant, banned_words=["garbage"])
    _review(shop, "garbage")
    decision = _decisions(shop.tenant, ContentKind.REVIEW)[-1]

    for path in ("/operator/moderation/", "/operator/moderation/automated/"):
        assert_refused(refusals(client_for, shop.tenant, shop, path), path)
    web = client_for(shop.tenant)
    sign_in(web, shop.seller_one.owner.email)
    answer = web.post(f"/operator/moderation/automated/{decision.pk}/", {"action": "overturn"})

    assert answer.status_code == 403
    with schema_context(shop.tenant.schema_name):
        assert Decision.objects.get(pk=decision.pk).verdict == Verdict.PENDING


# --- the hot path ---------------------------------------------------------------------------


def test_screening_a_chat_message_costs_at_most_one_query(shop, django_assert_num_queries):
    with schema_context(shop.tenant.schema_name):
        current_policy()  # cached for the marketplace, as after its first message
        Participant.objects.exists()  # the schema's search_path, outside the count
        with django_assert_num_queries(0):
            screen(kind=ContentKind.MESSAGE, text="Thanks, got it!", author_id=shop.buyer.pk)
        with django_assert_num_queries(1):  # the repeated-text count
            screen(
                kind=ContentKind.MESSAGE,
                text="Could you tell me whether the licence covers two laptops?",
                author_id=shop.buyer.pk,
            )


def test_sending_a_chat_message_with_moderation_costs_two_queries_more(
    shop, django_assert_num_queries
):
    """Pinned: a short message pays for the decision row only, a longer one also for the
    repeated-text count (the policy comes from the cache). The other 15 are the chat's own:
    participant, block check, chat settings, message, inbox order, unread counts,
    recipients, notification and outbox rows, and the savepoints around them."""
    with schema_context(shop.tenant.schema_name):
        conversation = chat.open_conversation(buyer_id=shop.buyer.pk, seller_id=shop.seller_one.pk)
        chat.post_message(conversation_id=conversation.pk, sender_id=shop.buyer.pk, text="Hello")
        with django_assert_num_queries(16):
            chat.post_message(conversation_id=conversation.pk, sender_id=shop.buyer.pk, text="Ok")
        with django_assert_num_queries(17):
            chat.post_message(
                conversation_id=conversation.pk,
                sender_id=shop.buyer.pk,
                text="Could you tell me whether the licence covers two laptops?",
            )
