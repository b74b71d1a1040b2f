"""CSP, Permissions-Policy and COOP on storefronts, the API, the platform host and the console;
and the pages we serve load nothing that policy would block."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.test import RequestFactory

from core.security_headers import SecurityHeadersMiddleware

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; media-src 'self' blob:; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)
EXPECTED_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def security_headers_of(response) -> dict[str, str | None]:
    return {name: response.get(name) for name in EXPECTED_HEADERS}


class PageResources(HTMLParser):
    """What a page asks the browser to load or run, in the terms CSP judges it by."""

    def __init__(self) -> None:
        super().__init__()
        self.script_sources: list[str] = []
        self.inline_script_types: list[str] = []
        self.linked: list[str] = []
        self.event_handler_attributes: list[str] = []
        self.inline_styles = 0
        self._open_script: dict[str, str | None] | None = None
        self._open_script_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.event_handler_attributes += [name for name in attributes if name.startswith("on")]
        if tag == "script":
            self._open_script, self._open_script_text = attributes, ""
        elif tag == "link" and attributes.get("href") and attributes.get("rel") != "canonical":
            self.linked.append(attributes["href"] or "")
        elif tag == "style":
            self.inline_styles += 1

    def handle_data(self, data: str) -> None:
        if self._open_script is not None:
            self._open_script_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open_script is not None:
            if self._open_script.get("src"):
                self.script_sources.append(self._open_script["src"] or "")
            elif self._open_script_text.strip():
                self.inline_script_types.append(self._open_script.get("type") or "text/javascript")
            self._open_script = None


def resources_of(response) -> PageResources:
    page = PageResources()
    page.feed(response.content.decode())
    return page


def assert_is_a_local_static_file(url: str) -> None:
    """'self' allows it: served from our own /static/, and the file is there to serve."""
    assert url.startswith("/static/"), url
    assert finders.find(url.removeprefix("/static/")) is not None, url


def assert_runs_only_what_script_src_self_allows(page: PageResources) -> None:
    # A JSON data block is not executed, so CSP does not apply to it; anything else inline is.
    assert set(page.inline_script_types) <= {"application/json"}
    assert page.event_handler_attributes == []
    for source in page.script_sources:
        assert_is_a_local_static_file(source)
    for href in page.linked:
        assert_is_a_local_static_file(href)


def test_storefront_pages_carry_the_security_headers(client_for, tenant_a):
    response = client_for(tenant_a).get("/")

    assert response.status_code == 200
    assert security_headers_of(response) == EXPECTED_HEADERS


def test_storefront_runs_no_inline_script_and_its_brand_style_is_allowed(client_for, tenant_b):
    response = client_for(tenant_b).get("/")

    page = resources_of(response)
    assert response.status_code == 200
    assert_runs_only_what_script_src_self_allows(page)
    # The brand colours are an inline <style>, which is why style-src has 'unsafe-inline'.
    assert page.inline_styles == 1
    assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]


def test_api_responses_carry_the_security_headers(client_for, tenant_a):
    response = client_for(tenant_a).get("/api/v1/marketplace")

    assert response.status_code == 200
    assert security_headers_of(response) == EXPECTED_HEADERS


def test_platform_host_pages_carry_the_security_headers(platform_client, db):
    response = platform_client.get("/")

    assert response.status_code == 200
    # The sign-up form is answered with a redirect to the new storefront: its page names the
    # marketplace hosts in form-action, and nothing else differs.
    assert security_headers_of(response) == {
        **EXPECTED_HEADERS,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", "form-action 'self' http://*.souk.test"
        ),
    }


def test_console_login_page_loads_only_its_own_scripts_and_styles(platform_client, db):
    response = platform_client.get("/console/login/")

    page = resources_of(response)
    assert response.status_code == 200
    assert security_headers_of(response) == EXPECTED_HEADERS
    assert_runs_only_what_script_src_self_allows(page)
    assert page.linked  # the admin stylesheets, all from /static/


@pytest.mark.parametrize(
    ("host", "path"), [("tenant", "/api/v1/docs"), ("platform", "/api/platform/v1/docs")]
)
def test_api_docs_load_swagger_ui_from_our_static_files(
    client_for, tenant_a, platform_client, host, path
):
    client = client_for(tenant_a) if host == "tenant" else platform_client

    response = client.get(path)

    page = resources_of(response)
    assert response.status_code == 200
    assert security_headers_of(response) == EXPECTED_HEADERS
    assert_runs_only_what_script_src_self_allows(page)
    assert page.script_sources == [
        "/static/ninja/swagger-ui-bundle.js",
        "/static/ninja/swagger-ui-init.js",
    ]
    assert page.inline_script_types == ["application/json"]  # the Swagger settings
    assert b"cdn.jsdelivr.net" not in response.content


def test_a_header_the_view_set_itself_is_kept():
    own_policy = "default-src 'none'"
    middleware = SecurityHeadersMiddleware(
        lambda request: HttpResponse(headers={"Content-Security-Policy": own_policy})
    )

    response = middleware(RequestFactory().get("/"))

    assert response["Content-Security-Policy"] == own_policy
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
