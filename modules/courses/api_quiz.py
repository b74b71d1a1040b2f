"""Learner API: quiz (mounted into ``api.router``)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["courses"])
