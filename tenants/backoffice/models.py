"""The operator's own documents: the marketplace's legal pages (terms, privacy, refunds),
one row per kind in each tenant's schema, written only by
``tenants.backoffice.setup.services.legal``."""

from __future__ import annotations

from django.db import models


class LegalPageKind(models.TextChoices):
    TERMS = "terms", "Terms of service"
    PRIVACY = "privacy", "Privacy policy"
    REFUNDS = "refunds", "Refund policy"


class LegalPage(models.Model):
    kind = models.CharField(max_length=16, choices=LegalPageKind.choices, unique=True)
    # Sanitised HTML (nh3, a fixed allow-list) — never the operator's raw input.
    body_html = models.TextField(max_length=100_000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["terms", "privacy", "refunds"]),
                name="legal_page_kind_known",
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
