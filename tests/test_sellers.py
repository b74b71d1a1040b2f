"""Sellers: onboarding, operator review, product-type grants, teams and their permissions,
API keys for partner systems; other sellers' objects are 404s."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from core.sellers.models import Seller, VerificationDocument
from tenants.services import set_module_enabled
from tests.accounts_helpers import (
    PASSWORD,
    call,
    make_user,
    sign_in,
    signed_in_operator,
)

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def signed_in(client_for, tenant, email, role=Role.BUYER, **fields):
    make_user(tenant, email, role=role, **fields)
    client = client_for(tenant)
    assert sign_in(client, email).json()["status"] == "signed_in"
    return client


def upload(client, content=PDF, name="passport.pdf", kind="identity"):
    return client.post(
        "/api/v1/seller/onboarding/documents",
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf"), "kind": kind},
    )


def onboarded(client, name="Maker Studio", product_types=("software",)):
    assert (
        call(
            client,
            "post",
            "/seller/onboarding",
            {"business_name": name, "legal_form": "company", "country": "de"},
        ).status_code
        == 201
    )
    assert upload(client).status_code == 201
    assert (
        call(
            client,
            "put",
            "/seller/onboarding/product-types",
            {"product_types": list(product_types)},
        ).status_code
        == 200
    )
    assert call(client, "post", "/seller/onboarding/payouts").status_code == 200
    submitted = call(client, "post", "/seller/onboarding/submit")
    assert submitted.status_code == 200, submitted.content
    return submitted.json()


def test_onboarding_wizard_reports_missing_steps_then_submits(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    signed_in_operator(client_for, tenant_a)[0]
    client = signed_in(client_for, tenant_a, "maker@example.com")
    started = call(
        client,
        "post",
        "/seller/onboarding",
        {"business_name": "Maker  Studio", "legal_form": "company", "country": "de"},
    ).json()
    assert (started["business_name"], started["country"], started["verification_status"]) == (
        "Maker Studio",
        "DE",
        "draft",
    )
    assert started["missing_steps"] == ["verification_documents", "product_types", "payout_setup"]
    early = call(client, "post", "/seller/onboarding/submit")
    assert (
        early.status_code == 409
        and early.json()["error"]["details"]["missing"] == started["missing_steps"]
    )

    upload(client)
    call(client, "put", "/seller/onboarding/product-types", {"product_types": ["software"]})
    payouts = call(client, "post", "/seller/onboarding/payouts").json()
    assert payouts["payout_account_ref"].startswith("sandbox_acct_")
    with django_capture_on_commit_callbacks(execute=True):
        submitted = call(client, "post", "/seller/onboarding/submit").json()
    assert submitted["verification_status"] == "pending" and submitted["missing_steps"] == []
    assert sorted(m.to[0] for m in mail.outbox) == ["op@example.com", "owner@alpha-market.example"]
    locked = call(
        client,
        "put",
        "/seller/onboarding/business",
        {"business_name": "Other", "legal_form": "company"},
    )
    assert locked.json()["error"]["code"] == "not_editable"


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"MZ\x90\x00 this is an exe", "passport.pdf", "type"),
        (b"<html><script>alert(1)</script>", "passport.pdf", "type"),
        (b"", "empty.pdf", "size"),
        (PDF + b"x" * (10 * 1024 * 1024), "big.pdf", "size"),
    ],
)
def test_verification_documents_are_checked_by_content_and_size(
    client_for, tenant_a, content, name, reason
):
    client = signed_in(client_for, tenant_a, "maker@example.com")
    call(
        client, "post", "/seller/onboarding", {"business_name": "Maker", "legal_form": "individual"}
    )
    response = upload(client, content=content, name=name)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_document"
    with schema_context(tenant_a.schema_name):
        assert not VerificationDocument.objects.exists()


def test_documents_are_stored_under_the_tenant_with_a_random_name(client_for, tenant_a):
    client = signed_in(client_for, tenant_a, "maker@example.com")
    call(
        client, "post", "/seller/onboarding", {"business_name": "Maker", "legal_form": "individual"}
    )
    document = upload(client, name="../../etc/passwd.pdf").json()
    assert (
        document["original_name"].endswith("passwd.pdf")
        and document["content_type"] == "application/pdf"
    )
    with schema_context(tenant_a.schema_name):
        stored = VerificationDocument.objects.get()
        assert stored.file.name.startswith(f"{tenant_a.schema_name}/seller-verification/")
        assert ".." not in stored.file.name and "passwd" not in stored.file.name
        assert stored.file.read() == PDF


def test_only_product_types_of_enabled_modules_can_be_requested_or_granted(client_for, tenant_a):
    # tenant_a runs alpha (sells software) but not beta (sells services).
    client = signed_in(client_for, tenant_a, "maker@example.com")
    call(
        client, "post", "/seller/onboarding", {"business_name": "Maker", "legal_form": "individual"}
    )
    refused = call(
        client, "put", "/seller/onboarding/product-types", {"product_types": ["service"]}
    )
    unknown = call(
        client, "put", "/seller/onboarding/product-types", {"product_types": ["weapons"]}
    )
    assert refused.json()["error"]["code"] == "product_type_unavailable"
    assert refused.json()["error"]["details"]["unavailable"] == ["service"]
    assert unknown.status_code == 422

    set_module_enabled(tenant=tenant_a, key="beta", is_enabled=True)
    allowed = call(
        client, "put", "/seller/onboarding/product-types", {"product_types": ["service"]}
    )
    assert allowed.json()["requested_product_types"] == ["service"]


def test_operator_approves_with_grants_and_the_seller_is_told(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    op = signed_in_operator(client_for, tenant_a)[0]
    maker = signed_in(client_for, tenant_a, "maker@example.com")
    seller = onboarded(maker)

    queue = call(op, "get", "/operator/sellers?verification_status=pending").json()
    assert [
        (s["business_name"], s["owner_email"], s["document_count"]) for s in queue["items"]
    ] == [("Maker Studio", "maker@example.com", 1)]
    document_id = call(op, "get", f"/operator/sellers/{seller['id']}").json()["documents"][0]["id"]
    download = op.get(f"/api/v1/operator/sellers/{seller['id']}/documents/{document_id}")
    assert b"".join(download.streaming_content) == PDF

    with django_capture_on_commit_callbacks(execute=True):
        approved = call(op, "post", f"/operator/sellers/{seller['id']}/approve", {}).json()
    assert (approved["verification_status"], approved["can_sell"]) == ("verified", ["software"])
    assert mail.outbox[-1].to == ["maker@example.com"]
    assert "You may sell: Software licences." in mail.outbox[-1].body
    assert "your studio: http://alpha-market.souk.test/studio/" in mail.outbox[-1].body
    with schema_context(tenant_a.schema_name):
        assert User.objects.get(email="maker@example.com").role == Role.SELLER
    again = call(op, "post", f"/operator/sellers/{seller['id']}/approve", {})
    assert again.json()["error"]["code"] == "invalid_state"
    public = call(client_for(tenant_a), "get", "/sellers/maker-studio").json()
    assert public["business_name"] == "Maker Studio" and public["is_verified"] is True


def test_operator_rejects_with_a_reason_and_the_seller_can_fix_and_resubmit(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    op = signed_in_operator(client_for, tenant_a)[0]
    maker = signed_in(client_for, tenant_a, "maker@example.com")
    seller = onboarded(maker)
    assert (
        call(op, "post", f"/operator/sellers/{seller['id']}/reject", {"reason": " "}).status_code
        == 422
    )
    with django_capture_on_commit_callbacks(execute=True):
        rejected = call(
            op,
            "post",
            f"/operator/sellers/{seller['id']}/reject",
            {"reason": "The document is blurry"},
        ).json()
    assert rejected["verification_status"] == "rejected"
    assert "The document is blurry" in mail.outbox[-1].body
    assert call(client_for(tenant_a), "get", "/sellers/maker-studio").status_code == 404
    upload(maker)
    assert (
        call(maker, "post", "/seller/onboarding/submit").json()["verification_status"] == "pending"
    )


def test_commission_status_and_grants_are_operator_only(client_for, tenant_a):
    op = signed_in_operator(client_for, tenant_a)[0]
    maker = signed_in(client_for, tenant_a, "maker@example.com")
    seller = onboarded(maker)
    assert (
        call(
            op, "put", f"/operator/sellers/{seller['id']}/commission", {"commission_rate_bp": 1250}
        ).json()["commission_rate_bp"]
        == 1250
    )
    assert (
        call(
            op, "put", f"/operator/sellers/{seller['id']}/commission", {"commission_rate_bp": 10001}
        ).status_code
        == 422
    )
    assert (
        call(op, "put", f"/operator/sellers/{seller['id']}/status", {"status": "inactive"}).json()[
            "status"
        ]
        == "inactive"
    )
    for path, body in [
        ("commission", {"commission_rate_bp": 0}),
        ("product-types", {"product_types": []}),
    ]:
        denied = call(maker, "put", f"/operator/sellers/{seller['id']}/{path}", body)
        assert denied.json()["error"]["code"] == "forbidden_role"
    assert call(maker, "post", f"/operator/sellers/{seller['id']}/approve", {}).status_code == 403


def verified_seller(client_for, tenant, email="maker@example.com", name="Maker Studio"):
    """An approved seller whose owner confirmed their e-mail address."""
    op, _ = signed_in_operator(client_for, tenant)
    client = signed_in(client_for, tenant, email, email_verified_at=timezone.now())
    seller = onboarded(client, name=name)
    assert call(op, "post", f"/operator/sellers/{seller['id']}/approve", {}).status_code == 200
    return client, seller


def test_team_members_act_within_their_permissions(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    owner, _ = verified_seller(client_for, tenant_a)
    helper = signed_in(client_for, tenant_a, "helper@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invited = call(
            owner,
            "post",
            "/seller/team/invitations",
            {"email": "helper@example.com", "permissions": ["process_orders"]},
        )
    assert invited.status_code == 201
    token = mail.outbox[-1].body.split("/seller/team/join/")[1].split("/")[0]

    stranger = signed_in(client_for, tenant_a, "stranger@example.com")
    assert (
        call(stranger, "post", "/seller/team/invitations/accept", {"name": token}).json()["error"][
            "code"
        ]
        == "invitation_invalid"
    )
    joined = call(helper, "post", "/seller/team/invitations/accept", {"name": token})
    assert joined.json()["permissions"] == ["process_orders"]
    assert (
        call(helper, "post", "/seller/team/invitations/accept", {"name": token}).status_code == 400
    )

    denied = call(helper, "get", "/seller/api-keys")
    assert (
        denied.status_code == 403
        and denied.json()["error"]["details"]["required_permission"] == "configure_integration"
    )
    member_id = call(owner, "get", "/seller/team").json()[0]["id"]
    call(owner, "put", f"/seller/team/{member_id}", {"permissions": ["configure_integration"]})
    assert call(helper, "get", "/seller/api-keys").status_code == 200
    # Team management stays with the owner.
    assert (
        call(
            helper,
            "post",
            "/seller/team/invitations",
            {"email": "x@example.com", "permissions": []},
        ).status_code
        == 403
    )
    assert (
        call(owner, "put", f"/seller/team/{member_id}", {"permissions": ["be_admin"]}).json()[
            "error"
        ]["code"]
        == "invalid_permission"
    )


def test_api_keys_authenticate_the_partner_api_and_rotate(client_for, tenant_a, tenant_b):
    owner, _ = verified_seller(client_for, tenant_a)
    issued = call(owner, "post", "/seller/api-keys", {"name": "ERP"}).json()
    assert issued["key"].startswith(f"souk_sk_{issued['prefix']}_")

    partner = client_for(tenant_a)
    me = partner.get("/api/v1/partner/v1/seller", headers={"X-API-Key": issued["key"]})
    assert me.status_code == 200 and me.json()["business_name"] == "Maker Studio"
    assert partner.get("/api/v1/partner/v1/seller").status_code == 401
    assert (
        partner.get(
            "/api/v1/partner/v1/seller", headers={"X-API-Key": issued["key"] + "x"}
        ).status_code
        == 401
    )
    # The key means nothing on another marketplace's host.
    assert (
        client_for(tenant_b)
        .get("/api/v1/partner/v1/seller", headers={"X-API-Key": issued["key"]})
        .status_code
        == 401
    )

    rotated = call(owner, "post", f"/seller/api-keys/{issued['id']}/rotate").json()
    assert rotated["name"] == "ERP" and rotated["key"] != issued["key"]
    assert (
        partner.get("/api/v1/partner/v1/seller", headers={"X-API-Key": issued["key"]}).status_code
        == 401
    )
    assert (
        partner.get("/api/v1/partner/v1/seller", headers={"X-API-Key": rotated["key"]}).status_code
        == 200
    )
    assert call(owner, "delete", f"/seller/api-keys/{rotated['id']}").status_code == 204
    assert (
        partner.get("/api/v1/partner/v1/seller", headers={"X-API-Key": rotated["key"]}).status_code
        == 401
    )


def test_another_sellers_objects_are_404(client_for, tenant_a):
    first, _ = verified_seller(client_for, tenant_a)
    second, _ = verified_seller(client_for, tenant_a, email="rival@example.com", name="Rival Co")
    key = call(first, "post", "/seller/api-keys", {"name": "ERP"}).json()
    helper = signed_in(client_for, tenant_a, "helper@example.com")
    with schema_context(tenant_a.schema_name):
        from core.sellers.models import TeamMember

        member = TeamMember.objects.create(
            seller=Seller.objects.get(slug="maker-studio"),
            user=User.objects.get(email="helper@example.com"),
            permissions=[],
        )
    assert helper
    assert call(second, "post", f"/seller/api-keys/{key['id']}/rotate").status_code == 404
    assert call(second, "delete", f"/seller/api-keys/{key['id']}").status_code == 404
    assert call(second, "put", f"/seller/team/{member.pk}", {"permissions": []}).status_code == 404
    assert call(second, "delete", f"/seller/team/{member.pk}").status_code == 404
    assert call(first, "get", "/seller/api-keys").json()[0]["id"] == key["id"]


def test_seller_two_factor_policy_applies_to_seller_endpoints(client_for, tenant_a):
    maker = signed_in(client_for, tenant_a, "maker@example.com")
    call(
        maker, "post", "/seller/onboarding", {"business_name": "Maker", "legal_form": "individual"}
    )
    tenant_a.seller_two_factor_required = True
    tenant_a.save(update_fields=["seller_two_factor_required"])
    with schema_context(tenant_a.schema_name):
        User.objects.filter(email="maker@example.com").update(role=Role.SELLER)
    response = call(maker, "get", "/seller/onboarding")
    assert response.status_code == 403 and response.json()["error"]["code"] == "two_factor_required"


def test_bad_business_details_are_refused_by_field(client_for, tenant_a):
    client = signed_in(client_for, tenant_a, "maker@example.com")
    for body, field in [
        ({"business_name": "X", "legal_form": "company"}, "business_name"),
        ({"business_name": "Maker\u202e", "legal_form": "company"}, "business_name"),
        ({"business_name": "Maker", "legal_form": "cooperative"}, "legal_form"),
        ({"business_name": "Maker", "legal_form": "company", "country": "D1"}, "country"),
    ]:
        response = call(client, "post", "/seller/onboarding", body)
        assert response.status_code == 422, body
        assert response.json()["error"]["details"]["field"] == field
    with schema_context(tenant_a.schema_name):
        assert not Seller.objects.exists()
    assert PASSWORD


def test_another_sellers_documents_cannot_be_removed_or_read(client_for, tenant_a, tenant_b):
    first = signed_in(client_for, tenant_a, "first@example.com")
    call(
        first, "post", "/seller/onboarding", {"business_name": "First", "legal_form": "individual"}
    )
    document = upload(first).json()
    second = signed_in(client_for, tenant_a, "second@example.com")
    call(
        second,
        "post",
        "/seller/onboarding",
        {"business_name": "Second", "legal_form": "individual"},
    )

    assert (
        call(second, "delete", f"/seller/onboarding/documents/{document['id']}").status_code == 404
    )
    with schema_context(tenant_a.schema_name):
        assert VerificationDocument.objects.filter(pk=document["id"]).exists()
        seller_id = Seller.objects.get(slug="first").pk
    # An operator of another marketplace reaches nothing of this one.
    op_b = signed_in_operator(client_for, tenant_b)[0]
    assert call(op_b, "get", f"/operator/sellers/{seller_id}").status_code == 404
    assert (
        op_b.get(f"/api/v1/operator/sellers/{seller_id}/documents/{document['id']}").status_code
        == 404
    )
