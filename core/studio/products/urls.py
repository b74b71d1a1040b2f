"""``/studio/products/``: the list, bulk actions, CSV, the wizard, and the public image files."""

from django.urls import URLPattern, URLResolver, path

from core.studio.products import media, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("products/", views.product_list, name="products"),
    path("products/bulk/", views.product_bulk, name="products_bulk"),
    path("products/export.csv", views.product_export, name="products_export"),
    path("products/import/", views.product_import, name="products_import"),
    path("products/new/", views.product_new, name="product_new"),
    path("products/<int:product_id>/", views.product_edit, name="product_edit"),
    path("products/<int:product_id>/images/", views.product_images, name="product_images"),
    path(
        "products/<int:product_id>/images/order/",
        views.product_images_order,
        name="product_images_order",
    ),
    path(
        "products/<int:product_id>/images/<int:image_id>/<slug:action>/",
        views.product_image_action,
        name="product_image_action",
    ),
    path("products/<int:product_id>/details/", views.product_step, name="product_step"),
    path("products/<int:product_id>/preview/", views.product_preview, name="product_preview"),
    path("products/<int:product_id>/publish/", views.product_publish, name="product_publish"),
    path(
        "products/<int:product_id>/status/<slug:action>/",
        views.product_status,
        name="product_status",
    ),
    # Public for published products (the storefront's <img>), so not behind the studio guard.
    path(
        "products/media/<int:image_id>/<str:key>/<str:variant>",
        media.product_image_file,
        name="product_image_file",
    ),
]
