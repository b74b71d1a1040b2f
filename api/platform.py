"""``/api/platform/v1/`` on the platform host: the fleet, for platform staff."""

from __future__ import annotations

from ninja import NinjaAPI, Swagger

from api.auth import PlatformStaffAuth
from api.errors import install_error_handlers
from api.parsers import JsonBodyParser
from tenants.api import platform_router


def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="Souk platform API",
        version="1",
        description="Fleet management for platform staff (session with a verified second "
        "factor, plus CSRF).",
        urls_namespace="api-platform-v1",
        docs_url="/docs",
        docs=Swagger(settings={"validatorUrl": "none"}),
        parser=JsonBodyParser(),
        # Operations name their permissions; one that forgets is for superusers only.
        auth=PlatformStaffAuth(),
    )
    install_error_handlers(api)
    api.add_router("/", platform_router, tags=["fleet"])
    return api


api = build_api()
