from django.db import models


class AlphaItem(models.Model):
    name = models.CharField(max_length=80)
    quantity = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return self.name


class FulfilmentRecord(models.Model):
    """What the hooks did, so tests can see they ran (and in which schema)."""

    line_id = models.CharField(max_length=40)
    action = models.CharField(max_length=10)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line_id", "action"], name="one_record_per_action")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.line_id}"
