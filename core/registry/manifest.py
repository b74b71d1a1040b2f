"""The manifest a module declares in ``modules/<key>/manifest.py`` as ``manifest``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol

from django.utils.module_loading import import_string
from pydantic import BaseModel, ConfigDict
from typing_extensions import TypeVar

from core.registry.config import module_config
from core.registry.nav import NavEntry
from core.registry.notification_types import NotificationTypeSpec
from core.registry.product_types import ProductTypeSpec

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class OrderLineLike(Protocol):
    """What a fulfilment hook receives; the commerce app's order line satisfies it."""

    pk: Any


FulfilmentHook = Callable[[OrderLineLike], None]


class NoSettings(BaseModel):
    """The settings model of a module with no per-tenant tunables."""

    model_config = ConfigDict(extra="forbid")


# The module's settings model: ``ModuleManifest(settings_model=LicensingSettings, ...)`` is a
# ``ModuleManifest[LicensingSettings]``, so ``settings_for`` needs no cast in callers.
SettingsT = TypeVar("SettingsT", bound=BaseModel, default=BaseModel, covariant=True)


@dataclass(frozen=True, kw_only=True)
class ModuleManifest(Generic[SettingsT]):
    key: str
    name: str
    description: str = ""
    depends_on: tuple[str, ...] = ()
    # What the module sells (see core.registry.product_types); the catalogue accepts these
    # keys where the module is on, and nothing in core lists them.
    product_types: tuple[ProductTypeSpec, ...] = ()
    # Dotted paths keep the registry import-light and avoid cycles at start-up.
    router: str | None = None
    # A router for sellers' own systems, mounted at ``/api/v1/partner/v1/<key>/`` behind the
    # seller API keys (core.sellers) with the partner API's rate limits.
    partner_router: str | None = None
    # Where the router and the storefront pages are mounted; default "<key>/".
    api_path: str | None = None
    page_path: str | None = None
    settings_model: type[SettingsT] = NoSettings  # type: ignore[assignment]
    # Team permissions (core.sellers TeamPermission values) a teammate must hold, every one,
    # to use the module's seller side: ``seller_router`` and ``seller_urls`` are mounted
    # behind this check, once, by the composition root (the owner holds every permission).
    permissions: tuple[str, ...] = ()
    # The seller's API of the module, mounted at ``/api/v1/<api_prefix>seller/`` behind a
    # signed-in seller or teammate holding ``permissions`` (core.sellers.auth); handlers get
    # the seller from ``authorised_seller(request)``.
    seller_router: str | None = None
    # URL confs of the module's seller-studio and operator pages, mounted at
    # ``/studio/<page_prefix>`` (each view behind the ``permissions`` check) and
    # ``/operator/<page_prefix>`` (operators with a verified second factor).
    seller_urls: str | None = None
    operator_urls: str | None = None
    # Links to the module's pages, by area; the navigation is built from them (core.registry.nav).
    pages: tuple[NavEntry, ...] = ()
    # The module's step in the studio's product wizard for its product types: a dotted path to
    # a ``core.studio.products.steps.ProductStep`` (its form over the module's own details).
    studio_product_step: str | None = None
    # What the buyer received for one of the module's order lines (licence keys, downloads,
    # enrolments, bookings), shown on the order page: a dotted path to a function
    # ``(order_line) -> list[core.commerce.purchases.Received]``.
    purchase_summary: str | None = None
    fulfil: str | None = None
    revoke: str | None = None
    storefront_urls: str | None = None
    # A URL conf of public addresses a module must own at the site's root (each path's first
    # segment is the module's, e.g. courses' ``certificates/<code>/``), mounted after core's
    # and guarded like ``storefront_urls``: 404 where the module is off.
    root_urls: str | None = None
    # The reverse one-to-one accessor on catalog.Product of the module's details record
    # (e.g. "license_details"); the model defines ``as_api_dict()``.
    details_accessor: str | None = None
    is_default_enabled: bool = False
    # Per-tenant timers: (task name, seconds). Beat queues each in every active tenant's
    # schema (core/celery.py), so a module's timers need no edit outside its folder.
    timers: tuple[tuple[str, float], ...] = ()
    # Webhook event types the module emits (name -> what it tells the seller, e.g.
    # {"license.issued": "A licence was issued"}), fed to core.integrations at start-up:
    # sellers subscribe to them where the module is on, and ``emit_webhook`` sends them.
    webhook_events: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Notification types the module sends through core.notifications (preferences matrix).
    notification_types: tuple[NotificationTypeSpec, ...] = ()
    # Dotted path of ``hook(resolution)`` called (in the tenant's schema, inside the
    # resolution's transaction) when a dispute on a line of one of the module's types is
    # decided, e.g. a revision reopens a gig's delivery (core.disputes).
    dispute_resolved: str | None = None
    # The storefront's product page for one of the module's types: a dotted path to
    # ``panel(request, product) -> core.registry.panels.ProductPanel | None``. Its ``buy_box``
    # (HTML) replaces the default add-to-cart form (e.g. a package chooser), its ``sections``
    # (HTML) follow the description (e.g. an FAQ). Called only where the module is on.
    product_panel: str | None = None
    # Terms the buyer accepts at checkout for the module's products (a licence): a dotted path
    # to ``terms(products) -> list[core.registry.panels.CheckoutTerm]``, called with the
    # cart's products of the module's types, only where the module is on.
    checkout_terms: str | None = None
    # The storefront's seller profile: a dotted path to ``panel(request, seller) -> HTML | None``
    # shown under the seller's summary (e.g. gig delivery statistics) where the module is on.
    seller_profile_panel: str | None = None
    # Catalogue search facets the module adds (e.g. gigs' delivery time): a dotted path to a
    # tuple of ``core.catalog.search.query.ModuleFacetSpec``. The module keeps its products'
    # terms (``core.catalog.search.module_facets.set_module_keys``); both search backends
    # filter and count them, only where the module is on.
    search_facets: str | None = None
    # The module's demo data: a dotted path to ``populate(tenant_slug, *, password, seed) ->
    # bool``, run by ``demo_fleet`` in the schema of each demo marketplace where the module is
    # on and nobody sold before the run (after core's software catalogue, tenants/demo); it
    # adds the module's part where it has one for that marketplace and returns True.
    demo: str | None = None
    package: str = field(default="", compare=False)

    @property
    def product_type_keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.product_types)

    @property
    def api_prefix(self) -> str:
        """Mount point of the module's router under ``/api/v1/``."""
        return self.api_path or f"{self.key}/"

    @property
    def partner_prefix(self) -> str:
        """Mount point of the module's partner router under ``/api/v1/``."""
        return f"partner/v1/{self.key}/"

    @property
    def page_prefix(self) -> str:
        """Mount point of the module's storefront pages under ``/``."""
        return self.page_path or f"{self.key}/"

    def validate_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The tenant's config checked and completed with defaults (pydantic raises on bad)."""
        return self.settings_model.model_validate(config).model_dump(mode="json")

    def settings_for(self, tenant: Any) -> SettingsT:
        """The module's settings for ``tenant`` as its own model (defaults where the module
        was never configured there)."""
        return self.settings_model.model_validate(dict(module_config(tenant, self.key)))

    def load_fulfil(self) -> FulfilmentHook | None:
        return import_string(self.fulfil) if self.fulfil else None

    def load_revoke(self) -> FulfilmentHook | None:
        return import_string(self.revoke) if self.revoke else None
