"""``/api/v1/`` on every tenant host: one NinjaAPI composed from core and module routers.
Routers are mounted once for all tenants; ModuleGuardMiddleware answers 404 for a module that
is off for the current tenant."""

from __future__ import annotations

from django.utils.module_loading import import_string
from ninja import NinjaAPI, Router, Swagger

from api.auth import shopper_auth, user_auth
from api.errors import install_error_handlers
from api.parsers import JsonBodyParser
from api.throttles import ApiThrottle
from api.url_index import by_first_segment
from core.accounts.api import auth_router, me_router, operator_users_router
from core.accounts.auth import buyer_auth, operator_auth, seller_account_auth
from core.accounts.models import TokenScope
from core.catalog.api import catalog_router, operator_catalog_router, seller_products_router
from core.commerce.api import (
    buyer_offers_router,
    cart_router,
    checkout_router,
    orders_router,
)
from core.commerce.api_documents import documents_router, operator_reports_router
from core.commerce.api_manage import operator_commerce_router, seller_commerce_router
from core.commerce.api_payments import payments_router
from core.commerce.api_payouts import operator_payouts_router, seller_payouts_router
from core.conversations.api import chats_router, operator_messages_router
from core.deadlines.api import operator_deadlines_router
from core.disputes.api import disputes_router
from core.integrations.api import integrations_partner_router, log_partner_calls
from core.notifications.api import notifications_router
from core.realtime.api import realtime_router
from core.recommendations.api import recommendations_router
from core.registry import get_registry
from core.reviews.api import (
    my_reviews_router,
    operator_reviews_router,
    reviews_router,
    seller_profile_reviews_router,
    seller_reviews_router,
)
from core.reviews.selectors import replying_seller
from core.sellers.api import (
    operator_sellers_router,
    partner_router,
    public_sellers_router,
    seller_api_keys_router,
    seller_router,
)
from core.sellers.auth import (
    any_seller_key_auth,
    behind_seller_key_auth,
    behind_seller_team_auth,
    seller_auth_found_by,
    seller_team_auth,
)
from core.sellers.models import TeamPermission
from core.subscriptions.api import (
    my_subscriptions_router,
    operator_subscriptions_router,
    seller_recurring_prices_router,
    seller_subscriptions_router,
)
from tenants.api import marketplace_router
from tenants.support_audit import operator_support_router


def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="Souk marketplace API",
        version="1",
        description="The API of one marketplace. Errors always answer "
        '`{"error": {"code", "message", "details"}, "request_id"}`.',
        urls_namespace="api-v1",
        docs_url="/docs",
        docs=Swagger(settings={"validatorUrl": "none"}),
        throttle=[ApiThrottle()],
        parser=JsonBodyParser(),
    )
    install_error_handlers(api)
    api.add_router("/marketplace", marketplace_router, tags=["marketplace"])
    api.add_router("/auth", auth_router, tags=["auth"])
    api.add_router("/me", me_router, auth=user_auth, tags=["me"])
    api.add_router("/operator/users", operator_users_router, auth=user_auth, tags=["operator"])
    api.add_router(
        "/operator/support-sessions", operator_support_router, auth=user_auth, tags=["operator"]
    )
    api.add_router(
        "/operator/deadlines", operator_deadlines_router, auth=user_auth, tags=["operator"]
    )
    api.add_router("/seller", seller_router, auth=seller_account_auth(), tags=["seller"])
    api.add_router("/realtime", realtime_router, auth=user_auth, tags=["real time"])
    api.add_router("/chats", chats_router, auth=user_auth, tags=["chats"])
    api.add_router(
        "/operator/messages", operator_messages_router, auth=operator_auth(), tags=["operator"]
    )
    api.add_router("/notifications", notifications_router, auth=user_auth, tags=["notifications"])
    api.add_router("/disputes", disputes_router, auth=user_auth, tags=["disputes"])
    api.add_router(
        "/seller/api-keys",
        seller_api_keys_router,
        auth=seller_team_auth(TeamPermission.CONFIGURE_INTEGRATION),
        tags=["seller"],
    )
    api.add_router(
        "/operator/sellers", operator_sellers_router, auth=operator_auth(), tags=["operator"]
    )
    api.add_router("/sellers", public_sellers_router, tags=["sellers"])
    api.add_router("/catalog", catalog_router, tags=["catalog"])
    api.add_router("/recommendations", recommendations_router, tags=["recommendations"])
    api.add_router(
        "/seller/products",
        seller_products_router,
        auth=seller_team_auth(TeamPermission.MANAGE_PRODUCTS),
        tags=["seller"],
    )
    api.add_router(
        "/operator/catalog", operator_catalog_router, auth=operator_auth(), tags=["operator"]
    )
    # The partner API (X-API-Key): every operation names the key permission it needs
    # (seller_key_auth); the root only tells a key whose seller it is, so any key may ask.
    # Every partner call, refusals included, goes to the seller's integration log.
    partner_root = Router()
    partner_root.add_decorator(log_partner_calls, mode="view")
    partner_root.add_router("", partner_router)
    api.add_router("/partner/v1", partner_root, auth=any_seller_key_auth(), tags=["partner"])
    api.add_router(
        "/partner/v1/integrations",
        behind_seller_key_auth(integrations_partner_router),
        tags=["partner"],
    )
    api.add_router("/payments", payments_router, tags=["payments"])
    api.add_router("/documents", documents_router, auth=user_auth, tags=["documents"])
    api.add_router("/operator/reports", operator_reports_router, auth=user_auth, tags=["operator"])
    api.add_router("/cart", cart_router, auth=shopper_auth, tags=["cart"])
    api.add_router(
        "/checkout", checkout_router, auth=buyer_auth(TokenScope.WRITE), tags=["checkout"]
    )
    api.add_router("/orders", orders_router, auth=buyer_auth(TokenScope.READ), tags=["orders"])
    api.add_router(
        "/me/offers", buyer_offers_router, auth=buyer_auth(TokenScope.READ), tags=["orders"]
    )
    api.add_router(
        "/seller/payouts",
        seller_payouts_router,
        auth=seller_team_auth(TeamPermission.CONFIGURE_INTEGRATION),
        tags=["seller"],
    )
    api.add_router("/seller", seller_commerce_router, auth=user_auth, tags=["seller"])
    api.add_router(
        "/operator/commerce", operator_commerce_router, auth=operator_auth(), tags=["operator"]
    )
    api.add_router(
        "/operator/payouts", operator_payouts_router, auth=operator_auth(), tags=["operator"]
    )
    api.add_router("/catalog/products", reviews_router, tags=["reviews"])
    api.add_router("/sellers", seller_profile_reviews_router, tags=["reviews"])
    api.add_router(
        "/me/reviews", my_reviews_router, auth=buyer_auth(TokenScope.READ), tags=["reviews"]
    )
    api.add_router(
        "/seller/reviews",
        seller_reviews_router,
        auth=seller_auth_found_by(replying_seller),  # manage_customers or process_orders
        tags=["seller"],
    )
    api.add_router(
        "/operator/reviews", operator_reviews_router, auth=operator_auth(), tags=["operator"]
    )
    api.add_router(
        "/me/subscriptions",
        my_subscriptions_router,
        auth=buyer_auth(TokenScope.READ),
        tags=["subscriptions"],
    )
    api.add_router(
        "/seller/recurring-prices",
        seller_recurring_prices_router,
        auth=seller_team_auth(TeamPermission.MANAGE_PRODUCTS),
        tags=["seller"],
    )
    api.add_router(
        "/seller/subscriptions",
        seller_subscriptions_router,
        auth=seller_team_auth(TeamPermission.PROCESS_ORDERS),
        tags=["seller"],
    )
    api.add_router(
        "/operator/subscriptions",
        operator_subscriptions_router,
        auth=operator_auth(),
        tags=["operator"],
    )
    for manifest in get_registry():
        if manifest.router:
            router: Router = import_string(manifest.router)
            api.add_router("/" + manifest.api_prefix.rstrip("/"), router, tags=[manifest.key])
        if manifest.seller_router:
            # The manifest's permissions are checked here, once, for every operation.
            seller: Router = import_string(manifest.seller_router)
            api.add_router(
                f"/{manifest.api_prefix}seller",
                behind_seller_team_auth(seller, manifest.permissions),
                tags=[manifest.key],
            )
        if manifest.partner_router:
            # Each operation (or the router) names its key permission; one that does not
            # is refused here, at start-up.
            partner: Router = import_string(manifest.partner_router)
            api.add_router(
                "/" + manifest.partner_prefix.rstrip("/"),
                behind_seller_key_auth(partner),
                tags=["partner"],
            )
    _name_second_mounts(api)
    return api


def _name_second_mounts(api: NinjaAPI) -> None:
    """core/integrations' partner endpoints are mounted twice (at core's path and, for the
    licensing contract, under licensing's); the operations at core's path get their own
    OpenAPI operation ids (``partner_integrations_<view>``), so every id stays unique."""
    for bound in api._get_bound_routers():
        if bound.prefix.strip("/").startswith("partner/v1/integrations"):
            for path_view in bound.path_operations.values():
                for operation in path_view.operations:
                    operation.operation_id = f"partner_integrations_{operation.view_func.__name__}"


api = build_api()
# What core/urls.py mounts at /api/v1/: the same patterns, found in a few steps (url_index).
flat_urls = api.urls  # each call makes new view wrappers: one list, regrouped
urls = by_first_segment(flat_urls)
