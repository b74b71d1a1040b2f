"""The integration's outbox consumers: accounts in the seller's software follow their
licences (issued -> provision; revoked or expired -> deprovision), and the events sellers
subscribe to become webhook deliveries to the seller each one concerns - a seller hears of
their own sub-order, lines, refunds, licences and subscriptions, never another seller's.

Registered by importing this module in the app's ``ready()``. Every consumer is idempotent:
accounts are one per licence, deliveries one per endpoint and event id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.commerce.models import Order, OrderLine, SubOrder
from core.events import consumer

# Imported with the consumers so that workers register the tasks (Celery's autodiscovery
# only looks at ``tasks.py``).
from modules.licensing import tasks_integration  # noqa: F401
from modules.licensing.models import License
from modules.licensing.services import provisioning, webhooks
from modules.licensing.services.webhooks import Audience


def order_paid_audience(payload: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Each seller hears of their own sub-order and lines only."""
    order = Order.objects.filter(pk=payload["order_id"]).only("email", "billing_name").first()
    totals = {
        sub["pk"]: sub
        for sub in SubOrder.objects.filter(order_id=payload["order_id"]).values(
            "pk", "total", "seller_net"
        )
    }
    by_seller: dict[int, dict[str, Any]] = {}
    for sub in payload.get("sub_orders", []):
        amounts: dict[str, Any] = dict(totals.get(sub["id"], {}))
        by_seller[sub["seller_id"]] = {
            "order_id": payload["order_id"],
            "sub_order_id": sub["id"],
            "currency": payload.get("currency"),
            "total": amounts.get("total"),
            "seller_net": amounts.get("seller_net"),
            "subscription_id": payload.get("subscription_id"),
            "buyer": {
                "email": order.email if order else "",
                "name": order.billing_name if order else "",
            },
            "lines": [
                line for line in payload.get("lines", []) if line["seller_id"] == sub["seller_id"]
            ],
        }
    return by_seller


def refund_audience(payload: dict[str, Any]) -> dict[int, dict[str, Any]]:
    line_ids = [line["id"] for line in payload.get("lines", [])]
    seller_of = dict(
        OrderLine.objects.filter(pk__in=line_ids).values_list("pk", "sub_order__seller_id")
    )
    revoked = set(payload.get("revoked_line_ids", []))
    by_seller: dict[int, dict[str, Any]] = {}
    for line in payload.get("lines", []):
        seller_id = seller_of.get(line["id"])
        if seller_id is None:
            continue
        data = by_seller.setdefault(
            seller_id,
            {
                "refund_id": payload["refund_id"],
                "order_id": payload["order_id"],
                "currency": payload.get("currency"),
                "amount": 0,
                "lines": [],
                "revoked_line_ids": [],
            },
        )
        data["amount"] += line["amount"]
        data["lines"].append(line)
        if line["id"] in revoked:
            data["revoked_line_ids"].append(line["id"])
    return by_seller


def license_audience(payload: dict[str, Any]) -> dict[int, dict[str, Any]]:
    seller_id = payload.get("seller_id")
    if seller_id is None and payload.get("license_id") is not None:
        seller_id = (
            License.objects.filter(pk=int(payload["license_id"]))
            .values_list("seller_id", flat=True)
            .first()
        )
    return {} if seller_id is None else {int(seller_id): dict(payload)}


def seller_audience(payload: dict[str, Any]) -> dict[int, dict[str, Any]]:
    seller_id = payload.get("seller_id")
    return {} if seller_id is None else {int(seller_id): dict(payload)}


def _publisher(event_type: str, audience: Audience) -> Callable[[dict[str, Any]], None]:
    def publish(payload: dict[str, Any]) -> None:
        webhooks.publish(event_type=event_type, payload=payload, audience=audience)

    publish.__name__ = publish.__qualname__ = f"publish_{event_type.replace('.', '_')}"
    return publish


for _event_type, _audience in {
    "order.paid": order_paid_audience,
    "refund.created": refund_audience,
    "license.issued": license_audience,
    "license.suspended": license_audience,
    "license.revoked": license_audience,
    "license.expired": license_audience,
    "subscription.renewed": seller_audience,
    "subscription.cancelled": seller_audience,
}.items():
    consumer(_event_type)(_publisher(_event_type, _audience))


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
