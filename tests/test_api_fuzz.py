"""Schemathesis against both APIs, in-process through Django's WSGI handler: every operation of
the tenant API (``/api/v1/openapi.json``) as an anonymous visitor, a buyer, a seller (bearer
token + API key) and an operator who passed the second factor (session + CSRF), and every
operation of the platform API anonymously and as staff with a second factor. Data valid and
invalid by the schema alike must never answer 5xx, answers with a documented status must
match the documented schema, and no value may reach the database's DataError safety net
(that would be an input limit missing).

Each example runs in a savepoint that is rolled back (with fresh rate-limit buckets and
cache), so every example sees the same marketplace and a fuzzed "log out" or "revoke" cannot
strip the next one of its credentials. Generation uses a fixed seed, so a run is
repeatable: ``FUZZ_EXAMPLES`` examples per operation and generation mode (valid, invalid),
each sent as every role that owns the operation. ``SOUK_FUZZ_EXAMPLES=50`` digs deeper."""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance
from werkzeug.test import Client as WsgiClient

from core import ratelimit
from core.accounts.models import Role, User
from modules.licensing.tests.helpers import make_licensing_shop, make_licensing_tenant
from tests.accounts_helpers import PASSWORD, call, signed_in_operator
from tests.fleet_helpers import host_of

pytestmark = pytest.mark.slow

FUZZ_EXAMPLES = int(os.environ.get("SOUK_FUZZ_EXAMPLES", "5"))
FUZZ_SEED = 20_240_612
CHECKS = [not_a_server_error, response_schema_conformance]
CSRF_TOKEN = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # 32 characters: a valid unmasked token


class InProcessWsgiApp:
    """Django's WSGI handler as its test client runs it: the test's database connection stays
    open across requests (Django closes "old" connections when a request ends)."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@dataclass
class FuzzRole:
    name: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def client(self, app: InProcessWsgiApp, base_url: str) -> WsgiClient:
        """A fresh client per request, so a fuzzed sign-out cannot touch the next request."""
        client = WsgiClient(app)
        for name, value in self.cookies.items():
            client.set_cookie(name, value, domain=base_url.removeprefix("http://"))
        return client


@dataclass
class FuzzReport:
    failures: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    operations: int = 0

    def describe(self) -> str:
        return f"{len(self.failures)} failing operations:\n\n" + "\n\n".join(self.failures)


class DatabaseRefusals(logging.Handler):
    """Counts the API's DataError safety net (``api.errors.on_data_error``)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("database refused a value"):
            self.messages.append(record.getMessage())


@pytest.fixture
def refusals() -> Iterator[DatabaseRefusals]:
    handler = DatabaseRefusals()
    logger = logging.getLogger("api.errors")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def roles_for(operation: Any, roles: list[FuzzRole]) -> list[FuzzRole]:
    """Who sends an example. Anonymous visitors only where the API lets them in (elsewhere
    ninja answers 401 before it reads the request). Every signed-in role tries the buyer's
    and public operations; seller and operator operations only their own role (any other
    gets the same 403 there)."""
    if operation.definition.raw.get("security"):
        roles = [role for role in roles if role.name != "anonymous"]
    section = operation.path.removeprefix("/api/v1/").split("/", 1)[0]
    owner = {"operator": "operator", "seller": "seller", "partner": "seller"}.get(section)
    if owner is None:
        return roles
    return [role for role in roles if role.name == owner]


def run_operation(
    operation: Any,
    mode: GenerationMode,
    roles: list[FuzzRole],
    base_url: str,
    report: FuzzReport,
    refusals: DatabaseRefusals,
) -> str | None:
    app = operation.schema.app
    """Each generated example is sent once as every role (generating is the slow part)."""

    @hypothesis.settings(
        max_examples=FUZZ_EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.seed(FUZZ_SEED)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def example(case: Any) -> None:
        problems = []
        ratelimit.clear_all_buckets()
        for role in roles_for(operation, roles):
            cache.clear()  # what a rolled-back example cached must not leak into the next
            refused_before = len(refusals.messages)
            with rolled_back():
                response = case.call(
                    base_url=base_url,
                    # werkzeug's in-process client does not undo gzip as HTTP clients do (the
                    # compression is tested on its own: tests/test_compression.py).
                    headers={"Accept-Encoding": "identity", **role.headers},
                    session=role.client(app, base_url),
                )
            report.statuses[f"{role.name} {response.status_code // 100}xx"] += 1
            try:
                case.validate_response(response, checks=CHECKS)
                if len(refusals.messages) > refused_before:
                    raise AssertionError(
                        "the database refused a value (an input limit is missing): "
                        f"{refusals.messages[-1]}\n{case.as_curl_command()}"
                    )
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
                problems.append(f"as {role.name}: {str(exc)[:3000]}")
        if problems:
            raise AssertionError("\n".join(problems))

    try:
        example()
    except hypothesis.errors.Unsatisfiable:
        return None
    except (Exception, BaseExceptionGroup) as exc:
        return str(exc)
    return None


def fuzz(
    schema: Any, roles: list[FuzzRole], base_url: str, refusals: DatabaseRefusals
) -> FuzzReport:
    report = FuzzReport()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        report.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            problem = run_operation(operation, mode, roles, base_url, report, refusals)
            if problem:
                report.failures.append(
                    f"{operation.method.upper()} {operation.path} [{mode.value}]\n{problem}"
                )
    print(
        f"\nschemathesis {schemathesis.__version__}, seed {FUZZ_SEED}, {FUZZ_EXAMPLES} examples "
        f"per operation and mode: {report.operations} operations, "
        f"{sum(report.statuses.values())} requests in {time.monotonic() - started:.1f} s; "
        + ", ".join(f"{key}: {count}" for key, count in sorted(report.statuses.items()))
    )
    return report


def assert_signed_in(app: InProcessWsgiApp, base_url: str, role: FuzzRole, path: str) -> None:
    """The fuzz run would pass on 401s alone: each role's credentials must work first."""
    response = role.client(app, base_url).get(path, base_url=base_url, headers=role.headers)
    assert response.status_code == 200, (role.name, path, response.get_data()[:300])


def session_role(name: str, client: Client) -> FuzzRole:
    """A signed-in test client's session, with a CSRF cookie and header pair."""
    return FuzzRole(
        name,
        headers={"X-CSRFToken": CSRF_TOKEN},
        cookies={
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: CSRF_TOKEN,
        },
    )


def bearer_headers(client: Client, scopes: list[str]) -> dict[str, str]:
    issued = call(client, "post", "/me/tokens", {"name": "fuzz", "scopes": scopes})
    assert issued.status_code == 201, issued.content
    return {"Authorization": f"Bearer {issued.json()['token']}"}


def test_tenant_api_has_no_server_errors_and_answers_as_documented(
    make_tenant: Callable[..., Any], client_for: Callable[..., Any], refusals: DatabaseRefusals
) -> None:
    tenant = make_licensing_tenant(make_tenant)
    shop = make_licensing_shop(tenant)  # sellers acme and bolt with software, two buyers
    base_url = f"http://{host_of(tenant)}"
    buyer = client_for(tenant)
    call(buyer, "post", "/auth/login", {"email": shop.buyer.email, "password": PASSWORD})
    seller = client_for(tenant)
    call(seller, "post", "/auth/login", {"email": "acme@example.com", "password": PASSWORD})
    api_key = call(seller, "post", "/seller/api-keys", {"name": "fuzz"})
    assert api_key.status_code == 201, api_key.content
    operator, _ = signed_in_operator(client_for, tenant)
    roles = [
        FuzzRole("anonymous"),
        FuzzRole("buyer", bearer_headers(buyer, ["read", "write"])),
        FuzzRole(
            "seller",
            {
                **bearer_headers(seller, ["read", "write", "seller"]),
                "X-API-Key": api_key.json()["key"],
            },
        ),
        session_role("operator", operator),
    ]
    app = InProcessWsgiApp()
    assert_signed_in(app, base_url, roles[1], "/api/v1/me")
    assert_signed_in(app, base_url, roles[2], "/api/v1/seller/onboarding")
    assert_signed_in(app, base_url, roles[2], "/api/v1/partner/v1/seller")
    assert_signed_in(app, base_url, roles[3], "/api/v1/operator/users")

    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", app, headers={"Host": host_of(tenant)}
    )
    report = fuzz(schema, roles, base_url, refusals)

    assert not report.failures, report.describe()
    assert report.operations > 200


def test_platform_api_has_no_server_errors_and_answers_as_documented(
    make_tenant: Callable[..., Any], refusals: DatabaseRefusals
) -> None:
    make_tenant("fuzzed-market")
    staff = User.objects.create_user(
        "fuzz-staff@souk.test", PASSWORD, role=Role.STAFF, is_staff=True, is_superuser=True
    )
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_login(staff)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    base_url = f"http://{settings.PLATFORM_DOMAIN}"
    roles = [FuzzRole("anonymous"), session_role("staff", client)]
    app = InProcessWsgiApp()
    assert_signed_in(app, base_url, roles[1], "/api/platform/v1/tenants")

    schema = schemathesis.openapi.from_wsgi(
        "/api/platform/v1/openapi.json", app, headers={"Host": settings.PLATFORM_DOMAIN}
    )
    report = fuzz(schema, roles, base_url, refusals)

    assert not report.failures, report.describe()
    assert report.operations > 10
