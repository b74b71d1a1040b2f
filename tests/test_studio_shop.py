"""The studio's shop pages: the team (/studio/team/), the integration page
(/studio/integration/: API keys, webhooks, health) and the shop profile (/studio/profile/).
Team and profile are the owner's alone; integration needs ``configure_integration``; another
seller's key or endpoint is a 404; another marketplace sees nothing of it."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.integrations.models import IntegrationCall, WebhookEndpoint
from core.sellers.models import Seller, SellerApiKey, TeamInvitation, TeamMember
from core.sellers.services import api_keys
from tenants.models import Tenant
from tests.accounts_helpers import make_user, sign_in
from tests.catalog_helpers import make_seller

JOIN_LINK = re.compile(r"https?://[^/\s]+(/seller/team/join/[^/\s]+/)")


def signed_in(client_for, tenant: Tenant, email: str) -> Client:
    client = client_for(tenant)
    assert sign_in(client, email).json()["status"] == "signed_in"
    return client


def owner_of(client_for, tenant: Tenant, slug: str = "acme") -> tuple[Seller, Client]:
    seller = make_seller(tenant, slug)
    with schema_context(tenant.schema_name):
        User.objects.filter(pk=seller.owner_id).update(email_verified_at=timezone.now())
    return seller, signed_in(client_for, tenant, f"{slug}@example.com")


def teammate(client_for, tenant: Tenant, seller: Seller, email: str, permissions) -> Client:
    user = make_user(tenant, email)
    with schema_context(tenant.schema_name):
        TeamMember.objects.create(seller=seller, user=user, permissions=sorted(permissions))
    return signed_in(client_for, tenant, email)


def body(response) -> str:
    return response.content.decode()


# --- who may open what ---------------------------------------------------------------------------


def test_team_and_profile_refuse_a_teammate_even_with_every_permission(client_for, tenant_a):
    seller, _ = owner_of(client_for, tenant_a)
    everything = [
        "configure_integration",
        "manage_customers",
        "manage_products",
        "process_orders",
        "view_analytics",
    ]
    deputy = teammate(client_for, tenant_a, seller, "deputy@example.com", everything)

    refused = [
        deputy.get("/studio/team/"),
        deputy.post("/studio/team/invitations/", {"email": "x@example.com", "permissions": []}),
        deputy.get("/studio/profile/"),
        deputy.post("/studio/profile/save/", {"bio": "Hijacked"}),
    ]

    assert [response.status_code for response in refused] == [403] * 4
    assert "Only the shop&#x27;s owner can open Team." in body(refused[0])
    assert "Only the shop&#x27;s owner can open Shop profile." in body(refused[2])
    with schema_context(tenant_a.schema_name):
        assert TeamInvitation.objects.count() == 0
        assert Seller.objects.get(pk=seller.pk).bio == ""
    # The studio nav offers them neither.
    nav = body(deputy.get("/studio/integration/"))
    assert 'href="/studio/team/"' not in nav and 'href="/studio/profile/"' not in nav


def test_integration_needs_configure_integration(client_for, tenant_a):
    seller, owner = owner_of(client_for, tenant_a)
    packer = teammate(client_for, tenant_a, seller, "packer@example.com", ["process_orders"])
    developer = teammate(client_for, tenant_a, seller, "dev@example.com", ["configure_integration"])
    make_user(tenant_a, "bea@example.com")
    buyer = signed_in(client_for, tenant_a, "bea@example.com")

    denied = packer.get("/studio/integration/")
    assert denied.status_code == 403
    assert (
        "Integration needs the team permission “Configure integrations and API keys”. "
        "Ask the shop&#x27;s owner." in body(denied)
    )
    assert packer.post("/studio/integration/keys/", {"name": "k"}).status_code == 403
    assert buyer.get("/studio/integration/").status_code == 403
    assert owner.get("/studio/integration/").status_code == 200
    assert developer.get("/studio/integration/").status_code == 200
    anonymous = client_for(tenant_a).get("/studio/integration/")
    assert anonymous["Location"] == "/accounts/login/?next=/studio/integration/"
    with schema_context(tenant_a.schema_name):
        assert SellerApiKey.objects.count() == 0


# --- team ----------------------------------------------------------------------------------------


def test_the_team_page_lists_members_with_their_permissions_in_words(
    client_for, tenant_a, django_assert_max_num_queries
):
    seller, owner = owner_of(client_for, tenant_a)
    for number in range(3):
        make = make_user(tenant_a, f"member{number}@example.com")
        with schema_context(tenant_a.schema_name):
            TeamMember.objects.create(
                seller=seller, user=make, permissions=["configure_integration", "process_orders"]
            )

    owner.get("/studio/team/")  # the enabled modules and session are cached after this
    with django_assert_max_num_queries(10):  # the members in one query, however many
        page = body(owner.get("/studio/team/"))

    assert page.count('<li class="team-member" id="member-') == 3
    assert "<li>Process orders</li><li>Configure integrations and API keys</li>" in page
    assert "member2@example.com" in page
    assert '<a href="/studio/team/" aria-current="page">Team</a>' in page


def test_an_empty_team_says_what_to_do(client_for, tenant_a):
    _, owner = owner_of(client_for, tenant_a)

    page = body(owner.get("/studio/team/"))

    assert "Nobody else is on your team yet." in page
    assert "No invitations waiting." in page


def test_an_invitation_sent_from_the_page_is_accepted_from_its_link(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    seller, owner = owner_of(client_for, tenant_a)
    make_user(tenant_a, "dev@example.com")
    make_user(tenant_a, "someone.else@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        sent = owner.post(
            "/studio/team/invitations/",
            {"email": "dev@example.com", "permissions": ["configure_integration"]},
        )
    assert (sent.status_code, sent["Location"]) == (302, "/studio/team/#pending")
    pending = body(owner.get("/studio/team/"))
    assert "Invitation sent to dev@example.com." in pending
    assert "<td>dev@example.com</td><td>Configure integrations and API keys</td>" in pending
    assert mail.outbox[-1].to == ["dev@example.com"]
    link = JOIN_LINK.search(mail.outbox[-1].body)
    assert link is not None
    join_path = link.group(1)

    anonymous = client_for(tenant_a).get(join_path)
    assert anonymous["Location"] == f"/accounts/login/?next={join_path}"
    stranger = signed_in(client_for, tenant_a, "someone.else@example.com")
    wrong = stranger.post(join_path)
    assert wrong.status_code == 200
    assert "for another e-mail address" in body(wrong)

    dev = signed_in(client_for, tenant_a, "dev@example.com")
    assert "Join the team" in body(dev.get(join_path))
    joined = dev.post(join_path)
    assert (joined.status_code, joined["Location"]) == (302, "/studio/")
    with schema_context(tenant_a.schema_name):
        member = TeamMember.objects.get(seller=seller, user__email="dev@example.com")
        assert member.permissions == ["configure_integration"]
        assert not TeamMember.objects.filter(user__email="someone.else@example.com").exists()
    assert dev.get("/studio/integration/").status_code == 200
    after = body(owner.get("/studio/team/"))
    assert "No invitations waiting." in after and f'id="member-{member.pk}"' in after
    assert dev.post(join_path).status_code == 200  # used: refused, nothing written twice


def test_a_bad_invitation_answers_field_errors_and_writes_nothing(client_for, tenant_a):
    _, owner = owner_of(client_for, tenant_a)

    no_permissions = owner.post("/studio/team/invitations/", {"email": "dev@example.com"})
    no_address = owner.post(
        "/studio/team/invitations/", {"email": "not-an-address", "permissions": ["process_orders"]}
    )
    unknown = owner.post(
        "/studio/team/invitations/", {"email": "d@example.com", "permissions": ["launch_rockets"]}
    )
    myself = owner.post(
        "/studio/team/invitations/",
        {"email": "acme@example.com", "permissions": ["process_orders"]},
    )

    assert no_permissions.context["invite_form"].errors == {
        "permissions": ["Choose at least one thing they may do."]
    }
    assert list(no_address.context["invite_form"].errors) == ["email"]
    assert list(unknown.context["invite_form"].errors) == ["permissions"]
    assert myself.context["invite_form"].errors == {
        "__all__": ["acme@example.com is already on the team."]
    }
    with schema_context(tenant_a.schema_name):
        assert TeamInvitation.objects.count() == 0
    assert len(mail.outbox) == 0


def test_the_owner_changes_a_members_permissions_and_removes_them(client_for, tenant_a):
    seller, owner = owner_of(client_for, tenant_a)
    teammate(
        client_for,
        tenant_a,
        seller,
        "dev@example.com",
        ["configure_integration", "manage_products"],
    )
    with schema_context(tenant_a.schema_name):
        member = TeamMember.objects.get(user__email="dev@example.com")
        key = api_keys.create_api_key(
            seller=seller, name="CI", created_by=member.user, permissions=["manage_products"]
        ).key

    prefix = f"member-{member.pk}"
    empty = owner.post(f"/studio/team/{member.pk}/", {})
    assert empty.status_code == 200
    assert empty.context["members"][0]["form"].errors == {
        "permissions": ["Choose at least one thing they may do."]
    }
    changed = owner.post(
        f"/studio/team/{member.pk}/", {f"{prefix}-permissions": ["configure_integration"]}
    )
    assert changed["Location"] == f"/studio/team/#member-{member.pk}"
    with schema_context(tenant_a.schema_name):
        member.refresh_from_db()
        key.refresh_from_db()
        assert member.permissions == ["configure_integration"]
        assert key.permissions == []  # a key never carries more than its maker holds

    removed = owner.post(f"/studio/team/{member.pk}/remove/")
    assert removed["Location"] == "/studio/team/#members"
    assert "dev@example.com is no longer on the team" in body(owner.get("/studio/team/"))
    with schema_context(tenant_a.schema_name):
        assert not TeamMember.objects.filter(pk=member.pk).exists()
        key.refresh_from_db()
        assert key.revoked_at is not None


def test_another_sellers_member_is_a_404(client_for, tenant_a):
    _, owner = owner_of(client_for, tenant_a)
    other = make_seller(tenant_a, "rival")
    teammate(client_for, tenant_a, other, "theirs@example.com", ["process_orders"])
    with schema_context(tenant_a.schema_name):
        theirs = TeamMember.objects.get(user__email="theirs@example.com")

    update = owner.post(
        f"/studio/team/{theirs.pk}/", {f"member-{theirs.pk}-permissions": ["manage_products"]}
    )
    remove = owner.post(f"/studio/team/{theirs.pk}/remove/")

    assert (update.status_code, remove.status_code) == (404, 404)
    with schema_context(tenant_a.schema_name):
        assert TeamMember.objects.get(pk=theirs.pk).permissions == ["process_orders"]


# --- integration: API keys -----------------------------------------------------------------------


def test_a_new_api_key_is_shown_once(client_for, tenant_a):
    seller, owner = owner_of(client_for, tenant_a)

    made = owner.post(
        "/studio/integration/keys/",
        {"name": "Order sync", "permissions": ["process_orders", "manage_products"]},
    )

    assert made.status_code == 200
    assert "no-store" in made["Cache-Control"]
    raw = made.context["issued"].raw
    assert raw.startswith(
        "souk_sk_"
    ) and f'<code class="secret" id="issued-key">{raw}</code>' in body(made)
    with schema_context(tenant_a.schema_name):
        key = SellerApiKey.objects.get(seller=seller)
        assert (key.name, key.permissions) == ("Order sync", ["manage_products", "process_orders"])
    later = body(owner.get("/studio/integration/"))
    assert raw not in later
    assert f"<code>souk_sk_{key.prefix}_…</code>" in later
    assert "Manage products, Process orders" in later

    rotated = owner.post(f"/studio/integration/keys/{key.pk}/rotate/")
    new_raw = rotated.context["issued"].raw
    assert new_raw != raw and new_raw in body(rotated)
    assert new_raw not in body(owner.get("/studio/integration/"))
    with schema_context(tenant_a.schema_name):
        key.refresh_from_db()
        assert key.revoked_at is not None
        fresh = SellerApiKey.objects.get(seller=seller, revoked_at__isnull=True)
    revoked = owner.post(f"/studio/integration/keys/{fresh.pk}/revoke/")
    assert revoked["Location"] == "/studio/integration/#api-keys"
    with schema_context(tenant_a.schema_name):
        assert not SellerApiKey.objects.filter(revoked_at__isnull=True).exists()
    assert "No API keys yet." in body(owner.get("/studio/integration/"))


def test_a_key_offers_and_carries_only_what_its_maker_holds(client_for, tenant_a):
    seller, _ = owner_of(client_for, tenant_a)
    developer = teammate(client_for, tenant_a, seller, "dev@example.com", ["configure_integration"])

    page = developer.get("/studio/integration/")
    offered = [value for value, _ in page.context["key_form"].fields["permissions"].choices]
    beyond = developer.post(
        "/studio/integration/keys/", {"name": "Sneaky", "permissions": ["manage_products"]}
    )
    nameless = developer.post(
        "/studio/integration/keys/", {"name": "", "permissions": ["configure_integration"]}
    )

    assert offered == ["configure_integration"]
    assert list(beyond.context["key_form"].errors) == ["permissions"]
    assert list(nameless.context["key_form"].errors) == ["name"]
    assert beyond.context["issued"] is None
    with schema_context(tenant_a.schema_name):
        assert SellerApiKey.objects.count() == 0


def test_another_sellers_key_and_endpoint_are_a_404(client_for, tenant_a):
    _, owner = owner_of(client_for, tenant_a)
    rival = make_seller(tenant_a, "rival")
    with schema_context(tenant_a.schema_name):
        rival_owner = User.objects.get(pk=rival.owner_id)
        key = api_keys.create_api_key(seller=rival, name="Theirs", created_by=rival_owner).key
        endpoint = WebhookEndpoint.objects.create(
            seller=rival, url="https://rival.example/hooks", events=["order.paid"]
        )

    answers = [
        owner.post(f"/studio/integration/keys/{key.pk}/rotate/"),
        owner.post(f"/studio/integration/keys/{key.pk}/revoke/"),
        owner.post(f"/studio/integration/endpoints/{endpoint.pk}/", {"is_active": "off"}),
        owner.post(f"/studio/integration/endpoints/{endpoint.pk}/delete/"),
    ]

    assert [response.status_code for response in answers] == [404] * 4
    page = body(owner.get("/studio/integration/"))
    assert "Theirs" not in page and "rival.example" not in page
    with schema_context(tenant_a.schema_name):
        key.refresh_from_db()
        endpoint.refresh_from_db()
        assert key.revoked_at is None and endpoint.is_active


# --- integration: health -------------------------------------------------------------------------


def test_a_first_time_integration_page_says_there_is_nothing_to_measure_yet(
    client_for, tenant_a, django_assert_max_num_queries
):
    _, owner = owner_of(client_for, tenant_a)

    owner.get("/studio/integration/")  # the enabled modules and session are cached after this
    with django_assert_max_num_queries(17):
        page = body(owner.get("/studio/integration/"))

    assert "Nothing to measure yet." in page
    assert "Last 24 hours" not in page and "<h3>Last </h3>" not in page
    assert "No API keys yet." in page and "No endpoints yet." in page


def test_health_with_traffic_shows_each_window_and_names_errors_in_words(client_for, tenant_a):
    seller, owner = owner_of(client_for, tenant_a)
    with schema_context(tenant_a.schema_name):
        IntegrationCall.objects.create(
            seller=seller,
            kind="api",
            url="https://acme.example/hook",
            response_status=502,
            is_success=False,
            latency_ms=120,
            error="Bad gateway",
        )

    page = body(owner.get("/studio/integration/"))

    assert "Nothing to measure yet." not in page
    assert '<h3 id="window-24h">Last 24 hours</h3>' in page
    assert '<h3 id="window-7d">Last 7 days</h3>' in page
    assert '<td>Partner API</td><td class="url">https://acme.example/hook</td>' in page


# --- profile -------------------------------------------------------------------------------------


def test_the_owner_edits_the_public_profile_and_portfolio(
    client_for, tenant_a, django_assert_max_num_queries
):
    seller, owner = owner_of(client_for, tenant_a)

    owner.get("/studio/profile/")  # the enabled modules and session are cached after this
    with django_assert_max_num_queries(7):
        page = body(owner.get("/studio/profile/"))
    assert f'href="/s/{seller.slug}/"' in page
    saved = owner.post(
        "/studio/profile/save/",
        {
            "bio": "  We make tools.  ",
            "website": "https://acme.example",
            "portfolio-TOTAL_FORMS": "3",
            "portfolio-INITIAL_FORMS": "0",
            "portfolio-0-title": "Case study",
            "portfolio-0-url": "https://acme.example/case",
            "portfolio-1-title": "",
            "portfolio-1-url": "",
            "portfolio-2-title": "Talk",
            "portfolio-2-url": "https://acme.example/talk",
        },
    )

    assert saved["Location"] == "/studio/profile/"
    with schema_context(tenant_a.schema_name):
        seller.refresh_from_db()
    assert (seller.bio, seller.website) == ("We make tools.", "https://acme.example")
    assert seller.portfolio == [
        {"title": "Case study", "url": "https://acme.example/case"},
        {"title": "Talk", "url": "https://acme.example/talk"},
    ]
    public = body(client_for(tenant_a).get(f"/s/{seller.slug}/"))
    assert "We make tools." in public

    dropped = owner.post(
        "/studio/profile/save/",
        {
            "bio": "We make tools.",
            "website": "",
            "portfolio-TOTAL_FORMS": "2",
            "portfolio-INITIAL_FORMS": "2",
            "portfolio-0-title": "Case study",
            "portfolio-0-url": "https://acme.example/case",
            "portfolio-0-DELETE": "on",
            "portfolio-1-title": "Talk",
            "portfolio-1-url": "https://acme.example/talk",
        },
    )
    assert dropped.status_code == 302
    with schema_context(tenant_a.schema_name):
        seller.refresh_from_db()
    assert seller.portfolio == [{"title": "Talk", "url": "https://acme.example/talk"}]


def test_a_bad_profile_answers_field_errors_and_writes_nothing(client_for, tenant_a):
    seller, owner = owner_of(client_for, tenant_a)

    bad = owner.post(
        "/studio/profile/save/",
        {
            "bio": "Changed",
            "website": "not a website at all",
            "portfolio-TOTAL_FORMS": "1",
            "portfolio-INITIAL_FORMS": "0",
            "portfolio-0-title": "No link",
            "portfolio-0-url": "",
        },
    )

    assert bad.status_code == 200
    assert list(bad.context["form"].errors) == ["website"]
    assert bad.context["portfolio"].errors == [{"url": ["Add the link to this work."]}]
    with schema_context(tenant_a.schema_name):
        seller.refresh_from_db()
    assert (seller.bio, seller.portfolio) == ("", [])


# --- another marketplace -------------------------------------------------------------------------


def test_another_marketplace_sees_nothing_of_a_sellers_studio(client_for, tenant_a, tenant_b):
    seller_a, owner_a = owner_of(client_for, tenant_a)
    with schema_context(tenant_a.schema_name):
        owner = User.objects.get(pk=seller_a.owner_id)
        api_keys.create_api_key(seller=seller_a, name="Only in A", created_by=owner)
        TeamMember.objects.create(
            seller=seller_a,
            user=User.objects.create_user("helper@example.com", "x" * 12),
            permissions=["process_orders"],
        )
    # The same address in the other marketplace is a different person with no shop there.
    make_user(tenant_b, "acme@example.com")
    same_address_b = signed_in(client_for, tenant_b, "acme@example.com")
    _, owner_b = owner_of(client_for, tenant_b, "bazaar")

    assert [
        same_address_b.get(path).status_code
        for path in ("/studio/team/", "/studio/integration/", "/studio/profile/")
    ] == [403, 403, 403]
    team_b = body(owner_b.get("/studio/team/"))
    integration_b = body(owner_b.get("/studio/integration/"))
    assert "helper@example.com" not in team_b and "Nobody else is on your team yet." in team_b
    assert "Only in A" not in integration_b and "No API keys yet." in integration_b
    assert "Only in A" in body(owner_a.get("/studio/integration/"))


# --- onboarding in words, and on to the studio ---------------------------------------------------


def test_onboarding_names_steps_and_documents_in_words(client_for, tenant_a):
    make_user(tenant_a, "maker@example.com")
    maker = signed_in(client_for, tenant_a, "maker@example.com")
    maker.post("/seller/onboarding/", {"business_name": "Maker", "legal_form": "individual"})

    early = maker.post("/seller/onboarding/submit/")
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    maker.post(
        "/seller/onboarding/documents/",
        {
            "kind": "business_registration",
            "file": SimpleUploadedFile("register.pdf", pdf, content_type="application/pdf"),
        },
    )
    wizard = body(maker.get("/seller/onboarding/"))

    assert early.context["submit_form"].errors == {
        "__all__": [
            "A few steps are left before you can submit: upload a verification document, "
            "choose what you will sell and set up payouts."
        ]
    }
    assert "Business registration: register.pdf" in wizard
    assert "business_registration:" not in wizard


def test_a_verified_seller_is_sent_on_to_the_studio_and_a_first_product(client_for, tenant_a):
    make_seller(tenant_a, "acme")
    owner = signed_in(client_for, tenant_a, "acme@example.com")

    page = body(owner.get("/seller/onboarding/"))

    assert "You may sell: Software licences." in page
    assert re.search(
        r'<a class="button" href="/studio/products/[^"]*">Create your first product</a>', page
    )
    assert (
        '<nav class="subnav seller-nav" aria-label="Seller">\n  <a href="/studio/">Studio</a>'
        in page
    )


def test_a_teammate_on_the_sell_here_page_is_pointed_to_their_shops_studio(client_for, tenant_a):
    seller = make_seller(tenant_a, "acme")
    helper = teammate(client_for, tenant_a, seller, "helper@example.com", ["process_orders"])

    page = body(helper.get("/seller/onboarding/"))

    assert "You help run Acme" in page
    assert '<a class="button" href="/studio/">Open the studio</a>' in page
