"""Shared integrations with sellers' own systems, for core and every module.

- Webhook event types: declared in a module's manifest (``webhook_events``) or with
  ``registry.register_event_types``; core's own are ``registry.CORE_EVENT_TYPES``.
- ``services.webhooks.emit_webhook(seller=..., event=..., payload=...)``: signed deliveries to
  the seller's subscribed endpoints, retried with backoff, replayable; ``webhook_publisher``
  turns an outbox event into webhooks to the sellers it concerns.
- ``services.calls.call_seller(...)``: any other signed call (licensing's provisioning),
  through the SSRF guard (``ssrf``) and into the integration log.
- ``signing``: the signature scheme (stdlib only; sellers may copy ``verify_signature``).
- ``selectors.integration_health``: the health figures; ``api.partner_router`` and ``urls``:
  the partner API endpoints and seller pages a module mounts under its own paths.
"""
