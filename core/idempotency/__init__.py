"""The idempotency store (kernel): a money-moving request's ``Idempotency-Key`` and first
answer, shared by every app that moves money (checkout, refunds, payouts, subscriptions), so
none of them depends on another for it. ``core.idempotency.store.run_idempotent``."""
