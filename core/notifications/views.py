"""Pages: the notification centre, the preferences matrix, the service worker, and the
operator's notification settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.accounts.views import operator_page
from core.notifications import push
from core.notifications.errors import NotificationError
from core.notifications.forms import DigestHourForm, PreferencesForm
from core.notifications.selectors import notifications_page
from core.notifications.services import reading
from core.notifications.services.marketplace_settings import send_test_notification, set_digest_hour
from core.notifications.services.preferences import matrix, preferences_for, update_preferences
from core.notifications.sms import sms_backend
from core.notifications.types import CHANNELS
from core.notifications.unread import cached_unread_count


def _me(request: HttpRequest) -> int:
    """The signed-in user's id (every view here is behind login_required)."""
    return int(request.user.pk or 0)


CHANNEL_LABELS = {"in_app": "In the app", "email": "E-mail", "push": "Push", "sms": "Text"}


@login_required
@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    cursor = request.GET.get("cursor", "")
    items, next_cursor = notifications_page(
        user_id=_me(request), before=int(cursor) if cursor.isdigit() else None
    )
    return render(
        request,
        "notifications/centre.html",
        {
            "items": items,
            "next_cursor": next_cursor,
            "unread": cached_unread_count(_me(request)),
        },
    )


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    marked = reading.mark_all_read(user_id=_me(request))
    messages.success(request, f"Marked {marked} as read." if marked else "Nothing was unread.")
    return redirect("notifications:centre")


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Marks it read and goes where it points (a path on this marketplace only)."""
    try:
        notification = reading.mark_read(user_id=_me(request), notification_id=notification_id)
    except NotificationError:
        return render(request, "notifications/missing.html", status=404)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return redirect("notifications:centre")


def _matrix_choices(request: HttpRequest) -> dict[str, dict[str, bool]]:
    """Every unlocked box of the matrix, ticked or not (an unticked box is not posted)."""
    chosen: dict[str, dict[str, bool]] = {}
    for row in matrix(preferences_for(_me(request))):
        for choice in row.channels:
            if not choice.is_locked:
                chosen.setdefault(row.key, {})[choice.channel] = (
                    request.POST.get(f"{row.key}:{choice.channel}") == "on"
                )
    return chosen


@login_required
@require_http_methods(["GET", "POST"])
def preferences_page(request: HttpRequest) -> HttpResponse:
    preferences = preferences_for(_me(request))
    form = PreferencesForm(
        request.POST or None,
        initial={
            "time_zone": preferences.time_zone,
            "quiet_start": preferences.quiet_start,
            "quiet_end": preferences.quiet_end,
            "is_daily_digest": preferences.is_daily_digest,
            "phone_number": preferences.phone_number,
        },
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        has_quiet = data["quiet_start"] is not None and data["quiet_end"] is not None
        try:
            update_preferences(
                user_id=_me(request),
                channels=_matrix_choices(request),
                time_zone=data["time_zone"],
                quiet_start=data["quiet_start"] if has_quiet else None,
                quiet_end=data["quiet_end"] if has_quiet else None,
                clear_quiet_hours=not has_quiet,
                is_daily_digest=data["is_daily_digest"],
                phone_number=data["phone_number"],
            )
        except NotificationError as error:
            form.add_error(None, error.message)
            status = 400
        else:
            messages.success(request, "Your notification settings are saved.")
            return redirect("notifications:preferences")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "rows": matrix(preferences_for(_me(request))),
            "channels": [(channel, CHANNEL_LABELS[channel]) for channel in CHANNELS],
        },
        status=status,
    )


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """``/sw.js`` at the host's root, so its scope is the whole marketplace."""
    response = HttpResponse(
        render_to_string("notifications/sw.js"), content_type="application/javascript"
    )
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@operator_page
@require_http_methods(["GET", "POST"])
def operator_settings(request: HttpRequest) -> HttpResponse:
    settings_row = push.marketplace_settings()
    form = DigestHourForm(request.POST or None, initial={"digest_hour": settings_row.digest_hour})
    if request.method == "POST":
        if request.POST.get("action") == "test":
            send_test_notification(user_id=_me(request))
            messages.success(request, "A test notification is on its way to you.")
            return redirect("operator:notifications")
        if form.is_valid():
            set_digest_hour(hour=form.cleaned_data["digest_hour"])
            messages.success(request, "Digest hour saved.")
            return redirect("operator:notifications")
    backend = sms_backend()
    context: dict[str, Any] = {
        "form": form,
        "vapid_public_key": settings_row.vapid_public_key,
        "sms_backend": backend.describe(),
        "sms_backend_name": backend.name,
        "digest_hour": settings_row.digest_hour,
    }
    return render(request, "notifications/operator.html", context)
