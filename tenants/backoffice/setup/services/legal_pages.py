"""The marketplace's legal pages (terms, privacy, refunds): rich text from the back-office
editor, kept only after nh3 (the Rust ``ammonia`` sanitiser) has reduced it to a fixed
allow-list of tags, so what the storefront renders can never carry script or styles."""

from __future__ import annotations

import nh3
from django.core.cache import cache
from django.db import transaction

from core.errors import ErrorKind
from tenants.backoffice.models import LegalPage, LegalPageKind
from tenants.backoffice.setup.errors import SetupError, SetupErrorCode

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a",
    "blockquote", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
MAX_HTML = 100_000
# The kinds written, for the storefront footer on every page (per tenant: the cache's key
# function prefixes the schema); dropped whenever a page is written or taken down.
KINDS_CACHE_KEY = "legal-page-kinds"


def sanitised_html(raw: str) -> str:
    """The allowed part of ``raw``: unknown tags are dropped (their text kept), ``script`` and
    ``style`` with their content, attributes outside the list, links other than http(s) and
    mailto; links get ``rel="noopener noreferrer nofollow"``."""
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def has_text(html: str) -> bool:
    return bool(nh3.clean(html, tags=set()).strip())


def write_legal_page(*, kind: LegalPageKind, body_html: str) -> LegalPage | None:
    """Store the sanitised page; an empty page (no text left) removes it from the footer."""
    if len(body_html) > MAX_HTML:
        raise SetupError(
            SetupErrorCode.LEGAL_PAGE_TOO_LONG,
            f"Keep the page under {MAX_HTML // 1000}k characters.",
            details={"field": "body_html"},
            kind=ErrorKind.INVALID,
        )
    clean = sanitised_html(body_html)
    cache.delete(KINDS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(KINDS_CACHE_KEY))
    if not has_text(clean):
        LegalPage.objects.filter(kind=kind).delete()
        return None
    page, _ = LegalPage.objects.update_or_create(kind=kind, defaults={"body_html": clean})
    return page


def written_kinds() -> list[str]:
    """The kinds of legal page this marketplace has, in footer order (cached)."""
    kinds: list[str] | None = cache.get(KINDS_CACHE_KEY)
    if kinds is None:
        present = set(LegalPage.objects.values_list("kind", flat=True))
        kinds = [kind.value for kind in LegalPageKind if kind.value in present]
        cache.set(KINDS_CACHE_KEY, kinds, 3600)
    return kinds
