"""``{% notification_bell %}``: the header's bell for a signed-in user on a marketplace. No
query: the count comes from the cache; when it is not there, notifications.js asks the API
(``data-unread-unknown``), which caches it for the next pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from core.notifications.unread import remembered_unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_shown": False}
    unread = remembered_unread_count(user.pk)
    return {"is_shown": True, "unread": unread or 0, "is_unknown": unread is None}


@register.filter
def ago(moment: datetime) -> str:
    """ "just now", "5 minutes ago", "2 days ago"."""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment).split(',')[0]} ago"
