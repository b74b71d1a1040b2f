"""Whole storefront pages for anonymous visitors, from the cache, and the HTTP caching headers
that let a CDN keep them too.

A visitor is anonymous when the request carries neither a session cookie nor an
``Authorization`` header: such a request never loads a session or a user, and every anonymous
visitor of one URL sees the same page (nothing personal is rendered for them: no CSRF token,
no "recently viewed", no cart count). Their page is rendered once and kept in Redis under the
tenant (the cache's key function prefixes the schema), the catalogue's and the storefront's
cache versions (``core.cache_versions``: a product, category, review, image, module or branding
change bumps one, so the next visitor gets a fresh page at once), the scheme and host (canonical
links are absolute) and the URL with its query in a canonical order; htmx's partial pages are
kept apart from whole ones. Anything no version covers is at most ``SOUK_PAGE_CACHE_SECONDS``
old. A page is kept gzip- and brotli-compressed beside the plain one, so serving it costs no
compression; the product view counter (``core.analytics.middleware``) still counts each view.

Headers: an anonymous page is ``Cache-Control: public, max-age=0, s-maxage=<seconds>``
(browsers revalidate, a CDN keeps it) with ``Vary: Cookie, HX-Request, Accept-Encoding``; a
signed-in visitor's is ``private, no-cache``. A CDN in front should also bypass its cache when
the session cookie (``souk_session``) is present, which ``Vary: Cookie`` says in HTTP terms."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypedDict

import brotli
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control, patch_vary_headers

from core import cache_versions

View = Callable[..., HttpResponse]
VARY = ("Cookie", "HX-Request", "Accept-Encoding")
# Below this a compressed copy is not worth its bytes.
COMPRESS_FROM_BYTES = 512
# Pages larger than this are rendered each time rather than filling the cache.
MAX_CACHED_BYTES = 512 * 1024


# A form's CSRF token is bound to the visitor's own cookie: a kept page holds this in its
# place, and each visitor's response gets their own token (and cookie) put back.
TOKEN_PLACEHOLDER = b"__souk_csrf_token__"
TOKEN_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class Entry(TypedDict):
    status: int
    content_type: str
    body: bytes
    gzip: bytes
    br: bytes
    has_token: bool


def is_anonymous(request: HttpRequest) -> bool:
    """Neither signed in nor able to be: no session cookie, no bearer token."""
    return (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _versions() -> tuple[int, int]:
    keys = [f"version:{family}" for family in (cache_versions.CATALOG, cache_versions.STOREFRONT)]
    found = cache.get_many(keys)
    if len(found) == len(keys):
        return int(found[keys[0]]), int(found[keys[1]])
    return (
        cache_versions.current_version(cache_versions.CATALOG),
        cache_versions.current_version(cache_versions.STOREFRONT),
    )


def page_key(request: HttpRequest) -> str:
    catalog, storefront = _versions()
    query = "&".join(sorted(f"{k}={v}" for k in request.GET for v in request.GET.getlist(k)))
    is_partial = request.headers.get("HX-Request") == "true"
    where = f"{request.scheme}://{request.get_host()}{request.path}?{query}|{is_partial}"
    digest = hashlib.blake2b(where.encode(), digest_size=16).hexdigest()
    return f"page:{catalog}:{storefront}:{digest}"


def _encoding(request: HttpRequest, entry: Entry) -> str:
    accepted = {
        part.split(";", 1)[0].strip().lower()
        for part in request.META.get("HTTP_ACCEPT_ENCODING", "").split(",")
    }
    if "br" in accepted and entry["br"]:
        return "br"
    if "gzip" in accepted and entry["gzip"]:
        return "gzip"
    return ""


def _response(request: HttpRequest, entry: Entry) -> HttpResponse:
    if entry["has_token"]:
        return _with_token(request, entry)
    encoding = _encoding(request, entry)
    body = entry[encoding] if encoding else entry["body"]  # type: ignore[literal-required]
    response = HttpResponse(body, status=entry["status"], content_type=entry["content_type"])
    if encoding:
        response["Content-Encoding"] = encoding
    return _public(response)


def _with_token(request: HttpRequest, entry: Entry) -> HttpResponse:
    """A kept page with a form: this visitor's token in it (the CSRF middleware sets their
    cookie), compressed for them; private, since it now answers one visitor."""
    body = entry["body"].replace(TOKEN_PLACEHOLDER, get_token(request).encode())
    response = HttpResponse(body, status=entry["status"], content_type=entry["content_type"])
    if _encoding(request, entry) and len(body) >= COMPRESS_FROM_BYTES:
        response.content = gzip.compress(body, compresslevel=5, mtime=0)
        response["Content-Encoding"] = "gzip"
    return _private(response)


def _entry(request: HttpRequest, response: HttpResponse) -> Entry | None:
    """What to keep of a freshly rendered page, or None when it must not be shared: another
    status, a cookie set, or a page that asked for the visitor (their session or a CSRF
    token, which is bound to the visitor's own cookie)."""
    session = getattr(request, "session", None)
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or response.has_header("Content-Encoding")
        or (session is not None and session.modified)
        or len(response.content) > MAX_CACHED_BYTES
    ):
        return None
    body = response.content
    has_token = bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
    if has_token:
        # One render shows one token wherever it is (a form field, a data attribute).
        field = TOKEN_FIELD.search(body)
        if field is None:
            return None  # a token somewhere it cannot be found again: not shared
        body = body.replace(field.group(1), TOKEN_PLACEHOLDER)
    large = len(body) >= COMPRESS_FROM_BYTES and not has_token
    return {
        "status": response.status_code,
        "content_type": response["Content-Type"],
        "body": body,
        "gzip": gzip.compress(body, compresslevel=6, mtime=0) if large else b"",
        "br": brotli.compress(body, quality=5) if large else b"",
        "has_token": has_token,
    }


def _public(response: HttpResponse) -> HttpResponse:
    seconds = settings.SOUK_PAGE_CACHE_SECONDS
    patch_cache_control(response, public=True, max_age=0, s_maxage=seconds)
    patch_vary_headers(response, VARY)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    if not response.has_header("Cache-Control"):
        patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, VARY)
    return response


def cached_for_anonymous(view: View) -> View:
    """Serve the view's page to anonymous visitors from the cache (see the module's doc)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD")
            or not is_anonymous(request)
            or settings.SOUK_PAGE_CACHE_SECONDS <= 0
        ):
            return _private(view(request, *args, **kwargs))
        key = page_key(request)
        entry: Entry | None = cache.get(key)
        if entry is not None:
            return _response(request, entry)
        response = view(request, *args, **kwargs)
        fresh = _entry(request, response)
        if fresh is None:
            return _private(response)
        cache.set(key, fresh, settings.SOUK_PAGE_CACHE_SECONDS)
        if fresh["has_token"]:
            return _private(response)  # this visitor's own token is in it already
        return _response(request, fresh)

    return wrapper
