"""Byte Bazaar's digital goods for the demo (``manifest.demo``)."""

from __future__ import annotations


def populate(tenant_slug: str, *, password: str, seed: int) -> bool:
    """E-books and templates with previews on Byte Bazaar; False elsewhere."""
    return False
