"""Authorisation runs once, on the router, before the request is read: a caller without the
role, scope or team permission is refused with the same code whatever body they send, and
an invalid body from them is never parsed (403, not 422)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import DiscountCode
from core.sellers.models import Seller, TeamMember, VerificationStatus
from tests.accounts_helpers import call, make_user, sign_in

GARBAGE = {"not": "a field"}


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
