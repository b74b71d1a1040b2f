"""gzip for the text Souk renders (pages, JSON, feeds) when the client accepts it, with
Django's BREACH mitigation (random bytes in the gzip header); never for files (downloads,
video segments, images: already compressed, and ranges must keep working), streams or
responses a proxy sends itself (X-Accel-Redirect / X-Sendfile). Anonymous storefront pages
arrive compressed from their cache (brotli or gzip) and are left as they are; static files are
WhiteNoise's (precompressed at build, immutable cache headers)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

TEXT_TYPES = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/javascript",
    "application/xml",
    "application/rss+xml",
    "application/ld+json",
    "image/svg+xml",
)


class TextGZipMiddleware(GZipMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if (
            response.streaming
            or not content_type.startswith(TEXT_TYPES)
            or response.has_header("X-Accel-Redirect")
            or response.has_header("X-Sendfile")
        ):
            return response
        return super().process_response(request, response)
