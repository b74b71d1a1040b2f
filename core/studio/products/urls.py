from django.urls import URLPattern, URLResolver, path

from core.studio.products import media

urlpatterns: list[URLPattern | URLResolver] = [
    # Public for published products (the storefront's <img>), so not behind the studio guard.
    path(
        "products/media/<int:image_id>/<str:key>/<str:variant>",
        media.product_image_file,
        name="product_image_file",
    ),
]
