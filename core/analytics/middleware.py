"""Counts product page views after the storefront answered them, without touching the
storefront's view or the database: a successful GET of ``storefront:product`` by something
that looks like a person adds one to the Redis counters (``core.analytics.counters``).

Not counted: HEAD and other methods, any answer but 200, prefetches and prerenders
(``Sec-Purpose``/``Purpose``/``X-Moz`` headers), and user agents that say they are bots,
crawlers, previewers or HTTP libraries (or say nothing)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

from core.analytics import counters

logger = logging.getLogger(__name__)

PRODUCT_PAGE = "storefront:product"
BOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|embedly|lighthouse|headless|"
    r"curl|wget|python-requests|python-urllib|httpx|aiohttp|go-http-client|java/|okhttp|"
    r"libwww|scrapy|monitor|pingdom|uptime|phantomjs",
    re.IGNORECASE,
)
PREFETCH_HEADERS = ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(BOT_PATTERN.search(user_agent))


def is_prefetch(request: HttpRequest) -> bool:
    for header in PREFETCH_HEADERS:
        value = request.META.get(header, "").lower()
        if "prefetch" in value or "prerender" in value or "preview" in value:
            return True
    return False


def referrer_host(request: HttpRequest) -> str:
    """The referring site, or "" for direct visits and links from this marketplace."""
    referrer = request.META.get("HTTP_REFERER", "")
    try:
        host = (urlsplit(referrer).hostname or "").lower()
    except ValueError:
        return ""
    if not host or host == request.get_host().split(":", 1)[0].lower():
        return ""
    return host.removeprefix("www.")


def is_countable_view(request: HttpRequest, response: HttpResponse) -> bool:
    match = getattr(request, "resolver_match", None)
    return (
        match is not None
        and match.view_name == PRODUCT_PAGE
        and request.method == "GET"
        and response.status_code == 200
        and not is_prefetch(request)
        and not is_bot(request.META.get("HTTP_USER_AGENT", ""))
    )


class ProductViewMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_countable_view(request, response):
            match = request.resolver_match
            assert match is not None
            try:
                counters.record_product_view(
                    slug=str(match.kwargs.get("slug", "")),
                    referrer_host=referrer_host(request),
                    source=request.GET.get("utm_source", ""),
                    medium=request.GET.get("utm_medium", ""),
                    campaign=request.GET.get("utm_campaign", ""),
                )
            except Exception:
                logger.warning("product view not counted", exc_info=True)
        return response
