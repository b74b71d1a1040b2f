"""JSON log lines with the tenant, request id and user id on each (LOG_FORMAT=json)."""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

current_user_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_user_id", default="-"
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "tenant": getattr(record, "tenant", "-"),
            "request_id": getattr(record, "request_id", "-"),
            "user_id": getattr(record, "user_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
