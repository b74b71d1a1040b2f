"""The licensing module's webhook events (``manifest.webhook_events``): a licence's seller
hears of it being issued, suspended, revoked or expired - never another seller's. They go out
through core/integrations like every module's (signed, SSRF-guarded, retried, logged); the
outbox consumers are in ``consumers_integration.py``."""

from __future__ import annotations

from typing import Any

from modules.licensing.manifest import manifest
from modules.licensing.models import License

WEBHOOK_EVENTS = tuple(manifest.webhook_events)


def license_audience(payload: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The licence's seller hears the whole event."""
    seller_id = payload.get("seller_id")
    if seller_id is None and payload.get("license_id") is not None:
        seller_id = (
            License.objects.filter(pk=int(payload["license_id"]))
            .values_list("seller_id", flat=True)
            .first()
        )
    return {} if seller_id is None else {int(seller_id): dict(payload)}
