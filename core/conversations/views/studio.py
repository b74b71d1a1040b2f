"""The seller's inbox in the studio (``/studio/messages/``): the conversations of the shop
this owner or teammate (manage_customers or process_orders) takes part in."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.accounts.views import signed_in_user
from core.conversations import selectors, services
from core.conversations.models import ParticipantRole
from core.conversations.views.common import inbox_rows
from core.conversations.views.pages import conversation_url, render_conversation
from core.sellers.auth import authorised_seller
from core.studio.guards import studio_page


@never_cache
@studio_page("studio:messages")
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    user = signed_in_user(request)
    services.join_seller_conversations(seller=seller, user_id=user.pk)
    is_archived = request.GET.get("show") == "archived"
    rows, next_cursor = selectors.inbox_page(
        user.pk, is_archived=is_archived, limit=30, cursor=request.GET.get("cursor") or None
    )
    context = {
        "seller": seller,
        "rows": inbox_rows(
            [
                row
                for row in rows
                if row.role == ParticipantRole.SELLER and row.conversation.seller_id == seller.pk
            ],
            viewer_id=user.pk,
            url=conversation_url,
        ),
        "next_cursor": next_cursor,
        "is_archived": is_archived,
    }
    return render(request, "conversations/studio_inbox.html", context)


@never_cache
@studio_page("studio:messages")
@require_safe
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    user = signed_in_user(request)
    participant = selectors.find_participant(conversation_id=conversation_id, user_id=user.pk)
    if (
        participant is None
        or participant.role != ParticipantRole.SELLER
        or participant.conversation.seller_id != seller.pk
    ):
        raise Http404("No such conversation")
    return render_conversation(
        request, participant, template="conversations/studio_conversation.html"
    )
