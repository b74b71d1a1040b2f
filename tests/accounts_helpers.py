"""Helpers for identity tests: users in a tenant's schema, TOTP codes, JSON calls."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core import mail
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from core.accounts.services.two_factor import confirm_totp_enrolment, start_totp_enrolment
from tenants.models import Tenant

PASSWORD = "a long and fine passphrase"


def make_user(tenant: Tenant, email: str, role: str = Role.BUYER, **fields: Any) -> User:
    with schema_context(tenant.schema_name):
        return User.objects.create_user(email, PASSWORD, role=role, **fields)


def current_code(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now (or ``offset_steps`` steps away)."""
    value = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset_steps
    )
    return f"{value:0{device.digits}d}"


def next_code(tenant: Tenant, device: TOTPDevice) -> str:
    """The code that signs in next, whenever it is typed within its step: the device as saved
    (a sign-in moves its ``last_t`` and, with OTP_TOTP_SYNC, its ``drift`` by the step it
    matched, which a code typed across a step boundary makes -1), the step it centres on,
    and never a step already used."""
    with schema_context(tenant.schema_name):
        device.refresh_from_db()
    now_t = int((time.time() - device.t0) // device.step) + device.drift
    step = max(now_t, device.last_t + 1)
    return current_code(device, offset_steps=step - now_t + device.drift)


def enrol_two_factor(tenant: Tenant, user: User) -> tuple[TOTPDevice, list[str]]:
    with schema_context(tenant.schema_name):
        enrolment = start_totp_enrolment(user=user)
        codes = confirm_totp_enrolment(user=user, code=current_code(enrolment.device))
        device = TOTPDevice.objects.get(pk=enrolment.device.pk)
        # The enrolment used this step's code; a sign-in in the same step needs the next one.
        device.last_t = -1
        device.save(update_fields=["last_t"])
        user.refresh_from_db()
        return device, codes


def call(client: Client, method: str, path: str, body: Any = None, **headers: str) -> Any:
    data = None if body is None else json.dumps(body)
    return getattr(client, method)(
        "/api/v1" + path, data, content_type="application/json", headers=headers or None
    )


def sign_in(client: Client, email: str, password: str = PASSWORD) -> Any:
    return call(client, "post", "/auth/login", {"email": email, "password": password})


def last_link(prefix: str) -> str:
    body = mail.outbox[-1].body
    start = body.index(prefix)
    return body[start:].split()[0]


def signed_in_operator(
    client_for: Any, tenant: Tenant, email: str = "op@example.com"
) -> tuple[Client, User]:
    """A client of an operator who passed the second factor (the account and its TOTP device
    are made on first use; a later call signs the same operator in again)."""
    with schema_context(tenant.schema_name):
        user = User.objects.filter(email=email).first()
    if user is None:
        enrol_two_factor(tenant, make_user(tenant, email, role=Role.OPERATOR))
    with schema_context(tenant.schema_name):
        user = User.objects.get(email=email)
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        device.last_t = -1  # a fresh session may use this step's code again
        device.save(update_fields=["last_t"])
        code = current_code(device)
    client = client_for(tenant)
    assert sign_in(client, email).json()["status"] == "otp_required"
    assert call(client, "post", "/auth/login/otp", {"code": code}).status_code == 200
    return client, user
