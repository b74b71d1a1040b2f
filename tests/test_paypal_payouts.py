"""A seller chooses to be paid with PayPal (the studio's payouts page, with or without htmx,
and ``PUT /api/v1/seller/payouts/account/paypal``) where the marketplace has PayPal on: their
PayPal e-mail address, checked, becomes where payouts go, and the next payout is a PayPal
Payouts batch to it (the local PayPal server). Not offered where PayPal is off; refused while a
payout is on its way; only the seller's owner (or a teammate allowed to) changes it, and only
their own."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from core.payments.models import Payout, PayoutStatus, SellerPaymentAccount
from core.sellers.models import Seller, TeamPermission
from core.sellers.services import onboarding
from tests.accounts_helpers import PASSWORD, call, make_user, sign_in
from tests.commerce_helpers import make_shop
from tests.paypal_fixtures import come_back, enable_paypal
from tests.test_paypal_webhooks import approved_order
from tests.test_studio_sales import seller_client, teammate, text

pytest_plugins = ["tests.paypal_fixtures"]

PATH = "/seller/payouts/account/paypal"
EMAIL = "acme.sales@paypal.example"


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def api_seller(client_for, tenant, seller: Seller):
    client = client_for(tenant)
    assert sign_in(client, seller.owner.email).status_code == 200
    return client


def account_of(tenant, seller: Seller) -> tuple[str, str, bool] | None:
    with schema_context(tenant.schema_name):
        account = SellerPaymentAccount.objects.filter(seller=seller).first()
        if account is None:
            return None
        return (account.provider, account.reference, account.is_payouts_enabled)


def test_a_seller_chooses_paypal_on_the_payouts_page_and_the_next_payout_goes_there(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    _, buyer, _, token = approved_order(shop, client_for, paypal)  # PayPal on, a paid order
    with django_capture_on_commit_callbacks(execute=True):
        come_back(buyer, token)
    studio = seller_client(client_for, shop)

    before = text(studio.get("/studio/payouts/"))
    saved = studio.post(
        "/studio/payouts/paypal/", {"email": f"  {EMAIL}  "}, headers={"HX-Request": "true"}
    )
    after = text(studio.get("/studio/payouts/"))
    payout = call(
        api_seller(client_for, shop.tenant, shop.seller_one),
        "post",
        "/seller/payouts",
        {"currency": "USD"},
        **{"Idempotency-Key": uuid.uuid4().hex},
    )

    assert "Get paid with PayPal" in before and 'type="email"' in before
    assert saved.status_code == 200
    assert 'id="payout-account"' in text(saved)
    assert f"Saved: your payouts now go to {EMAIL} through PayPal." in text(saved)
    assert f"Paid with PayPal, at <strong>{EMAIL}</strong>" in after
    assert "Change PayPal e-mail" in after
    assert account_of(shop.tenant, shop.seller_one) == ("paypal", EMAIL, True)
    assert payout.status_code == 201, payout.content
    assert payout.json()["status"] == PayoutStatus.PAID
    [batch] = paypal.state.batches.values()
    [item] = batch["items"]
    assert (item["recipient_type"], item["receiver"]) == ("EMAIL", EMAIL)
    assert item["amount"] == {"currency": "USD", "value": "18.00"}
    with schema_context(shop.tenant.schema_name):
        shop.seller_one.refresh_from_db()
        assert shop.seller_one.payout_account_ref == EMAIL  # the wizard's payout step is done
        assert Payout.objects.get().provider == "paypal"


def test_without_htmx_the_page_redirects_and_confirms(shop, client_for, paypal):
    enable_paypal(shop.tenant, paypal)
    studio = seller_client(client_for, shop)

    saved = studio.post("/studio/payouts/paypal/", {"email": EMAIL})
    page = text(studio.get("/studio/payouts/"))

    assert (saved.status_code, saved["Location"]) == (302, "/studio/payouts/")
    assert f"You are paid with PayPal, at {EMAIL}." in page
    assert account_of(shop.tenant, shop.seller_one) == ("paypal", EMAIL, True)


def test_the_api_sets_the_paypal_email_and_a_stripe_like_account_is_replaced(
    shop, client_for, paypal
):
    enable_paypal(shop.tenant, paypal)
    client = api_seller(client_for, shop.tenant, shop.seller_one)
    with schema_context(shop.tenant.schema_name):
        SellerPaymentAccount.objects.create(
            seller=shop.seller_one,
            provider="sandbox",
            reference="sandbox_acct_1",
            is_payouts_enabled=True,
            payout_schedule="monthly",
        )

    answer = call(client, "put", PATH, {"email": "Acme@PayPal.EXAMPLE"})
    again = call(client, "put", PATH, {"email": "Acme@PayPal.EXAMPLE"})

    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "provider": "paypal",
        "email": "Acme@paypal.example",
        "is_payouts_enabled": True,
        "payout_schedule": "monthly",  # the schedule stays
    }
    assert again.json() == answer.json()
    assert account_of(shop.tenant, shop.seller_one) == ("paypal", "Acme@paypal.example", True)
    assert call(client, "get", "/seller/payouts/balance").json()["is_payouts_enabled"] is True


@pytest.mark.parametrize("email", ["not-an-address", "acme@", "two@@paypal.example", ""])
def test_an_address_that_is_not_one_is_a_field_error_and_changes_nothing(
    shop, client_for, paypal, email
):
    enable_paypal(shop.tenant, paypal)
    client = api_seller(client_for, shop.tenant, shop.seller_one)
    studio = seller_client(client_for, shop)

    answer = call(client, "put", PATH, {"email": email})
    page = studio.post("/studio/payouts/paypal/", {"email": email}, headers={"HX-Request": "true"})

    assert answer.status_code == 422, answer.content
    error = answer.json()["error"]
    assert "email" in str(error["details"])
    assert page.status_code == 200
    assert 'class="field has-error"' in text(page)
    assert "Saved:" not in text(page)
    assert account_of(shop.tenant, shop.seller_one) is None


def test_where_paypal_is_off_the_choice_is_absent_and_the_api_refuses(shop, client_for, paypal):
    enable_paypal(shop.tenant, paypal, is_enabled=False)  # set up, but not turned on
    client = api_seller(client_for, shop.tenant, shop.seller_one)
    studio = seller_client(client_for, shop)

    page = text(studio.get("/studio/payouts/"))
    refused = call(client, "put", PATH, {"email": EMAIL})
    posted = studio.post("/studio/payouts/paypal/", {"email": EMAIL})
    told = text(studio.get("/studio/payouts/"))

    assert "PayPal" not in page
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "payment_provider_unavailable"
    assert posted.status_code == 302
    assert "This marketplace does not pay sellers with PayPal." in told
    assert account_of(shop.tenant, shop.seller_one) is None


def test_changing_where_the_seller_is_paid_is_refused_while_a_payout_is_on_its_way(
    shop, client_for, paypal
):
    enable_paypal(shop.tenant, paypal)
    client = api_seller(client_for, shop.tenant, shop.seller_one)
    assert call(client, "put", PATH, {"email": EMAIL}).status_code == 200
    with schema_context(shop.tenant.schema_name):  # a payout a risk review holds, say
        Payout.objects.create(
            seller=shop.seller_one, currency="USD", amount=1800, provider="paypal", run_key="m:1"
        )

    refused = call(client, "put", PATH, {"email": "elsewhere@paypal.example"})
    same = call(client, "put", PATH, {"email": EMAIL})

    assert refused.status_code == 409, refused.content
    assert "on its way" in refused.json()["error"]["message"]
    assert same.status_code == 200  # choosing what is already chosen changes nothing
    assert account_of(shop.tenant, shop.seller_one) == ("paypal", EMAIL, True)


def test_only_the_sellers_own_account_changes_and_only_for_those_allowed(
    shop, tenant_b, client_for, paypal
):
    enable_paypal(shop.tenant, paypal)
    enable_paypal(tenant_b, paypal)
    bolt = api_seller(client_for, shop.tenant, shop.seller_two)
    packer = teammate(client_for, shop, "packer@example.com", [TeamPermission.PROCESS_ORDERS])
    integrator = teammate(
        client_for, shop, "integrator@example.com", [TeamPermission.CONFIGURE_INTEGRATION]
    )
    # Acme's owner's address has an account on marketplace B too: a different user.
    other_owner = make_user(tenant_b, shop.seller_one.owner.email)
    elsewhere = client_for(tenant_b)
    assert sign_in(elsewhere, other_owner.email).status_code == 200

    bolts_own = call(bolt, "put", PATH, {"email": "bolt@paypal.example"})
    by_packer = call(packer, "put", PATH, {"email": "packer@paypal.example"})
    packer_page = packer.post("/studio/payouts/paypal/", {"email": "packer@paypal.example"})
    from_b = call(elsewhere, "put", PATH, {"email": "thief@paypal.example"})
    allowed = call(integrator, "put", PATH, {"email": EMAIL})

    assert bolts_own.status_code == 200
    assert by_packer.status_code == 403
    assert packer_page.status_code in (403, 404)
    assert from_b.status_code in (401, 403)
    assert allowed.status_code == 200
    assert account_of(shop.tenant, shop.seller_one) == ("paypal", EMAIL, True)
    assert account_of(shop.tenant, shop.seller_two) == ("paypal", "bolt@paypal.example", True)
    with schema_context(tenant_b.schema_name):
        assert SellerPaymentAccount.objects.count() == 0


def test_a_seller_back_from_paypal_finds_their_card_provider_account_again(
    shop, client_for, paypal
):
    """PayPal and back: the account at the card provider is the one opened before (with
    Stripe, an Express account half set up is not opened twice), and the PayPal address is
    remembered for another switch."""
    enable_paypal(shop.tenant, paypal)
    client = api_seller(client_for, shop.tenant, shop.seller_one)
    back = {"return_url": "https://shop.example/back", "refresh_url": "https://shop.example/r"}
    first = call(client, "post", "/seller/payouts/account", back)
    card_account = account_of(shop.tenant, shop.seller_one)

    to_paypal = call(client, "put", PATH, {"email": EMAIL})
    again = call(client, "post", "/seller/payouts/account", back)

    assert first.status_code == 200 and again.status_code == 200, again.content
    assert card_account is not None and card_account[0] == "sandbox" and card_account[1]
    assert to_paypal.json()["provider"] == "paypal"
    assert account_of(shop.tenant, shop.seller_one) == card_account
    with schema_context(shop.tenant.schema_name):
        account = SellerPaymentAccount.objects.get(seller=shop.seller_one)
        assert account.earlier_references == {"sandbox": card_account[1], "paypal": EMAIL}
        assert Seller.objects.get(pk=shop.seller_one.pk).payout_account_ref == card_account[1]


def test_leaving_paypal_is_refused_while_a_payout_is_on_its_way_to_it(shop, client_for, paypal):
    enable_paypal(shop.tenant, paypal)
    client = api_seller(client_for, shop.tenant, shop.seller_one)
    assert call(client, "put", PATH, {"email": EMAIL}).status_code == 200
    with schema_context(shop.tenant.schema_name):
        Payout.objects.create(
            seller=shop.seller_one, currency="USD", amount=900, provider="paypal", run_key="m:2"
        )
    back = {"return_url": "https://shop.example/back", "refresh_url": "https://shop.example/r"}

    refused = call(client, "post", "/seller/payouts/account", back)

    assert refused.status_code == 409, refused.content
    assert "on its way" in refused.json()["error"]["message"]
    assert account_of(shop.tenant, shop.seller_one) == ("paypal", EMAIL, True)


def _applicant(client_for, tenant, email: str):
    """A shopper who has started the seller wizard, signed in on the pages."""
    user = make_user(tenant, email)
    with schema_context(tenant.schema_name):
        onboarding.start_onboarding(user=user, business_name="Paper Owl", legal_form="individual")
    client = client_for(tenant)
    assert client.post("/accounts/login/", {"username": email, "password": PASSWORD}).status_code
    return client


def test_the_seller_wizard_offers_paypal_and_completes_the_payout_step_with_it(
    tenant_a, client_for, paypal
):
    enable_paypal(tenant_a, paypal)
    maker = _applicant(client_for, tenant_a, "owl@example.com")

    wizard = text(maker.get("/seller/onboarding/"))
    wrong = maker.post("/seller/onboarding/payouts/paypal/", {"email": "owl@"})
    done = maker.post("/seller/onboarding/payouts/paypal/", {"email": " owl@PayPal.example "})
    after = text(maker.get("/seller/onboarding/"))

    assert (
        "Or get paid with PayPal" in wizard
        and 'action="/seller/onboarding/payouts/paypal/"' in wizard
    )
    assert wrong.status_code == 200
    assert 'class="field has-error"' in text(wrong)
    assert "Enter the e-mail address of your PayPal account" in text(wrong)
    assert done.status_code == 302 and done["Location"] == "/seller/onboarding/#payouts"
    assert "Payouts go to the PayPal account <strong>owl@paypal.example</strong>" in after
    assert "Or get paid with PayPal" not in after
    with schema_context(tenant_a.schema_name):
        seller = Seller.objects.get(owner__email="owl@example.com")
        assert "payout_setup" not in onboarding.missing_steps(seller)
        account = SellerPaymentAccount.objects.get(seller=seller)
        assert (account.provider, account.reference) == ("paypal", "owl@paypal.example")


def test_the_seller_wizard_does_not_offer_paypal_where_it_is_off(tenant_a, client_for, paypal):
    enable_paypal(tenant_a, paypal, is_enabled=False)
    maker = _applicant(client_for, tenant_a, "owl@example.com")

    wizard = text(maker.get("/seller/onboarding/"))
    posted = maker.post("/seller/onboarding/payouts/paypal/", {"email": "owl@paypal.example"})

    assert "PayPal" not in wizard
    assert posted.status_code == 200
    assert "This marketplace does not pay sellers with PayPal." in text(posted)
    with schema_context(tenant_a.schema_name):
        assert not SellerPaymentAccount.objects.filter(seller__owner__email="owl@example.com")
