"""The operator's set-up pages (namespace ``operator``): getting started, branding, modules,
categories and moderation."""

from django.urls import URLPattern, URLResolver, path

from core.automod import views as automod
from tenants.backoffice.setup.views import branding, catalogue, getting_started, modules

urlpatterns: list[URLPattern | URLResolver] = [
    path("start/", getting_started.getting_started_page, name="getting_started"),
    path("branding/", branding.branding_page, name="branding"),
    path("branding/preview/", branding.branding_preview, name="branding_preview"),
    path("branding/domain/", branding.request_domain, name="branding_domain"),
    path("branding/time-zone/", branding.time_zone_view, name="branding_time_zone"),
    path("branding/<str:kind>/upload/", branding.upload_brand_image, name="branding_upload"),
    path("branding/<str:kind>/remove/", branding.remove_brand_image_view, name="branding_remove"),
    path("branding/legal/<str:kind>/", branding.legal_page_editor, name="legal_page_edit"),
    path("modules/", modules.modules_page, name="modules"),
    path("modules/<str:key>/switch/", modules.switch_module, name="module_switch"),
    path("modules/<str:key>/settings/", modules.module_settings, name="module_settings"),
    path("categories/", catalogue.categories_page, name="categories"),
    path("categories/reorder/", catalogue.reorder_categories_view, name="categories_reorder"),
    path(
        "categories/<int:category_id>/rename/",
        catalogue.rename_category,
        name="category_rename",
    ),
    path("categories/<int:category_id>/move/", catalogue.move_category_view, name="category_move"),
    path(
        "categories/<int:category_id>/<str:direction>/",
        catalogue.shift_category_view,
        name="category_shift",
    ),
    path("moderation/", catalogue.moderation_page, name="moderation"),
    path("moderation/automated/", automod.settings_page, name="automod_settings"),
    path("moderation/automated/<int:decision_id>/", automod.decide_hold, name="automod_decide"),
    path(
        "moderation/<int:product_id>/feature/",
        catalogue.feature_product,
        name="product_feature",
    ),
]
