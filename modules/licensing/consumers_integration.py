"""The licensing module's outbox consumers towards the seller's systems: accounts in the
seller's software follow their licences (issued -> provision; revoked or expired ->
deprovision), and licence events become webhooks to the licence's seller (through
core/integrations, which sends core's order, refund and subscription events itself).

Registered by importing this module in the app's ``ready()``. Every consumer is idempotent:
accounts are one per licence, deliveries one per endpoint and event id."""

from __future__ import annotations

from typing import Any

from core.events import consumer
from core.integrations.services.webhooks import webhook_publisher

# Imported with the consumers so that workers register the tasks (Celery's autodiscovery
# only looks at ``tasks.py``).
from modules.licensing import tasks_provisioning  # noqa: F401
from modules.licensing.services import provisioning
from modules.licensing.services.webhooks import WEBHOOK_EVENTS, license_audience

__all__ = ["license_audience"]

for _event in WEBHOOK_EVENTS:
    consumer(_event)(webhook_publisher(_event, license_audience))


@consumer("license.issued")
def provision_issued_license(payload: dict[str, Any]) -> None:
    if payload.get("provisioning", "automatic") == "automatic":
        provisioning.start_provisioning(license_id=int(payload["license_id"]))


@consumer("license.revoked")
def deprovision_revoked_license(payload: dict[str, Any]) -> None:
    provisioning.start_deprovisioning(license_id=int(payload["license_id"]))


@consumer("license.expired")
def deprovision_expired_license(payload: dict[str, Any]) -> None:
    provisioning.start_deprovisioning(license_id=int(payload["license_id"]))
