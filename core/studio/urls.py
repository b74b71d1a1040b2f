"""The seller studio at ``/studio/`` (namespace ``studio``), one URL list per area: the
dashboard and analytics, products, sales (orders, customers, payouts, reviews) and the shop
(team, integration, profile). Each view carries its own guard (``core.studio.guards``);
modules' studio pages are mounted beside these by ``core.module_pages``."""

from core.conversations.urls import studio_urlpatterns as conversations
from core.disputes.urls import studio_urlpatterns as disputes
from core.studio.dashboard.urls import urlpatterns as dashboard
from core.studio.products.urls import urlpatterns as products
from core.studio.sales.urls import urlpatterns as sales
from core.studio.shop.urls import urlpatterns as shop

app_name = "studio"
urlpatterns = [*dashboard, *products, *sales, *shop, *conversations, *disputes]
