"""The operator back-office's own pages, mounted under ``/operator/`` (namespace
``operator``) by ``core/urls.py`` beside the seller review, users, support and deadlines
pages: set-up (checklist, branding, modules, catalogue), money (commission, taxes, discounts,
payouts, ledger, reports) and insights (the marketplace dashboard, reviews moderation). Every
view is wrapped in ``core.accounts.views.operator_page``."""

from core.risk.urls import urlpatterns as risk
from tenants.backoffice.insights.urls import urlpatterns as insights
from tenants.backoffice.money.urls import urlpatterns as money
from tenants.backoffice.setup.urls import urlpatterns as setup

urlpatterns = [*insights, *setup, *money, *risk]
