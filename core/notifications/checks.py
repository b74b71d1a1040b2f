"""System checks on notification types (ids souk.E101-E103): one key, one meaning; known
channels only; a valid key."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core import checks

from core.notifications.types import CORE_TYPES
from core.registry.notification_types import CHANNELS, NotificationTypeSpec
from core.registry.registry import get_registry

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.([a-z0-9_]+|\*))+$")


def check_notification_types(
    declared: Iterable[tuple[str, NotificationTypeSpec]],
) -> list[checks.CheckMessage]:
    """``declared``: (owner, spec) pairs, core's first."""
    errors: list[checks.CheckMessage] = []
    owners: dict[str, str] = {}
    for owner, spec in declared:
        if not isinstance(spec, NotificationTypeSpec):
            errors.append(
                checks.Error(
                    f"{owner!r} declares notification type {spec!r}, not a NotificationTypeSpec.",
                    id="souk.E102",
                )
            )
            continue
        if not KEY_PATTERN.match(spec.key) or not spec.label.strip():
            errors.append(
                checks.Error(
                    f"{owner!r}: notification type {spec.key!r} needs a dotted lower-case key "
                    "and a label.",
                    hint='Like NotificationTypeSpec("gigs.delivered", "A delivery arrived").',
                    id="souk.E102",
                )
            )
        unknown = [channel for channel in spec.default_channels if channel not in CHANNELS]
        if unknown:
            errors.append(
                checks.Error(
                    f"{owner!r}: notification type {spec.key!r} defaults to unknown channels "
                    f"{unknown}.",
                    hint=f"Channels are {', '.join(CHANNELS)}.",
                    id="souk.E103",
                )
            )
        if spec.key in owners:
            errors.append(
                checks.Error(
                    f"Notification type {spec.key!r} is declared by {owners[spec.key]!r} and "
                    f"{owner!r}.",
                    hint='Prefix a module\'s types with its key ("<module>.<event>").',
                    id="souk.E101",
                )
            )
        owners.setdefault(spec.key, owner)
    return errors


def notification_types_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    declared = [("core.notifications", spec) for spec in CORE_TYPES]
    for manifest in get_registry():
        declared.extend((manifest.key, spec) for spec in manifest.notification_types)
    return check_notification_types(declared)
