"""Seller API: video (mounted into ``api_seller.router``)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["courses"])
