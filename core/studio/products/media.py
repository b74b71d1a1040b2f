"""Uploaded product images, one stored size at a time, at a URL that never changes meaning
(the upload's random key is in it): published products' images to anyone, with a year's
cache lifetime; a draft's only to the seller's team and operators. Local files are streamed;
on S3 the answer is a redirect to a short-lived presigned URL (the bucket stays private)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from core.accounts.models import User
from core.catalog.models import ProductImage
from core.catalog.services.images import image_is_public, stored_file_for
from core.sellers.errors import SellerError
from core.sellers.selectors import acting_seller_holding
from core.storage import TenantPrivateS3Storage

YEAR_SECONDS = 365 * 24 * 3600


def _may_see_unpublished(request: HttpRequest, image: ProductImage) -> bool:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return False
    if user.is_operator:
        return True
    try:
        seller = acting_seller_holding(user, ())
    except SellerError:
        return False
    return seller.pk == image.product.seller_id


@require_safe
def product_image_file(
    request: HttpRequest, image_id: int, key: str, variant: str
) -> HttpResponseBase:
    image = (
        ProductImage.objects.select_related("product")
        .filter(pk=image_id, key=key)
        .exclude(file="")
        .first()
    )
    if image is None:
        raise Http404("No such image.")
    stored = stored_file_for(image, variant)
    if stored is None:
        raise Http404("No such image size.")
    is_public = image_is_public(image)
    if not is_public and not _may_see_unpublished(request, image):
        raise Http404("No such image.")
    name, content_type = stored
    cache_control = (
        f"public, max-age={YEAR_SECONDS}, immutable" if is_public else "private, max-age=300"
    )
    if isinstance(default_storage, TenantPrivateS3Storage):
        response: HttpResponse = HttpResponseRedirect(default_storage.url(name, expire=300))
        response["Cache-Control"] = "private, max-age=240"
        return response
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("No such image.") from None
    file_response = FileResponse(handle, content_type=content_type)
    file_response["Cache-Control"] = cache_control
    file_response["X-Content-Type-Options"] = "nosniff"
    return file_response
