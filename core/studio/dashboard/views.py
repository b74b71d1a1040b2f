"""The studio's dashboard (``/studio/``) and analytics (``/studio/analytics/``): parse the
period, read the figures (``figures``, ``core.analytics.selectors``), describe the charts,
render. Both need ``view_analytics`` (``core.studio.nav``)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.analytics import selectors as analytics
from core.charts import Chart, Series
from core.marketplace import current_marketplace
from core.money import Money
from core.safe_csv import SafeWriter
from core.sellers.auth import authorised_seller
from core.studio.dashboard import cache as dashboard_cache
from core.studio.dashboard.figures import Funnel, Period, SellerDashboard, build_seller_dashboard
from core.studio.dashboard.forms import PeriodForm
from core.studio.guards import studio_page


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    delta: str = ""
    trend: str = ""  # "up" | "down" | ""
    note: str = ""


def _delta(now: int, before: int, *, is_good_when_up: bool = True) -> tuple[str, str]:
    if before == 0:
        return ("new this period", "up") if now else ("", "")
    change = (now - before) * 1000 // abs(before)
    sign = "+" if change >= 0 else "\N{MINUS SIGN}"
    good = (change >= 0) == is_good_when_up
    text = f"{sign}{abs(change) // 10}.{abs(change) % 10} % vs previous period"
    return text, ("up" if good else "down") if change else ""


def _money(amount: int, currency: str) -> str:
    return str(Money(amount, currency)) if currency else "0"


def _kpis(board: SellerDashboard) -> list[Kpi]:
    currency = board.currency
    gross_delta = _delta(board.gross, board.gross_before)
    net_delta = _delta(board.net, board.net_before)
    orders_delta = _delta(board.orders, board.orders_before)
    refunds_delta = _delta(board.refunds, board.refunds_before, is_good_when_up=False)
    customers_delta = _delta(board.active_customers, board.active_customers_before)
    kpis = [
        Kpi("Gross sales", _money(board.gross, currency), *gross_delta),
        Kpi(
            "Net earnings",
            _money(board.net, currency),
            *net_delta,
            note="After commission, tax and refunds (ledger)",
        ),
        Kpi("Orders", f"{board.orders:,}", *orders_delta),
        Kpi("Refunds", _money(board.refunds, currency), *refunds_delta),
        Kpi("Active customers", f"{board.active_customers:,}", *customers_delta),
        Kpi("Active subscriptions", f"{board.active_subscriptions:,}"),
    ]
    if board.licences is not None:
        kpis.append(Kpi("Licences sold", f"{board.licences:,}", note="All time"))
    kpis.append(
        Kpi(
            "Payouts due",
            _money(board.payouts_due, currency),
            note=f"{_money(board.in_escrow, currency)} more held in escrow"
            if board.in_escrow
            else "Your payout balance",
        )
    )
    return kpis


def _day_label(day: date) -> str:
    return day.strftime("%b %-d")


def _share(part: int, whole: int) -> str:
    return f" {part * 1000 // whole / 10:.1f} %" if whole else ""


def funnel_chart(funnel: Funnel, chart_id: str = "funnel") -> Chart:
    """Each step after the first says what share of the page views reached it."""
    return Chart(
        id=chart_id,
        title="Conversion funnel",
        kind="funnel",
        labels=[
            "Views",
            "Carts" + _share(funnel.add_to_carts, funnel.views),
            "Checkouts" + _share(funnel.checkouts_started, funnel.views),
            "Paid" + _share(funnel.checkouts_completed, funnel.views),
        ],
        series=[
            Series(
                "Visitors",
                [
                    funnel.views,
                    funnel.add_to_carts,
                    funnel.checkouts_started,
                    funnel.checkouts_completed,
                ],
            )
        ],
        description="Product page views, then adds to cart, checkouts started and paid "
        "(share of views). Bots and prefetches are left out.",
    )


def _charts(board: SellerDashboard) -> list[Chart]:
    labels = [_day_label(day) for day in board.period.dates]
    charts = []
    if board.currency:
        charts.append(
            Chart(
                id="revenue",
                title="Revenue over time",
                kind="line",
                labels=labels,
                series=[
                    Series("Gross sales", list(board.gross_by_day)),
                    Series("Net earnings", list(board.net_by_day)),
                ],
                unit="money",
                currency=board.currency,
            )
        )
    charts.append(
        Chart(
            id="orders-by-type",
            title="Orders by product type",
            kind="doughnut",
            labels=list(board.orders_by_type),
            series=[Series("Orders", list(board.orders_by_type.values()))],
        )
    )
    charts.append(funnel_chart(board.funnel))
    return charts


def _percent(basis_points: int | None) -> str:
    if basis_points is None:
        return "\N{EN DASH}"
    return f"{basis_points / 100:.2f} %"


def _period_form(request: HttpRequest) -> tuple[PeriodForm, Period]:
    today = timezone.now().date()
    form = PeriodForm(request.GET or None, today=today)
    return form, form.period()


@studio_page("studio:dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    """The content is cached as HTML under the figures' stamp (``dashboard.cache``): a
    repeated visit costs the guard's queries, one index-only lookup and a cache read."""
    seller = authorised_seller(request)
    form, period = _period_form(request)
    default_currency = current_marketplace().default_currency
    key = dashboard_cache.cached_key(
        seller.pk, "page", default_currency, period.start, period.end, request.GET.urlencode()
    )
    body = dashboard_cache.get(key)
    if not isinstance(body, str):
        body = _dashboard_body(request, seller.pk, form, period, default_currency)
        dashboard_cache.put(key, body)
    return render(request, "studio/dashboard.html", {"seller": seller, "body": mark_safe(body)})


def _dashboard_body(
    request: HttpRequest, seller_id: int, form: PeriodForm, period: Period, default_currency: str
) -> str:
    board = build_seller_dashboard(
        seller_id=seller_id,
        period=period,
        currency=form.chosen_currency(),
        default_currency=default_currency,
    )
    types = [
        {
            "label": row.label,
            "orders": f"{row.orders:,}",
            "units": f"{row.units:,}",
            "revenue": _money(row.revenue, board.currency),
            "refunds": _money(row.refunds, board.currency),
            "conversion": _percent(row.conversion_bp),
        }
        for row in board.types
    ]
    return render_to_string(
        "studio/dashboard_body.html",
        {
            "form": form,
            "period": period,
            "board": board,
            "kpis": _kpis(board),
            "charts": _charts(board),
            "types": types,
            "has_sales": bool(board.gross or board.net or board.payouts_due or board.types),
        },
        request=request,
    )


@studio_page("studio:analytics")
def analytics_page(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    form, period = _period_form(request)
    products = analytics.product_funnels(seller_id=seller.pk, start=period.start, end=period.end)
    funnel = Funnel(
        views=sum(p.views for p in products),
        add_to_carts=sum(p.add_to_carts for p in products),
        checkouts_started=sum(p.checkouts_started for p in products),
        checkouts_completed=sum(p.checkouts_completed for p in products),
    )
    per_day = analytics.daily_views(seller_id=seller.pk, start=period.start, end=period.end)
    views_chart = Chart(
        id="views",
        title="Product page views",
        kind="bar",
        labels=[_day_label(day) for day in period.dates],
        series=[
            Series("Views", [per_day.get(day, (0, 0))[0] for day in period.dates]),
            Series("Completed checkouts", [per_day.get(day, (0, 0))[1] for day in period.dates]),
        ],
    )
    sources = analytics.traffic_sources(seller_id=seller.pk, start=period.start, end=period.end)
    return render(
        request,
        "studio/analytics.html",
        {
            "seller": seller,
            "form": form,
            "period": period,
            "charts": [funnel_chart(funnel), views_chart],
            "products": [
                {
                    "name": p.name,
                    "views": f"{p.views:,}",
                    "add_to_carts": f"{p.add_to_carts:,}",
                    "checkouts_started": f"{p.checkouts_started:,}",
                    "checkouts_completed": f"{p.checkouts_completed:,}",
                    "conversion": _percent(p.conversion_bp),
                }
                for p in products
            ],
            "sources": sources,
            "export_query": request.GET.urlencode(),
        },
    )


@studio_page("studio:analytics")
def analytics_export(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    _form, period = _period_form(request)
    products = analytics.product_funnels(seller_id=seller.pk, start=period.start, end=period.end)
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(
        [
            "product_id",
            "product",
            "product_type",
            "views",
            "add_to_carts",
            "checkouts_started",
            "checkouts_completed",
            "conversion_percent",
        ]
    )
    for p in products:
        writer.writerow(
            [
                p.product_id,
                p.name,
                p.product_type,
                p.views,
                p.add_to_carts,
                p.checkouts_started,
                p.checkouts_completed,
                "" if p.conversion_bp is None else f"{p.conversion_bp / 100:.2f}",
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"analytics-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
