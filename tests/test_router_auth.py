"""Authorisation runs once, on the router, before the request is read: a caller without the
role, scope or team permission is refused with the same code whatever body they send, and
an invalid body from them is never parsed (403, not 422)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django_tenants.utils import schema_context
from ninja import Router

from api.v1 import api
from core.commerce.models import DiscountCode
from core.integrations.models import CallKind, IntegrationCall, WebhookEndpoint
from core.sellers.auth import behind_seller_key_auth, key_permissions, seller_key_auth
from core.sellers.models import Seller, TeamMember, TeamPermission, VerificationStatus
from core.sellers.services.api_keys import create_api_key
from tests.accounts_helpers import call, make_user, sign_in
from tests.catalog_helpers import make_seller

GARBAGE = {"not": "a field"}
# tenant (2), the key's seller (1: the key itself is cached), the endpoints, the log row
QUERIES_PER_PARTNER_LIST = 6


def _signed_in_buyer(client_for, tenant, email="buyer@example.com"):
    client = client_for(tenant)
    make_user(tenant, email)
    sign_in(client, email)
    return client


def _team_member(client_for, tenant, permissions):
    client = client_for(tenant)
    owner = make_user(tenant, "owner@example.com")
    member = make_user(tenant, "member@example.com")
    with schema_context(tenant.schema_name):
        seller = Seller.objects.create(
            owner=owner,
            slug="team",
            business_name="Team",
            legal_form="company",
            verification_status=VerificationStatus.VERIFIED,
        )
        TeamMember.objects.create(seller=seller, user=member, permissions=permissions)
    sign_in(client, "member@example.com")
    return client


def _refused(response):
    return response.status_code, response.json()["error"]["code"]


@pytest.mark.parametrize(
    "path",
    [
        "/operator/commerce/tax-rules",
        "/operator/commerce/discount-codes",
        "/operator/subscriptions/1/cancel",
        "/operator/catalog/categories",
        "/operator/payouts",
    ],
)
def test_a_buyer_is_refused_by_operator_routers_before_the_body_is_read(client_for, tenant_a, path):
    client = _signed_in_buyer(client_for, tenant_a)
    method = "get" if path == "/operator/payouts" else "post"
    body = None if method == "get" else GARBAGE
    assert _refused(call(client, method, path, body)) == (403, "forbidden_role")


@pytest.mark.parametrize(
    "path",
    [
        "/seller/discount-codes",
        "/seller/recurring-prices",
        "/seller/reviews/1/reply",
        "/seller/products",
        "/seller/payouts/schedule",
    ],
)
def test_a_buyer_is_refused_by_seller_routers_before_the_body_is_read(client_for, tenant_a, path):
    client = _signed_in_buyer(client_for, tenant_a)
    method = "put" if path.endswith("/schedule") else "post"
    assert _refused(call(client, method, path, GARBAGE)) == (403, "not_a_seller")


def test_seller_commerce_checks_each_operations_team_permission_first(client_for, tenant_a):
    client = _team_member(client_for, tenant_a, ["process_orders"])
    assert call(client, "get", "/seller/offers").status_code == 200
    refused = call(client, "post", "/seller/discount-codes", GARBAGE)
    assert _refused(refused) == (403, "permission_denied")
    assert refused.json()["error"]["details"] == {"required_permission": "manage_products"}
    with schema_context(tenant_a.schema_name):
        assert not DiscountCode.objects.exists()


def test_seller_reviews_admit_a_teammate_holding_either_reply_permission(client_for, tenant_a):
    client = _team_member(client_for, tenant_a, ["process_orders"])
    assert call(client, "get", "/seller/reviews").status_code == 200


def test_seller_reviews_refuse_a_teammate_holding_neither_reply_permission(client_for, tenant_a):
    client = _team_member(client_for, tenant_a, ["manage_products"])
    refused = call(client, "post", "/seller/reviews/1/reply", GARBAGE)
    assert _refused(refused) == (403, "permission_denied")
    assert refused.json()["error"]["details"] == {
        "required_permissions_any": ["manage_customers", "process_orders"]
    }


def test_orders_and_checkout_refuse_a_read_only_token_before_the_body_is_read(client_for, tenant_a):
    client = _signed_in_buyer(client_for, tenant_a)
    token = call(client, "post", "/me/tokens", {"name": "ro", "scopes": ["read"]}).json()["token"]
    bearer = client_for(tenant_a)
    headers = {"Authorization": f"Bearer {token}"}
    assert call(bearer, "get", "/orders", **headers).status_code == 200
    for path in ("/checkout", "/orders/1/pay", "/me/offers/1/decline"):
        refused = call(bearer, "post", path, GARBAGE, **headers)
        assert _refused(refused) == (403, "insufficient_scope"), path
        assert refused.json()["error"]["details"] == {"required_scope": "write"}


def test_seller_account_router_refuses_a_token_without_the_seller_scope_before_the_body_is_read(
    client_for, tenant_a
):
    client = _signed_in_buyer(client_for, tenant_a)
    token = call(client, "post", "/me/tokens", {"name": "rw", "scopes": ["read", "write"]})
    bearer = client_for(tenant_a)
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    refused = call(bearer, "post", "/seller/onboarding", GARBAGE, **headers)
    assert _refused(refused) == (403, "insufficient_scope")
    assert call(client_for(tenant_a), "post", "/seller/onboarding", GARBAGE).status_code == 401


def test_an_invitee_who_is_not_a_seller_yet_reaches_the_accept_endpoint(client_for, tenant_a):
    client = _signed_in_buyer(client_for, tenant_a)
    answer = call(client, "post", "/seller/team/invitations/accept", {"name": "no-such-token"})
    # reached the service, which refuses the unknown token (not the router's 401/403)
    assert _refused(answer) == (400, "invitation_invalid")


def test_api_keys_need_the_configure_integration_permission_before_the_body_is_read(
    client_for, tenant_a
):
    client = _team_member(client_for, tenant_a, ["process_orders"])
    refused = call(client, "post", "/seller/api-keys", GARBAGE)
    assert _refused(refused) == (403, "permission_denied")
    assert _refused(call(client, "get", "/operator/sellers/1")) == (403, "forbidden_role")


# --- the partner API (X-API-Key) -----------------------------------------------------------------

PARTNER_PREFIXES = ("partner/v1",)
ANY_KEY_OPERATIONS = {("GET", "partner/v1/seller")}  # a key may always ask whose it is


def _partner_operations():
    for bound in api._get_bound_routers():
        prefix = bound.prefix.strip("/")
        if not prefix.startswith(PARTNER_PREFIXES):
            continue
        for path, path_view in bound.path_operations.items():
            route = "/".join(part for part in (prefix, path.strip("/")) if part)
            for operation in path_view.operations:
                for method in operation.methods:
                    yield method, route, operation


def test_every_partner_operation_names_the_key_permission_it_needs():
    operations = list(_partner_operations())
    routes = {route for _method, route, _operation in operations}
    # the walk sees core's, the integrations' (both mounts) and each module's partner routes
    assert {
        "partner/v1/seller",
        "partner/v1/integrations/webhooks",
        "partner/v1/licensing/webhooks",
        "partner/v1/licensing/products",
        "partner/v1/gigs/orders",
    } <= routes
    unguarded = []
    for method, route, operation in operations:
        permissions = key_permissions(operation.auth_callbacks)
        any_key = (method, route) in ANY_KEY_OPERATIONS
        if permissions != () if any_key else not permissions:
            unguarded.append(f"{method} {route}: {operation.auth_callbacks!r}")
    assert unguarded == []


def test_a_partner_router_with_an_operation_naming_no_key_permission_is_refused_at_start_up():
    router = Router()

    @router.get("/guarded", auth=seller_key_auth(TeamPermission.PROCESS_ORDERS))
    def guarded(request: HttpRequest) -> None: ...

    @router.get("/forgotten")
    def forgotten(request: HttpRequest) -> None: ...

    with pytest.raises(ImproperlyConfigured, match="forgotten"):
        behind_seller_key_auth(router)
    router.auth = seller_key_auth(TeamPermission.VIEW_ANALYTICS)  # the router names one
    assert behind_seller_key_auth(router) is router


def _key_client(client_for, tenant, seller, permissions):
    with schema_context(tenant.schema_name):
        owner = seller.owner
        issued = create_api_key(
            seller=seller, name="ERP", created_by=owner, permissions=list(permissions)
        )
    client = client_for(tenant)
    client.defaults["HTTP_X_API_KEY"] = issued.raw
    return client


@pytest.fixture
def licensing_market(make_tenant):
    return make_tenant("licence-lane", modules=["licensing"]).tenant


def test_a_key_without_the_permission_is_refused_before_the_body_is_read_and_logged(
    client_for, licensing_market
):
    tenant_a = licensing_market
    seller = make_seller(tenant_a, "acme")
    key = _key_client(client_for, tenant_a, seller, ["process_orders"])
    for path in ("/partner/v1/integrations/webhooks", "/partner/v1/licensing/products"):
        refused = call(key, "post", path, GARBAGE)
        assert _refused(refused) == (403, "permission_denied"), path
    assert refused.json()["error"]["details"] == {"required_permission": "manage_products"}
    assert call(key, "get", "/partner/v1/seller").json()["slug"] == "acme"  # any key may
    with schema_context(tenant_a.schema_name):
        assert not WebhookEndpoint.objects.exists()
        logged = list(
            IntegrationCall.objects.filter(seller=seller, kind=CallKind.API)
            .order_by("id")
            .values_list("response_status", "url")
        )
    assert (403, "POST /api/v1/partner/v1/integrations/webhooks") in logged
    assert (403, "POST /api/v1/partner/v1/licensing/products") in logged
    assert (200, "GET /api/v1/partner/v1/seller") in logged


def test_a_key_of_another_marketplace_is_unknown_here(client_for, tenant_a, tenant_b):
    seller = make_seller(tenant_a, "acme")
    key = _key_client(client_for, tenant_a, seller, ["configure_integration"])
    assert call(key, "get", "/partner/v1/integrations/webhooks").status_code == 200
    elsewhere = client_for(tenant_b)
    elsewhere.defaults["HTTP_X_API_KEY"] = key.defaults["HTTP_X_API_KEY"]
    assert call(elsewhere, "get", "/partner/v1/integrations/webhooks").status_code == 401
    assert call(elsewhere, "post", "/partner/v1/integrations/webhooks", GARBAGE).status_code == 401
    assert call(elsewhere, "get", "/partner/v1/seller").status_code == 401


def test_another_sellers_webhook_endpoint_is_not_found_through_a_key(client_for, tenant_a):
    acme = make_seller(tenant_a, "acme")
    pixel = make_seller(tenant_a, "pixel")
    with schema_context(tenant_a.schema_name):
        endpoint = WebhookEndpoint.objects.create(
            seller=acme, url="https://hooks.acme.example/souk", events=["order.paid"]
        )
    acme_key = _key_client(client_for, tenant_a, acme, ["configure_integration"])
    pixel_key = _key_client(client_for, tenant_a, pixel, ["configure_integration"])
    path = f"/partner/v1/integrations/webhooks/{endpoint.pk}"
    assert call(acme_key, "get", path).json()["id"] == endpoint.pk
    assert call(pixel_key, "get", path).status_code == 404
    assert call(pixel_key, "delete", path).status_code == 404
    assert call(pixel_key, "get", "/partner/v1/integrations/webhooks").json() == {"items": []}
    with schema_context(tenant_a.schema_name):
        assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_a_partner_call_reads_the_keys_seller_once(
    client_for, tenant_a, django_assert_max_num_queries
):
    seller = make_seller(tenant_a, "acme")
    key = _key_client(client_for, tenant_a, seller, ["configure_integration"])
    call(key, "get", "/partner/v1/integrations/webhooks")  # the key is cached from here on
    with django_assert_max_num_queries(QUERIES_PER_PARTNER_LIST):
        assert call(key, "get", "/partner/v1/integrations/webhooks").status_code == 200
