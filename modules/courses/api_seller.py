"""Seller API, mounted at ``/api/v1/courses/seller/``."""

from __future__ import annotations

from ninja import Router

from modules.courses import (
    api_passes,
    api_seller_builder,
    api_seller_quiz,
    api_seller_students,
    api_seller_video,
)

router = Router(tags=["courses"])
for part in (
    api_seller_builder,
    api_seller_video,
    api_seller_quiz,
    api_seller_students,
    api_passes,
):
    router.add_router("", part.router)
