"""One notification service: in-app, e-mail, web push and SMS, by each user's preferences.

- Call ``core.notifications.services.notify(user_ids=..., type_key=..., title=..., body=...,
  url=..., data=..., dedupe_key=...)`` inside your transaction. It writes the in-app rows now
  (only for users of the current marketplace; a repeated ``dedupe_key`` writes nothing for a
  user twice), emits ``notifications.created`` to the outbox, and pushes
  ``notification.new`` (``id, title, url, unread_count``) to the users' sockets after commit.
- Types: core's in ``types.py``, a module's in its manifest's ``notification_types``
  (``NotificationTypeSpec``: key, label, is_critical, default_channels); duplicates fail the
  system check souk.E101. A critical type's default channels cannot be switched off; any
  non-critical type may be batched into the daily digest.
- Delivery (``delivery.py``): one ``Delivery`` row per (notification, channel), unique, so a
  replayed event sends nothing twice; provider calls happen outside locks (claim with a lease,
  commit, send, record). Quiet hours hold non-critical push and SMS; the timer
  (``tasks.run_due_notifications``, beat ``notifications-due``) releases them, retries
  failures with backoff and sends each user's digest at the marketplace's digest hour in
  their own time zone.
- E-mail: the generic template (``notifications/email/notification.*``) in the
  marketplace's name, or a type's own builder (``email.email_builder``; the order e-mails keep
  their templates and PDFs that way). Web push: pywebpush with the marketplace's VAPID keys
  (``push.py``, private key encrypted with core.crypto). SMS: ``sms.SmsBackend`` (console by
  default, Twilio by ``SOUK_SMS_BACKEND=twilio``).
"""
