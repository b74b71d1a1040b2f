"""The platform console's fleet overview: only verified staff holding ``view_tenant`` see
it; its figures (status, plan, provisioning, pool, GMV from the ledger, backlogs) are right
for every tenant and in total; search opens a marketplace."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from core.commerce.models import Order
from core.deadlines.models import Deadline, DeadlineStatus
from core.outbox.models import OutboxEvent
from core.payments.ledger import PROVIDER_CASH
from tenants.models import PooledSchema, Tenant
from tenants.selectors import FLEET_SNAPSHOT_CACHE_KEY, compute_fleet_snapshot
from tests.commerce_helpers import account_balance, add, bearer_client, checkout, make_shop

FLEET = "/console/fleet/"
STAFF_PASSWORD = "correct horse battery"


def staff_client_with(
    email: str, *codenames: str, is_staff: bool = True, is_verified: bool = True
) -> tuple[Client, User]:
    """A platform account holding ``codenames`` (of the tenants app), signed in on the platform
    host, with a verified second factor unless ``is_verified`` is False."""
    user = User.objects.create_user(email, STAFF_PASSWORD, role=Role.STAFF, is_staff=is_staff)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="tenants", codename__in=codenames)
    )
    assert user.user_permissions.count() == len(codenames)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_login(user)
    if is_verified:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client, user


def buy(client_for, tenant: Tenant, *, times: int) -> list[int]:
    """``times`` paid orders on ``tenant`` (one of each of its two products per order)."""
    shop = make_shop(tenant)
    buyer = bearer_client(client_for, tenant, shop.buyer)
    orders = []
    for _ in range(times):
        add(buyer, shop.editor)
        add(buyer, shop.scanner)
        response = checkout(buyer)
        assert response.status_code == 201, response.content
        orders.append(response.json()["id"])
    return orders


def paid_total(tenant: Tenant) -> int:
    with schema_context(tenant.schema_name):
        return int(Order.objects.filter(paid_at__isnull=False).aggregate(t=Sum("total"))["t"])


def test_the_fleet_overview_is_for_verified_staff_with_the_view_permission(tenant_a, db):
    anonymous = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    not_staff, _ = staff_client_with("someone@souk.test", "view_tenant", is_staff=False)
    no_second_factor, _ = staff_client_with("half@souk.test", "view_tenant", is_verified=False)
    no_permission, _ = staff_client_with("support@souk.test", "view_supportsession")
    reader, _ = staff_client_with("reader@souk.test", "view_tenant")

    for refused in (anonymous, not_staff, no_second_factor):
        response = refused.get(FLEET)
        assert response.status_code == 302
        assert response["Location"].startswith("/console/login/")
    assert no_permission.get(FLEET).status_code == 403
    page = reader.get(FLEET)
    assert page.status_code == 200
    assert b"Alpha Market" in page.content
    # Nor may anyone refresh the cached figures without the permission.
    assert no_permission.post(FLEET).status_code == 403


def test_the_fleet_overview_is_not_on_marketplace_hosts(client_for, tenant_a):
    assert client_for(tenant_a).get(FLEET).status_code == 404


def test_the_admin_index_and_header_link_to_the_fleet_overview(staff_client, db):
    index = staff_client.get("/console/")
    assert index.status_code == 200
    assert index.content.count(b'href="/console/fleet/"') == 2  # the header and the index
    plans = staff_client.get("/console/tenants/plan/")
    assert b'<nav class="console-global" aria-label="Console"><a href="/console/fleet/">' in (
        plans.content
    )
    login = Client(HTTP_HOST=settings.PLATFORM_DOMAIN).get("/console/login/")
    assert b'href="/console/fleet/"' not in login.content


def test_fleet_figures_are_right_per_tenant_and_in_total(client_for, tenant_a, tenant_b):
    a_orders, b_orders = buy(client_for, tenant_a, times=2), buy(client_for, tenant_b, times=1)
    with schema_context(tenant_b.schema_name):
        OutboxEvent.objects.update(dispatched_at=timezone.now())
        OutboxEvent.objects.create(event_type="test.waiting")
        OutboxEvent.objects.create(event_type="test.given_up", attempts=10)
        OutboxEvent.objects.create(event_type="test.done", dispatched_at=timezone.now())
    with schema_context(tenant_a.schema_name):
        OutboxEvent.objects.update(dispatched_at=timezone.now())
        now = timezone.now()
        for status in (DeadlineStatus.FAILED, DeadlineStatus.FAILED, DeadlineStatus.FIRED):
            Deadline.objects.create(
                key=f"test:{status}:{Deadline.objects.count()}",
                task="test.nothing",
                at=now,
                next_attempt_at=now,
                status=status,
                fired_at=now if status == DeadlineStatus.FIRED else None,
            )

    snapshot = compute_fleet_snapshot()

    rows = {row.slug: row for row in snapshot.tenants}
    assert set(rows) == {"alpha-market", "beta-bazaar"}
    a, b = rows["alpha-market"], rows["beta-bazaar"]
    # GMV is what buyers paid: the orders' totals, and the ledger's cash at the provider.
    assert (
        a.gmv == {"USD": paid_total(tenant_a)} == {"USD": account_balance(tenant_a, PROVIDER_CASH)}
    )
    assert (
        b.gmv == {"USD": paid_total(tenant_b)} == {"USD": account_balance(tenant_b, PROVIDER_CASH)}
    )
    assert a.gmv["USD"] == 2 * b.gmv["USD"] > 0
    assert (a.paid_orders, b.paid_orders) == (len(a_orders), len(b_orders)) == (2, 1)
    assert snapshot.gmv_total == {"USD": a.gmv["USD"] + b.gmv["USD"]}
    assert (a.outbox_pending, a.outbox_dead, a.deadlines_failed) == (0, 0, 2)
    assert (b.outbox_pending, b.outbox_dead, b.deadlines_failed) == (2, 1, 0)
    assert (snapshot.outbox_pending, snapshot.outbox_dead, snapshot.deadlines_failed) == (2, 1, 2)
    assert snapshot.by_status == {"active": 2}
    assert snapshot.by_plan == {"No plan": 2}
    assert snapshot.created_per_day[-1] == (timezone.now().date(), 2)
    assert snapshot.created_last_30_days == 2
    assert snapshot.pool_level == PooledSchema.objects.count()
    assert (a.primary_domain, b.primary_domain) == (
        "alpha-market.souk.test",
        "beta-bazaar.souk.test",
    )


def test_the_page_shows_gmv_as_money_and_refreshes_on_request(
    client_for, staff_client, tenant_a, tenant_b
):
    buy(client_for, tenant_a, times=1)
    cache.delete(FLEET_SNAPSHOT_CACHE_KEY)
    first = staff_client.get(FLEET)
    gmv = f"{paid_total(tenant_a) / 100:.2f} USD"
    assert gmv.encode() in first.content
    assert b'data-chart="chart-gmv-usd-data"' in first.content

    # A new order is not counted until the cached figures are refreshed.
    buy(client_for, tenant_b, times=1)
    total = f"{(paid_total(tenant_a) + paid_total(tenant_b)) / 100:.2f} USD"
    assert total.encode() not in staff_client.get(FLEET).content
    refreshed = staff_client.post(FLEET)
    assert refreshed.status_code == 302 and refreshed["Location"] == FLEET
    assert total.encode() in staff_client.get(FLEET).content


def test_computing_the_figures_takes_the_same_queries_for_more_tenants(
    make_tenant, tenant_a, tenant_b
):
    with CaptureQueriesContext(connection) as two:
        compute_fleet_snapshot()
    make_tenant("gamma-goods")
    make_tenant("delta-deals")
    with CaptureQueriesContext(connection) as four:
        snapshot = compute_fleet_snapshot()
    assert len(snapshot.tenants) == 4
    counts = [sum(1 for q in run if not q["sql"].startswith("SET ")) for run in (two, four)]
    assert counts == [4, 4]  # tenants, opened per day, pool, one statement for the schemas


def test_a_cached_fleet_page_runs_a_fixed_number_of_queries(
    staff_client, tenant_a, tenant_b, django_assert_max_num_queries
):
    assert staff_client.get(FLEET).status_code == 200  # computes and caches the figures
    with django_assert_max_num_queries(6):
        assert staff_client.get(FLEET).status_code == 200


def test_search_finds_marketplaces_by_domain_and_opens_the_only_match(
    staff_client, tenant_a, tenant_b
):
    listing = staff_client.get(FLEET, {"q": "bazaar.souk"})
    assert listing.status_code == 200
    found = listing.context["found"]
    assert [tenant.slug for tenant in found] == ["beta-bazaar"]

    by_owner = staff_client.get(FLEET, {"q": "owner@"}).context["found"]
    assert [tenant.slug for tenant in by_owner] == ["alpha-market", "beta-bazaar"]

    jump = staff_client.get(FLEET, {"q": "Beta Baz", "go": "1"})
    assert jump.status_code == 302
    assert jump["Location"] == "/console/fleet/beta-bazaar/"
    assert b"Beta Bazaar" in staff_client.get(jump["Location"]).content

    nothing = staff_client.get(FLEET, {"q": "no such market"})
    assert nothing.context["found"] == []
    assert b"Nothing matches" in nothing.content


def test_the_fleet_counts_only_recent_openings_per_day(tenant_a, tenant_b):
    long_ago = timezone.now() - timedelta(days=45)
    Tenant.objects.filter(pk=tenant_b.pk).update(created_at=long_ago)
    snapshot = compute_fleet_snapshot()
    assert snapshot.created_last_30_days == 1
    assert len(snapshot.created_per_day) == 30
