"""``/api/v1/payments/``: the endpoints payment providers call. ``POST /stripe/webhook`` is
each marketplace's Stripe webhook URL (``https://<marketplace host>/api/v1/payments/stripe/
webhook``), ``POST /paypal/webhook`` its PayPal one. They take no session or token (the
provider's signature is the authentication), so no CSRF check applies either, and they are
not rate limited: refusing a provider only delays money. Commerce serves them, above
payments: the provider reads the event, commerce applies it."""

from django.http import HttpRequest
from ninja import Router, Schema

from core.commerce.services.payment_webhooks import (
    receive_paypal_webhook,
    receive_stripe_webhook,
)

payments_router = Router()


class WebhookAckOut(Schema):
    received: bool
    event_id: str
    is_duplicate: bool


@payments_router.post(
    "/stripe/webhook",
    auth=None,
    throttle=[],
    response=WebhookAckOut,
    summary="Stripe webhook (verified with the Stripe-Signature header)",
)
def stripe_webhook(request: HttpRequest) -> WebhookAckOut:
    receipt = receive_stripe_webhook(
        payload=request.body, signature=request.headers.get("Stripe-Signature")
    )
    return WebhookAckOut(
        received=True, event_id=receipt.event_id, is_duplicate=receipt.is_duplicate
    )


@payments_router.post(
    "/paypal/webhook",
    auth=None,
    throttle=[],
    response=WebhookAckOut,
    summary="PayPal webhook (verified by PayPal's verify-webhook-signature API)",
)
def paypal_webhook(request: HttpRequest) -> WebhookAckOut:
    receipt = receive_paypal_webhook(payload=request.body, headers=request.headers)
    return WebhookAckOut(
        received=True, event_id=receipt.event_id, is_duplicate=receipt.is_duplicate
    )
