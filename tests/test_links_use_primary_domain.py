"""Links Souk mails (password reset, e-mail verification) point at the marketplace's primary
domain, whatever Host header the request that caused them carried: a reset link must never
lead to a host an attacker chose."""

from __future__ import annotations

from django.core import mail
from django.test import Client

from tenants.services.domains import add_domain
from tests.accounts_helpers import PASSWORD, call, make_user


def _mailed_links() -> list[str]:
    return [word for message in mail.outbox for word in message.body.split() if "://" in word]


def test_reset_link_uses_the_primary_domain_not_the_request_host(
    tenant_a, django_capture_on_commit_callbacks
):
    add_domain(tenant=tenant_a, domain="shop.alpha.example", is_primary=True)
    make_user(tenant_a, "ann@example.com")
    # A secondary host of the same marketplace, with a port only the Host header names.
    client = Client(HTTP_HOST="www.alpha-market.souk.test:6666")

    with django_capture_on_commit_callbacks(execute=True):
        response = call(client, "post", "/auth/password-reset", {"email": "ann@example.com"})

    assert response.status_code == 202
    [link] = _mailed_links()
    assert link.startswith("http://shop.alpha.example/"), link


def test_verification_link_uses_the_primary_domain(tenant_a, django_capture_on_commit_callbacks):
    add_domain(tenant=tenant_a, domain="shop.alpha.example", is_primary=True)
    client = Client(HTTP_HOST="alpha-market.souk.test:6666")

    with django_capture_on_commit_callbacks(execute=True):
        response = call(
            client,
            "post",
            "/auth/signup",
            {"email": "bo@example.com", "password": PASSWORD, "full_name": "Bo"},
        )

    assert response.status_code == 201, response.content
    [link] = _mailed_links()
    assert link.startswith("http://shop.alpha.example/"), link


def test_reset_page_link_uses_the_primary_domain(tenant_a, django_capture_on_commit_callbacks):
    make_user(tenant_a, "ann@example.com")
    client = Client(HTTP_HOST="www.alpha-market.souk.test:6666")

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/reset/", {"email": "ann@example.com"})

    [link] = _mailed_links()
    assert link.startswith("http://alpha-market.souk.test/"), link
