"""The seller studio's dashboard (/studio/): who may open it, that its money figures are the
ledger's and the payout balance's, that nobody else's sales leak in, and what it costs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.payments import ledger
from core.sellers.models import TeamMember
from core.studio.dashboard.figures import Period, build_seller_dashboard, main_queries
from tests.accounts_helpers import call, make_user, sign_in, signed_in_operator
from tests.commerce_helpers import add, bearer_client, checkout, make_shop, new_key


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def paid_order(shop, client_for, capture, *products):
    client = bearer_client(client_for, shop.tenant, shop.buyer)
    for product in products:
        add(client, product)
    with capture(execute=True):
        response = checkout(client)
    assert response.status_code == 201, response.content
    return response.json()


def signed_in(client_for, tenant, email):
    client = client_for(tenant)
    assert sign_in(client, email).status_code == 200
    return client


def teammate(client_for, tenant, seller, email, permissions):
    make_user(tenant, email)
    with schema_context(tenant.schema_name):
        TeamMember.objects.create(
            seller=seller, user=User.objects.get(email=email), permissions=sorted(permissions)
        )
    return signed_in(client_for, tenant, email)


def kpi(html: str, name: str) -> str:
    found = re.search(
        rf'data-kpi="{name}">\s*<span class="kpi-label">[^<]*</span>\s*'
        r'<span class="kpi-value money">([^<]*)</span>',
        html,
    )
    assert found, f"no {name} figure on the page"
    return found.group(1)


def test_the_owner_sees_gross_sales_net_earnings_and_payouts_due_from_the_ledger(
    shop, client_for, django_capture_on_commit_callbacks
):
    paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor, shop.editor)
    owner = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)

    response = owner.get("/studio/")

    assert response.status_code == 200
    html = response.content.decode()
    # Two 20.00 editors at 10 % commission: 40.00 sold, 36.00 earned and owed.
    assert kpi(html, "gross-sales") == "40.00 USD"
    assert kpi(html, "net-earnings") == "36.00 USD"
    assert kpi(html, "payouts-due") == "36.00 USD"
    assert kpi(html, "orders") == "1"
    assert kpi(html, "active-customers") == "1"
    balance = call(owner, "get", "/seller/payouts/balance").json()
    assert balance["available"] == [{"amount": 3600, "currency": "USD", "display": "36.00 USD"}]
    assert 'id="chart-revenue"' in html
    assert 'id="chart-orders-by-type"' in html
    assert 'id="chart-funnel"' in html
    assert "chart.umd.min.js" in html


def test_a_teammate_without_view_analytics_gets_403_and_one_with_it_sees_the_figures(
    shop, client_for, django_capture_on_commit_callbacks
):
    paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor)
    packer = teammate(
        client_for, shop.tenant, shop.seller_one, "packer@example.com", ["process_orders"]
    )
    analyst = teammate(
        client_for, shop.tenant, shop.seller_one, "analyst@example.com", ["view_analytics"]
    )

    refused = packer.get("/studio/")
    refused_analytics = packer.get("/studio/analytics/")
    allowed = analyst.get("/studio/")

    assert refused.status_code == 403
    assert "needs the team permission “View analytics”" in refused.content.decode()
    assert refused_analytics.status_code == 403
    assert packer.get("/studio/analytics/export.csv").status_code == 403
    assert allowed.status_code == 200
    assert kpi(allowed.content.decode(), "gross-sales") == "20.00 USD"


def test_a_buyer_and_a_guest_are_kept_out(shop, client_for):
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    assert buyer.get("/studio/").status_code == 403
    guest = client_for(shop.tenant).get("/studio/")
    assert guest.status_code == 302
    assert "/accounts/sign-in" in guest["Location"] or "login" in guest["Location"]


def test_another_sellers_sales_never_reach_the_dashboard(
    shop, client_for, django_capture_on_commit_callbacks
):
    # One order of both sellers' products, and a second of the other seller only.
    paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor, shop.scanner)
    paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.scanner)
    owner = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)

    html = owner.get("/studio/").content.decode()

    assert kpi(html, "gross-sales") == "20.00 USD"
    assert kpi(html, "net-earnings") == "18.00 USD"
    assert kpi(html, "orders") == "1"
    assert "Secure Scanner" not in html
    other = signed_in(client_for, shop.tenant, shop.seller_two.owner.email)
    assert kpi(other.get("/studio/").content.decode(), "gross-sales") == "30.00 USD"


def test_another_marketplace_sees_none_of_these_sales(
    shop, client_for, django_capture_on_commit_callbacks, tenant_b
):
    paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor)
    from tests.catalog_helpers import make_seller

    # The same slug (hence the same owner e-mail) on the other marketplace: unrelated.
    make_seller(tenant_b, "acme", "Acme Elsewhere", product_types=("widget",))
    elsewhere = signed_in(client_for, tenant_b, "acme@example.com")

    response = elsewhere.get("/studio/")

    assert response.status_code == 200
    html = response.content.decode()
    assert kpi(html, "gross-sales") == "0.00 USD"
    assert kpi(html, "payouts-due") == "0.00 USD"
    assert "No sales yet in this period" in html


def test_refunds_and_payouts_show_as_the_ledger_books_them(
    shop, client_for, django_capture_on_commit_callbacks
):
    order = paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor)
    operator, _ = signed_in_operator(client_for, shop.tenant)
    with django_capture_on_commit_callbacks(execute=True):  # the outbox copies the refund
        refunded = call(
            operator,
            "post",
            f"/operator/commerce/orders/{order['id']}/refunds",
            {"lines": [{"line_id": order["lines"][0]["id"], "amount": 500}], "reason": "goodwill"},
            **{"Idempotency-Key": new_key()},
        )
    assert refunded.status_code == 201, refunded.content
    owner = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)
    before_payout = owner.get("/studio/").content.decode()
    call(
        owner,
        "post",
        "/seller/payouts/account",
        {"return_url": "https://x.example/done", "refresh_url": "https://x.example/again"},
    )
    paid = call(owner, "post", "/seller/payouts", {"currency": "USD"}, **{"Idempotency-Key": "p"})
    assert paid.status_code == 201, paid.content

    after_payout = owner.get("/studio/").content.decode()

    # 20.00 sold, 5.00 refunded (4.50 of it the seller's): 13.50 earned.
    assert kpi(before_payout, "refunds") == "5.00 USD"
    assert kpi(before_payout, "net-earnings") == "13.50 USD"
    assert kpi(before_payout, "payouts-due") == "13.50 USD"
    # Paid out: earnings stay what they were, nothing is due any more (the cache moved on).
    assert kpi(after_payout, "net-earnings") == "13.50 USD"
    assert kpi(after_payout, "payouts-due") == "0.00 USD"


def test_a_wrong_custom_period_answers_field_errors_and_shows_the_default(shop, client_for):
    owner = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)
    today = timezone.now().date()

    response = owner.get(
        "/studio/",
        {
            "range": "custom",
            "start": today.isoformat(),
            "end": (today - timedelta(days=3)).isoformat(),
        },
    )
    future = owner.get(
        "/studio/",
        {
            "range": "custom",
            "start": today.isoformat(),
            "end": (today + timedelta(days=1)).isoformat(),
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "The first day must come before the last." in html
    assert "(30 days)" in html
    assert "The period cannot end in the future." in future.content.decode()


def test_a_custom_period_compares_with_the_days_just_before_it(shop, client_for):
    owner = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)
    response = owner.get(
        "/studio/", {"range": "custom", "start": "2026-03-01", "end": "2026-03-10"}
    )
    html = response.content.decode()
    assert (
        "1 Mar 2026 \N{EN DASH} 10 Mar 2026 (10 days), compared with 19 Feb 2026 \N{EN DASH} 28 Feb 2026"
        in html
    )


def test_the_dashboard_query_count_is_pinned_cold_and_cached(
    shop, client_for, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor, shop.scanner)
    owner = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)

    with django_assert_max_num_queries(22):
        assert owner.get("/studio/").status_code == 200
    with django_assert_max_num_queries(13) as cached:
        assert owner.get("/studio/").status_code == 200
    # The cached answer reads no figure: only the session, the guard and the stamp.
    assert not any("commerce_orderline" in q["sql"] for q in cached.captured_queries)


def test_the_main_queries_read_through_the_sellers_indexes(shop):
    """With sequential scans priced out, each query's plan reaches the big tables only
    through an index on the seller (at 1M orders: bench/dashboards.py prints the plans)."""
    today = timezone.now().date()
    with schema_context(shop.tenant.schema_name):
        queries = main_queries(shop.seller_one.pk, Period.last(30, today), "USD")
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            plans = {}
            for name, (sql, params) in queries.items():
                cursor.execute("EXPLAIN (FORMAT TEXT) " + sql, params)
                plans[name] = "\n".join(row[0] for row in cursor.fetchall())
    assert "dashboard_journalline_seller_entry" in plans["journal"]
    assert "seller_sale_seller_paid" in plans["sales"]
    assert "seller_refund_seller_time" in plans["refunds"]
    assert "seller_sale_seller_paid" in plans["summary"]
    assert "product_stats_seller_day" in plans["funnel"]
    for name, plan in plans.items():
        assert "Seq Scan" not in plan, (name, plan)


def test_figures_agree_with_the_payout_balance_service(
    shop, client_for, django_capture_on_commit_callbacks
):
    paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor)
    today = timezone.now().date()
    with schema_context(shop.tenant.schema_name):
        from core.payments.services.payouts import available_balance

        board = build_seller_dashboard(
            seller_id=shop.seller_one.pk,
            period=Period.last(7, today),
            currency=None,
            default_currency="USD",
        )
        assert board.payouts_due == available_balance(shop.seller_one.pk, "USD") == 1800
        assert board.payouts_due == ledger.seller_balances(shop.seller_one.pk)["available"]["USD"]
