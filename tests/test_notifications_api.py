"""The notification API and pages: only the owner's notifications, in their own marketplace;
critical types locked in the API and on the page; the bell, the unread count and the list
are one query each whatever the history."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.test import RequestFactory
from django_tenants.utils import schema_context

from core.notifications.models import Notification, Preferences
from core.notifications.selectors import notifications_page
from core.notifications.services import notify
from core.notifications.unread import cached_unread_count, unread_count
from tests.accounts_helpers import call, make_user, sign_in


def _signed_in(client_for, tenant, email):
    user = make_user(tenant, email)
    client = client_for(tenant)
    assert sign_in(client, email).status_code == 200
    return client, user


def _notify(tenant, user, title="Hello", **extra):
    with schema_context(tenant.schema_name):
        notify(user_ids=[user.pk], type_key="orders.paid", title=title, url="/orders/1/", **extra)
        return Notification.objects.filter(user=user).latest("id")


def test_the_list_is_mine_newest_first_with_a_cursor(tenant_a, client_for):
    client, alice = _signed_in(client_for, tenant_a, "alice@example.com")
    bob = make_user(tenant_a, "bob@example.com")
    for n in range(3):
        _notify(tenant_a, alice, title=f"alice {n}")
    _notify(tenant_a, bob, title="bob's")
    first = call(client, "get", "/notifications?limit=2").json()
    assert [item["title"] for item in first["items"]] == ["alice 2", "alice 1"]
    rest = call(client, "get", f"/notifications?limit=2&cursor={first['next_cursor']}").json()
    assert [item["title"] for item in rest["items"]] == ["alice 0"]
    assert rest["next_cursor"] is None


def test_mark_one_and_all_read_and_the_unread_count(tenant_a, client_for):
    client, alice = _signed_in(client_for, tenant_a, "alice@example.com")
    first = _notify(tenant_a, alice, title="one")
    _notify(tenant_a, alice, title="two")
    assert call(client, "get", "/notifications/unread-count").json() == {"unread_count": 2}
    answer = call(client, "post", f"/notifications/{first.pk}/read")
    assert answer.status_code == 200 and answer.json()["read_at"] is not None
    assert call(client, "get", "/notifications/unread-count").json() == {"unread_count": 1}
    assert call(client, "post", "/notifications/read-all").json() == {
        "marked": 1,
        "unread_count": 0,
    }
    assert call(client, "get", "/notifications/unread-count").json() == {"unread_count": 0}


def test_another_users_notification_is_not_found(tenant_a, client_for):
    client, _alice = _signed_in(client_for, tenant_a, "alice@example.com")
    bob = make_user(tenant_a, "bob@example.com")
    bobs = _notify(tenant_a, bob)
    answer = call(client, "post", f"/notifications/{bobs.pk}/read")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "notification_not_found"
    assert client.post(f"/notifications/{bobs.pk}/open/").status_code == 404
    with schema_context(tenant_a.schema_name):
        assert Notification.objects.get(pk=bobs.pk).read_at is None


def test_a_notification_of_another_marketplace_is_not_found_and_never_listed(
    tenant_a, tenant_b, client_for
):
    client_a, alice = _signed_in(client_for, tenant_a, "alice@example.com")
    client_b, bea = _signed_in(client_for, tenant_b, "bea@example.com")
    on_a = _notify(tenant_a, alice, title="on A")
    _notify(tenant_b, bea, title="on B")
    assert call(client_b, "post", f"/notifications/{on_a.pk}/read").status_code == 404
    assert client_b.post(f"/notifications/{on_a.pk}/open/").status_code == 404
    assert [i["title"] for i in call(client_a, "get", "/notifications").json()["items"]] == ["on A"]
    assert [i["title"] for i in call(client_b, "get", "/notifications").json()["items"]] == ["on B"]
    # A's session is not a session on B.
    assert client_for(tenant_b).get("/api/v1/notifications").status_code == 401


def test_a_critical_type_cannot_be_switched_off_through_the_api(tenant_a, client_for):
    client, alice = _signed_in(client_for, tenant_a, "alice@example.com")
    answer = call(
        client,
        "put",
        "/notifications/preferences",
        {"channels": {"orders.refunded": {"email": False}}},
    )
    assert 400 <= answer.status_code < 500
    assert answer.json()["error"]["code"] == "critical_notification_locked"
    with schema_context(tenant_a.schema_name):
        assert not Preferences.objects.filter(user=alice).exists()
    types = {t["key"]: t for t in call(client, "get", "/notifications/preferences").json()["types"]}
    email = next(c for c in types["orders.refunded"]["channels"] if c["channel"] == "email")
    assert email == {"channel": "email", "is_on": True, "is_locked": True}


def test_preferences_round_trip_through_the_api(tenant_a, client_for):
    client, _ = _signed_in(client_for, tenant_a, "alice@example.com")
    answer = call(
        client,
        "put",
        "/notifications/preferences",
        {
            "channels": {"chat.message": {"email": False, "push": True}},
            "time_zone": "Europe/Berlin",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "is_daily_digest": True,
        },
    ).json()
    chat = {
        c["channel"]: c["is_on"]
        for t in answer["types"]
        if t["key"] == "chat.message"
        for c in t["channels"]
    }
    assert chat == {"in_app": True, "email": False, "push": True, "sms": False}
    assert (answer["time_zone"], answer["quiet_start"], answer["is_daily_digest"]) == (
        "Europe/Berlin",
        "22:00:00",
        True,
    )
    bad = call(client, "put", "/notifications/preferences", {"time_zone": "Mars/Olympus"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_time_zone"


def test_the_preferences_page_shows_critical_types_locked_and_keeps_them_on(tenant_a, client_for):
    client, alice = _signed_in(client_for, tenant_a, "alice@example.com")
    page = client.get("/notifications/preferences/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="orders.refunded:email" id="pref-' in html
    locked = html.split('name="orders.refunded:email"')[1].split(">")[0]
    assert "checked" in locked and "disabled" in locked
    # A post without the locked box (browsers do not send disabled boxes) keeps it on.
    answer = client.post(
        "/notifications/preferences/",
        {"time_zone": "UTC", "orders.paid:in_app": "on", "quiet_start": "", "quiet_end": ""},
    )
    assert answer.status_code == 302
    with schema_context(tenant_a.schema_name):
        prefs = Preferences.objects.get(user=alice)
        assert prefs.channels["orders.paid"] == {"email": False}
        assert "orders.refunded" not in prefs.channels


def test_the_centre_lists_and_marks_all_read(tenant_a, client_for):
    client, alice = _signed_in(client_for, tenant_a, "alice@example.com")
    item = _notify(tenant_a, alice, title="Your order is paid")
    page = client.get("/notifications/")
    assert b"Your order is paid" in page.content and b"Mark all read" in page.content
    assert b"data-unread-count>1<" in page.content  # the bell
    opened = client.post(f"/notifications/{item.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == "/orders/1/"
    _notify(tenant_a, alice, title="second")
    assert client.post("/notifications/read-all/").status_code == 302
    with schema_context(tenant_a.schema_name):
        assert unread_count(alice.pk) == 0


def test_the_service_worker_is_served_at_the_root(tenant_a, client_for):
    answer = client_for(tenant_a).get("/sw.js")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/javascript"
    assert answer["Service-Worker-Allowed"] == "/"
    assert b"showNotification" in answer.content


@pytest.mark.parametrize("history", [5, 300])
def test_unread_count_and_the_list_are_one_query_whatever_the_history(
    tenant_a, history, django_assert_num_queries
):
    alice = make_user(tenant_a, "alice@example.com")
    with schema_context(tenant_a.schema_name):
        Notification.objects.bulk_create(
            Notification(user=alice, type_key="orders.paid", title=f"n{n}") for n in range(history)
        )
        with django_assert_num_queries(1):
            assert unread_count(alice.pk) == history
        with django_assert_num_queries(1):
            items, cursor = notifications_page(user_id=alice.pk, limit=20)
        assert len(items) == min(20, history)
        with django_assert_num_queries(1):
            notifications_page(user_id=alice.pk, before=cursor, limit=20)


def test_the_bell_never_queries_and_the_api_count_fills_it(
    tenant_a, client_for, django_assert_num_queries
):
    client, alice = _signed_in(client_for, tenant_a, "alice@example.com")
    _notify(tenant_a, alice)
    request = RequestFactory().get("/")
    request.user = alice
    bell = Template("{% load notifications %}{% notification_bell %}")
    cache.clear()
    with schema_context(tenant_a.schema_name):
        with django_assert_num_queries(0):
            html = bell.render(Context({"request": request}))
        assert "data-unread-unknown" in html  # notifications.js asks the API
        assert call(client, "get", "/notifications/unread-count").json() == {"unread_count": 1}
        with django_assert_num_queries(0):
            html = bell.render(Context({"request": request}))
        assert "data-unread-unknown" not in html and "data-unread-count>1<" in html
        _notify(tenant_a, alice, title="again")  # a write forgets the cached figure
        assert "data-unread-unknown" in bell.render(Context({"request": request}))
        assert cached_unread_count(alice.pk) == 2


def test_the_operator_page_shows_the_key_the_sms_backend_and_sends_a_test(tenant_a, client_for):
    from tests.accounts_helpers import signed_in_operator

    client, operator = signed_in_operator(client_for, tenant_a)
    page = client.get("/operator/notifications/")
    html = page.content.decode()
    assert page.status_code == 200
    with schema_context(tenant_a.schema_name):
        from core.notifications.push import vapid_public_key

        key = vapid_public_key()
    assert len(key) == 87 and f'value="{key}"' in html  # an uncompressed P-256 point
    assert 'data-sms-backend="console"' in html
    assert client.post("/operator/notifications/", {"digest_hour": "9"}).status_code == 302
    assert client.post("/operator/notifications/", {"action": "test"}).status_code == 302
    with schema_context(tenant_a.schema_name):
        from core.notifications.push import marketplace_settings

        assert marketplace_settings().digest_hour == 9
        assert Notification.objects.get(user=operator).type_key == "notifications.test"


def test_the_operator_page_is_for_operators_only(tenant_a, client_for):
    client, _alice = _signed_in(client_for, tenant_a, "alice@example.com")
    answer = client.post("/operator/notifications/", {"action": "test"})
    assert answer.status_code in {302, 403, 404}
    with schema_context(tenant_a.schema_name):
        assert not Notification.objects.exists()


def test_with_100k_notifications_the_count_and_the_list_read_their_indexes(tenant_a):
    """The plans, not timings: the unread count reads the partial index of unread rows and
    the list walks the (user, -id) index, so neither grows with a user's history."""
    from django.db import connection

    alice = make_user(tenant_a, "alice@example.com")
    bob = make_user(tenant_a, "bob@example.com")
    with schema_context(tenant_a.schema_name), connection.cursor() as cursor:
        table = Notification._meta.db_table
        cursor.execute(
            f'INSERT INTO "{table}" (user_id, type_key, title, body, url, data, created_at, '
            "read_at) SELECT CASE WHEN n %% 100 = 0 THEN %s ELSE %s END, 'orders.paid', 'n', '', "
            "'', '{}'::jsonb, now(), CASE WHEN n %% 1000 = 0 THEN NULL ELSE now() END "
            "FROM generate_series(1, 100000) AS n",
            [alice.pk, bob.pk],
        )
        cursor.execute(f'ANALYZE "{table}"')
        assert unread_count(alice.pk) == 100  # of her 1,000 among 100,000
        count_sql, count_params = (
            Notification.objects.filter(user_id=alice.pk, read_at__isnull=True)
            .values("id")
            .query.sql_with_params()
        )
        cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({count_sql}) q", count_params)
        count_plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "notification_unread" in count_plan, count_plan
        items, cursor_id = notifications_page(user_id=alice.pk, limit=20)
        list_sql, list_params = (
            Notification.objects.filter(user_id=alice.pk)
            .order_by("-id")[:21]
            .query.sql_with_params()
        )
        cursor.execute(f"EXPLAIN {list_sql}", list_params)
        list_plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "notification_user_newest" in list_plan, list_plan
        assert len(items) == 20 and cursor_id is not None


def test_out_of_range_ids_are_not_found_or_refused_never_a_server_error(tenant_a, client_for):
    client, _ = _signed_in(client_for, tenant_a, "alice@example.com")
    assert call(client, "post", f"/notifications/{2**70}/read").status_code in {404, 422}
    assert call(client, "get", f"/notifications?cursor={2**70}").status_code == 422
    assert call(client, "get", "/notifications?limit=0").status_code == 422


def test_push_subscriptions_through_the_api(tenant_a, client_for, settings):
    from core.notifications.models import PushSubscription
    from core.notifications.push import vapid_public_key

    client, alice = _signed_in(client_for, tenant_a, "alice@example.com")
    key = call(client, "get", "/notifications/push/vapid-public-key").json()["public_key"]
    with schema_context(tenant_a.schema_name):
        assert key == vapid_public_key()
    body = {
        "endpoint": "http://127.0.0.1:9/push/abc",
        "keys": {"p256dh": "BNc", "auth": "xyz"},
    }
    refused = call(client, "post", "/notifications/push/subscriptions", body)
    assert refused.status_code == 422  # loopback: Souk would POST there
    assert refused.json()["error"]["code"] == "invalid_push_subscription"
    settings.SOUK_WEBHOOKS_ALLOW_LOOPBACK = True
    made = call(client, "post", "/notifications/push/subscriptions", body)
    assert made.status_code == 201 and made.json()["endpoint"] == body["endpoint"]
    other, _ = _signed_in(client_for, tenant_a, "mallory@example.com")
    gone = {"endpoint": body["endpoint"]}
    assert call(other, "post", "/notifications/push/subscriptions/delete", gone).status_code == 204
    with schema_context(tenant_a.schema_name):
        assert PushSubscription.objects.get().user_id == alice.pk  # not hers to remove
    assert call(client, "post", "/notifications/push/subscriptions/delete", gone).status_code == 204
    with schema_context(tenant_a.schema_name):
        assert not PushSubscription.objects.exists()


def test_the_preferences_page_saves_quiet_hours_time_zone_and_digest(tenant_a, client_for):
    client, alice = _signed_in(client_for, tenant_a, "alice@example.com")
    answer = client.post(
        "/notifications/preferences/",
        {
            "time_zone": "America/New_York",
            "quiet_start": "21:30",
            "quiet_end": "06:45",
            "is_daily_digest": "on",
            "phone_number": "+12125550123",
            "orders.paid:in_app": "on",
            "orders.paid:email": "on",
            "orders.paid:push": "on",
        },
    )
    assert answer.status_code == 302
    with schema_context(tenant_a.schema_name):
        prefs = Preferences.objects.get(user=alice)
    assert (prefs.time_zone, str(prefs.quiet_start), str(prefs.quiet_end)) == (
        "America/New_York",
        "21:30:00",
        "06:45:00",
    )
    assert prefs.is_daily_digest and prefs.phone_number == "+12125550123"
    assert prefs.channels["orders.paid"] == {"push": True}
    bad = client.post("/notifications/preferences/", {"time_zone": "UTC", "phone_number": "12"})
    assert bad.status_code == 400 and b"international form" in bad.content


def test_the_bell_and_the_live_client_are_on_storefront_studio_and_back_office_pages(
    tenant_a, client_for
):
    from tests.accounts_helpers import signed_in_operator
    from tests.catalog_helpers import make_seller

    make_seller(tenant_a, "acme", name="Acme")
    seller = client_for(tenant_a)
    assert sign_in(seller, "acme@example.com").status_code == 200
    operator, _ = signed_in_operator(client_for, tenant_a)
    for client, path in ((seller, "/"), (seller, "/studio/"), (operator, "/operator/")):
        html = client.get(path).content.decode()
        assert "data-notification-bell" in html, path
        assert "/js/souk-live.js" in html and "/js/notifications.js" in html, path
    guest = client_for(tenant_a).get("/").content.decode()
    assert "data-notification-bell" not in guest and "souk-live.js" not in guest
