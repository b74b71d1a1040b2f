from datetime import datetime
from typing import Any

from ninja import Field, Schema

from core.deadlines.models import DeadlineStatus


class DeadlineFilter(Schema):
    status: DeadlineStatus | None = None
    key_prefix: str | None = Field(None, min_length=1, max_length=200)


class DeadlineOut(Schema):
    key: str
    task: str
    payload: dict[str, Any]
    status: DeadlineStatus
    at: datetime = Field(..., description="When it is due.")
    next_attempt_at: datetime = Field(
        ..., description="When the sweeper may take it next (later than `at` after a failure)."
    )
    attempts: int
    last_error: str
    claimed_at: datetime | None
    fired_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
