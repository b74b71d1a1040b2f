"""The studio's own records. ``CustomerNote``: a seller's private note about one of their
buyers, seen by the seller's team on the customers page and never by the buyer."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.sellers.models import Seller


class CustomerNote(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="customer_notes")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=4000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["seller", "buyer"], name="one_note_per_customer"),
            models.CheckConstraint(condition=~models.Q(body=""), name="customer_note_not_empty"),
        ]

    def __str__(self) -> str:
        return f"note of seller {self.seller_id} on buyer {self.buyer_id}"
