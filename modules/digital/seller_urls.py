"""Seller studio pages, mounted at ``/studio/digital/`` behind the manifest's permissions."""

from django.urls import URLPattern, path

from modules.digital import studio_pages, studio_previews, studio_uploads

app_name = "digital_studio"
urlpatterns: list[URLPattern] = [
    path("", studio_pages.home, name="home"),
    path("leaks/", studio_pages.leaks, name="leaks"),
    path(
        "products/<int:product_id>/",
        studio_uploads.allow_bucket_uploads(studio_pages.product),
        name="product",
    ),
    path("products/<int:product_id>/terms/", studio_pages.save_terms, name="terms"),
    path("products/<int:product_id>/files/", studio_pages.add_file, name="add_file"),
    path("files/<int:file_id>/versions/", studio_pages.upload_version, name="upload_version"),
    path("files/<int:file_id>/remove/", studio_pages.remove_file, name="remove_file"),
    path("files/<int:file_id>/direct/", studio_uploads.start_upload, name="direct_upload"),
    path(
        "files/<int:file_id>/direct/<str:upload_key>/complete/",
        studio_uploads.complete_upload,
        name="direct_upload_complete",
    ),
    path("products/<int:product_id>/previews/", studio_previews.section, name="previews"),
    path("products/<int:product_id>/previews/add/", studio_previews.add, name="add_preview"),
    path("previews/<int:preview_id>/replace/", studio_previews.replace, name="replace_preview"),
    path("previews/<int:preview_id>/remove/", studio_previews.remove, name="remove_preview"),
    path("previews/<int:preview_id>/move/", studio_previews.move, name="move_preview"),
]
