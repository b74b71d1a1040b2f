"""The e-mail channel: text + HTML in the marketplace's name. A type may register its own
builder (the order e-mails keep their templates and invoice PDFs); the rest use the generic
notification template. The daily digest is one e-mail of several notifications."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from core import marketplace
from core.marketplace import current_marketplace
from core.notifications.models import Notification

EmailBuilder = Callable[[Notification], EmailMultiAlternatives | None]
_builders: dict[str, EmailBuilder] = {}


def email_builder(type_key: str) -> Callable[[EmailBuilder], EmailBuilder]:
    """Register the e-mail of ``type_key`` (at import of the owning app's consumers). A builder
    returning None (its object is gone, or the notification is not about one) leaves the
    generic e-mail of the notification's title and body."""

    def register(builder: EmailBuilder) -> EmailBuilder:
        _builders[type_key] = builder
        return builder

    return register


def site_origin() -> str:
    """``https://<primary domain>`` of the current marketplace (links in e-mails, the VAPID
    subject, PayPal's return address); never a request's Host header. The scheme and port are
    ``SOUK_PUBLIC_SCHEME`` / ``SOUK_PUBLIC_PORT`` (plain http on :8000 for `make demo`)."""
    provider = marketplace._primary_domain_provider
    host = provider() if provider is not None else "souk.invalid"
    port = settings.SOUK_PUBLIC_PORT
    scheme = settings.SOUK_PUBLIC_SCHEME
    is_default = not port or (scheme, port) in (("https", 443), ("http", 80))
    return f"{scheme}://{host}" + ("" if is_default else f":{port}")


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return f"{site_origin()}{path}"


def _render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    return (
        render_to_string(f"notifications/email/{template}.txt", context),
        render_to_string(f"notifications/email/{template}.html", context),
    )


def build_email(notification: Notification) -> EmailMultiAlternatives | None:
    builder = _builders.get(notification.type_key)
    built = builder(notification) if builder is not None else None
    if built is not None:
        return built
    name = current_marketplace().name
    context = {
        "marketplace_name": name,
        "notification": notification,
        "link": absolute_url(notification.url),
        "preferences_link": absolute_url("/notifications/preferences/"),
    }
    text, html = _render("notification", context)
    message = EmailMultiAlternatives(
        f"[{name}] {notification.title}", text, None, [notification.user.email]
    )
    message.attach_alternative(html, "text/html")
    return message


def build_digest(*, email: str, notifications: Sequence[Notification]) -> EmailMultiAlternatives:
    name = current_marketplace().name
    items = [{"notification": n, "link": absolute_url(n.url)} for n in notifications]
    context = {
        "marketplace_name": name,
        "items": items,
        "preferences_link": absolute_url("/notifications/preferences/"),
    }
    text, html = _render("digest", context)
    count = len(items)
    subject = f"[{name}] Your daily summary: {count} update{'s' if count != 1 else ''}"
    message = EmailMultiAlternatives(subject, text, None, [email])
    message.attach_alternative(html, "text/html")
    return message
