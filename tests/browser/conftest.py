"""Fixtures for tests that drive Debian's Chromium against a real server process.

The server is another process, so it cannot see a test's transaction: these fixtures commit
what it needs (a marketplace, its people) outside one and remove it afterwards, dropping the
tenant's schema and refilling the warm pool they took it from."""

from __future__ import annotations

import contextlib
import email
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page

from core.accounts.models import Role, User
from tenants.models import Tenant
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tenants.services.fleet_ops import delete_tenant_now
from tests.accounts_helpers import enrol_two_factor, make_user, next_code
from tests.catalog_helpers import make_category, make_product, make_seller
from tests.fleet_helpers import TEST_POOL_SIZE, subprocess_database_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-proxy-server",
    # The platform host and every marketplace host of the test domain are this machine.
    f"--host-resolver-rules=MAP *.{settings.PLATFORM_DOMAIN} 127.0.0.1, "
    f"MAP {settings.PLATFORM_DOMAIN} 127.0.0.1",
]
SERVER_START_SECONDS = 120  # a ceiling: a loaded machine imports slowly
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # Django's file backend between messages


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Required, never skipped: a missing browser is a broken test machine."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. `make test` installs it; or run "
            "`apt-get install -y --no-install-recommends chromium` (as root)."
        )
    return CHROMIUM


def page_width(page: Page) -> int:
    """How wide the laid-out document is, measured only once every stylesheet has applied.

    Text can be in the DOM before the page's CSS has loaded; measured then, an unstyled table
    reads as a page wider than the phone.
    """
    page.wait_for_load_state("load")
    wait_until(
        page,
        "[...document.styleSheets].length >= "
        "document.querySelectorAll('link[rel=stylesheet]').length",
        what="the page's stylesheets to load",
    )
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def wait_until(page: Page, expression: str, *, what: str, seconds: float = 10) -> None:
    """Poll ``expression`` from the test until it is true. Not ``page.wait_for_function``:
    it polls with eval inside the page, which the pages' CSP (script-src 'self') forbids, so
    it fails whenever the first check is not already true."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds:g} s for {what}")
        page.wait_for_timeout(50)


@dataclass(frozen=True)
class Marketplace:
    tenant: Tenant
    host: str
    operator: User
    operator_device: TOTPDevice


def operator_code(market: Marketplace, blocker: Any) -> str:
    """The operator's next authenticator code (see ``next_code``), read from the database
    (from a test whose Playwright runs an event loop in this thread, hence the flag)."""
    with blocker.unblock(), mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}):
        return next_code(market.tenant, market.operator_device)


@contextlib.contextmanager
def marketplace_with_operator(
    *,
    slug: str,
    name: str,
    operator_email: str,
    theme: str = "bazaar",
    primary_colour: str = "#1b6f5c",
    modules: list[str] | None = None,
) -> Iterator[Marketplace]:
    """A marketplace and its operator (two factors on), committed for a server process and
    removed afterwards; call it with the database unblocked."""
    _delete_marketplace(slug)  # left over by an interrupted run
    tenant = provision_tenant(
        slug=slug,
        name=name,
        owner_email=f"owner@{slug}.example",
        owner_password=None,
        branding={"theme": theme, "primary_colour": primary_colour},
        modules=modules,
    ).tenant
    use_public_schema()
    operator = make_user(tenant, operator_email, role=Role.OPERATOR)
    device, _ = enrol_two_factor(tenant, operator)
    use_public_schema()
    try:
        yield Marketplace(
            tenant=tenant,
            host=f"{slug}.{settings.PLATFORM_DOMAIN}",
            operator=operator,
            operator_device=device,
        )
    finally:
        _delete_marketplace(slug)
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


@pytest.fixture
def committed_marketplace(django_db_setup: None, django_db_blocker: Any) -> Iterator[Marketplace]:
    """A bazaar-themed marketplace with an operator who has two-factor on, committed."""
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug="browser-market", name="Browser Market", operator_email="op@browser.example"
        ) as market,
    ):
        yield market


def _delete_marketplace(slug: str) -> None:
    use_public_schema()
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is not None:
        delete_tenant_now(tenant=tenant, confirm_slug=slug)
    use_public_schema()


@dataclass(frozen=True)
class LiveServer:
    port: int
    mail_dir: Path

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _running_server(
    host: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    extra_env: dict[str, str] | None = None,
) -> Iterator[LiveServer]:
    """The ASGI application under uvicorn, as production serves it (pages, API and the
    WebSockets of signed-in pages, on the Redis channel layer of ``REDIS_URL``), in a
    subprocess on a free port, on the test database, with mail written to files (and
    ``extra_env``, e.g. a payment provider); stopped when the block ends, its log attached to
    the report."""
    port = _free_port()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "server.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings.test",
        "DATABASE_URL": subprocess_database_url(),
        "DB_CONN_MAX_AGE": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "PYTHONUNBUFFERED": "1",
        "SOUK_SERVE_STATIC": "1",  # the themes' CSS with DEBUG off (core/asgi.py)
        **(extra_env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "core.asgi:application",
        "--host=127.0.0.1",
        f"--port={port}",
        "--lifespan=off",
    ]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_serving(server, port, host, log_path)
        yield LiveServer(port=port, mail_dir=mail_dir)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        # Shown with the test's report when it fails ("Captured server log").
        request.node.add_report_section("teardown", "server log", log_path.read_text())


@pytest.fixture
def live_server_process(
    committed_marketplace: Marketplace, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """The marketplace's server; stopped before the marketplace is removed."""
    with _running_server(committed_marketplace.host, tmp_path, request) as server:
        yield server


@pytest.fixture
def platform_server(
    django_db_setup: None, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """A server for the platform host (the "open your marketplace" form)."""
    with _running_server(settings.PLATFORM_DOMAIN, tmp_path, request) as server:
        yield server


def _wait_until_serving(server: subprocess.Popen[bytes], port: int, host: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": host})
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(f"the server did not answer within {SERVER_START_SECONDS}s:\n{log.read_text()}")


def mailed_messages(mail_dir: Path) -> list[email.message.Message]:
    messages = []
    for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
        for raw in path.read_bytes().split(MAIL_SEPARATOR):
            if raw.strip():
                messages.append(email.message_from_bytes(raw.lstrip()))
    return messages


def plain_text(message: email.message.Message) -> str:
    """The text of a mail: the whole body, or its text/plain part when it also has HTML."""
    parts = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    payload = (parts[0] if parts else message).get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else str(payload)


def wait_for_mail(mail_dir: Path, *, to: str, subject: str, seconds: float = 5) -> str:
    """The body of the first mail to ``to`` whose subject contains ``subject``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in mailed_messages(mail_dir):
            if message["To"] == to and subject in str(message["Subject"]):
                return plain_text(message)
        time.sleep(0.1)
    pytest.fail(f"no mail to {to} about {subject!r} in {mail_dir}")


def link_in(body: str, containing: str) -> str:
    return next(word for word in body.split() if word.startswith("http") and containing in word)


# --- Storefronts: two committed marketplaces with catalogues, and a server for them ----------


@dataclass(frozen=True)
class ListedProduct:
    name: str
    slug: str
    category_slug: str
    product_type: str
    price: int  # USD, minor units


@dataclass(frozen=True)
class Storefront:
    tenant: Tenant
    host: str
    name: str
    body_class: str
    primary_colour: str
    seller_name: str
    products: tuple[ListedProduct, ...]


@dataclass(frozen=True)
class Storefronts:
    plaza: Storefront  # base theme; more "editor" products than one page holds
    bazaar: Storefront  # bazaar theme; a few products, one of them an "editor" too


# name, category, product type, price: 30 match "editor" (26 in Developer Tools), 4 do not.
PLAZA_CATALOGUE = [
    *[(f"Code Editor {i:02d}", "Developer Tools", "software", 500 + 400 * i) for i in range(24)],
    ("Editor Setup Session A", "Developer Tools", "service", 15_000),
    ("Editor Setup Session B", "Developer Tools", "service", 25_000),
    *[(f"Level Editor {i}", "Games", "software", 500 + 1000 * i) for i in range(1, 5)],
    *[(f"Puzzle Box {i}", "Games", "software", 300 + 200 * i) for i in range(1, 5)],
]
BAZAAR_CATALOGUE = [
    ("Lantern Editor", "Lamps", "software", 1200),
    ("Brass Lamp Designer", "Lamps", "software", 3400),
    ("Carpet Pattern Studio", "Textiles", "software", 5600),
]


@pytest.fixture
def committed_storefronts(django_db_setup: None, django_db_blocker: Any) -> Iterator[Storefronts]:
    """Two marketplaces with different names, themes and brand colours, each with a verified
    seller and published products made through the catalogue services; committed, then
    removed with their schemas."""
    specs = {
        "sf-plaza": ("Plaza Market", "base", "#0b5cad", ["alpha", "beta"], PLAZA_CATALOGUE),
        "sf-bazaar": ("Lantern Bazaar", "bazaar", "#b5361b", ["alpha"], BAZAAR_CATALOGUE),
    }
    with django_db_blocker.unblock():
        for slug in specs:
            _delete_marketplace(slug)  # left over by an interrupted run
        try:
            made = [
                _stocked_storefront(slug, name, theme, colour, modules, catalogue)
                for slug, (name, theme, colour, modules, catalogue) in specs.items()
            ]
            yield Storefronts(plaza=made[0], bazaar=made[1])
        finally:
            for slug in specs:
                _delete_marketplace(slug)
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


def _stocked_storefront(
    slug: str,
    name: str,
    theme: str,
    colour: str,
    modules: list[str],
    catalogue: list[tuple[str, str, str, int]],
) -> Storefront:
    tenant = provision_tenant(
        slug=slug,
        name=name,
        owner_email=f"owner@{slug}.example",
        owner_password=None,
        modules=modules,
        branding={"theme": theme, "primary_colour": colour},
    ).tenant
    use_public_schema()
    seller_name = f"{name} Works"
    seller = make_seller(
        tenant,
        f"{slug}-seller",
        seller_name,
        product_types=("software", "service") if "beta" in modules else ("software",),
    )
    categories = {
        category_name: make_category(tenant, category_name).slug
        for category_name in dict.fromkeys(entry[1] for entry in catalogue)
    }
    products = []
    for product_name, category_name, product_type, price in catalogue:
        product = make_product(
            tenant,
            seller,
            product_name,
            price=price,
            product_type=product_type,
            category_slug=categories[category_name],
            summary=f"{product_name}, sold at {name}.",
        )
        products.append(
            ListedProduct(
                name=product_name,
                slug=product.slug,
                category_slug=categories[category_name],
                product_type=product_type,
                price=price,
            )
        )
    use_public_schema()
    return Storefront(
        tenant=tenant,
        host=f"{slug}.{settings.PLATFORM_DOMAIN}",
        name=name,
        body_class=f"theme-{theme}",
        primary_colour=colour,
        seller_name=seller_name,
        products=tuple(products),
    )


@pytest.fixture
def storefront_server(
    committed_storefronts: Storefronts, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """The storefronts' server; stopped before the marketplaces are removed."""
    with _running_server(committed_storefronts.plaza.host, tmp_path, request) as server:
        yield server
