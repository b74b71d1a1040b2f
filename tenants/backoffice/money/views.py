"""The operator's money pages: commission, taxes, discount codes, the payouts report, the
ledger's trial balance, and the sales and tax reports (with charts and CSV). Views parse a
form, call the commerce/sellers services or reports, and render; a service's field error is
shown on the form's field and nothing is written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core.accounts.views import operator_page
from core.catalog.models import Category
from core.commerce import reports
from core.commerce.models import CategoryCommission, DiscountCode, DiscountKind, TaxRule
from core.commerce.selectors import commerce_settings
from core.commerce.services import offers, policy
from core.errors import DomainError
from core.marketplace import current_marketplace
from core.money import Money
from core.sellers.models import Seller
from core.sellers.services.review import set_commission
from tenants.backoffice.money import forms, presenters


def _posted(request: HttpRequest, name: str) -> QueryDict | None:
    """The POST data when this form was the one sent (several forms share a page)."""
    if request.method == "POST" and request.POST.get("form") == name:
        return request.POST
    return None


def _done(request: HttpRequest, message: str, url_name: str) -> HttpResponseRedirect:
    messages.success(request, message)
    return HttpResponseRedirect(reverse(url_name))


# --- commission ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@operator_page
def commission(request: HttpRequest) -> HttpResponse:
    settings = commerce_settings()
    default_form = forms.DefaultCommissionForm(
        _posted(request, "default"),
        initial={"rate": forms.percent_initial(settings.commission_rate_bp)},
    )
    category_form = forms.CategoryCommissionForm(_posted(request, "category"))
    seller_form = forms.SellerCommissionForm(_posted(request, "seller"))
    try:
        if default_form.is_bound and default_form.is_valid():
            policy.update_settings(commission_rate_bp=default_form.cleaned_data["rate"])
            return _done(request, "The marketplace commission is saved.", "operator:commission")
        if category_form.is_bound and category_form.is_valid():
            category: Category = category_form.cleaned_data["category"]
            policy.set_category_commission(
                category_id=category.pk, rate_bp=category_form.cleaned_data["rate"]
            )
            return _done(request, f"Commission for {category.name} saved.", "operator:commission")
        if seller_form.is_bound and seller_form.is_valid():
            seller: Seller = seller_form.cleaned_data["seller"]
            set_commission(seller=seller, commission_rate_bp=seller_form.cleaned_data["rate"])
            return _done(
                request, f"Commission for {seller.business_name} saved.", "operator:commission"
            )
    except DomainError as error:
        bound = next(form for form in (default_form, category_form, seller_form) if form.is_bound)
        bound.add_domain_error(error)
    categories = CategoryCommission.objects.select_related("category").order_by(
        "category__path", "category__position"
    )
    sellers = Seller.objects.filter(commission_rate_bp__isnull=False).order_by("business_name")
    return render(
        request,
        "backoffice/money_commission.html",
        {
            "default_rate": presenters.percent(settings.commission_rate_bp),
            "default_form": default_form,
            "category_form": category_form,
            "seller_form": seller_form,
            "category_rates": [
                (row.category.name, presenters.percent(row.commission_rate_bp))
                for row in categories
            ],
            "seller_rates": [
                (row.business_name, presenters.percent(row.commission_rate_bp)) for row in sellers
            ],
        },
    )


# --- taxes --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@operator_page
def taxes(request: HttpRequest) -> HttpResponse:
    settings = commerce_settings()
    rule_form = forms.TaxRuleForm(_posted(request, "rule"))
    prices_form = forms.PricesIncludeTaxForm(
        _posted(request, "prices"), initial={"prices_include_tax": settings.prices_include_tax}
    )
    if _posted(request, "retire") is not None:
        rule = get_object_or_404(TaxRule, pk=request.POST.get("rule", "0"), is_active=True)
        policy.retire_tax_rule(rule=rule)
        return _done(request, f"{rule.name} ({rule.country}) retired.", "operator:taxes")
    if prices_form.is_bound and prices_form.is_valid():
        policy.update_settings(prices_include_tax=prices_form.cleaned_data["prices_include_tax"])
        return _done(request, "Saved how prices are shown.", "operator:taxes")
    if rule_form.is_bound and rule_form.is_valid():
        data = rule_form.cleaned_data
        try:
            policy.create_tax_rule(
                country=data["country"],
                region=data["region"],
                product_type=data["product_type"],
                name=data["name"],
                rate_bp=data["rate"],
            )
        except DomainError as error:
            rule_form.add_domain_error(error)
        else:
            return _done(request, f"{data['name']} for {data['country']} added.", "operator:taxes")
    rules = TaxRule.objects.order_by("-is_active", "country", "region", "product_type", "-id")
    return render(
        request,
        "backoffice/money_taxes.html",
        {
            "rule_form": rule_form,
            "prices_form": prices_form,
            "rules": [presenters.tax_rule_row(rule) for rule in rules[:500]],
        },
    )


# --- discount codes -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@operator_page
def discounts(request: HttpRequest) -> HttpResponse:
    marketplace = current_marketplace()
    form = forms.DiscountCodeForm(
        _posted(request, "create"),
        currencies=marketplace.currencies,
        initial={"currency": marketplace.default_currency, "kind": DiscountKind.PERCENT},
    )
    if _posted(request, "deactivate") is not None:
        code = get_object_or_404(
            DiscountCode, pk=request.POST.get("code", "0"), seller=None, is_active=True
        )
        offers.deactivate_discount_code(code=code)
        return _done(request, f"{code.code} no longer works.", "operator:discounts")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        is_percent = data["kind"] == DiscountKind.PERCENT
        try:
            created = offers.create_discount_code(
                seller=None,
                data=offers.DiscountInput(
                    code=data["code"],
                    kind=DiscountKind(data["kind"]),
                    percent_bp=data["percent"] if is_percent else None,
                    amount=None if is_percent else data["amount_minor"],
                    currency="" if is_percent else data["currency"],
                    minimum_subtotal=data["minimum_minor"],
                    max_redemptions=data["max_redemptions"],
                    max_per_buyer=data["max_per_buyer"],
                    starts_at=data["starts_at"],
                    expires_at=data["expires_at"],
                ),
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return _done(request, f"{created.code} is ready to use.", "operator:discounts")
    codes = DiscountCode.objects.filter(seller=None).order_by("-is_active", "-id")[:200]
    return render(
        request,
        "backoffice/money_discounts.html",
        {
            "form": form,
            "codes": [presenters.code_row(code, marketplace.default_currency) for code in codes],
        },
    )


# --- payouts and ledger -------------------------------------------------------------------------


@require_GET
@operator_page
def payouts(request: HttpRequest) -> HttpResponse:
    form = forms.PayoutReportForm(request.GET or None)
    period: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        period = {
            "date_from": form.cleaned_data["date_from"],
            "date_to": form.cleaned_data["date_to"],
        }
    rows = reports.payout_report(**period) if not form.errors else []
    return render(
        request,
        "backoffice/money_payouts.html",
        {"form": form, "rows": [presenters.payout_row(row) for row in rows]},
    )


@require_GET
@operator_page
def ledger(request: HttpRequest) -> HttpResponse:
    balance = reports.trial_balance()
    return render(
        request,
        "backoffice/money_ledger.html",
        {
            "balance": balance,
            "accounts": presenters.trial_balance_rows(balance),
            "totals": [Money(amount, code) for code, amount in balance.totals.items()],
        },
    )


# --- sales and tax reports ----------------------------------------------------------------------


def _report_form(request: HttpRequest) -> forms.ReportForm:
    marketplace = current_marketplace()
    today = timezone.localdate()
    if any(request.GET.get(name) for name in ("date_from", "date_to", "currency")):
        return forms.ReportForm(request.GET, currencies=marketplace.currencies)
    return forms.ReportForm(
        {
            "date_from": (today - timedelta(days=29)).isoformat(),
            "date_to": today.isoformat(),
            "currency": marketplace.default_currency,
        },
        currencies=marketplace.currencies,
    )


@require_GET
@operator_page
def report_page(request: HttpRequest) -> HttpResponse:
    form = _report_form(request)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        query = {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "currency": data["currency"],
        }
        sales = reports.sales_report(**query)
        taxes_due = reports.tax_report(**query)
        export = request.GET.get("export")
        if export == "sales":
            return presenters.sales_csv(sales, query)
        if export == "tax":
            return presenters.tax_csv(taxes_due, query)
        context.update(
            sales=[presenters.sales_row(row) for row in sales],
            sales_total=presenters.sales_totals(sales, data["currency"]),
            taxes=[presenters.tax_row(row) for row in taxes_due],
            charts=presenters.report_charts(sales, taxes_due, data["currency"]),
            query_string=request.GET.urlencode() or presenters.query_string(query),
        )
    return render(request, "backoffice/reports.html", context)
