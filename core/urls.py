"""URLs of tenant hosts. With ``core/urls_platform.py`` this is the composition root: the one
place the project wires core, tenants, modules and the API together."""

from django.urls import include, path

from api.v1 import urls as api_v1_urls
from core.accounts.urls import operator_urlpatterns as operator_user_pages
from core.conversations.urls import operator_urlpatterns as operator_conversation_pages
from core.deadlines.urls import operator_urlpatterns as operator_deadline_pages
from core.disputes.urls import operator_urlpatterns as operator_dispute_pages
from core.module_pages import module_page_urls
from core.notifications.urls import operator_urlpatterns as operator_notification_pages
from core.registry import get_registry
from core.sellers.urls import operator_urlpatterns as operator_seller_pages
from core.storefront import views as storefront
from tenants import views as tenant_pages
from tenants.backoffice.urls import urlpatterns as backoffice_pages
from tenants.support_audit import support_sessions_page

operator_support_pages = [path("support/", support_sessions_page, name="support_sessions")]

urlpatterns = [
    path("", storefront.home, name="home"),
    path("", include("core.storefront.urls")),
    path("", include("core.commerce.urls")),
    path("", include("core.conversations.urls")),
    path("", include("core.notifications.urls")),
    path("", include("core.disputes.urls")),
    # The marketplace's public branding assets (logo, favicon) and legal pages.
    path("", include("tenants.backoffice.setup.public_urls")),
    path("accounts/", include("core.accounts.urls")),
    path("seller/", include("core.sellers.urls")),
    path("studio/", include("core.studio.urls")),
    path(
        "operator/",
        include(
            (
                [
                    *backoffice_pages,
                    *operator_seller_pages,
                    *operator_user_pages,
                    *operator_deadline_pages,
                    *operator_support_pages,
                    *operator_conversation_pages,
                    *operator_dispute_pages,
                    *operator_notification_pages,
                ],
                "operator",
            )
        ),
    ),
    path("api/v1/", api_v1_urls),
    # The owner's confirmation that opens a marketplace made on the public sign-up form.
    path(
        "marketplace/verify/resend/",
        tenant_pages.resend_owner_verification_page,
        name="resend-owner-verification",
    ),
    path("marketplace/verify/<str:token>/", tenant_pages.verify_owner_page, name="verify-owner"),
]
urlpatterns += [
    path(manifest.page_prefix, include(manifest.storefront_urls))
    for manifest in get_registry()
    if manifest.storefront_urls
]
urlpatterns += [
    path("", include(manifest.root_urls)) for manifest in get_registry() if manifest.root_urls
]
# Modules' studio and operator pages, each view behind its area's guard.
urlpatterns += module_page_urls(list(get_registry()))

handler404 = "core.error_views.not_found"
handler500 = "core.error_views.server_error"
handler400 = "core.error_views.bad_request"
handler403 = "core.error_views.forbidden"
