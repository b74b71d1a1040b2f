"""A seller's team and its credentials: invitations are not a mail relay, API keys carry at
most their creator's permissions and die with the creator's place on the team, and the
marketplace's seller two-factor policy covers every teammate."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.sellers.models import SellerApiKey, TeamInvitation, TeamMember
from tests.accounts_helpers import call, current_code, enrol_two_factor, make_user, sign_in
from tests.test_sellers import signed_in, verified_seller

INVITE = {"email": "helper@example.com", "permissions": ["process_orders"]}


def teammate(client_for, tenant, seller_id, email, permissions):
    """A buyer-role user on the seller's team with exactly ``permissions``, signed in."""
    client = signed_in(client_for, tenant, email)
    with schema_context(tenant.schema_name):
        TeamMember.objects.create(
            seller_id=seller_id,
            user=User.objects.get(email=email),
            permissions=sorted(permissions),
        )
    return client


def partner_seller(client, key):
    return client.get("/api/v1/partner/v1/seller", headers={"X-API-Key": key})


# --- item 4: invitations ------------------------------------------------------------------------


def test_a_fresh_buyer_cannot_send_invitations_from_an_unapproved_seller(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    fresh = signed_in(client_for, tenant_a, "fresh@example.com")
    started = call(
        fresh, "post", "/seller/onboarding", {"business_name": "Spam Co", "legal_form": "company"}
    )
    assert started.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        unverified = call(fresh, "post", "/seller/team/invitations", INVITE)
    assert unverified.status_code == 403
    assert unverified.json()["error"]["code"] == "email_not_verified"

    with schema_context(tenant_a.schema_name):
        User.objects.filter(email="fresh@example.com").update(email_verified_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        unapproved = call(fresh, "post", "/seller/team/invitations", INVITE)
    assert unapproved.status_code == 409
    assert unapproved.json()["error"]["code"] == "invalid_state"
    assert mail.outbox == []
    with schema_context(tenant_a.schema_name):
        assert not TeamInvitation.objects.exists()


@pytest.mark.parametrize(
    ("rates", "refused_scope"),
    [
        ({"team_invitation_user": "2/h", "team_invitation_seller": "50/d"}, "team_invitation_user"),
        (
            {"team_invitation_user": "50/h", "team_invitation_seller": "2/d"},
            "team_invitation_seller",
        ),
    ],
)
def test_invitations_are_rate_limited_per_inviting_user_and_per_seller(
    client_for, tenant_a, settings, django_capture_on_commit_callbacks, rates, refused_scope
):
    settings.SOUK_RATES = rates
    owner, _ = verified_seller(client_for, tenant_a)
    sent_before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            call(
                owner,
                "post",
                "/seller/team/invitations",
                {"email": f"person{n}@example.com", "permissions": []},
            )
            for n in range(3)
        ]
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    refused = answers[2]
    assert refused.json()["error"]["details"]["scope"] == refused_scope
    assert int(refused["Retry-After"]) > 0
    assert [m.to for m in mail.outbox[sent_before:]] == [
        ["person0@example.com"],
        ["person1@example.com"],
    ]
    with schema_context(tenant_a.schema_name):
        assert sorted(TeamInvitation.objects.values_list("email", flat=True)) == [
            "person0@example.com",
            "person1@example.com",
        ]


def test_the_support_domain_cannot_be_invited(client_for, tenant_a):
    owner, _ = verified_seller(client_for, tenant_a)
    refused = call(
        owner,
        "post",
        "/seller/team/invitations",
        {"email": "support+1@support.souk.test", "permissions": []},
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "email_reserved"


# --- item 7: API keys carry their creator's permissions at most -----------------------------------


def test_a_teammates_key_carries_only_the_teammates_permissions(client_for, tenant_a):
    owner, seller = verified_seller(client_for, tenant_a)
    integrator = teammate(
        client_for, tenant_a, seller["id"], "dev@example.com", ["configure_integration"]
    )

    greedy = call(
        integrator,
        "post",
        "/seller/api-keys",
        {"name": "ERP", "permissions": ["configure_integration", "manage_customers"]},
    )
    assert greedy.status_code == 403
    assert greedy.json()["error"]["code"] == "permission_denied"
    assert greedy.json()["error"]["details"]["lacking"] == ["manage_customers"]
    unknown = call(
        integrator, "post", "/seller/api-keys", {"name": "ERP", "permissions": ["be_admin"]}
    )
    assert unknown.status_code == 422
    with schema_context(tenant_a.schema_name):
        assert not SellerApiKey.objects.exists()

    issued = call(integrator, "post", "/seller/api-keys", {"name": "ERP"})
    assert issued.status_code == 201
    assert issued.json()["permissions"] == ["configure_integration"]
    owners = call(owner, "post", "/seller/api-keys", {"name": "Shop"}).json()
    assert owners["permissions"] == [
        "configure_integration",
        "manage_customers",
        "manage_products",
        "process_orders",
        "view_analytics",
    ]
    chosen = call(
        owner, "post", "/seller/api-keys", {"name": "Stock", "permissions": ["manage_products"]}
    )
    assert chosen.json()["permissions"] == ["manage_products"]
    listed = call(owner, "get", "/seller/api-keys").json()
    assert [(k["name"], k["permissions"]) for k in listed] == [
        ("ERP", ["configure_integration"]),
        ("Shop", owners["permissions"]),
        ("Stock", ["manage_products"]),
    ]


def test_a_teammate_cannot_rotate_a_key_that_carries_more_than_they_hold(client_for, tenant_a):
    owner, seller = verified_seller(client_for, tenant_a)
    integrator = teammate(
        client_for, tenant_a, seller["id"], "dev@example.com", ["configure_integration"]
    )
    owners = call(owner, "post", "/seller/api-keys", {"name": "Shop"}).json()

    refused = call(integrator, "post", f"/seller/api-keys/{owners['id']}/rotate")
    assert refused.status_code == 403
    # Nothing changed: the owner's key still works and is the only one.
    assert partner_seller(client_for(tenant_a), owners["key"]).status_code == 200
    with schema_context(tenant_a.schema_name):
        assert list(SellerApiKey.objects.values_list("name", "revoked_at")) == [("Shop", None)]


def test_narrowing_a_teammates_permissions_narrows_their_keys(client_for, tenant_a):
    owner, seller = verified_seller(client_for, tenant_a)
    integrator = teammate(
        client_for,
        tenant_a,
        seller["id"],
        "dev@example.com",
        ["configure_integration", "process_orders"],
    )
    key = call(integrator, "post", "/seller/api-keys", {"name": "ERP"}).json()
    assert key["permissions"] == ["configure_integration", "process_orders"]
    member_id = call(owner, "get", "/seller/team").json()[0]["id"]

    call(owner, "put", f"/seller/team/{member_id}", {"permissions": ["configure_integration"]})

    listed = call(owner, "get", "/seller/api-keys").json()
    assert [k["permissions"] for k in listed] == [["configure_integration"]]


# --- item 6: keys die with their creator's place on the team -------------------------------------


def test_removing_a_teammate_revokes_the_keys_they_made(client_for, tenant_a):
    owner, seller = verified_seller(client_for, tenant_a)
    integrator = teammate(
        client_for, tenant_a, seller["id"], "dev@example.com", ["configure_integration"]
    )
    theirs = call(integrator, "post", "/seller/api-keys", {"name": "ERP"}).json()
    owners = call(owner, "post", "/seller/api-keys", {"name": "Shop"}).json()
    partner = client_for(tenant_a)
    assert partner_seller(partner, theirs["key"]).status_code == 200  # cached from here on
    member_id = call(owner, "get", "/seller/team").json()[0]["id"]

    assert call(owner, "delete", f"/seller/team/{member_id}").status_code == 204

    assert partner_seller(partner, theirs["key"]).status_code == 401
    assert partner_seller(partner, owners["key"]).status_code == 200
    assert [k["name"] for k in call(owner, "get", "/seller/api-keys").json()] == ["Shop"]


# --- item 8: the seller two-factor policy covers teammates ----------------------------------------


def test_the_seller_two_factor_policy_covers_teammates(client_for, tenant_a):
    _, seller = verified_seller(client_for, tenant_a)
    helper = teammate(client_for, tenant_a, seller["id"], "helper@example.com", ["process_orders"])
    assert call(helper, "get", "/seller/orders").status_code == 200  # policy off

    tenant_a.seller_two_factor_required = True
    tenant_a.save(update_fields=["seller_two_factor_required"])

    api = call(helper, "get", "/seller/orders")
    assert api.status_code == 403 and api.json()["error"]["code"] == "two_factor_required"
    page = helper.get("/studio/orders/")
    assert page.status_code == 403
    assert call(helper, "get", "/me").json()["is_two_factor_required"] is True
    # Still a buyer everywhere else.
    assert call(helper, "get", "/me").json()["role"] == "buyer"

    # With a second factor, verified at sign-in, the teammate works again.
    with schema_context(tenant_a.schema_name):
        user = User.objects.get(email="helper@example.com")
    device, _ = enrol_two_factor(tenant_a, user)
    verified = client_for(tenant_a)
    assert sign_in(verified, "helper@example.com").json()["status"] == "otp_required"
    with schema_context(tenant_a.schema_name):
        code = current_code(device)
    assert call(verified, "post", "/auth/login/otp", {"code": code}).status_code == 200
    assert call(verified, "get", "/seller/orders").status_code == 200
    assert verified.get("/studio/orders/").status_code == 200


def test_a_buyer_outside_any_seller_team_is_not_asked_for_two_factor(client_for, tenant_a):
    tenant_a.seller_two_factor_required = True
    tenant_a.save(update_fields=["seller_two_factor_required"])
    make_user(tenant_a, "ann@example.com")
    buyer = client_for(tenant_a)
    assert sign_in(buyer, "ann@example.com").json()["status"] == "signed_in"
    assert call(buyer, "get", "/me").json()["is_two_factor_required"] is False
