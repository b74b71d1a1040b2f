"""The operator's set-up pages: who may open them, the getting-started checklist read from
real state, and branding (colours, uploads checked by content, the domain request, legal
pages sanitised and linked in the footer), each marketplace seeing only its own."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from PIL import Image

from core.accounts.models import Role
from core.catalog.models import Category, Product
from core.commerce.models import TaxRule
from tenants.backoffice.models import LegalPage
from tenants.backoffice.setup.checklist import getting_started
from tenants.backoffice.setup.services.legal_pages import write_legal_page
from tenants.models import Branding, Domain, TenantModule
from tenants.services import set_module_enabled
from tenants.services.branding_assets import asset_storage_name
from tests.accounts_helpers import make_user, sign_in, signed_in_operator
from tests.catalog_helpers import make_category, make_product, make_seller

PAGES = [
    "/operator/start/",
    "/operator/branding/",
    "/operator/branding/legal/terms/",
    "/operator/modules/",
    "/operator/categories/",
    "/operator/moderation/",
]


def png(width: int = 40, height: int = 20, colour: str = "#cc3300", fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=fmt)
    return buffer.getvalue()


def branding_of(tenant: Any) -> Branding:
    return Branding.objects.get(tenant=tenant)


def valid_branding(**changes: str) -> dict[str, str]:
    return {
        "display_name": "Alpha Market",
        "tagline": "Tools for makers",
        "theme": "base",
        "font": "serif",
        "primary_colour": "#0b5cad",
        "accent_colour": "#f5a623",
        "background_colour": "#ffffff",
        "text_colour": "#1b1f24",
        **changes,
    }


# --- who may open them -----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client_for, tenant_a):
    client = client_for(tenant_a)
    for path in PAGES:
        response = client.get(path)
        assert (path, response.status_code) == (path, 302)
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", [Role.BUYER, Role.SELLER])
def test_buyers_and_sellers_are_refused(client_for, tenant_a, role):
    make_user(tenant_a, f"{role}@example.com", role=role)
    client = client_for(tenant_a)
    sign_in(client, f"{role}@example.com")
    assert {path: client.get(path).status_code for path in PAGES} == dict.fromkeys(PAGES, 403)


def test_an_operator_without_a_second_factor_is_refused(client_for, tenant_a):
    make_user(tenant_a, "new-op@example.com", role=Role.OPERATOR)
    client = client_for(tenant_a)
    sign_in(client, "new-op@example.com")
    for path in PAGES:
        response = client.get(path)
        assert (path, response.status_code) == (path, 403)
        assert "accounts/two_factor_required.html" in [t.name for t in response.templates]


def test_an_operator_past_the_second_factor_opens_every_page(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    for path in PAGES:
        response = client.get(path)
        assert (path, response.status_code) == (path, 200)
        assert b'aria-current="page"' in response.content


def test_a_buyer_cannot_post_branding(client_for, tenant_a):
    make_user(tenant_a, "buyer@example.com")
    client = client_for(tenant_a)
    sign_in(client, "buyer@example.com")
    response = client.post("/operator/branding/", valid_branding(primary_colour="#000000"))
    assert response.status_code == 403
    assert branding_of(tenant_a).primary_colour != "#000000"


# --- getting started ---------------------------------------------------------------------------


def test_a_new_marketplace_starts_with_what_provisioning_gave_it(tenant_a):
    with schema_context(tenant_a.schema_name):
        checklist = getting_started(tenant_a)
    done = {item.key: item.is_done for item in checklist.items}
    assert done == {
        "branding": False,
        "modules": True,  # alpha, on by default, sells software
        "categories": False,
        "payments": False,  # the sandbox provider: test mode
        "commission_taxes": False,
        "sellers": False,
        "publish": False,
    }
    assert checklist.next_item is not None and checklist.next_item.key == "branding"


def test_each_step_ticks_itself_from_the_state_it_is_about(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    client.post("/operator/branding/logo/upload/", {"logo-image": upload(png())})
    make_category(tenant_a, "Tools")
    seller = make_seller(tenant_a, "maker")
    make_product(tenant_a, seller, "Planer")
    with schema_context(tenant_a.schema_name):
        TaxRule.objects.create(country="DE", name="VAT", rate_bp=1900)
        checklist = getting_started(tenant_a)
    done = {item.key for item in checklist.items if item.is_done}
    assert done == {"branding", "modules", "categories", "commission_taxes", "sellers", "publish"}

    page = client.get("/operator/start/").content.decode()
    assert "6 of 7" in page
    assert 'data-item="categories"' in page and "1 category" in page
    assert 'href="/operator/categories/"' in page


def test_the_checklist_card_names_the_next_step_and_hides_when_all_is_done(rf, tenant_a):
    from django.template.loader import render_to_string

    with schema_context(tenant_a.schema_name):
        checklist = getting_started(tenant_a)
    card = render_to_string("backoffice/_getting_started_card.html", {"checklist": checklist})
    assert "Getting started: 1 of 7 done" in card
    assert 'href="/operator/branding/">Brand your marketplace</a>' in card
    assert render_to_string("backoffice/_getting_started_card.html", {}).strip() == ""


def test_the_checklist_page_reads_a_bounded_number_of_queries(
    client_for, tenant_a, django_assert_max_num_queries
):
    client, _ = signed_in_operator(client_for, tenant_a)
    for name in ("A", "B", "C"):
        make_category(tenant_a, name)
    client.get("/operator/start/")
    with django_assert_max_num_queries(14):
        assert client.get("/operator/start/").status_code == 200


# --- branding ----------------------------------------------------------------------------------


def test_saving_branding_changes_the_storefront_colours(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    response = client.post("/operator/branding/", valid_branding(primary_colour="#0B5CAD"))
    assert response.status_code == 302
    branding = branding_of(tenant_a)
    assert (branding.primary_colour, branding.font, branding.tagline) == (
        "#0b5cad",
        "serif",
        "Tools for makers",
    )
    assert "--brand-primary:#0b5cad;" in client_for(tenant_a).get("/").content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("primary_colour", "red", "Use a colour like #1a2b3c."),
        ("text_colour", "#12345", "Use a colour like #1a2b3c."),
        ("primary_colour", "#123456;}body{", "Use a colour like #1a2b3c."),
        ("theme", "neon", "Select a valid choice."),
        ("font", "comic", "Select a valid choice."),
        ("display_name", "   ", "This field is required."),
    ],
)
def test_bad_branding_answers_the_field_and_writes_nothing(
    client_for, tenant_a, field, value, message
):
    client, _ = signed_in_operator(client_for, tenant_a)
    before = branding_of(tenant_a)
    response = client.post("/operator/branding/", valid_branding(**{field: value}))
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    after = branding_of(tenant_a)
    assert [getattr(after, f) for f in ("primary_colour", "tagline", "font", "display_name")] == [
        getattr(before, f) for f in ("primary_colour", "tagline", "font", "display_name")
    ]


def test_the_preview_draws_unsaved_values_and_warns_about_contrast(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    before = branding_of(tenant_a).primary_colour
    response = client.post(
        "/operator/branding/preview/",
        valid_branding(primary_colour="#ffff00", display_name="Yellow Market"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-primary="#ffff00"' in page and "Yellow Market" in page
    assert "White header text on the primary colour has a contrast of 1.1:1" in page
    assert branding_of(tenant_a).primary_colour == before


def test_the_preview_ignores_values_that_do_not_validate(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    saved = branding_of(tenant_a).primary_colour
    page = client.post(
        "/operator/branding/preview/", valid_branding(primary_colour="red;background:url(x)")
    ).content.decode()
    assert f'data-primary="{saved}"' in page
    assert "url(x)" not in page


def upload(data: bytes, name: str = "logo.png", content_type: str = "image/png") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_an_uploaded_logo_is_stored_privately_and_served_publicly(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    data = png()
    response = client.post("/operator/branding/logo/upload/", {"logo-image": upload(data)})
    assert response.status_code == 302
    logo_url = branding_of(tenant_a).logo_url
    assert logo_url.startswith("/brand-assets/logo-") and logo_url.endswith(".png")
    stored = asset_storage_name(tenant_a.schema_name, logo_url.rsplit("/", 1)[1])
    assert stored.startswith(f"{tenant_a.schema_name}/branding/")
    with schema_context(tenant_a.schema_name):
        assert default_storage.exists(stored)

    visitor = client_for(tenant_a)
    assert f'src="{logo_url}"' in visitor.get("/").content.decode()
    served = visitor.get(logo_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == data
    assert "immutable" in served["Cache-Control"]


@pytest.mark.parametrize(
    ("data", "name", "content_type", "message"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
            "logo.png",
            "image/png",
            "not an image",
        ),
        (b"MZ\x90\x00 an executable", "logo.png", "image/png", "not an image"),
        (b"%PDF-1.4 not a picture", "logo.jpg", "image/jpeg", "not an image"),
        (png(width=3000, height=10), "wide.png", "image/png", "at most 2000 px"),
        (png() + b"\0" * (1024 * 1024), "huge.png", "image/png", "too big"),
        (png(fmt="TIFF"), "logo.tiff", "image/tiff", "TIFF is not accepted"),
    ],
)
def test_uploads_that_are_not_acceptable_images_are_refused(
    client_for, tenant_a, data, name, content_type, message
):
    client, _ = signed_in_operator(client_for, tenant_a)
    before = stored_brand_files(tenant_a)
    response = client.post(
        "/operator/branding/logo/upload/", {"logo-image": upload(data, name, content_type)}
    )
    assert response.status_code == 400
    assert message in response.context["logo_form"].errors["image"][0]
    assert branding_of(tenant_a).logo_url == ""
    assert stored_brand_files(tenant_a) == before


def stored_brand_files(tenant: Any) -> set[str]:
    with schema_context(tenant.schema_name):
        try:
            return set(default_storage.listdir(f"{tenant.schema_name}/branding")[1])
        except FileNotFoundError:
            return set()


def test_a_favicon_is_uploaded_and_linked(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    response = client.post(
        "/operator/branding/favicon/upload/",
        {"favicon-image": upload(png(32, 32, fmt="ICO"), "favicon.ico", "image/x-icon")},
    )
    assert response.status_code == 302
    favicon = branding_of(tenant_a).favicon_url
    assert favicon.endswith(".ico")
    served = client_for(tenant_a).get(favicon)
    assert served["Content-Type"] == "image/x-icon"


def test_only_the_images_in_use_are_served(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    client.post("/operator/branding/logo/upload/", {"logo-image": upload(png(colour="#111111"))})
    first = branding_of(tenant_a).logo_url
    client.post("/operator/branding/logo/remove/")
    assert branding_of(tenant_a).logo_url == ""
    assert client_for(tenant_a).get(first).status_code == 404
    assert client_for(tenant_a).get("/brand-assets/..%2Fsecret.png").status_code == 404


def test_one_marketplace_cannot_fetch_another_ones_logo(client_for, tenant_a, tenant_b):
    client, _ = signed_in_operator(client_for, tenant_a)
    client.post("/operator/branding/logo/upload/", {"logo-image": upload(png())})
    logo_url = branding_of(tenant_a).logo_url
    assert client_for(tenant_a).get(logo_url).status_code == 200
    assert client_for(tenant_b).get(logo_url).status_code == 404
    assert branding_of(tenant_b).logo_url == ""


def test_a_custom_domain_request_is_recorded_and_handed_to_the_platform(
    client_for, tenant_a, django_capture_on_commit_callbacks, settings
):
    settings.ADMINS = [("Platform", "platform@souk.test")]
    client, _ = signed_in_operator(client_for, tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/operator/branding/domain/", {"domain": "Shop.Example.COM"})
    assert response.status_code == 302
    branding = branding_of(tenant_a)
    assert branding.requested_domain == "shop.example.com"
    assert not Domain.objects.filter(domain="shop.example.com").exists()  # staff add it
    (message,) = mail.outbox
    assert message.to == ["platform@souk.test"]
    assert "shop.example.com" in message.subject
    assert "CNAME record to alpha-market.souk.test" in message.body
    page = client.get("/operator/branding/").content.decode()
    assert "You asked for <strong>shop.example.com</strong>" in page


@pytest.mark.parametrize(
    ("domain", "message"),
    [("not a domain", "domain"), ("shop.souk.test", "platform domain")],
)
def test_a_bad_domain_request_names_the_field_and_writes_nothing(
    client_for, tenant_a, domain, message
):
    client, _ = signed_in_operator(client_for, tenant_a)
    response = client.post("/operator/branding/domain/", {"domain": domain})
    assert response.status_code == 400
    assert message in response.context["domain_form"].errors["domain"][0]
    assert branding_of(tenant_a).requested_domain == ""


def test_a_domain_in_use_elsewhere_cannot_be_requested(client_for, tenant_a, tenant_b):
    Domain.objects.create(tenant=tenant_b, domain="other.example.org", is_custom=True)
    client, _ = signed_in_operator(client_for, tenant_a)
    response = client.post("/operator/branding/domain/", {"domain": "other.example.org"})
    assert response.status_code == 400
    assert "already in use" in response.context["domain_form"].errors["domain"][0]
    assert branding_of(tenant_a).requested_domain == ""


# --- legal pages -------------------------------------------------------------------------------


def test_legal_pages_are_sanitised_and_linked_in_the_footer(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    body = (
        "<h2>Refunds</h2><p onclick='steal()'>Within <strong>14 days</strong>."
        "<script>alert(1)</script><a href='javascript:alert(1)'>x</a>"
        "<a href='https://example.com/help'>help</a></p><style>p{}</style>"
    )
    response = client.post("/operator/branding/legal/refunds/", {"body_html": body})
    assert response.status_code == 302
    with schema_context(tenant_a.schema_name):
        stored = LegalPage.objects.get(kind="refunds").body_html
    assert stored == (
        '<h2>Refunds</h2><p>Within <strong>14 days</strong>.<a rel="noopener noreferrer '
        'nofollow">x</a><a href="https://example.com/help" rel="noopener noreferrer nofollow">'
        "help</a></p>"
    )
    public = client_for(tenant_a).get("/legal/refunds/")
    assert public.status_code == 200
    assert stored in public.content.decode()
    from django.template.loader import render_to_string

    with schema_context(tenant_a.schema_name):
        from tenants.context_processors import legal_links

        footer = render_to_string("storefront/_footer_links.html", {"legal_links": legal_links()})
    assert '<a href="/legal/refunds/">Refund policy</a>' in footer
    assert "Terms of service" not in footer
    assert client_for(tenant_a).get("/legal/terms/").status_code == 404


def test_an_emptied_legal_page_is_taken_down(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    client.post("/operator/branding/legal/terms/", {"body_html": "<p>Be nice.</p>"})
    assert client_for(tenant_a).get("/legal/terms/").status_code == 200
    client.post("/operator/branding/legal/terms/", {"body_html": "<p> </p><script>x</script>"})
    assert client_for(tenant_a).get("/legal/terms/").status_code == 404


def test_an_overlong_legal_page_is_refused_and_nothing_is_written(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    response = client.post("/operator/branding/legal/privacy/", {"body_html": "x" * 100_001})
    assert response.status_code == 400
    assert "at most 100000 characters" in response.context["form"].errors["body_html"][0]
    with schema_context(tenant_a.schema_name):
        assert not LegalPage.objects.exists()


def test_legal_pages_belong_to_their_marketplace(client_for, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        write_legal_page(kind="privacy", body_html="<p>Alpha keeps little.</p>")
    assert client_for(tenant_a).get("/legal/privacy/").status_code == 200
    assert client_for(tenant_b).get("/legal/privacy/").status_code == 404


def test_an_unknown_legal_page_is_not_found(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    assert client.get("/operator/branding/legal/cookies/").status_code == 404
    assert client_for(tenant_a).get("/legal/cookies/").status_code == 404


def test_setup_pages_show_only_their_own_marketplace(client_for, tenant_a, tenant_b):
    make_category(tenant_b, "Beta Only Lamps")
    client, _ = signed_in_operator(client_for, tenant_a)
    assert "Beta Only Lamps" not in client.get("/operator/categories/").content.decode()
    with schema_context(tenant_a.schema_name):
        assert not Category.objects.exists()
    set_module_enabled(tenant=tenant_b, key="beta", is_enabled=False)
    assert client.get("/operator/modules/").status_code == 200


def test_no_setup_action_is_open_to_a_seller(client_for, tenant_a):
    tools = make_category(tenant_a, "Tools")
    seller = make_seller(tenant_a, "maker")
    product = make_product(tenant_a, seller, "Planer")
    client = client_for(tenant_a)
    sign_in(client, "maker@example.com")
    posts = {
        "/operator/branding/": valid_branding(primary_colour="#000000"),
        "/operator/branding/preview/": valid_branding(),
        "/operator/branding/logo/upload/": {"logo-image": upload(png())},
        "/operator/branding/logo/remove/": {},
        "/operator/branding/domain/": {"domain": "shop.example.com"},
        "/operator/branding/legal/terms/": {"body_html": "<p>Mine now.</p>"},
        "/operator/modules/alpha/switch/": {"is_enabled": "off"},
        "/operator/modules/alpha/settings/": {"alpha-greeting": "x", "alpha-max_items": "2"},
        "/operator/categories/": {"name": "Saws", "parent": ""},
        f"/operator/categories/{tools.pk}/rename/": {"name": "Mine"},
        f"/operator/categories/{tools.pk}/move/": {"parent": ""},
        f"/operator/categories/{tools.pk}/up/": {},
        "/operator/categories/reorder/": {"parent": "", "order": str(tools.pk)},
        "/operator/moderation/": {"action": "approve", "products": [product.pk]},
        f"/operator/moderation/{product.pk}/feature/": {"is_featured": "yes"},
    }
    answers = {path: client.post(path, data).status_code for path, data in posts.items()}
    assert answers == dict.fromkeys(posts, 403)
    branding = branding_of(tenant_a)
    assert (branding.requested_domain, branding.logo_url) == ("", "")
    assert branding.primary_colour != "#000000"
    with schema_context(tenant_a.schema_name):
        assert [c.name for c in Category.objects.all()] == ["Tools"]
        assert not LegalPage.objects.exists()
        assert not Product.objects.get(pk=product.pk).is_featured
    assert TenantModule.objects.get(tenant=tenant_a, key="alpha").is_enabled
