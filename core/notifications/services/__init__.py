"""Notification services; ``notify`` is the one other apps call."""

from core.notifications.services.notify import notify

__all__ = ["notify"]
