"""The marketplace dashboard (``/operator/``) and reviews moderation
(``/operator/reviews/``). Views parse, call a selector or a service, render."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from core.accounts.views import operator_page
from core.marketplace import current_marketplace
from tenants.backoffice.insights import presenters
from tenants.backoffice.insights.figures import (
    CACHE_SECONDS,
    Figures,
    figures_key,
    marketplace_figures,
)
from tenants.backoffice.insights.periods import period_form
from tenants.backoffice.setup.checklist import getting_started


@require_GET
@operator_page
def dashboard(request: HttpRequest) -> HttpResponse:
    """The figures are cached as rendered HTML under their own key (``figures_key``): a
    repeated visit costs the guard, one watermark round trip and two cache reads."""
    form = period_form(request.GET)
    period = form.chosen()
    currency = current_marketplace().default_currency
    key = figures_key(period=period, currency=currency)
    body = cache.get(f"{key}:html")
    if not isinstance(body, str):
        body = _figures_html(marketplace_figures(period=period, currency=currency, key=key))
        cache.set(f"{key}:html", body, CACHE_SECONDS)
    return render(
        request,
        "backoffice/dashboard.html",
        {
            "form": form,
            "period": period,
            "figures_html": mark_safe(body),  # rendered by our own template, escaped there
            # The set-up checklist's card (tenants/backoffice/setup), shown until set-up is done.
            "checklist": _checklist(request),
        },
    )


def _figures_html(figures: Figures) -> str:
    tables = presenters.top_tables(figures)
    return render_to_string(
        "backoffice/_dashboard_figures.html",
        {
            "figures": figures,
            "kpis": presenters.kpis(figures),
            "charts": presenters.charts(figures),
            "top_sections": [
                ("Top products", tables["products"], "Units"),
                ("Top sellers", tables["sellers"], "Orders"),
                ("Sales by product type", tables["types"], "Orders"),
            ],
            "other_currencies": presenters.other_currencies(figures),
        },
    )


# The dashboard's card may lag a step by this long; /operator/start/ always reads live.
CHECKLIST_CARD_SECONDS = 60


def _checklist(request: HttpRequest) -> object:
    """The set-up checklist for the card, cached per marketplace (the cache's keys are
    per tenant), so a cached dashboard does not pay its seven queries on every load."""
    return cache.get_or_set(
        "backoffice:getting-started-card",
        lambda: getting_started(request.tenant),  # type: ignore[attr-defined]
        CHECKLIST_CARD_SECONDS,
    )
