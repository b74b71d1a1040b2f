"""The operators' queue of reported messages (``/operator/messages/reports/``) and the
marketplace's chat policy (contact filter, attachment size) on the same page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core.accounts.views import operator_page, signed_in_user
from core.conversations import selectors, services
from core.conversations.models import ContactFilterMode, MessageReport, ReportStatus
from core.conversations.views.common import message_row
from core.errors import DomainError
from core.pagination import keyset_page

QUEUE = "operator:message_reports"


@never_cache
@operator_page
@require_safe
def report_queue(request: HttpRequest) -> HttpResponse:
    operator = signed_in_user(request)
    show = request.GET.get("show", ReportStatus.OPEN)
    if show not in ReportStatus.values:
        show = ReportStatus.OPEN
    queryset = MessageReport.objects.filter(status=show).select_related(
        "message",
        "message__sender",
        "reporter",
        "message__conversation__seller",
        "message__conversation__buyer",
    )
    reports, next_cursor = keyset_page(
        queryset,
        ordering=("-created_at", "-pk"),
        limit=30,
        cursor=request.GET.get("cursor") or None,
    )
    found = selectors.chat_settings()
    context = {
        "rows": [
            {
                "report": report,
                "message": message_row(
                    report.message, viewer_id=operator.pk, conversation=report.message.conversation
                ),
            }
            for report in reports
        ],
        "next_cursor": next_cursor,
        "show": show,
        "shows": ReportStatus.choices,
        "settings": found,
        "attachment_max_mb": max(1, found.attachment_max_bytes // (1024 * 1024)),
        "filter_modes": ContactFilterMode.choices,
    }
    return render(request, "conversations/operator_reports.html", context)


@operator_page
@require_POST
def resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    operator = signed_in_user(request)
    try:
        action = request.POST.get("action")
        if action == "suspend":
            services.suspend_reported_sender(
                report_id=report_id,
                operator_id=operator.pk,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "The message was removed and its sender suspended.")
        elif action == "remove":
            services.remove_reported_message(report_id=report_id, operator_id=operator.pk)
            messages.success(request, "The message was removed.")
        else:
            services.dismiss_report(report_id=report_id, operator_id=operator.pk)
            messages.success(request, "The report was dismissed.")
    except DomainError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(reverse(QUEUE))


@operator_page
@require_POST
def save_settings(request: HttpRequest) -> HttpResponse:
    try:
        megabytes = int(request.POST.get("attachment_max_mb", ""))
        services.update_chat_settings(
            attachment_max_bytes=megabytes * 1024 * 1024,
            contact_filter=request.POST.get("contact_filter", ""),
        )
    except ValueError:
        messages.error(request, "Give the largest attachment in whole megabytes.")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Chat settings saved.")
    return HttpResponseRedirect(reverse(QUEUE))
