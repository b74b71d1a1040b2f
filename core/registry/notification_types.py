"""Notification types: core declares its own (``core.notifications``), modules theirs in the
manifest (``notification_types``). Each user's preferences are a type x channel matrix whose
defaults come from here; a critical type (security, money) cannot be switched off."""

from __future__ import annotations

from dataclasses import dataclass

CHANNELS = ("in_app", "email", "push", "sms")


@dataclass(frozen=True)
class NotificationTypeSpec:
    key: str  # dotted, owner first: "orders.paid", "gigs.delivery_submitted"
    label: str  # what the user switches on or off: "A delivery was submitted"
    is_critical: bool = False
    default_channels: tuple[str, ...] = ("in_app", "email")
