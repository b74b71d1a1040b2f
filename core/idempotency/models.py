from django.db import models


class IdempotentRequest(models.Model):
    """A money-moving request's key and first answer: a replay gets the same answer, and a
    concurrent duplicate waits on the key's unique index until the first one commits."""

    user_id = models.BigIntegerField()
    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "scope", "key"], name="idempotency_once")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
