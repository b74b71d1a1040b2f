"""Themes and branding: lookup tenant override -> tenant theme -> base; branding as CSS."""

from __future__ import annotations

from django.template import engines

from tenants.services import update_branding


def reset_template_cache() -> None:
    """Templates are cached per (schema, theme) for the process; a new override needs a reset
    (as after uploading one, until the operator console grows that feature)."""
    for loader in engines["django"].engine.template_loaders:  # type: ignore[attr-defined]
        loader.reset()


def test_each_tenant_shows_its_own_name_colours_theme_and_modules(client_for, tenant_a, tenant_b):
    page_a = client_for(tenant_a).get("/").content.decode()
    page_b = client_for(tenant_b).get("/").content.decode()

    assert "<h1>Alpha Market</h1>" in page_a
    assert 'class="theme-base"' in page_a
    assert "--brand-primary:#2f6fde;" in page_a
    assert 'data-module="alpha"' in page_a and 'data-module="beta"' not in page_a

    assert "Beta Bazaar" in page_b and "Alpha Market" not in page_b
    assert 'class="theme-bazaar"' in page_b
    assert "themes/bazaar/css/bazaar.css" in page_b
    assert "--brand-primary:#aa2200;" in page_b
    assert 'data-module="alpha"' in page_b and 'data-module="beta"' in page_b


def test_tenant_override_wins_over_theme_and_base(
    client_for, tenant_a, tenant_b, settings, tmp_path
):
    settings.TENANT_TEMPLATE_OVERRIDES_DIR = tmp_path
    reset_template_cache()
    override = tmp_path / tenant_a.schema_name / "storefront"
    override.mkdir(parents=True)
    (override / "home.html").write_text(
        '{% extends "base.html" %}{% block content %}<p id="own">Our own front page</p>'
        "{% endblock %}"
    )

    page_a = client_for(tenant_a).get("/").content.decode()
    page_b = client_for(tenant_b).get("/").content.decode()

    assert '<p id="own">Our own front page</p>' in page_a
    assert 'class="theme-base"' in page_a  # base.html still comes from the theme chain
    assert "Our own front page" not in page_b
    reset_template_cache()


def test_theme_change_shows_at_once(client_for, tenant_a):
    client = client_for(tenant_a)
    assert 'class="theme-base"' in client.get("/").content.decode()

    update_branding(
        tenant=tenant_a, changes={"theme": "bazaar", "tagline": "Now in colour", "font": "serif"}
    )

    page = client.get("/").content.decode()
    assert 'class="theme-bazaar"' in page
    assert "Now in colour" in page
    assert "--brand-font:Georgia" in page


def test_branding_values_cannot_inject_css_or_html(tenant_a):
    import pytest

    from tenants.errors import TenantError

    with pytest.raises(TenantError):
        update_branding(tenant=tenant_a, changes={"primary_colour": "red;}</style><script>"})


def test_home_page_query_count_is_pinned(client_for, tenant_b, django_assert_max_num_queries):
    client = client_for(tenant_b)
    client.get("/")
    # host -> tenant + branding, enabled modules, two shelves (rows, prices, images: fixed
    # size), top categories, and the search_path SET.
    with django_assert_max_num_queries(10):
        assert client.get("/").status_code == 200
