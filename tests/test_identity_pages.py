"""The server-rendered identity pages: accounts, the seller onboarding wizard and the operator's
back-office. Each page wears the tenant's brand, shows a service's error beside the field it
names, and the flows (sign-up -> mailed link, the code step, review) work through the pages."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from core.accounts.models import PersonalAccessToken, Role, User
from core.sellers.models import Seller, VerificationDocument
from core.sellers.services import onboarding
from tests.accounts_helpers import PASSWORD, current_code, enrol_two_factor, make_user
from tests.fleet_helpers import host_of

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
BRANDS = {
    "tenant_a": ("Alpha Market", 'class="theme-base', "--brand-primary:#2f6fde;"),
    "tenant_b": ("Beta Bazaar", 'class="theme-bazaar', "--brand-primary:#aa2200;"),
}


def signed_in(client_for, tenant, email, role=Role.BUYER):
    make_user(tenant, email, role=role)
    client = client_for(tenant)
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    return client


def signed_in_with_code(client_for, tenant, email, role=Role.OPERATOR):
    """Signed in through both steps of the login pages, so the session passed two-factor."""
    user = make_user(tenant, email, role=role)
    device, _ = enrol_two_factor(tenant, user)
    client = client_for(tenant)
    first = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert first["Location"] == "/accounts/login/code/"
    second = client.post("/accounts/login/code/", {"code": current_code(device)})
    assert second.status_code == 302 and second["Location"] == "/"
    return client


def forget_failures(tenant, device: TOTPDevice) -> None:
    """A wrong code starts django-otp's growing delay; a test's next code must not wait."""
    with schema_context(tenant.schema_name):
        device.refresh_from_db()
        device.throttling_failure_count = 0
        device.save(update_fields=["throttling_failure_count"])


def text(response) -> str:
    return response.content.decode()


def errors(response, form: str = "form") -> dict[str, list[str]]:
    return {field: list(messages) for field, messages in response.context[form].errors.items()}


def submitted_seller(
    tenant, email="maker@example.com", name="Maker Studio", *, is_submitted=True
) -> Seller:
    """A seller waiting for review (or still onboarding), made through the services."""
    user = make_user(tenant, email)
    with schema_context(tenant.schema_name):
        seller = onboarding.start_onboarding(
            user=user, business_name=name, legal_form="company", country="DE"
        )
        onboarding.add_verification_document(
            seller=seller, upload=SimpleUploadedFile("passport.pdf", PDF), kind="identity"
        )
        onboarding.request_product_types(seller=seller, product_types=["software"])
        onboarding.complete_payout_setup(seller=seller)
        return onboarding.submit_for_review(seller=seller) if is_submitted else seller


# --- every page wears the tenant's brand ---------------------------------------------------------


@pytest.mark.parametrize("tenant_fixture", ["tenant_a", "tenant_b"])
def test_each_page_renders_in_the_tenants_brand_and_theme(client_for, request, tenant_fixture):
    tenant = request.getfixturevalue(tenant_fixture)
    name, theme, colour = BRANDS[tenant_fixture]
    anonymous = client_for(tenant)
    buyer = signed_in(client_for, tenant, "ann@example.com")
    operator = signed_in_with_code(client_for, tenant, "op@example.com")
    pages = [
        (anonymous, "/accounts/signup/"),
        (anonymous, "/accounts/login/"),
        (anonymous, "/accounts/reset/"),
        (anonymous, "/accounts/reset/MQ/some-token/"),
        (buyer, "/accounts/profile/"),
        (buyer, "/accounts/two-factor/"),
        (buyer, "/accounts/tokens/"),
        (buyer, "/seller/onboarding/"),
        (operator, "/operator/sellers/"),
        (operator, "/operator/users/"),
    ]
    for client, path in pages:
        page = text(client.get(path))
        assert name in page and theme in page and colour in page, path
        assert 'name="csrfmiddlewaretoken"' in page, path
    other_name = BRANDS["tenant_b" if tenant_fixture == "tenant_a" else "tenant_a"][0]
    assert other_name not in text(buyer.get("/accounts/profile/"))


# --- sign-up and the mailed link -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "password", "field", "message"),
    [
        ("not-an-address", PASSWORD, "email", "Enter a valid e-mail address."),
        ("ann@example.com", "password", "password", "This password is too common."),
        ("taken@example.com", PASSWORD, "email", "An account with this e-mail address"),
    ],
)
def test_sign_up_shows_the_services_error_beside_its_field(
    client_for, tenant_a, email, password, field, message, django_capture_on_commit_callbacks
):
    make_user(tenant_a, "taken@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant_a).post(
            "/accounts/signup/", {"email": email, "full_name": "Ann", "password": password}
        )

    assert response.status_code == 200
    assert list(errors(response)) == [field]
    assert message in errors(response)[field][0]
    assert f'<ul class="errorlist" id="id_{field}_error"><li>{message}' in text(response)
    assert mail.outbox == []
    with schema_context(tenant_a.schema_name):
        assert list(User.objects.values_list("email", flat=True).order_by("email")) == [
            "owner@alpha-market.example",
            "taken@example.com",
        ]


def test_sign_up_signs_in_and_the_mailed_link_verifies_the_address(
    client_for, tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    client = client_for(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {"email": "Ann@Example.com", "full_name": "Ann Lee", "password": PASSWORD},
        )
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    profile = text(client.get("/accounts/profile/"))
    assert "We sent a confirmation link to ann@example.com" in profile
    assert "Not yet" in profile

    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    link = next(word for word in mail.outbox[0].body.split() if "/accounts/verify/" in word)
    parts = urlsplit(link)
    assert parts.netloc == host_of(tenant_a)
    # The link means nothing on another marketplace.
    refused = client_for(tenant_b).get(parts.path)
    assert refused.status_code == 400 and "invalid or has expired" in text(refused)

    landing = client_for(tenant_a).get(parts.path)  # e.g. opened on another device
    assert landing.status_code == 200
    assert "Your e-mail address is confirmed" in text(landing)
    assert "ann@example.com is verified" in text(landing)
    with schema_context(tenant_a.schema_name):
        assert User.objects.get(email="ann@example.com").is_email_verified
    assert "Not yet" not in text(client.get("/accounts/profile/"))
    assert client_for(tenant_a).get("/accounts/verify/garbage/").status_code == 400


# --- signing in ------------------------------------------------------------------------------------


def test_wrong_password_shows_the_form_again_and_signs_nobody_in(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    response = client.post(
        "/accounts/login/", {"username": "ann@example.com", "password": "not it"}
    )
    assert response.status_code == 200
    assert errors(response) == {"__all__": ["Please enter a correct email and password."]}
    assert "_auth_user_id" not in client.session
    assert (
        client.get("/accounts/profile/")["Location"] == "/accounts/login/?next=/accounts/profile/"
    )


def test_login_with_two_factor_asks_for_the_code_before_signing_in(client_for, tenant_a):
    user = make_user(tenant_a, "ann@example.com")
    device, _ = enrol_two_factor(tenant_a, user)
    client = client_for(tenant_a)
    assert client.get("/accounts/login/code/")["Location"] == "/accounts/login/"

    first = client.post(
        "/accounts/login/?next=/accounts/tokens/",
        {"username": "ann@example.com", "password": PASSWORD},
    )
    assert first.status_code == 302
    assert first["Location"] == "/accounts/login/code/?next=%2Faccounts%2Ftokens%2F"
    assert "_auth_user_id" not in client.session  # not signed in before the code

    step = client.get(first["Location"])
    assert step.status_code == 200 and "ann@example.com has two-factor authentication on" in text(
        step
    )
    wrong = client.post(first["Location"], {"code": "000000"})
    assert wrong.status_code == 200 and list(errors(wrong)) == ["code"]
    assert "_auth_user_id" not in client.session

    forget_failures(tenant_a, device)
    right = client.post(first["Location"], {"code": current_code(device)})
    assert right.status_code == 302 and right["Location"] == "/accounts/tokens/"
    assert client.get("/accounts/tokens/").status_code == 200
    # The session passed the second factor, so a token can be made from it.
    created = client.post("/accounts/tokens/", {"name": "CI", "scopes": ["read"]})
    assert "souk_pat_" in text(created)


def test_login_ignores_a_next_address_on_another_host(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    response = client_for(tenant_a).post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "ann@example.com", "password": PASSWORD},
    )
    assert response["Location"] == "/"


def test_rate_limited_login_answers_429_with_the_form(client_for, tenant_a, settings):
    settings.SOUK_RATES = {"login_account": "3/m"}
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    for _ in range(3):
        assert (
            client.post(
                "/accounts/login/", {"username": "ann@example.com", "password": "wrong"}
            ).status_code
            == 200
        )

    limited = client.post("/accounts/login/", {"username": "ann@example.com", "password": PASSWORD})

    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert errors(limited)["__all__"][0].startswith("Too many attempts; try again in")
    assert '<form method="post"' in text(limited)
    assert "_auth_user_id" not in client.session


def test_logout_takes_a_post(client_for, tenant_a):
    client = signed_in(client_for, tenant_a, "ann@example.com")
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/")["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_forms_carry_a_csrf_token_and_posts_without_one_are_refused(tenant_a):
    client = Client(HTTP_HOST=host_of(tenant_a), enforce_csrf_checks=True)
    make_user(tenant_a, "ann@example.com")
    assert 'name="csrfmiddlewaretoken"' in text(client.get("/accounts/login/"))
    refused = client.post("/accounts/login/", {"username": "ann@example.com", "password": PASSWORD})
    assert refused.status_code == 403
    assert "_auth_user_id" not in client.session


# --- password reset and profile ----------------------------------------------------------------------


def test_password_reset_through_the_mailed_link(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post("/accounts/reset/", {"email": "nobody@example.com"}, follow=True)
        known = client.post("/accounts/reset/", {"email": "ann@example.com"}, follow=True)
    # The same answer either way; only the real account gets mail.
    assert "If nobody@example.com has an account here" in text(unknown)
    assert "If ann@example.com has an account here" in text(known)
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    path = urlsplit(next(w for w in mail.outbox[0].body.split() if "/accounts/reset/" in w)).path

    weak = client.post(path, {"new_password": "password"})
    assert weak.status_code == 200 and list(errors(weak)) == ["new_password"]
    done = client.post(path, {"new_password": "a brand new passphrase"})
    assert done["Location"] == "/accounts/login/"
    again = client.post(path, {"new_password": "yet another passphrase"})
    assert errors(again) == {
        "__all__": ["This reset link is invalid or was already used; ask for a new one."]
    }
    signed = client.post(
        "/accounts/login/", {"username": "ann@example.com", "password": "a brand new passphrase"}
    )
    assert signed.status_code == 302


def test_profile_changes_name_and_password_with_errors_beside_their_fields(client_for, tenant_a):
    client = signed_in(client_for, tenant_a, "ann@example.com")

    wrong = client.post(
        "/accounts/profile/password/",
        {"current_password": "not it", "new_password": "a brand new passphrase"},
    )
    assert errors(wrong, "password_form") == {
        "current_password": ["Your current password is not right."]
    }
    weak = client.post(
        "/accounts/profile/password/", {"current_password": PASSWORD, "new_password": "password"}
    )
    assert list(errors(weak, "password_form")) == ["new_password"]
    bad_name = client.post("/accounts/profile/", {"full_name": "Ann\u202eeeL"})
    assert list(errors(bad_name, "name_form")) == ["full_name"]

    assert client.post("/accounts/profile/", {"full_name": " Ann   Lee "}).status_code == 302
    changed = client.post(
        "/accounts/profile/password/",
        {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        follow=True,
    )
    assert "Your password is changed" in text(changed)
    assert client.get("/accounts/profile/").status_code == 200  # this session stays signed in
    with schema_context(tenant_a.schema_name):
        user = User.objects.get(email="ann@example.com")
        assert user.full_name == "Ann Lee" and user.check_password("a brand new passphrase")


# --- two-factor and tokens ---------------------------------------------------------------------------


def test_two_factor_enrolment_shows_the_qr_code_then_the_backup_codes_once(client_for, tenant_a):
    client = signed_in(client_for, tenant_a, "ann@example.com")
    assert "Two-factor authentication is <strong>off</strong>" in text(
        client.get("/accounts/two-factor/")
    )

    started = text(client.post("/accounts/two-factor/start/"))
    assert "<svg" in started and "<?xml" not in started
    with schema_context(tenant_a.schema_name):
        device = TOTPDevice.objects.get(user__email="ann@example.com", confirmed=False)
    assert f'<code class="secret">{device.config_url.split("secret=")[1].split("&")[0]}' in started

    wrong = client.post("/accounts/two-factor/confirm/", {"code": "000000"})
    assert list(errors(wrong, "code_form")) == ["code"]
    forget_failures(tenant_a, device)
    confirmed = client.post("/accounts/two-factor/confirm/", {"code": current_code(device)})
    codes = confirmed.context["backup_codes"]
    assert len(codes) == 10 and all(f"<code>{code}</code>" in text(confirmed) for code in codes)

    later = text(client.get("/accounts/two-factor/"))
    assert "Two-factor authentication is <strong>on</strong>" in later
    assert not any(code in later for code in codes)
    again = client.post("/accounts/two-factor/start/")
    assert "already on" in errors(again, "start_form")["__all__"][0]
    # The enrolling session counts as verified: tokens can be made at once.
    assert "souk_pat_" in text(client.post("/accounts/tokens/", {"name": "CI", "scopes": ["read"]}))


def test_tokens_page_shows_a_new_token_once_and_revokes_it(client_for, tenant_a):
    client = signed_in(client_for, tenant_a, "ann@example.com")
    other = signed_in(client_for, tenant_a, "bob@example.com")

    no_scope = client.post("/accounts/tokens/", {"name": "CI"})
    assert list(errors(no_scope)) == ["scopes"]
    past = client.post(
        "/accounts/tokens/", {"name": "CI", "scopes": ["read"], "expires_on": "2001-01-01"}
    )
    assert errors(past) == {"expires_on": ["The expiry must be in the future."]}

    created = client.post("/accounts/tokens/", {"name": "CI", "scopes": ["read", "write"]})
    raw = created.context["issued"].raw
    assert raw in text(created)
    listed = text(client.get("/accounts/tokens/"))
    assert "CI" in listed and raw not in listed
    with schema_context(tenant_a.schema_name):
        token = PersonalAccessToken.objects.get(name="CI")

    assert other.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/")["Location"] == "/accounts/tokens/"
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    with schema_context(tenant_a.schema_name):
        token.refresh_from_db()
        assert token.revoked_at is not None


# --- the seller wizard and the operator's review -----------------------------------------------------


def upload(client, content=PDF, name="passport.pdf"):
    return client.post(
        "/seller/onboarding/documents/",
        {"kind": "identity", "file": SimpleUploadedFile(name, content)},
    )


def test_operator_approves_a_seller_who_onboarded_through_the_pages(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    operator = signed_in_with_code(client_for, tenant_a, "op@example.com")
    with schema_context(tenant_a.schema_name):
        onboarding.start_onboarding(
            user=User.objects.get(email="op@example.com"),
            business_name="Still Drafting",
            legal_form="individual",
        )
    maker = signed_in(client_for, tenant_a, "maker@example.com")

    assert "1. Your business" in text(maker.get("/seller/onboarding/"))
    bad = maker.post(
        "/seller/onboarding/",
        {"business_name": "Maker Studio", "legal_form": "company", "country": "D1"},
    )
    assert errors(bad, "start_form") == {"country": ["Use the two-letter country code (e.g. DE)."]}
    started = maker.post(
        "/seller/onboarding/",
        {"business_name": "Maker Studio", "legal_form": "company", "country": "de"},
    )
    assert started["Location"] == "/seller/onboarding/#documents"
    wizard = text(maker.get("/seller/onboarding/"))
    assert 'Maker Studio <span class="badge">Onboarding</span>' in wizard
    assert "Upload a verification document" in wizard
    # Only what a module on this marketplace sells is offered (alpha: software; beta is off).
    assert 'value="software"' in wizard and 'value="service"' not in wizard

    exe = upload(maker, content=b"MZ\x90\x00 not a pdf")
    assert errors(exe, "document_form") == {"file": ["Upload a PDF, PNG or JPEG file."]}
    assert upload(maker)["Location"] == "/seller/onboarding/#documents"
    refused = maker.post("/seller/onboarding/product-types/", {"product_types": ["service"]})
    assert list(errors(refused, "product_types_form")) == ["product_types"]
    maker.post("/seller/onboarding/product-types/", {"product_types": ["software"]})
    early = maker.post("/seller/onboarding/submit/")
    assert errors(early, "submit_form") == {
        "__all__": ["One step is left before you can submit: set up payouts."]
    }
    assert maker.post("/seller/onboarding/payouts/").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert maker.post("/seller/onboarding/submit/").status_code == 302
    assert "Waiting for review" in text(maker.get("/seller/onboarding/"))
    assert sorted(m.to[0] for m in mail.outbox) == ["op@example.com", "owner@alpha-market.example"]

    assert operator.get("/operator/").resolver_match.view_name == "operator:dashboard"
    queue = text(operator.get("/operator/sellers/"))
    assert queue.index("Maker Studio") < queue.index("Still Drafting")  # waiting ones first
    with schema_context(tenant_a.schema_name):
        seller = Seller.objects.get(business_name="Maker Studio")
    review = operator.get(f"/operator/sellers/{seller.pk}/")
    assert review.context["approve_form"].initial == {"product_types": ["software"]}
    assert "passport.pdf" in text(review)

    with django_capture_on_commit_callbacks(execute=True):
        approved = operator.post(
            f"/operator/sellers/{seller.pk}/approve/", {"product_types": ["software"]}, follow=True
        )
    assert "Maker Studio is verified and may sell: Software licences." in text(approved)
    assert mail.outbox[-1].to == ["maker@example.com"]
    with schema_context(tenant_a.schema_name):
        seller.refresh_from_db()
        assert (seller.verification_status, seller.can_sell) == ("verified", {"software"})
    approved_page = text(maker.get("/seller/onboarding/"))
    assert "The marketplace approved your shop. You may sell: Software licences." in approved_page
    assert "Create your first product" in approved_page
    again = operator.post(f"/operator/sellers/{seller.pk}/approve/", {"product_types": []})
    assert "Only applications waiting for review" in errors(again, "approve_form")["__all__"][0]


def test_operator_rejects_with_a_reason_and_the_seller_sees_it(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    operator = signed_in_with_code(client_for, tenant_a, "op@example.com")
    seller = submitted_seller(tenant_a)

    blank = operator.post(f"/operator/sellers/{seller.pk}/reject/", {"reason": "  "})
    assert errors(blank, "reject_form") == {"reason": ["Tell the seller what to fix."]}
    with django_capture_on_commit_callbacks(execute=True):
        operator.post(
            f"/operator/sellers/{seller.pk}/reject/", {"reason": "The passport is blurry"}
        )
    assert "The passport is blurry" in mail.outbox[-1].body

    maker = client_for(tenant_a)
    maker.post("/accounts/login/", {"username": "maker@example.com", "password": PASSWORD})
    wizard = text(maker.get("/seller/onboarding/"))
    assert '<strong class="reason">The passport is blurry</strong>' in wizard
    assert "Submit application" in wizard  # editable again


def test_operator_pages_refuse_buyers_and_sessions_without_a_second_factor(client_for, tenant_a):
    seller = submitted_seller(tenant_a)
    anonymous = client_for(tenant_a).get("/operator/")
    assert anonymous["Location"] == "/accounts/login/?next=/operator/"

    buyer = signed_in(client_for, tenant_a, "ann@example.com")
    for path in ["/operator/", "/operator/sellers/", "/operator/users/"]:
        refused = buyer.get(path)
        assert refused.status_code == 403 and "Only the marketplace&#x27;s operators" in text(
            refused
        )
    assert buyer.post(f"/operator/sellers/{seller.pk}/approve/", {}).status_code == 403

    no_device = signed_in(client_for, tenant_a, "op@example.com", role=Role.OPERATOR)
    enrol = no_device.get("/operator/sellers/")
    assert enrol.status_code == 403
    assert "Two-factor authentication needed" in text(enrol)
    assert 'href="/accounts/two-factor/"' in text(enrol)

    unverified = client_for(tenant_a)
    with schema_context(tenant_a.schema_name):
        other_op = User.objects.create_user("op2@example.com", PASSWORD, role=Role.OPERATOR)
    enrol_two_factor(tenant_a, other_op)
    unverified.force_login(other_op)  # signed in without the code step
    skipped = unverified.get("/operator/sellers/")
    assert skipped.status_code == 403 and "sign in again with your code" in text(skipped)
    with schema_context(tenant_a.schema_name):
        seller.refresh_from_db()
        assert seller.verification_status == "pending"


def test_seller_pages_need_a_second_factor_when_the_marketplace_says_so(client_for, tenant_a):
    tenant_a.seller_two_factor_required = True
    tenant_a.save(update_fields=["seller_two_factor_required"])
    seller = signed_in(client_for, tenant_a, "maker@example.com", role=Role.SELLER)
    buyer = signed_in(client_for, tenant_a, "ann@example.com")
    assert seller.get("/seller/onboarding/").status_code == 403
    assert buyer.get("/seller/onboarding/").status_code == 200


def test_operator_searches_suspends_and_reinstates_users(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    operator = signed_in_with_code(client_for, tenant_a, "op@example.com")
    ann = make_user(tenant_a, "ann@example.com", full_name="Ann Lee")
    make_user(tenant_a, "bob@example.com")

    found = operator.get("/operator/users/", {"q": "lee"})
    assert [user.email for user in found.context["page"].object_list] == ["ann@example.com"]

    blank = operator.post(f"/operator/users/{ann.pk}/suspend/", {"reason": " "})
    assert errors(blank, "reason_form") == {
        "reason": ["Say why the account is suspended; the user is told."]
    }
    with django_capture_on_commit_callbacks(execute=True):
        suspended = operator.post(
            f"/operator/users/{ann.pk}/suspend/", {"reason": "Chargebacks"}, follow=True
        )
    assert "ann@example.com is suspended" in text(suspended)
    assert "Chargebacks" in mail.outbox[-1].body and mail.outbox[-1].to == ["ann@example.com"]
    refused = client_for(tenant_a).post(
        "/accounts/login/", {"username": "ann@example.com", "password": PASSWORD}
    )
    assert errors(refused) == {
        "__all__": ["This account is suspended. Contact the marketplace for help."]
    }

    reinstated = operator.post(f"/operator/users/{ann.pk}/reinstate/", follow=True)
    assert "ann@example.com is reinstated" in text(reinstated)
    with schema_context(tenant_a.schema_name):
        ann.refresh_from_db()
        assert ann.is_active and ann.suspended_at is None
        me = User.objects.get(email="op@example.com")
    myself = operator.post(f"/operator/users/{me.pk}/suspend/", {"reason": "x"})
    assert errors(myself, "reason_form") == {"__all__": ["You cannot suspend yourself."]}


def test_other_marketplaces_and_other_sellers_objects_are_404(client_for, tenant_a, tenant_b):
    seller = submitted_seller(tenant_a)
    operator_b = signed_in_with_code(client_for, tenant_b, "op@example.com")
    assert operator_b.get(f"/operator/sellers/{seller.pk}/").status_code == 404
    assert (
        operator_b.post(
            f"/operator/sellers/{seller.pk}/approve/", {"product_types": ["software"]}
        ).status_code
        == 404
    )
    assert "maker@example.com" not in text(operator_b.get("/operator/users/", {"q": "maker"}))

    drafting = submitted_seller(tenant_a, "drafter@example.com", "Drafter", is_submitted=False)
    with schema_context(tenant_a.schema_name):
        document = VerificationDocument.objects.get(seller=drafting)
    rival = signed_in(client_for, tenant_a, "rival@example.com")
    rival.post("/seller/onboarding/", {"business_name": "Rival Co", "legal_form": "company"})
    removed = rival.post(f"/seller/onboarding/documents/{document.pk}/remove/")
    assert removed.status_code == 404
    with schema_context(tenant_a.schema_name):
        assert VerificationDocument.objects.filter(pk=document.pk).exists()
