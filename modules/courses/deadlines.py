"""The module's deadline handlers, found by core.deadlines in this folder (they fire only in
marketplaces where the module is on). Each is idempotent."""

from __future__ import annotations

from core.deadlines.registry import DueDeadline, deadline_handler
from modules.courses.services import video


@deadline_handler(video.RETIRE_TASK)
def retire_video(deadline: DueDeadline) -> None:
    """A replaced lesson video's files go once its last playlists have expired."""
    video.retire_video(video_id=int(deadline.payload["video_id"]))
