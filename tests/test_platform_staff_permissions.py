"""The platform API grants staff what the console grants them (Django permissions, one per
operation), and the console's sign-in is rate-limited like a marketplace's."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_exists

from api.platform import api as platform_api
from core.accounts.auth import PlatformStaffAuth
from core.accounts.models import Role, User
from tenants.models import SupportSession, Tenant, TenantModule, TenantStatus

API = "/api/platform/v1"
STAFF_PASSWORD = "correct horse battery"


def staff_with(email: str, *codenames: str) -> tuple[Client, User]:
    """A non-superuser staff member holding ``codenames`` (of the tenants app), signed in on
    the platform host with a verified second factor."""
    user = User.objects.create_user(email, STAFF_PASSWORD, role=Role.STAFF, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="tenants", codename__in=codenames)
    )
    assert user.user_permissions.count() == len(codenames)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client, user


def send(client: Client, method: str, path: str, body: dict | None = None):
    return getattr(client, method)(
        API + path, json.dumps(body or {}), content_type="application/json"
    )


def assert_forbidden(response, *permissions: str) -> None:
    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert error["details"] == {"permissions": list(permissions)}


def test_read_only_staff_reads_the_fleet_but_cannot_change_it(tenant_a, db):
    reader, _ = staff_with("reader@souk.test", "view_tenant")
    modules_before = sorted(
        TenantModule.objects.filter(tenant=tenant_a).values_list("key", "is_enabled")
    )

    listing = reader.get(f"{API}/tenants")
    one = reader.get(f"{API}/tenants/alpha-market")
    deleted = send(reader, "delete", "/tenants/alpha-market", {"confirm_slug": "alpha-market"})
    suspended = send(reader, "post", "/tenants/alpha-market/suspend", {"reason": "Because"})
    created = send(
        reader,
        "post",
        "/tenants",
        {"slug": "sneaky-shop", "name": "Sneaky", "owner_email": "o@sneaky.example"},
    )
    module = send(reader, "put", "/tenants/alpha-market/modules/beta", {"is_enabled": True})
    support = send(reader, "post", "/tenants/alpha-market/support-sessions", {"reason": "Look"})

    assert listing.status_code == 200
    assert [t["slug"] for t in listing.json()["items"]] == ["alpha-market"]
    assert one.status_code == 200 and one.json()["status"] == "active"
    assert_forbidden(deleted, "tenants.delete_tenant")
    assert_forbidden(suspended, "tenants.change_tenant")
    assert_forbidden(created, "tenants.add_tenant")
    assert_forbidden(module, "tenants.change_tenant", "tenants.change_tenantmodule")
    assert_forbidden(support, "tenants.add_supportsession")
    # Nothing happened.
    tenant = Tenant.objects.get(pk=tenant_a.pk)
    assert (tenant.status, tenant.deletion_requested_at) == (TenantStatus.ACTIVE, None)
    assert schema_exists(tenant.schema_name)
    assert not Tenant.objects.filter(slug="sneaky-shop").exists()
    assert (
        sorted(TenantModule.objects.filter(tenant=tenant).values_list("key", "is_enabled"))
        == modules_before
    )
    assert not SupportSession.objects.exists()


def test_staff_without_the_view_permission_cannot_read(tenant_a, db):
    nobody, _ = staff_with("nobody@souk.test")
    assert_forbidden(nobody.get(f"{API}/tenants"), "tenants.view_tenant")
    assert_forbidden(nobody.get(f"{API}/tenants/alpha-market"), "tenants.view_tenant")


def test_the_permission_the_console_uses_lets_staff_act(tenant_a, db):
    operator, _ = staff_with("ops@souk.test", "view_tenant", "change_tenant", "delete_tenant")

    suspended = send(operator, "post", "/tenants/alpha-market/suspend", {"reason": "Fraud"})
    resumed = send(operator, "post", "/tenants/alpha-market/resume")
    deleted = send(operator, "delete", "/tenants/alpha-market", {"confirm_slug": "alpha-market"})

    assert (suspended.status_code, suspended.json()["status"]) == (200, "suspended")
    assert (resumed.status_code, resumed.json()["status"]) == (200, "active")
    assert deleted.status_code == 202
    assert Tenant.objects.get(pk=tenant_a.pk).deletion_requested_at is not None


def test_every_platform_operation_names_its_permissions():
    """An operation without one falls back to superusers only; this keeps that a mistake
    caught here rather than a silent lock-out (or, worse, a silent opening)."""
    unnamed, checked = [], 0
    for router in platform_api._get_bound_routers():  # the operations as mounted
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                checked += 1
                auths = [a for a in operation.auth_callbacks if isinstance(a, PlatformStaffAuth)]
                if (
                    len(operation.auth_callbacks) != 1
                    or len(auths) != 1
                    or not auths[0].permissions
                ):
                    unnamed.append(f"{operation.methods} {router.prefix}{path}")
    assert checked >= 14
    assert unnamed == []


# --- the console's sign-in ----------------------------------------------------------------------


@pytest.fixture
def console_staff(db) -> tuple[User, TOTPDevice]:
    user = User.objects.create_user(
        "staff@souk.test", STAFF_PASSWORD, role=Role.STAFF, is_staff=True, is_superuser=True
    )
    return user, TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def console_sign_in(client: Client, password: str, device: TOTPDevice | None = None, code=None):
    form = {"username": "staff@souk.test", "password": password}
    if device is not None:
        if code is None:
            code = (
                f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
            )
        form |= {"otp_device": device.persistent_id, "otp_token": code}
    return client.post("/console/login/", form)


def test_console_sign_in_is_limited_per_account(console_staff, settings):
    settings.SOUK_RATES = {"login_ip": "100/m", "login_account": "3/m"}
    _, device = console_staff
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)

    guesses = [console_sign_in(client, "wrong guess").status_code for _ in range(3)]
    right = console_sign_in(Client(HTTP_HOST=settings.PLATFORM_DOMAIN), STAFF_PASSWORD, device)

    assert guesses == [200, 200, 200]  # the form again, with its error
    assert right.status_code == 429
    assert 1 <= int(right["Retry-After"]) <= 60
    assert b"Too many attempts" in right.content
    assert client.get("/console/").status_code == 302  # not signed in


def test_console_sign_in_is_limited_per_ip(console_staff, settings):
    settings.SOUK_RATES = {"login_ip": "2/m", "login_account": "100/m"}
    _, device = console_staff
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    User.objects.create_user("other@souk.test", STAFF_PASSWORD, is_staff=True)

    first = client.post("/console/login/", {"username": "other@souk.test", "password": "x"})
    second = console_sign_in(client, "wrong guess")
    right = console_sign_in(client, STAFF_PASSWORD, device)
    elsewhere = console_sign_in(
        Client(HTTP_HOST=settings.PLATFORM_DOMAIN, REMOTE_ADDR="198.51.100.7"),
        STAFF_PASSWORD,
        device,
    )

    assert (first.status_code, second.status_code, right.status_code) == (200, 200, 429)
    assert elsewhere.status_code == 302


def test_console_second_factor_codes_are_limited(console_staff, settings):
    settings.SOUK_RATES = {"login_ip": "100/m", "login_account": "100/m", "otp_account": "2/m"}
    _, device = console_staff
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)

    wrong = [
        console_sign_in(client, STAFF_PASSWORD, device, "000000").status_code for _ in range(2)
    ]
    right = console_sign_in(client, STAFF_PASSWORD, device)

    assert wrong == [200, 200]
    assert right.status_code == 429
    assert client.get("/console/").status_code == 302


def test_a_right_password_clears_the_consoles_account_failures(console_staff, settings):
    settings.SOUK_RATES = {"login_ip": "100/m", "login_account": "3/m"}
    _, device = console_staff
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    for _ in range(2):
        assert console_sign_in(client, "wrong guess").status_code == 200

    signed_in = console_sign_in(client, STAFF_PASSWORD, device)
    later = [
        console_sign_in(Client(HTTP_HOST=settings.PLATFORM_DOMAIN), "wrong").status_code
        for _ in range(3)
    ]

    assert signed_in.status_code == 302
    assert later == [200, 200, 200]
