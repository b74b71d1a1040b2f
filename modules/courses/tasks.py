"""The module's background jobs (Celery, run in the marketplace's schema that queued them)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from modules.courses.services.video import MAX_ATTEMPTS, VideoJobInterrupted, process_video


@shared_task(
    bind=True,
    name="modules.courses.tasks.process_video",
    acks_late=True,
    autoretry_for=(VideoJobInterrupted,),
    retry_backoff=60,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=MAX_ATTEMPTS - 1,
)
def process_video_task(self: Any, video_id: int) -> str:
    """A lesson video transcoded and published; an interruption (storage, database, a lost
    worker) is retried with backoff, a video ffmpeg cannot read fails at once."""
    return process_video(video_id=video_id, final_attempt=self.request.retries >= self.max_retries)
