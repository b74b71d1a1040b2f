"""The buyer's side (any signed-in user): ``/messages/`` (inbox), ``/messages/new/``
(contact a seller), ``/messages/<id>/`` (one conversation, live) and its htmx actions, and
``/messages/files/<token>/`` (a signed, short-lived link to an attachment)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.accounts.views import signed_in_user
from core.catalog.models import Product, ProductStatus
from core.conversations import selectors, services
from core.conversations.errors import ConversationError
from core.conversations.models import Participant, ParticipantRole
from core.conversations.views.common import conversation_context, inbox_rows, message_row
from core.errors import DomainError, ErrorKind
from core.sellers.models import Seller, SellerStatus, VerificationStatus
from core.storage import private_file_url

INBOX = "conversations/inbox.html"
CONVERSATION = "conversations/conversation.html"


def _participant(request: HttpRequest, conversation_id: int) -> Participant:
    user = signed_in_user(request)
    participant = selectors.find_participant(conversation_id=conversation_id, user_id=user.pk)
    if participant is None:
        raise Http404("No such conversation")
    return participant


def conversation_url(participant: Participant) -> str:
    if participant.role == ParticipantRole.SELLER:
        return reverse("studio:message", args=[participant.conversation_id])
    return reverse("conversations:conversation", args=[participant.conversation_id])


@never_cache
@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    is_archived = request.GET.get("show") == "archived"
    rows, next_cursor = selectors.inbox_page(
        user.pk, is_archived=is_archived, limit=30, cursor=request.GET.get("cursor") or None
    )
    context = {
        "rows": inbox_rows(rows, viewer_id=user.pk, url=conversation_url),
        "next_cursor": next_cursor,
        "is_archived": is_archived,
    }
    return render(request, INBOX, context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """ "Contact seller": ``?seller=<slug>[&product=<slug>]``; the first message opens (or
    finds) the conversation."""
    user = signed_in_user(request)
    source = request.POST if request.method == "POST" else request.GET
    seller = Seller.objects.filter(
        slug=source.get("seller", ""),
        status=SellerStatus.ACTIVE,
        verification_status=VerificationStatus.VERIFIED,
    ).first()
    if seller is None:
        raise Http404("No such seller")
    product = None
    if source.get("product"):
        product = Product.objects.filter(
            slug=source["product"], seller=seller, status=ProductStatus.PUBLISHED
        ).first()
    context: dict[str, Any] = {"seller": seller, "product": product, "error": ""}
    if seller.owner_id == user.pk:
        context["error"] = "This is your own shop."
        return render(request, "conversations/start.html", context, status=409)
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            conversation = services.open_conversation(
                buyer_id=user.pk,
                seller_id=seller.pk,
                product_id=product.pk if product else None,
            )
            services.post_message(conversation_id=conversation.pk, sender_id=user.pk, text=text)
        except DomainError as error:
            context["error"] = error.message
            context["text"] = text
            return render(request, "conversations/start.html", context, status=422)
        return HttpResponseRedirect(reverse("conversations:conversation", args=[conversation.pk]))
    return render(request, "conversations/start.html", context)


def render_conversation(
    request: HttpRequest, participant: Participant, *, template: str
) -> HttpResponse:
    services.mark_read(conversation_id=participant.conversation_id, user_id=participant.user_id)
    context = conversation_context(participant, cursor=request.GET.get("cursor") or None)
    context["base_url"] = conversation_url(participant)
    return render(request, template, context)


@never_cache
@login_required
@require_safe
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    participant = _participant(request, conversation_id)
    if participant.role == ParticipantRole.SELLER:
        return HttpResponseRedirect(conversation_url(participant))
    return render_conversation(request, participant, template=CONVERSATION)


def _rows_response(request: HttpRequest, rows: list[Any], conversation_id: int) -> HttpResponse:
    context = {"chat_messages": rows, "conversation_id": conversation_id}
    return render(request, "conversations/_messages.html", context)


def _error_fragment(request: HttpRequest, error: DomainError) -> HttpResponse:
    """Shown above the form (htmx retargets it); the page keeps what was typed."""
    if error.kind == ErrorKind.NOT_FOUND:
        raise Http404(error.message)
    response = render(request, "conversations/_error.html", {"error": error.message})
    response["HX-Retarget"] = "#chat-error"
    response["HX-Reswap"] = "innerHTML"
    return response


@never_cache
@login_required
@require_POST
def send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    participant = _participant(request, conversation_id)
    try:
        upload = request.FILES.get("file")
        if upload is not None and not isinstance(upload, list):
            message = services.post_attachment(
                conversation_id=conversation_id,
                sender_id=participant.user_id,
                upload=upload,
                caption=request.POST.get("text", ""),
            )
        else:
            message = services.post_message(
                conversation_id=conversation_id,
                sender_id=participant.user_id,
                text=request.POST.get("text", ""),
            )
    except DomainError as error:
        if not request.headers.get("HX-Request"):
            messages.error(request, error.message)
            return HttpResponseRedirect(conversation_url(participant))
        return _error_fragment(request, error)
    if not request.headers.get("HX-Request"):
        return HttpResponseRedirect(conversation_url(participant))
    message.sender = participant.user
    return _rows_response(
        request,
        [
            message_row(
                message, viewer_id=participant.user_id, conversation=participant.conversation
            )
        ],
        conversation_id,
    )


@never_cache
@login_required
@require_safe
def after(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Messages after ``?id=`` (what the live page fetches when told of a new one); reading
    them marks them read."""
    participant = _participant(request, conversation_id)
    try:
        after_id = int(request.GET.get("id", "0"))
    except ValueError:
        after_id = 0
    found = list(
        selectors.visible_messages(conversation_id=conversation_id, viewer_id=participant.user_id)
        .filter(pk__gt=after_id)
        .select_related("sender")
        .order_by("created_at", "pk")[:100]
    )
    if request.GET.get("read") == "1":
        services.mark_read(conversation_id=conversation_id, user_id=participant.user_id)
    return _rows_response(
        request,
        [
            message_row(m, viewer_id=participant.user_id, conversation=participant.conversation)
            for m in found
        ],
        conversation_id,
    )


@never_cache
@login_required
@require_safe
def one_message(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    """One message again (after an edit or a removal)."""
    participant = _participant(request, conversation_id)
    found = (
        selectors.visible_messages(conversation_id=conversation_id, viewer_id=participant.user_id)
        .filter(pk=message_id)
        .select_related("sender")
        .first()
    )
    if found is None:
        raise Http404("No such message")
    return _rows_response(
        request,
        [message_row(found, viewer_id=participant.user_id, conversation=participant.conversation)],
        conversation_id,
    )


@login_required
@require_POST
def read(request: HttpRequest, conversation_id: int) -> HttpResponse:
    participant = _participant(request, conversation_id)
    services.mark_read(conversation_id=conversation_id, user_id=participant.user_id)
    return HttpResponse(status=204)


@login_required
@require_POST
def edit(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    participant = _participant(request, conversation_id)
    try:
        message = services.edit_message(
            conversation_id=conversation_id,
            message_id=message_id,
            user_id=participant.user_id,
            text=request.POST.get("text", ""),
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
        return HttpResponseRedirect(conversation_url(participant))
    if request.headers.get("HX-Request"):
        message.sender = participant.user
        return _rows_response(
            request,
            [
                message_row(
                    message, viewer_id=participant.user_id, conversation=participant.conversation
                )
            ],
            conversation_id,
        )
    return HttpResponseRedirect(conversation_url(participant))


@login_required
@require_POST
def report(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    participant = _participant(request, conversation_id)
    try:
        services.report_message(
            conversation_id=conversation_id,
            message_id=message_id,
            user_id=participant.user_id,
            reason=request.POST.get("reason", ""),
        )
    except ConversationError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, "Thank you: the marketplace's team will look at it.")
    return HttpResponseRedirect(conversation_url(participant))


@login_required
@require_POST
def archive(request: HttpRequest, conversation_id: int) -> HttpResponse:
    participant = _participant(request, conversation_id)
    is_archived = request.POST.get("archived", "1") == "1"
    services.archive_conversation(
        conversation_id=conversation_id, user_id=participant.user_id, is_archived=is_archived
    )
    messages.success(request, "Archived." if is_archived else "Back in your inbox.")
    if participant.role == ParticipantRole.SELLER:
        return HttpResponseRedirect(reverse("studio:messages"))
    return HttpResponseRedirect(reverse("conversations:inbox"))


@login_required
@require_POST
def block(request: HttpRequest, conversation_id: int) -> HttpResponse:
    participant = _participant(request, conversation_id)
    is_blocked = request.POST.get("blocked", "1") == "1"
    try:
        services.block_conversation(
            conversation_id=conversation_id, user_id=participant.user_id, is_blocked=is_blocked
        )
    except ConversationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "Blocked: they cannot write to you here any more."
            if is_blocked
            else "Unblocked: they can write to you again.",
        )
    return HttpResponseRedirect(conversation_url(participant))


@never_cache
@login_required
@require_safe
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The unread total as a small fragment (htmx refreshes it when a message arrives)."""
    total = selectors.unread_total(signed_in_user(request).pk)
    return render(request, "conversations/_unread_badge.html", {"unread": total})


@never_cache
@login_required
@require_safe
def attachment(request: HttpRequest, token: str) -> HttpResponseBase:
    """A signed link that lives five minutes, made for this user, checked again: redirect to
    the object store's presigned URL, or stream the local file."""
    user = signed_in_user(request)
    try:
        message = services.attachment_for_token(token=token, user_id=user.pk)
    except DomainError:
        raise Http404("No such file") from None
    signed = private_file_url(
        message.attachment,
        download_name=message.attachment_name,
        content_type=message.attachment_content_type,
        expire_seconds=60,
    )
    if signed is not None:
        return HttpResponseRedirect(signed)
    is_inline = message.attachment_content_type.startswith("image/")
    response = FileResponse(
        message.attachment.open("rb"),
        as_attachment=not is_inline,
        filename=message.attachment_name,
        content_type=message.attachment_content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=60"
    return response
