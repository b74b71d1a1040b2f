"""Default outcomes, fired once by core deadlines (in the sweeper's transaction, so a worker
that dies mid-handler leaves nothing and the deadline runs again)."""

from __future__ import annotations

from core.deadlines.registry import DueDeadline, deadline_handler
from core.disputes import services


@deadline_handler("disputes.respond_default")
def respond_default(deadline: DueDeadline) -> None:
    services.default_for_silence(int(deadline.payload["dispute_id"]))


@deadline_handler("disputes.appeal_window_closed")
def appeal_window_closed(deadline: DueDeadline) -> None:
    services.close_after_appeal_window(int(deadline.payload["dispute_id"]))
