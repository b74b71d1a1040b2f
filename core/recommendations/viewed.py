"""Products a signed-in buyer looked at lately, newest first, in the cache (Redis in
production; the cache's key function puts the schema in every key, so lists never cross
tenants). Only signed-in buyers: an anonymous visitor's page must not start a session (issue 21),
and a cookie-less list would be worth little. Ephemeral by nature: losing it to an eviction
costs a shelf, never data."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

VIEWED_LIMIT = 20
VIEWED_SECONDS = 30 * 24 * 3600


def _key(buyer_id: int) -> str:
    return f"reco:viewed:{buyer_id}"


def record_view(*, buyer_id: int, product_id: int) -> None:
    viewed = viewed_product_ids(buyer_id)
    if viewed[:1] == [product_id]:
        return  # a reload writes nothing
    updated = [product_id, *(pk for pk in viewed if pk != product_id)][:VIEWED_LIMIT]
    cache.set(_key(buyer_id), updated, VIEWED_SECONDS)


def viewed_product_ids(buyer_id: int) -> list[int]:
    viewed: list[int] | None = cache.get(_key(buyer_id))
    return list(viewed or [])


def signed_in_buyer_id(request: HttpRequest) -> int | None:
    """The signed-in user's id; an anonymous visitor's session is never loaded (no cookie, no
    session read), so their pages stay cacheable."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    user = request.user
    return int(user.pk) if user.is_authenticated else None
