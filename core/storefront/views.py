"""The storefront: home, search and category pages with facets (infinite scroll via htmx),
product and seller pages, sitemap and robots. Only what the marketplace's enabled modules
sell is ever shown (``visible_products``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe
from ninja.errors import HttpError
from pydantic import ValidationError

from core.catalog import presenters
from core.catalog.api import CatalogParams, build_query
from core.catalog.errors import CatalogError
from core.catalog.models import Category
from core.catalog.search import get_search_backend, module_facets
from core.catalog.search.spelling import did_you_mean
from core.catalog.selectors import visible_products, with_card_data, with_detail_data
from core.catalog.services.images import product_image_views
from core.commerce.forms import plan_choices, sells_one_off
from core.commerce.plan_prices import with_plan_prices
from core.commerce.seller_profiles import public_seller_profile
from core.commerce.services.cart import is_recurring_only
from core.errors import DomainError
from core.marketplace import current_marketplace
from core.recommendations.shelves import home_shelves, product_shelves
from core.recommendations.viewed import record_view, signed_in_buyer_id
from core.registry import get_registry
from core.registry.panels import product_panel, seller_profile_panels
from core.reviews.selectors import product_reviews_block, product_reviews_ld
from core.sellers.selectors import visible_seller
from core.storefront.page_cache import cached_for_anonymous

PAGE_SIZE = 24
CORE_FILTER_KEYS = (
    "q",
    "category",
    "type",
    "seller",
    "price_min",
    "price_max",
    "min_rating",
    "sort",
)


def _filter_keys() -> tuple[str, ...]:
    """Core's filters and the parameters of the facets the modules on here declare
    (e.g. gigs' ``delivery``)."""
    return CORE_FILTER_KEYS + tuple(spec.param for spec in module_facets.declared_facets())


def _tenths(value: int) -> str:
    return f"{value // 10}.{value % 10}"


def _ld_json(data: dict[str, Any]) -> SafeString:
    """JSON-LD for a <script type="application/ld+json"> block, safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return mark_safe(text)


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


# Cards are a column of a grid at least 210 px wide: about half a phone, 320 px on wider screens.
CARD_IMAGE_SIZES = "(max-width: 480px) 100vw, (max-width: 760px) 50vw, 320px"
GALLERY_IMAGE_SIZES = "(max-width: 760px) 100vw, 640px"


def _card(product: Any, currency: str) -> dict[str, Any]:
    """The catalogue's card with its first picture as an ``<img>`` with sizes (from the
    prefetched images: no query)."""
    views = product_image_views(product, sizes=CARD_IMAGE_SIZES)
    return {**presenters.card(product, currency), "image": views[0] if views else None}


@require_safe
@cached_for_anonymous
def home(request: HttpRequest) -> HttpResponse:
    currency = current_marketplace().default_currency
    visible = with_card_data(visible_products())
    featured = list(visible.filter(is_featured=True).order_by("-published_at", "-id")[:8])
    newest = list(visible.order_by("-published_at", "-id")[:8])
    top_categories = list(Category.objects.filter(is_active=True, depth=0).order_by("position")[:8])
    # Shelves of one's own for signed-in buyers only (anonymous pages read no session data).
    buyer_id = signed_in_buyer_id(request)
    return render(
        request,
        "storefront/home.html",
        {
            "featured": with_plan_prices([_card(p, currency) for p in featured], currency),
            "newest": with_plan_prices([_card(p, currency) for p in newest], currency),
            "top_categories": top_categories,
            "canonical_url": _absolute(request, "/"),
            "shelves": home_shelves(buyer_id=buyer_id, currency=currency) if buyer_id else [],
        },
    )


def _params(request: HttpRequest, **forced: Any) -> CatalogParams:
    raw: dict[str, Any] = {
        key: request.GET.get(key) for key in _filter_keys() if request.GET.get(key)
    }
    if request.GET.getlist("type"):
        raw["type"] = request.GET.getlist("type")
    raw.update(forced)
    raw["cursor"] = request.GET.get("cursor") or None
    raw["limit"] = PAGE_SIZE
    return CatalogParams.model_validate(raw)


def _filter_url(request: HttpRequest, base: str, **changes: Any) -> str:
    """The current filters with some changed (None removes one); no cursor."""
    query = {key: request.GET.getlist(key) for key in _filter_keys() if request.GET.getlist(key)}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = [str(value)]
    encoded = urlencode(query, doseq=True)
    return f"{base}?{encoded}" if encoded else base


def _listing(request: HttpRequest, base: str, title: str, **forced: Any) -> HttpResponse:
    status = 200
    try:
        params = _params(request, **forced)
        query = build_query(params)
        is_partial = request.headers.get("HX-Request") == "true" and bool(params.cursor)
        result = get_search_backend().search(query, with_facets=not is_partial)
    except (ValidationError, CatalogError, DomainError):
        return render(
            request,
            "storefront/listing.html",
            {"title": title, "error": "Those filters are not valid.", "items": []},
            status=400,
        )
    except HttpError:  # a cursor that was not made by us
        return render(
            request,
            "storefront/listing.html",
            {"title": title, "error": "That page link has expired.", "items": []},
            status=400,
        )
    items = with_plan_prices([_card(p, query.currency) for p in result.items], query.currency)
    text = (params.q or "").strip()
    has_filters = any(
        request.GET.get(key) for key in _filter_keys() if key not in ("q", "sort")
    ) or bool(forced)
    correction = did_you_mean(text) if text and not items and not params.cursor else None
    next_url = None
    if result.next_cursor:
        next_query = request.GET.copy()
        next_query["cursor"] = result.next_cursor
        next_url = f"{base}?{next_query.urlencode()}"
    context = {
        "title": title,
        "items": items,
        "empty_message": _empty_message(text, has_filters=has_filters),
        "correction": correction,
        "correction_url": _filter_url(request, base, q=correction) if correction else "",
        "next_url": next_url,
        "facets": result.facets,
        "query": params,
        "base_url": base,
        "active_filters": [
            (key, value, _filter_url(request, base, **{key: None}))
            for key in _filter_keys()
            for value in request.GET.getlist(key)
            if key not in forced and key != "sort"
        ],
        "facet_links": _facet_links(request, base, result.facets) if result.facets else {},
        "canonical_url": _absolute(request, _filter_url(request, base)),
        "sort_options": [
            (value, label, _filter_url(request, base, sort=value))
            for value, label in (
                ("relevance", "Best match"),
                ("newest", "Newest"),
                ("price_asc", "Price: low to high"),
                ("price_desc", "Price: high to low"),
                ("rating", "Top rated"),
            )
        ],
    }
    template = "storefront/_results.html" if is_partial else "storefront/listing.html"
    return render(request, template, context, status=status)


def _empty_message(text: str, *, has_filters: bool) -> str:
    if text and has_filters:
        return f"No products match “{text}” with these filters."
    if text:
        return f"No products match “{text}”."
    if has_filters:
        return "Nothing matches these filters yet."
    return "Nothing is for sale here yet."


def _facet_links(request: HttpRequest, base: str, facets: Any) -> dict[str, list[dict[str, Any]]]:
    def links(key: str, counts: list[Any], make: Any) -> list[dict[str, Any]]:
        return [
            {
                "label": c.label,
                "count": c.count,
                "url": _filter_url(request, base, **make(c)),
                "is_active": request.GET.get(key) == c.value,
            }
            for c in counts
        ]

    return {
        "Category": links("category", facets.categories, lambda c: {"category": c.value}),
        "Type": links("type", facets.product_types, lambda c: {"type": c.value}),
        "Seller": links("seller", facets.sellers, lambda c: {"seller": c.value}),
        "Price": links("price_min", facets.price_bands, _band_filter),
        "Rating": links("min_rating", facets.ratings, lambda c: {"min_rating": c.value}),
        **{
            facet.label: links(facet.param, facet.options, _option_filter(facet.param))
            for facet in facets.module_facets
        },
    }


def _option_filter(param: str) -> Callable[[Any], dict[str, Any]]:
    return lambda count: {param: count.value}


def _band_filter(count: Any) -> dict[str, Any]:
    low, _, high = count.value.partition("-")
    return {"price_min": low, "price_max": (int(high) - 1) if high else None}


@require_safe
@cached_for_anonymous
def search(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    return _listing(request, "/search/", f"Results for “{text}”" if text else "All products")


SUGGESTIONS_SHOWN = 8


@require_safe
@cached_for_anonymous
def search_suggestions(request: HttpRequest) -> HttpResponse:
    """The header's search box asks this while the buyer types (htmx): a listbox of product
    names starting with the text, each a link to its product page."""
    text = request.GET.get("q", "").strip()
    found = get_search_backend().suggest(text, limit=SUGGESTIONS_SHOWN) if text else []
    context = {"suggestions": found, "text": text}
    return render(request, "storefront/_suggestions.html", context)


@require_safe
@cached_for_anonymous
def category(request: HttpRequest, slug: str) -> HttpResponse:
    found = Category.objects.filter(slug=slug, is_active=True).first()
    if found is None:
        raise Http404("No such category")
    return _listing(request, f"/c/{slug}/", found.name, category=slug)


@require_safe
@cached_for_anonymous
def product(request: HttpRequest, slug: str) -> HttpResponse:
    found = with_detail_data(visible_products()).filter(slug=slug).first()
    if found is None:
        raise Http404("No such product")
    currency = current_marketplace().default_currency
    detail = presenters.detail(found, currency)
    url = _absolute(request, f"/p/{found.slug}/")
    offers = [
        {
            "@type": "Offer",
            "price": p["display"].split()[0],
            "priceCurrency": p["currency"],
            "availability": "https://schema.org/InStock",
            "url": url,
        }
        for p in detail["prices"]
    ]
    ld: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": found.name,
        "description": found.summary or found.description[:500],
        "sku": found.slug,
        "url": url,
        "brand": {"@type": "Brand", "name": found.seller.business_name},
        "offers": offers[0]
        if len(offers) == 1
        else {
            "@type": "AggregateOffer",
            "offerCount": len(offers),
            "offers": offers,
            "lowPrice": offers[0]["price"] if offers else "0",
            "priceCurrency": currency,
        },
    }
    images = product_image_views(found, sizes=GALLERY_IMAGE_SIZES)
    if images:
        ld["image"] = [_absolute(request, image.src) for image in images]
    if found.category:
        ld["category"] = found.category.name
    if found.rating_count:
        ld["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": _tenths(found.rating_average_tenths or 0),
            "reviewCount": found.rating_count,
        }
    reviews = product_reviews_block(found)
    panel = product_panel(request, found)
    if reviews["latest"]:
        ld["review"] = product_reviews_ld(reviews)
    buyer_id = signed_in_buyer_id(request)
    if buyer_id is not None:
        record_view(buyer_id=buyer_id, product_id=found.pk)
    return render(
        request,
        "storefront/product.html",
        {
            "product": detail,
            "images": images,
            "og_image": _absolute(request, images[0].src) if images else "",
            "reviews": reviews,
            "seller": found.seller,
            "category": found.category,
            "type_label": get_registry().product_type_label(found.product_type),
            "canonical_url": url,
            "ld_json": _ld_json(ld),
            "panel": panel,
            # The buy form's plans and the price shown for them (a module's own buy box
            # sells its way, unless the product is sold by subscription only).
            "plans": plan_choices(found.pk)
            if not (panel and panel.buy_box) or is_recurring_only(found.product_type)
            else [],
            "one_off": sells_one_off(found.product_type, bool(detail["price"])),
            # Cached per tenant under the catalogue's version: no query once warm.
            "shelves": product_shelves(
                product_id=found.pk,
                category_path=found.category.path if found.category else None,
                buyer_id=buyer_id,
                currency=currency,
            ),
        },
    )


@require_safe
@cached_for_anonymous
def seller(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        found = visible_seller(slug)
    except DomainError:
        raise Http404("No such seller") from None
    currency = current_marketplace().default_currency
    mine = visible_products().filter(seller=found).order_by("-published_at", "-id")
    products = with_card_data(mine)[:48]
    return render(
        request,
        "storefront/seller.html",
        {
            "seller": public_seller_profile(found),
            "module_panels": seller_profile_panels(request, found),
            "items": with_plan_prices([_card(p, currency) for p in products], currency),
            "canonical_url": _absolute(request, f"/s/{found.slug}/"),
        },
    )


@require_safe
def robots(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /accounts/",
        "Disallow: /seller/",
        "Disallow: /studio/",
        "Disallow: /operator/",
        "Disallow: /api/",
        "Disallow: /search/?*cursor=",
        f"Sitemap: {_absolute(request, '/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


SITEMAP_LIMIT = 50_000  # the protocol's limit per file


@require_safe
def sitemap(request: HttpRequest) -> HttpResponse:
    base = _absolute(request, "/").rstrip("/")
    entries: list[tuple[str, datetime | None]] = [(f"{base}/", None)]
    entries += [
        (f"{base}/c/{slug}/", None)
        for slug in Category.objects.filter(is_active=True).values_list("slug", flat=True)
    ]
    products = visible_products().order_by("-updated_at").values_list("slug", "updated_at")
    entries += [(f"{base}/p/{slug}/", updated) for slug, updated in products[:SITEMAP_LIMIT]]
    body = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for location, updated in entries[:SITEMAP_LIMIT]:
        lastmod = f"<lastmod>{updated.date().isoformat()}</lastmod>" if updated else ""
        body.append(f"<url><loc>{escape(location)}</loc>{lastmod}</url>")
    body.append("</urlset>")
    return HttpResponse("\n".join(body), content_type="application/xml")
