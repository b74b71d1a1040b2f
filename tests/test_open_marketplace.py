"""The platform's public "open your marketplace" form: its page lets the form's answer go to
the new storefront (and only to marketplace hosts), a resubmission from the same browser lands
on the marketplace it already made, it is rate-limited per IP and platform-wide, refuses bots
without a third party, never clones or migrates in the request, and the marketplace stays
unopened (operators only, not indexed) until the owner confirms their address."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import LoginHandoff, User
from core.security_headers import content_security_policy, extend_form_action
from tenants.errors import TenantErrorCode
from tenants.forms import FORM_MAX_SECONDS
from tenants.models import Tenant
from tenants.services.owner_verification import owner_verification_token
from tenants.tasks import refill_schema_pool
from tests.accounts_helpers import make_user
from tests.fleet_helpers import fleet_snapshot
from tests.platform_helpers import sign_up_form
from tests.test_provisioning import empty_the_pool

pytest_plugins = ["tests.stripe_fixtures"]

STOREFRONT = "spice-route.souk.test"


def form_action_of(response) -> str:
    policy = response["Content-Security-Policy"]
    [directive] = [part.strip() for part in policy.split(";") if "form-action" in part]
    return directive


def hand_off(target: str) -> Client:
    """Follow the sign-up form's redirect in a fresh browser on the storefront's host."""
    location = urlparse(target)
    storefront = Client(HTTP_HOST=location.hostname)
    landed = storefront.get(f"{location.path}?{location.query}")
    assert landed.status_code == 302 and landed["Location"] == "/"
    return storefront


def confirmation_link() -> str:
    [message] = [m for m in mail.outbox if "Confirm your e-mail address to open" in m.subject]
    assert message.to == ["founder@spice.example"]
    [link] = re.findall(r"https?://\S+", str(message.body))
    return link


# --- 0: the page's policy lets the form go to the new storefront, and only there --------------


def test_sign_up_page_lets_its_form_go_to_marketplace_hosts_only(platform_client, db):
    page = platform_client.get("/")
    refused = platform_client.post("/", sign_up_form(slug="admin"))

    assert page.status_code == 200 and refused.status_code == 400
    # The redirect after the POST goes to <slug>.souk.test: named, nothing else added.
    assert form_action_of(page) == "form-action 'self' http://*.souk.test"
    assert form_action_of(refused) == "form-action 'self' http://*.souk.test"
    assert page["Content-Security-Policy"] == content_security_policy(
        form_action=["http://*.souk.test"]
    )


def test_the_allowed_marketplace_hosts_carry_the_servers_port(db):
    client = Client(HTTP_HOST="souk.test:8000")

    page = client.get("/", SERVER_PORT="8000")

    assert form_action_of(page) == "form-action 'self' http://*.souk.test:8000"


def test_other_pages_keep_form_action_self(client_for, tenant_a, platform_client):
    for response in (
        client_for(tenant_a).get("/"),
        client_for(tenant_a).get("/accounts/login/"),
        platform_client.get("/console/login/"),
    ):
        assert form_action_of(response) == "form-action 'self'"


@pytest.mark.parametrize(
    "source",
    ["https://pay.example; script-src *", "*", "'unsafe-inline'", "https://a.example/path", ""],
)
def test_a_form_action_source_that_is_not_a_plain_origin_is_a_wiring_error(source):
    from django.http import HttpResponse

    with pytest.raises(ValueError):
        extend_form_action(HttpResponse(), [source])


def test_a_resubmitted_sign_up_from_the_same_browser_lands_on_the_marketplace_it_made(
    platform_client, db
):
    first = platform_client.post("/", sign_up_form())
    again = platform_client.post("/", sign_up_form())

    assert first.status_code == again.status_code == 302
    assert urlparse(again["Location"]).hostname == STOREFRONT
    assert first["Location"] != again["Location"]  # a fresh ticket, not the spent one
    assert Tenant.objects.filter(name="Spice Route").count() == 1
    tenant = Tenant.objects.get(slug="spice-route")
    with schema_context(tenant.schema_name):
        assert User.objects.count() == 1
    storefront = hand_off(again["Location"])
    assert b"founder@spice.example" in storefront.get("/").content


def test_the_same_address_from_another_browser_or_with_another_password_is_taken(
    platform_client, db
):
    platform_client.post("/", sign_up_form())

    other_browser = Client(HTTP_HOST="souk.test").post("/", sign_up_form())
    wrong_password = platform_client.post("/", sign_up_form(owner_password="another long pass"))
    other_owner = platform_client.post("/", sign_up_form(owner_email="else@spice.example"))

    for response in (other_browser, wrong_password, other_owner):
        assert response.status_code == 400
        assert b"already taken" in response.content
    assert Tenant.objects.filter(name="Spice Route").count() == 1
    tenant = Tenant.objects.get(slug="spice-route")
    with schema_context(tenant.schema_name):
        assert LoginHandoff.objects.count() == 1  # no ticket for any of them


# --- 0: the payout step hands the seller to Stripe Connect; its page allows exactly that ------


def onboarding_seller(tenant):
    from core.sellers.models import Seller

    user = make_user(tenant, "maker@spice.example")
    with schema_context(tenant.schema_name):
        Seller.objects.create(owner=user, slug="maker", business_name="Maker", legal_form="company")
        client = Client(HTTP_HOST=f"{tenant.slug}.souk.test")
        client.force_login(user)  # sessions live in the tenant's schema
    return client


def test_payout_step_hands_the_seller_to_stripe_connect_and_its_page_allows_it(
    tenant_a, stripe_testbed
):
    from core.payments.models import SellerPaymentAccount
    from core.sellers.models import Seller

    seller_client = onboarding_seller(tenant_a)
    connect = urlparse(stripe_testbed.connect.url)
    origin = f"{connect.scheme}://{connect.hostname}:{connect.port}"

    wizard = seller_client.get("/seller/onboarding/")
    answer = seller_client.post("/seller/onboarding/payouts/")

    assert form_action_of(wizard) == f"form-action 'self' {origin}"
    assert answer.status_code == 302
    [link] = stripe_testbed.connect.sent("POST", "/v1/account_links")
    assert link.params["return_url"] == "http://alpha-market.souk.test/seller/onboarding/#payouts"
    assert answer["Location"].startswith(f"{origin}/setup/e/acct_")
    with schema_context(tenant_a.schema_name):
        account = SellerPaymentAccount.objects.get()
        assert (account.provider, account.is_payouts_enabled) == ("stripe", False)
        assert Seller.objects.get().payout_account_ref == account.reference
        assert answer["Location"].startswith(f"{origin}/setup/e/{account.reference}/")


def test_with_the_sandbox_the_payout_step_stays_on_the_marketplace(tenant_a):
    seller_client = onboarding_seller(tenant_a)

    wizard = seller_client.get("/seller/onboarding/")
    answer = seller_client.post("/seller/onboarding/payouts/")

    assert form_action_of(wizard) == "form-action 'self'"
    assert answer.status_code == 302
    assert answer["Location"] == "/seller/onboarding/#payouts"


# --- 3: rate limits ----------------------------------------------------------------------------


def test_open_marketplace_is_limited_per_ip(platform_client, db, settings):
    settings.SOUK_RATES = {"open_marketplace_ip": "2/h", "open_marketplace_all": "100/h"}

    made = [
        platform_client.post("/", sign_up_form(slug=f"shop-{n}", name=f"Shop {n}"))
        for n in range(2)
    ]
    refused = platform_client.post("/", sign_up_form(slug="shop-x", name="Shop X"))
    elsewhere = Client(HTTP_HOST="souk.test", REMOTE_ADDR="203.0.113.9").post(
        "/", sign_up_form(slug="shop-y", name="Shop Y")
    )

    assert [response.status_code for response in made] == [302, 302]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert b"Too many attempts" in refused.content
    assert elsewhere.status_code == 302
    assert sorted(
        Tenant.objects.filter(slug__startswith="shop-").values_list("slug", flat=True)
    ) == [
        "shop-0",
        "shop-1",
        "shop-y",
    ]


def test_open_marketplace_is_limited_for_the_whole_platform(db, settings):
    settings.SOUK_RATES = {"open_marketplace_ip": "100/h", "open_marketplace_all": "2/h"}

    answers = [
        Client(HTTP_HOST="souk.test", REMOTE_ADDR=f"198.51.100.{n}").post(
            "/", sign_up_form(slug=f"shop-{n}", name=f"Shop {n}")
        )
        for n in range(3)
    ]

    assert [answer.status_code for answer in answers] == [302, 302, 429]
    assert not Tenant.objects.filter(slug="shop-2").exists()


def test_ipv6_clients_share_a_bucket_per_64_and_refusals_spend_nothing_shared(db, settings):
    settings.SOUK_RATES = {"open_marketplace_ip": "1/h", "open_marketplace_all": "3/h"}

    def post(address: str, slug: str) -> int:
        client = Client(HTTP_HOST="souk.test", REMOTE_ADDR=address)
        return client.post("/", sign_up_form(slug=slug, name=slug.title())).status_code

    answers = [
        post("2001:db8:1:2::1", "shop-a"),
        post("2001:db8:1:2:ffff::9", "shop-b"),  # the same /64: refused by its own bucket
        post("2001:db8:1:2::2", "shop-c"),
        post("2001:db8:1:3::1", "shop-d"),  # another /64
        post("192.0.2.7", "shop-e"),  # the platform's third: the refusals spent none of it
        post("192.0.2.8", "shop-f"),
    ]

    assert answers == [302, 429, 429, 302, 302, 429]
    assert sorted(
        Tenant.objects.filter(slug__startswith="shop-").values_list("slug", flat=True)
    ) == [
        "shop-a",
        "shop-d",
        "shop-e",
    ]


def test_a_weak_password_costs_no_attempt(platform_client, db, settings):
    settings.SOUK_RATES = {"open_marketplace_ip": "1/h", "open_marketplace_all": "100/h"}

    weak = platform_client.post("/", sign_up_form(owner_password="123"))
    good = platform_client.post("/", sign_up_form())

    assert weak.status_code == 400 and b"too short" in weak.content
    assert good.status_code == 302


# --- 3: bot friction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"website": "http://spam.example"}, b"We could not accept this form"),
        ({"shown_seconds_ago": 0.2}, b"That was quick!"),
        ({"shown_seconds_ago": FORM_MAX_SECONDS + 60}, b"open for too long"),
        ({"form_stamp": "forged"}, b"We could not accept this form"),
        ({"form_stamp": ""}, b"We could not accept this form"),
    ],
    ids=["honeypot filled", "too fast", "too old", "forged stamp", "no stamp"],
)
def test_bot_friction_refuses_the_form_and_makes_nothing(
    platform_client, db, fields, message, django_capture_on_commit_callbacks
):
    before = fleet_snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        response = platform_client.post("/", sign_up_form(**fields))

    assert response.status_code == 400
    assert message in response.content
    assert fleet_snapshot() == before
    assert mail.outbox == []
    # The page comes back with a fresh stamp, so a person only has to send it again.
    assert b'name="form_stamp" value="' in response.content


# --- 3: never a clone or migrations in the request ---------------------------------------------


def test_with_the_pool_empty_the_form_says_at_capacity_and_queues_a_refill(
    platform_client, db, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker: the refill goes to a worker
    empty_the_pool()
    before = fleet_snapshot()

    with django_capture_on_commit_callbacks() as callbacks:
        response = platform_client.post("/", sign_up_form())

    assert response.status_code == 503
    assert b"at capacity" in response.content and b"try again in a few minutes" in response.content
    assert response["Retry-After"] == "120"
    # No clone of the template and no migrated schema: nothing at all was made.
    assert fleet_snapshot() == before
    assert callbacks == [refill_schema_pool.delay]
    assert mail.outbox == []


def test_the_console_api_and_commands_still_clone_and_open_at_once(make_tenant):
    empty_the_pool()

    result = make_tenant("console-made")

    assert result.schema_source == "clone"
    assert result.tenant.is_owner_verified
    assert Client(HTTP_HOST="console-made.souk.test").get("/").status_code == 200


def test_pool_only_provisioning_refuses_with_at_capacity(db):
    from tenants.errors import TenantError
    from tenants.services import provision_tenant
    from tenants.services.provision_tenant import POOL_ONLY

    empty_the_pool()
    with pytest.raises(TenantError) as caught:
        provision_tenant(
            slug="poolless-shop",
            name="Pool Less",
            owner_email="o@poolless.example",
            owner_password=None,
            schema_sources=POOL_ONLY,
        )
    assert caught.value.code == TenantErrorCode.AT_CAPACITY


# --- 3: unopened until the owner confirms their address ----------------------------------------


def test_a_new_marketplace_is_shown_only_to_its_operators_until_the_owner_confirms(
    platform_client, db
):
    owner = hand_off(platform_client.post("/", sign_up_form())["Location"])
    visitor = Client(HTTP_HOST=STOREFRONT)
    tenant = Tenant.objects.get(slug="spice-route")
    assert tenant.owner_verified_at is None

    home = visitor.get("/")
    api = visitor.get("/api/v1/marketplace")
    sign_up = visitor.get("/accounts/signup/")
    owners_home = owner.get("/")

    assert home.status_code == 404 and b"Spice Route is not open yet" in home.content
    assert home["X-Robots-Tag"] == "noindex, nofollow"
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "marketplace_not_open"
    assert sign_up.status_code == 404
    assert visitor.get("/accounts/login/").status_code == 200  # the owner can always get in
    assert owners_home.status_code == 200
    assert owners_home["X-Robots-Tag"] == "noindex, nofollow"
    assert b'<meta name="robots" content="noindex, nofollow">' in owners_home.content
    assert b"Only your team can see Spice Route until you confirm founder@spice.example" in (
        owners_home.content
    )
    # A signed-in buyer of the marketplace is a visitor too.
    buyer = Client(HTTP_HOST=STOREFRONT)
    early = make_user(tenant, "early@buyer.example")
    with schema_context(tenant.schema_name):
        buyer.force_login(early)
    assert buyer.get("/").status_code == 404


def test_the_mailed_link_on_the_primary_domain_opens_the_marketplace(
    platform_client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        hand_off(platform_client.post("/", sign_up_form())["Location"])
    link = confirmation_link()
    visitor = Client(HTTP_HOST=STOREFRONT)

    location = urlparse(link)
    assert (location.scheme, location.hostname) == ("http", STOREFRONT)
    shown = visitor.get(location.path)  # mail scanners open links: a GET changes nothing
    assert shown.status_code == 200 and b"Confirm and open my marketplace" in shown.content
    assert Tenant.objects.get(slug="spice-route").owner_verified_at is None
    confirmed = visitor.post(location.path)

    assert confirmed.status_code == 200 and b"Spice Route is open" in confirmed.content
    tenant = Tenant.objects.get(slug="spice-route")
    assert tenant.owner_verified_at is not None
    home = visitor.get("/")
    assert home.status_code == 200 and "X-Robots-Tag" not in home
    assert b'name="robots"' not in home.content
    with schema_context(tenant.schema_name):
        assert User.objects.get(email="founder@spice.example").email_verified_at is not None


def test_a_confirmation_link_of_one_marketplace_does_not_open_another(platform_client, db):
    platform_client.post("/", sign_up_form())
    platform_client.post("/", sign_up_form(slug="pepper-road", name="Pepper Road"))
    spice = Tenant.objects.get(slug="spice-route")

    wrong_host = Client(HTTP_HOST="pepper-road.souk.test").post(
        f"/marketplace/verify/{owner_verification_token(spice)}/"
    )
    forged = Client(HTTP_HOST=STOREFRONT).post("/marketplace/verify/not-a-token/")

    assert wrong_host.status_code == 400 and forged.status_code == 400
    assert b"invalid or has expired" in wrong_host.content
    assert not Tenant.objects.filter(
        owner_verified_at__isnull=False, slug__in=["spice-route", "pepper-road"]
    ).exists()


def test_a_link_for_an_old_owner_address_does_not_open_the_marketplace(platform_client, db):
    platform_client.post("/", sign_up_form())
    tenant = Tenant.objects.get(slug="spice-route")
    token = owner_verification_token(tenant)
    Tenant.objects.filter(pk=tenant.pk).update(owner_email="new@spice.example")

    response = Client(HTTP_HOST=STOREFRONT).post(f"/marketplace/verify/{token}/")

    assert response.status_code == 400
    assert Tenant.objects.get(pk=tenant.pk).owner_verified_at is None


def test_operators_can_ask_for_the_link_again_a_few_times(
    platform_client, db, settings, django_capture_on_commit_callbacks
):
    settings.SOUK_RATES = {"owner_verification_mail": "2/h"}
    owner = hand_off(platform_client.post("/", sign_up_form())["Location"])

    with django_capture_on_commit_callbacks(execute=True):
        answers = [owner.post("/marketplace/verify/resend/") for _ in range(3)]
        visitor = Client(HTTP_HOST=STOREFRONT).post("/marketplace/verify/resend/")

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert b"We sent a new confirmation link to founder@spice.example" in answers[0].content
    assert len(mail.outbox) == 2
    assert visitor.status_code == 302  # to the sign-in page; nothing sent
    assert len(mail.outbox) == 2


def test_marketplaces_never_confirmed_are_deleted_when_the_link_expires(
    platform_client, make_tenant
):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.services.open_marketplace import delete_unopened_marketplaces
    from tenants.services.owner_verification import OWNER_VERIFICATION_MAX_AGE

    platform_client.post("/", sign_up_form())
    platform_client.post("/", sign_up_form(slug="pepper-road", name="Pepper Road"))
    make_tenant("staff-made")
    expired = timezone.now() - timedelta(seconds=OWNER_VERIFICATION_MAX_AGE, minutes=1)
    Tenant.objects.filter(slug__in=["spice-route", "staff-made"]).update(created_at=expired)

    deleted = delete_unopened_marketplaces()

    # Deletion requested with no grace period: the hourly purge (purge_deleted_tenants, which
    # calls this first) removes its schema, files and rows on its next run.
    assert deleted == ["spice-route"]
    spice = Tenant.objects.get(slug="spice-route")
    assert spice.is_suspended and spice.purge_after is not None
    assert spice.purge_after <= timezone.now()
    # Still within its link's lifetime, or made by staff: kept, and as before.
    assert sorted(
        Tenant.objects.filter(slug__in=["pepper-road", "staff-made"]).values_list(
            "slug", "status", "deletion_requested_at"
        )
    ) == [("pepper-road", "active", None), ("staff-made", "active", None)]
    assert delete_unopened_marketplaces() == []  # idempotent
