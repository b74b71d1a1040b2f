"""The getting-started checklist of a new marketplace. Every item is read from the state it is
about (a logo stored, a category made, a seller verified...), never ticked by hand, and links
to the page that does it. ``getting_started(tenant)`` is the one reader: the checklist page
and the dashboard's progress card (``backoffice/_getting_started_card.html``) both use it."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from core.catalog.models import Category, Product, ProductStatus
from core.commerce.models import CategoryCommission, TaxRule
from core.commerce.selectors import commerce_settings
from core.payments.providers import get_provider
from core.sellers.models import Seller, VerificationStatus
from tenants.models import Branding, Tenant
from tenants.selectors import enabled_manifests


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    # What is there now, in a sentence ("Logo uploaded", "2 categories").
    state: str
    is_done: bool
    href: str  # the page that does it; "" while that page is not built
    action: str


@dataclass(frozen=True)
class Checklist:
    items: tuple[ChecklistItem, ...]

    @property
    def done_count(self) -> int:
        return sum(item.is_done for item in self.items)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def is_complete(self) -> bool:
        return self.done_count == self.total

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total) if self.items else 100

    @property
    def next_item(self) -> ChecklistItem | None:
        return next((item for item in self.items if not item.is_done), None)


def _href(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # a section another page of issue 14 has not mounted yet
        return ""


def _branding_item(tenant: Tenant) -> ChecklistItem:
    branding: Branding | None = Branding.objects.filter(tenant=tenant).first()
    has_logo = bool(branding and branding.logo_url)
    return ChecklistItem(
        key="branding",
        title="Brand your marketplace",
        state="Logo uploaded" if has_logo else "No logo yet; colours and fonts are the defaults",
        is_done=has_logo,
        href=_href("operator:branding"),
        action="Upload a logo and pick colours",
    )


def _modules_item(tenant: Tenant) -> ChecklistItem:
    selling = [m.name for m in enabled_manifests(tenant) if m.product_types]
    return ChecklistItem(
        key="modules",
        title="Choose what you sell",
        state=("On: " + ", ".join(selling)) if selling else "No module that sells products is on",
        is_done=bool(selling),
        href=_href("operator:modules"),
        action="Turn modules on or off",
    )


def _categories_item() -> ChecklistItem:
    count = Category.objects.count()
    return ChecklistItem(
        key="categories",
        title="Build your categories",
        state=f"{count} categor{'y' if count == 1 else 'ies'}" if count else "No categories yet",
        is_done=count > 0,
        href=_href("operator:categories"),
        action="Add categories",
    )


def _payments_item() -> ChecklistItem:
    is_live = not get_provider().is_test_mode
    return ChecklistItem(
        key="payments",
        title="Take real payments",
        state="Live payments are on"
        if is_live
        else "Test mode: cards are simulated until the platform switches live payments on",
        is_done=is_live,
        href=_href("operator:payouts"),
        action="Review payouts",
    )


def _commission_and_taxes_item() -> ChecklistItem:
    rate = commerce_settings().commission_rate_bp
    has_taxes = TaxRule.objects.filter(is_active=True).exists()
    has_category_rates = CategoryCommission.objects.exists()
    commission = f"Commission {rate / 100:g}%" + (
        " with category rates" if has_category_rates else ""
    )
    return ChecklistItem(
        key="commission_taxes",
        title="Set commission and taxes",
        state=f"{commission}; " + ("tax rates set" if has_taxes else "no tax rates yet"),
        is_done=has_taxes,
        href=_href("operator:taxes") or _href("operator:commission"),
        action="Set commission and tax rates",
    )


def _sellers_item() -> ChecklistItem:
    verified = Seller.objects.filter(verification_status=VerificationStatus.VERIFIED).count()
    waiting = Seller.objects.filter(verification_status=VerificationStatus.PENDING).count()
    state = f"{verified} verified" if verified else "No verified sellers yet"
    if waiting:
        state += f"; {waiting} waiting for review"
    return ChecklistItem(
        key="sellers",
        title="Approve your first sellers",
        state=state,
        is_done=verified > 0,
        href=_href("operator:sellers"),
        action="Review sellers",
    )


def _publish_item(tenant: Tenant) -> ChecklistItem:
    live = Product.objects.filter(status=ProductStatus.PUBLISHED).count()
    is_open = tenant.is_owner_verified
    if not is_open:
        state = "Confirm the owner's e-mail address to open the marketplace"
    elif live:
        state = f"Open, {live} product{'s' if live != 1 else ''} live"
    else:
        state = "Open, but no product is live yet"
    return ChecklistItem(
        key="publish",
        title="Go live",
        state=state,
        is_done=is_open and live > 0,
        href=_href("operator:moderation"),
        action="Approve products",
    )


def getting_started(tenant: Tenant) -> Checklist:
    """The checklist of ``tenant`` (call in its schema)."""
    return Checklist(
        items=(
            _branding_item(tenant),
            _modules_item(tenant),
            _categories_item(),
            _payments_item(),
            _commission_and_taxes_item(),
            _sellers_item(),
            _publish_item(tenant),
        )
    )
