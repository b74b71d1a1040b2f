"""Every role against every protected area: what each may and may not do."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.accounts.models import Role
from core.sellers.models import Seller, TeamMember, VerificationStatus
from tests.accounts_helpers import call, current_code, enrol_two_factor, make_user, sign_in

# (method, path, body) -> the areas they belong to
ENDPOINTS = {
    "me": ("get", "/me", None),
    "seller": ("get", "/seller/onboarding", None),
    "seller_keys": ("get", "/seller/api-keys", None),
    "operator_users": ("get", "/operator/users", None),
    "operator_sellers": ("get", "/operator/sellers", None),
}

EXPECTED = {
    #                 me    seller  seller_keys  operator_users  operator_sellers
    "anonymous": (401, 401, 401, 401, 401),
    "buyer": (200, 403, 403, 403, 403),
    "seller": (200, 200, 200, 403, 403),
    "team_member": (200, 403, 200, 403, 403),
    "operator_no_2fa": (200, 403, 403, 403, 403),
    "operator": (200, 403, 403, 200, 200),
}


def client_as(role: str, client_for, tenant):
    client = client_for(tenant)
    if role == "anonymous":
        return client
    email = f"{role}@example.com"
    user = make_user(
        tenant, email, role=Role.OPERATOR if role.startswith("operator") else Role.BUYER
    )
    if role == "seller":
        with schema_context(tenant.schema_name):
            Seller.objects.create(
                owner=user,
                slug="maker",
                business_name="Maker",
                legal_form="individual",
                verification_status=VerificationStatus.VERIFIED,
            )
    if role == "team_member":
        owner = make_user(tenant, "owner-of-team@example.com")
        with schema_context(tenant.schema_name):
            seller = Seller.objects.create(
                owner=owner,
                slug="team",
                business_name="Team",
                legal_form="company",
                verification_status=VerificationStatus.VERIFIED,
            )
            TeamMember.objects.create(
                seller=seller, user=user, permissions=["configure_integration"]
            )
    device = enrol_two_factor(tenant, user)[0] if role == "operator" else None
    outcome = sign_in(client, email).json()
    if device is not None:
        assert outcome["status"] == "otp_required"
        with schema_context(tenant.schema_name):
            code = current_code(device)
        assert call(client, "post", "/auth/login/otp", {"code": code}).status_code == 200
    return client


@pytest.mark.parametrize("role", list(EXPECTED))
def test_role_matrix(client_for, tenant_a, role):
    client = client_as(role, client_for, tenant_a)
    seen = tuple(
        call(client, method, path, body).status_code for method, path, body in ENDPOINTS.values()
    )
    assert seen == EXPECTED[role], dict(zip(ENDPOINTS, seen, strict=True))


def test_openapi_documents_every_auth_scheme(client_for, tenant_a):
    schema = client_for(tenant_a).get("/api/v1/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"apiKey", "http"}
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    assert any(s.get("in") == "cookie" for s in schemes.values())
    assert any(s.get("in") == "header" and s.get("name") == "X-API-Key" for s in schemes.values())
    me_security = schema["paths"]["/api/v1/me"]["get"]["security"]
    assert len(me_security) == 2  # bearer token or session
