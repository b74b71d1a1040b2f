"""Learner API, mounted at ``/api/v1/courses/``."""

from __future__ import annotations

from ninja import Router

from modules.courses import (
    api_certificates,
    api_curriculum,
    api_progress,
    api_quiz,
    api_video,
)

router = Router(tags=["courses"])
for part in (api_progress, api_video, api_quiz, api_certificates, api_curriculum):
    router.add_router("", part.router)
