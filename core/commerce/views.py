"""Commerce pages: the add-to-cart form of product pages, the cart (``/cart/``), checkout
(``/checkout/``) with the 3-D Secure step and paying again after a decline, the buyer's orders
(``/account/orders/``) and a seller's sub-orders (``/seller/orders/``).

They do what the JSON API (``core/commerce/api.py``) does: parse a form, call a service,
render. A service's error is shown beside the field it names and the form keeps what was
typed; htmx swaps the changed part of the page when it is there, plain forms work without it."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.accounts.models import User
from core.accounts.views import signed_in_user
from core.catalog import presenters as catalog_presenters
from core.catalog.models import ProductVariant
from core.catalog.selectors import visible_products, with_detail_data
from core.commerce import selectors
from core.commerce.errors import CommerceErrorCode, field_error
from core.commerce.forms import (
    AddToCartForm,
    CheckoutForm,
    ConfirmForm,
    CurrencyForm,
    DiscountCodeForm,
    PaymentForm,
    QuantityForm,
    new_idempotency_key,
    plan_choices,
    sandbox_cards,
    sells_one_off,
)
from core.commerce.invoices import render_invoice_pdf
from core.commerce.models import (
    Cart,
    CartLine,
    Invoice,
    InvoiceKind,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderTransition,
    Payment,
    PaymentStatus,
    SubOrder,
)
from core.commerce.pricing import BillingAddress, PricedLine, Quote, load_cart_lines
from core.commerce.purchases import Received, received_by_line
from core.commerce.services import cart as carts
from core.commerce.services.checkout import (
    CheckoutInput,
    charge_order,
    checkout_cart,
    pay_order,
    preview,
)
from core.commerce.services.payment_events import cancel_order, confirm_payment
from core.commerce.services.paypal_checkout import (
    cancel_paypal_checkout,
    complete_paypal_approval,
)
from core.errors import DomainError, ErrorKind
from core.marketplace import current_marketplace
from core.money import Money
from core.payments.providers import checkout_providers, get_provider
from core.payments.providers.paypal_settings import paypal_approval_origins
from core.payments.providers.sandbox import THREE_D_SECURE_CODE
from core.registry.panels import checkout_terms
from core.reviews.models import Review
from core.reviews.selectors import is_line_reviewable
from core.security_headers import allow_form_action
from core.sellers.models import TeamMember

ORDERS_PER_PAGE = 20


def _money(amount: int, currency: str) -> str:
    return str(Money(amount, currency))


def _status_label(value: str) -> str:
    return OrderStatus(value).label if value in OrderStatus.values else value


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# Errors about something that is not the visitor's: the page does not exist for them.
NOT_FOUND_CODES = {CommerceErrorCode.CART_LINE_NOT_FOUND, CommerceErrorCode.ORDER_NOT_FOUND}


def _not_found_or(error: DomainError) -> DomainError:
    """Raise 404 for another visitor's cart line or order, else hand the error back."""
    if error.kind == ErrorKind.NOT_FOUND or error.code in NOT_FOUND_CODES:
        raise Http404(error.message)
    return error


# --- the cart -----------------------------------------------------------------------------------


def _shopper(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _cart_token(request: HttpRequest, *, create: bool) -> str | None:
    """The anonymous cart's key, kept in the session (the API's cart uses the same one)."""
    token = request.session.get(carts.SESSION_CART_KEY)
    if token is None and create:
        token = carts.new_cart_token()
        request.session[carts.SESSION_CART_KEY] = token
    return token if isinstance(token, str) else None


def _find_cart(request: HttpRequest) -> Cart | None:
    """Finding it merges a cart filled before signing in into the buyer's."""
    return carts.find_cart(buyer=_shopper(request), token=_cart_token(request, create=False))


def _get_or_create_cart(request: HttpRequest) -> Cart:
    buyer = _shopper(request)
    return carts.get_or_create_cart(buyer=buyer, token=_cart_token(request, create=buyer is None))


def _address(data: Any) -> BillingAddress:
    """The billing country and region the buyer typed, as the API reads them for a preview."""
    country = str(data.get("country", "")).strip().upper()
    region = str(data.get("region", "")).strip().upper()
    return BillingAddress(country if re.fullmatch(r"[A-Z]{2}", country) else "", region[:10])


def _price(
    cart: Cart, buyer: User | None, address: BillingAddress
) -> tuple[Quote | None, list[str]]:
    """The cart priced now, or what stops it from being bought (the cart is kept)."""
    try:
        quote = preview(cart=cart, buyer=buyer, address=address)
    except DomainError as problem:
        return None, [problem.message]
    return quote, list(quote.warnings)


def _line_title(line: CartLine) -> str:
    if line.bundle is not None:
        return line.bundle.name
    if line.offer is not None:
        return line.offer.title
    assert line.product is not None  # the database's check: a product or a bundle
    if line.variant is not None:
        return f"{line.product.name} - {line.variant.name}"
    return line.product.name


def _seller_name(line: CartLine) -> str:
    if line.bundle is not None:
        return line.bundle.seller.business_name
    assert line.product is not None
    return line.product.seller.business_name


def _cart_rows(
    lines: list[CartLine], quote: Quote | None, errors: dict[int, tuple[str, str]]
) -> list[dict[str, Any]]:
    """One row per cart line (a bundle's items summed), with any error and the typed value.
    Without a quote (something in the cart cannot be bought now) the rows have no prices."""
    priced: dict[int | None, list[PricedLine]] = defaultdict(list)
    for priced_line in quote.lines if quote else []:
        priced[priced_line.cart_line_id].append(priced_line)
    currency = quote.currency if quote else ""

    rows = []
    for line in lines:
        parts = priced.get(line.pk, [])
        error, typed = errors.get(line.pk, ("", ""))
        discount = sum(part.discount for part in parts)
        rows.append(
            {
                "id": line.pk,
                "title": _line_title(line),
                "product_slug": line.product.slug if line.product is not None else "",
                "seller": _seller_name(line),
                "quantity": typed or line.quantity,
                "is_quantity_fixed": line.offer_id is not None
                or line.recurring_price_id is not None,
                "unit_price": _money(parts[0].unit_amount, currency) if len(parts) == 1 else "",
                "discount": _money(discount, currency) if discount else "",
                "total": _money(sum(part.total for part in parts), currency) if parts else "",
                "error": error,
            }
        )
    return rows


def _totals(quote: Quote) -> dict[str, Any]:
    currency = quote.currency
    return {
        "subtotal": _money(quote.subtotal, currency),
        "discount": _money(quote.discount_total, currency) if quote.discount_total else "",
        "tax": _money(quote.tax_total, currency),
        "total": _money(quote.total, currency),
        "prices_include_tax": quote.prices_include_tax,
        "discount_code": quote.discount_code.code if quote.discount_code else "",
    }


def _cart_summary(
    cart: Cart | None,
    buyer: User | None,
    address: BillingAddress,
    line_errors: dict[int, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    if cart is None:
        return {"cart": None, "rows": [], "totals": None, "problems": [], "address": address}
    lines = load_cart_lines(cart)
    quote, problems = _price(cart, buyer, address) if lines else (None, [])
    return {
        "cart": cart,
        "lines": lines,
        "rows": _cart_rows(lines, quote, line_errors or {}),
        "totals": _totals(quote) if quote else None,
        "problems": problems,
        "address": address,
    }


def _cart_page(
    request: HttpRequest,
    *,
    code_form: DiscountCodeForm | None = None,
    currency_form: CurrencyForm | None = None,
    line_errors: dict[int, tuple[str, str]] | None = None,
) -> HttpResponse:
    cart = _find_cart(request)
    currencies = current_marketplace().currencies
    context = _cart_summary(cart, _shopper(request), _address(request.GET), line_errors)
    context.update(
        code_form=code_form or DiscountCodeForm(),
        currency_form=currency_form
        or CurrencyForm(
            initial={"currency": cart.currency if cart else currencies[0]}, currencies=currencies
        ),
        has_currency_choice=len(currencies) > 1,
        address_query=_address_query(request),
    )
    return render(request, "commerce/cart.html", context)


def _address_query(request: HttpRequest) -> str:
    """The tax estimate's country and region, kept in the query of the cart's form actions."""
    address = _address(request.GET)
    pairs = {"country": address.country, "region": address.region}
    query = urlencode({key: value for key, value in pairs.items() if value})
    return f"?{query}" if query else ""


def _back_to_cart(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse("commerce:cart") + _address_query(request))


@never_cache
@require_safe
def cart_page(request: HttpRequest) -> HttpResponse:
    return _cart_page(request)


def _product_for_form(product_id: Any) -> dict[str, Any]:
    """The product as its page shows it (to show the add-to-cart form again)."""
    try:
        pk = int(product_id)
    except (TypeError, ValueError):
        raise Http404("No such product") from None
    found = with_detail_data(visible_products()).filter(pk=pk).first()
    if found is None:
        raise Http404("No such product")
    return catalog_presenters.detail(found, current_marketplace().default_currency)


@require_POST
def add_to_cart(request: HttpRequest) -> HttpResponse:
    form = AddToCartForm(request.POST)
    product = _product_for_form(request.POST.get("product_id"))
    added = None
    if form.is_valid():
        try:
            line = carts.add_product(
                cart=_get_or_create_cart(request),
                product_id=product["id"],
                variant_id=_variant_id(product["id"], form.cleaned_data["variant"]),
                recurring_price_id=form.cleaned_data.get("plan"),
                quantity=form.cleaned_data["quantity"],
            )
        except DomainError as error:
            form.add_domain_error(_not_found_or(error))
        else:
            if not _is_htmx(request):
                return HttpResponseRedirect(reverse("commerce:cart"))
            line_count = CartLine.objects.filter(cart_id=line.cart_id).count()
            added = {"title": _line_title(line), "line_count": line_count}
    context = {
        "product": product,
        "add_form": None if added else form,
        "added": added,
        "plans": plan_choices(product["id"]),
        "one_off": sells_one_off(product["product_type"], bool(product["price"])),
    }
    template = "commerce/_add_to_cart.html" if _is_htmx(request) else "commerce/add_to_cart.html"
    return render(request, template, context)


def _variant_id(product_id: int, sku: str) -> int | None:
    if not sku:
        return None
    variant_id = (
        ProductVariant.objects.filter(product_id=product_id, sku=sku)
        .values_list("pk", flat=True)
        .first()
    )
    if variant_id is None:
        raise field_error(CommerceErrorCode.PRODUCT_NOT_FOUND, "variant_id", "No such option.")
    return variant_id


def _existing_cart(request: HttpRequest) -> Cart:
    cart = _find_cart(request)
    if cart is None:
        raise Http404("No such cart line")
    return cart


@require_POST
def change_line(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = _existing_cart(request)
    form = QuantityForm(request.POST)
    if form.is_valid():
        try:
            carts.set_quantity(cart=cart, line_id=line_id, quantity=form.cleaned_data["quantity"])
        except DomainError as error:
            form.add_domain_error(_not_found_or(error))
        else:
            return _back_to_cart(request)
    elif not cart.lines.filter(pk=line_id).exists():
        raise Http404("No such cart line")
    message = " ".join(str(error) for errors in form.errors.values() for error in errors)
    typed = str(request.POST.get("quantity", ""))[:8]
    return _cart_page(request, line_errors={line_id: (message, typed)})


@require_POST
def remove_line(request: HttpRequest, line_id: int) -> HttpResponse:
    try:
        carts.remove_line(cart=_existing_cart(request), line_id=line_id)
    except DomainError as error:
        raise _not_found_or(error) from None
    return _back_to_cart(request)


@require_POST
def apply_code(request: HttpRequest) -> HttpResponse:
    form = DiscountCodeForm(request.POST)
    if form.is_valid():
        try:
            carts.apply_code(
                cart=_get_or_create_cart(request),
                code=form.cleaned_data["code"],
                buyer=_shopper(request),
            )
        except DomainError as error:
            form.add_domain_error(_not_found_or(error))
        else:
            return _back_to_cart(request)
    return _cart_page(request, code_form=form)


@require_POST
def remove_code(request: HttpRequest) -> HttpResponse:
    carts.remove_code(cart=_existing_cart(request))
    return _back_to_cart(request)


@require_POST
def change_currency(request: HttpRequest) -> HttpResponse:
    form = CurrencyForm(request.POST, currencies=current_marketplace().currencies)
    if form.is_valid():
        try:
            carts.set_currency(
                cart=_get_or_create_cart(request), currency=form.cleaned_data["currency"]
            )
        except DomainError as error:
            form.add_domain_error(_not_found_or(error))
        else:
            return _back_to_cart(request)
    return _cart_page(request, currency_form=form)


# --- checkout and paying ------------------------------------------------------------------------


def _latest_payment(order: Order) -> Payment | None:
    return Payment.objects.filter(order=order).order_by("-id").first()


def _next_step(request: HttpRequest, order: Order, payment: Payment | None) -> HttpResponse:
    """Where a payment attempt leads: the bank's confirmation, another card, or the order."""
    status = payment.status if payment else None
    if order.status == OrderStatus.PENDING_PAYMENT and status == PaymentStatus.REQUIRES_ACTION:
        if payment is not None and payment.provider == "paypal" and payment.action_url:
            return HttpResponseRedirect(payment.action_url)  # the buyer approves at PayPal
        return HttpResponseRedirect(reverse("commerce:confirm_payment", args=[order.pk]))
    if order.status == OrderStatus.PENDING_PAYMENT and status == PaymentStatus.FAILED:
        return HttpResponseRedirect(reverse("commerce:pay_order", args=[order.pk]))
    if status == PaymentStatus.SUCCEEDED:
        messages.success(request, f"Thank you: order {order.pk} is paid.")
    return HttpResponseRedirect(reverse("commerce:order", args=[order.pk]))


def _place_and_pay(buyer: User, cart: Cart | None, data: dict[str, Any]) -> tuple[Order, Payment]:
    """Place the cart's order under the form's key and charge it. The same form sent twice
    finds the order its key placed and answers that order's outcome without charging again
    (a charge still in flight is waited for by ``pay_order``)."""
    key = data["idempotency_key"]
    order = Order.objects.filter(buyer=buyer, idempotency_key=key).first()
    if order is not None:
        payment = _latest_payment(order)
        if payment is not None and payment.status != PaymentStatus.PROCESSING:
            return order, payment
        return order, pay_order(order=order, payment_method=data["payment_method"])
    if cart is None:
        raise field_error(CommerceErrorCode.CART_EMPTY, "cart", "Your cart is empty.")
    order, payment, _ = checkout_cart(
        buyer=buyer,
        cart=cart,
        details=CheckoutInput(country=data["country"], region=data["region"], name=data["name"]),
        idempotency_key=key,
        payment_method=data["payment_method"],
        provider=data.get("provider", ""),
    )
    return order, payment


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@allow_form_action(lambda _request: paypal_approval_origins())
def checkout(request: HttpRequest) -> HttpResponse:
    buyer = signed_in_user(request)
    cart = carts.find_cart(buyer=buyer, token=_cart_token(request, create=False))
    is_test_mode = get_provider().is_test_mode
    summary_url = reverse("commerce:checkout")
    providers = checkout_providers()
    if request.method == "POST":
        form = CheckoutForm(
            request.POST, is_test_mode=is_test_mode, summary_url=summary_url, providers=providers
        )
        if form.is_valid():
            try:
                order, payment = _place_and_pay(buyer, cart, form.cleaned_data)
            except DomainError as error:
                form.add_domain_error(_not_found_or(error))
            else:
                return _next_step(request, order, payment)
        address = _address(request.POST)
    else:
        address = _address(request.GET)
        form = CheckoutForm(
            initial={
                "idempotency_key": new_idempotency_key(),
                "name": buyer.full_name,
                "country": address.country,
                "region": address.region,
            },
            is_test_mode=is_test_mode,
            summary_url=summary_url,
            providers=providers,
        )
    context = _cart_summary(cart, buyer, address)
    products = [line.product for line in context.pop("lines", []) if line.product is not None]
    context.update(
        form=form,
        is_test_mode=is_test_mode,
        test_cards=sandbox_cards(),
        terms=checkout_terms(products),
    )
    return render(request, "commerce/checkout.html", context)


def _own_order(request: HttpRequest, order_id: int) -> Order:
    order = selectors.buyer_order(signed_in_user(request), order_id)
    if order is None:
        raise Http404("No such order")
    return order


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@allow_form_action(lambda _request: paypal_approval_origins())
def pay_order_page(request: HttpRequest, order_id: int) -> HttpResponse:
    """Pay an unpaid order again, with another card after a decline."""
    order = _own_order(request, order_id)
    payment = _latest_payment(order)
    if order.status != OrderStatus.PENDING_PAYMENT or (
        payment is not None and payment.status != PaymentStatus.FAILED
    ):
        return _next_step(request, order, payment)
    is_test_mode = get_provider(order.provider).is_test_mode
    # Bound on any POST: paying again with PayPal posts no field at all.
    form = PaymentForm(
        request.POST if request.method == "POST" else None, is_test_mode=is_test_mode
    )
    if order.provider == "paypal":
        del form.fields["payment_method"]  # paying again is approving again at PayPal
    if request.method == "POST" and form.is_valid():
        try:
            payment = charge_order(
                order=order, payment_method=form.cleaned_data.get("payment_method", "")
            )
        except DomainError as error:
            form.add_domain_error(_not_found_or(error))
        else:
            if payment.status != PaymentStatus.FAILED:
                return _next_step(request, order, payment)
    context = {
        "order": order,
        "total": _money(order.total, order.currency),
        "failure": payment.failure_message if payment is not None else "",
        "form": form,
        "is_test_mode": is_test_mode,
        "test_cards": sandbox_cards(),
    }
    return render(request, "commerce/pay.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def confirm_order_payment(request: HttpRequest, order_id: int) -> HttpResponse:
    """The 3-D Secure step: the code the bank sent (the sandbox's is fixed)."""
    order = _own_order(request, order_id)
    payment = _latest_payment(order)
    if payment is None or payment.status != PaymentStatus.REQUIRES_ACTION:
        return _next_step(request, order, payment)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = confirm_payment(order=order, confirmation=form.cleaned_data["code"])
        except DomainError as error:
            form.add_domain_error(_not_found_or(error))
        else:
            order.refresh_from_db()
            return _next_step(request, order, payment)
    bank_url = payment.action_url if payment.action_url.startswith("https://") else ""
    context = {
        "order": order,
        "total": _money(order.total, order.currency),
        "form": form,
        "bank_url": bank_url,
        "sandbox_code": THREE_D_SECURE_CODE if payment.provider == "sandbox" else "",
    }
    return render(request, "commerce/confirm.html", context)


@login_required
@require_POST
def cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    if cancel_order(order_id=order.pk, actor=order.buyer, actor_label="buyer"):
        messages.success(request, f"Order {order.pk} is cancelled.")
    else:
        messages.error(request, "Only an unpaid order can be cancelled.")
    return HttpResponseRedirect(reverse("commerce:order", args=[order.pk]))


# --- the buyer's orders -------------------------------------------------------------------------


def _line_row(
    line: OrderLine,
    currency: str,
    *,
    received: list[Received] | None = None,
    is_reviewable: bool = False,
) -> dict[str, Any]:
    return {
        "id": line.pk,
        "title": line.title,
        "quantity": line.quantity,
        "unit_price": _money(line.unit_amount, currency),
        "discount": _money(line.discount_amount, currency) if line.discount_amount else "",
        "tax": _money(line.tax_amount, currency),
        "total": _money(line.total, currency),
        "refunded": _money(line.refunded_amount, currency) if line.refunded_amount else "",
        "status": LineStatus(line.status).label,
        "received": received or [],
        "review_url": reverse("storefront:write_review", args=[line.pk]) if is_reviewable else "",
    }


# The order's history in a buyer's words: what happened, not which status became which.
HISTORY_WORDS = {
    OrderStatus.PENDING_PAYMENT: "Order placed",
    OrderStatus.PAID: "Payment received",
    OrderStatus.FULFILLING: "Being delivered",
    OrderStatus.FULFILLED: "Delivered",
    OrderStatus.COMPLETED: "Completed",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.PARTIALLY_REFUNDED: "Partly refunded",
    OrderStatus.REFUNDED: "Refunded",
    OrderStatus.DISPUTED: "Disputed",
}
# The forward path of an order; a step back along it (a sub-order that ran ahead of its order
# and is moved with the rest) is bookkeeping, not news.
FORWARD_PATH: list[str] = [
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.FULFILLING,
    OrderStatus.FULFILLED,
    OrderStatus.COMPLETED,
]
# Notes written for the books (the payment provider and its charge id) never reach the buyer.
QUIET_NOTE_STATUSES = {OrderStatus.PAID, OrderStatus.FULFILLING}
NOTE_WORDS = {
    "unpaid": "not paid in time",
    "dispute won": "the dispute was decided for the seller",
    "dispute lost": "the dispute was decided for you",
}


ECHO_WINDOW = timedelta(seconds=2)
# Steps someone decided (who is worth saying); the rest follow from the payment on their own.
DECIDED_STATUSES = {
    OrderStatus.CANCELLED,
    OrderStatus.PARTIALLY_REFUNDED,
    OrderStatus.REFUNDED,
    OrderStatus.DISPUTED,
}


def _is_step_back(from_status: str, to_status: str) -> bool:
    if from_status not in FORWARD_PATH or to_status not in FORWARD_PATH:
        return False
    return FORWARD_PATH.index(to_status) < FORWARD_PATH.index(from_status)


def _actor_words(label: str) -> str:
    if label == "buyer":
        return "You"
    if label == "seller":
        return "The seller"
    if label == "operator":
        return "The marketplace"
    return ""  # the system, a timer or the payment provider: nobody the buyer knows


def _history(transitions: list[OrderTransition], sellers: dict[int, str]) -> list[dict[str, Any]]:
    """Oldest first. A sub-order's step shows only where it says something the order's own
    steps do not (one seller delivered before another); with one seller it never does."""
    said = [(t.to_status, t.created_at) for t in transitions if t.sub_order_id is None]

    def is_echo(step: OrderTransition) -> bool:  # written with the order's own step
        return any(
            status == step.to_status and abs(at - step.created_at) < ECHO_WINDOW
            for status, at in said
        )

    steps = []
    for t in transitions:
        if t.sub_order_id is not None and (
            len(sellers) == 1 or is_echo(t) or _is_step_back(t.from_status, t.to_status)
        ):
            continue
        words = (
            HISTORY_WORDS.get(OrderStatus(t.to_status), "")
            if t.to_status in OrderStatus.values
            else ""
        )
        if not words:
            continue
        note = "" if t.to_status in QUIET_NOTE_STATUSES else NOTE_WORDS.get(t.note, t.note)
        steps.append(
            {
                "at": t.created_at,
                "what": f"{sellers.get(t.sub_order_id, '')}: {words}" if t.sub_order_id else words,
                "note": note,
                "by": _actor_words(t.actor_label) if t.to_status in DECIDED_STATUSES else "",
            }
        )
    return steps


@never_cache
@login_required
@require_safe
def order_list(request: HttpRequest) -> HttpResponse:
    orders = (
        selectors.buyer_orders(signed_in_user(request))
        .annotate(line_count=Count("lines"))
        .order_by("-id")
    )
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "order": order,
            "status": _status_label(order.status),
            "total": _money(order.total, order.currency),
        }
        for order in page.object_list
    ]
    return render(request, "commerce/orders.html", {"page": page, "rows": rows})


def _own_sales(request: HttpRequest, sub_orders: list[SubOrder]) -> set[int]:
    """Sub-orders the viewer sold (owner or teammate): they cannot review their own sale."""
    user = signed_in_user(request)
    sellers = {sub.seller_id for sub in sub_orders}
    mine = {sub.seller_id for sub in sub_orders if sub.seller.owner_id == user.pk}
    if sellers - mine:
        mine |= set(
            TeamMember.objects.filter(user=user, seller_id__in=sellers - mine).values_list(
                "seller_id", flat=True
            )
        )
    return {sub.pk for sub in sub_orders if sub.seller_id in mine}


@never_cache
@login_required
@require_safe
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    payment = _latest_payment(order)
    currency = order.currency
    order_lines = list(order.lines.all())
    received = received_by_line(order_lines)
    reviewed = set(
        Review.objects.filter(order_line__order=order).values_list("order_line_id", flat=True)
    )
    sub_orders = list(order.sub_orders.select_related("seller"))
    own_sales = _own_sales(request, sub_orders)
    lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in order_lines:
        is_reviewable = (
            is_line_reviewable(line)
            and line.pk not in reviewed
            and line.sub_order_id not in own_sales
        )
        row = _line_row(line, currency, received=received.get(line.pk), is_reviewable=is_reviewable)
        lines[line.sub_order_id].append(row)
    sellers = {sub.pk: sub.seller.business_name for sub in sub_orders}
    context = {
        "order": order,
        "status": _status_label(order.status),
        "is_pending": order.status == OrderStatus.PENDING_PAYMENT,
        "payment": payment,
        "payment_status": PaymentStatus(payment.status).label if payment else "",
        "sub_orders": [
            {
                "seller": sub.seller,
                "status": _status_label(sub.status),
                "subtotal": _money(sub.subtotal, currency),
                "tax": _money(sub.tax_total, currency),
                "total": _money(sub.total, currency),
                "lines": lines[sub.pk],
            }
            for sub in sub_orders
        ],
        "totals": {
            "subtotal": _money(order.subtotal, currency),
            "discount": _money(order.discount_total, currency) if order.discount_total else "",
            "tax": _money(order.tax_total, currency),
            "total": _money(order.total, currency),
            "refunded": _money(order.refunded_total, currency) if order.refunded_total else "",
        },
        "history": _history(list(order.transitions.all()), sellers),
        "invoice_number": Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE)
        .values_list("number", flat=True)
        .first(),
        "is_test_mode": get_provider(order.provider).is_test_mode,
    }
    return render(request, "commerce/order.html", context)


@never_cache
@login_required
@require_safe
def invoice_pdf(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    invoice = Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).first()
    if invoice is None:
        raise Http404("This order has no invoice yet")
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", invoice.number)
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


@never_cache
@login_required
@require_safe
def paypal_return(request: HttpRequest) -> HttpResponse:
    """PayPal sends the buyer here after approving (``?token=<PayPal order>&PayerID=...``):
    the order is captured and the buyer lands on it, or on paying again after a decline."""
    try:
        payment = complete_paypal_approval(
            buyer=signed_in_user(request), token=request.GET.get("token", "")[:64]
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404("No such PayPal payment") from None
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("commerce:orders"))
    if payment.status == PaymentStatus.FAILED:
        messages.error(request, payment.failure_message or "PayPal declined the payment.")
    return _next_step(request, payment.order, payment)


@never_cache
@login_required
@require_safe
def paypal_cancel(request: HttpRequest) -> HttpResponse:
    """The buyer turned back at PayPal: the order is cancelled and the cart is as it was."""
    try:
        cancel_paypal_checkout(
            buyer=signed_in_user(request), token=request.GET.get("token", "")[:64]
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404("No such PayPal payment") from None
        raise
    messages.info(request, "You cancelled at PayPal; your cart is as you left it.")
    return HttpResponseRedirect(reverse("commerce:checkout"))
