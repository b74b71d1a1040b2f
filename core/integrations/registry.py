"""What the integrations know of the modules: the webhook event types each declares, the
kinds of calls it writes to the integration log, and the sections it adds to the seller's
integration dashboard.

Event types come from manifests (``ModuleManifest.webhook_events``, fed in by the app's
``ready()``) or from ``register_event_types``; core's own (orders, refunds, subscriptions)
belong to ``CORE`` and are on everywhere. A module's event types, call kinds and sections
count only on marketplaces where the module is on. Registration happens at start-up and fails
fast (``ImproperlyConfigured``) on a clash or a malformed name."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from core.registry import get_registry
from core.registry.enablement import enabled_module_keys

if TYPE_CHECKING:
    from core.sellers.models import Seller

CORE = "core"
# "license.issued": lower-case words joined by dots; at most the delivery column's 60.
EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
MAX_EVENT_TYPE_LENGTH = 60
CALL_KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

CORE_EVENT_TYPES = {
    "order.paid": "An order was paid: your sub-order, its lines and the buyer.",
    "refund.created": "A refund of your lines: amount, lines, licences revoked.",
    "subscription.renewed": "A subscription to your product was renewed.",
    "subscription.cancelled": "A subscription to your product ended.",
}
CORE_CALL_KINDS = {"api": "Partner API", "webhook": "Webhooks"}


class UnknownEventType(LookupError):
    """No module declared this event type: a programming error, not a user's."""


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    module_key: str


@dataclass(frozen=True)
class CallKindSpec:
    kind: str
    label: str
    module_key: str


@dataclass(frozen=True)
class DashboardSection:
    """A module's part of the seller's integration dashboard: ``template`` rendered with the
    page's context plus ``context(seller)``."""

    module_key: str
    template: str
    context: Callable[[Seller], Mapping[str, Any]]


_event_types: dict[str, EventType] = {}
_call_kinds: dict[str, CallKindSpec] = {}
_sections: list[DashboardSection] = []


def _owned_elsewhere(kind: str, name: str, owner: str | None, module_key: str) -> None:
    if owner is not None and owner != module_key:
        raise ImproperlyConfigured(
            f"The {kind} {name!r} is declared by both {owner!r} and {module_key!r}."
        )


def register_event_types(module_key: str, event_types: Mapping[str, str]) -> None:
    """Declare ``module_key``'s webhook event types (name -> what it tells the seller).
    Idempotent for the same module; a name another module owns, or a malformed one, fails.
    Nothing is registered unless every name is valid."""
    for name in event_types:
        if not EVENT_TYPE_PATTERN.match(name) or len(name) > MAX_EVENT_TYPE_LENGTH:
            raise ImproperlyConfigured(
                f"Webhook event type {name!r} of {module_key!r} is not a dotted lower-case "
                f"name of at most {MAX_EVENT_TYPE_LENGTH} characters (e.g. 'license.issued')."
            )
        existing = _event_types.get(name)
        owner = existing.module_key if existing is not None else None
        _owned_elsewhere("webhook event type", name, owner, module_key)
    for name, description in event_types.items():
        _event_types[name] = EventType(name=name, description=description, module_key=module_key)


def register_call_kinds(module_key: str, kinds: Mapping[str, str]) -> None:
    """Declare the kinds of calls ``module_key`` logs (kind -> label shown to sellers), so the
    health figures report them even before the first call."""
    for kind in kinds:
        if not CALL_KIND_PATTERN.match(kind):
            raise ImproperlyConfigured(
                f"Call kind {kind!r} of {module_key!r} is not 1-32 lower-case letters, "
                "digits or '_'."
            )
        spec = _call_kinds.get(kind)
        _owned_elsewhere("call kind", kind, spec.module_key if spec else None, module_key)
    for kind, label in kinds.items():
        _call_kinds[kind] = CallKindSpec(kind=kind, label=label, module_key=module_key)


def register_dashboard_section(
    module_key: str, *, template: str, context: Callable[[Seller], Mapping[str, Any]]
) -> None:
    section = DashboardSection(module_key=module_key, template=template, context=context)
    if section not in _sections:
        _sections.append(section)


def register_core_event_types() -> None:
    register_event_types(CORE, CORE_EVENT_TYPES)
    register_call_kinds(CORE, CORE_CALL_KINDS)


def register_manifest_event_types() -> None:
    for manifest in get_registry():
        register_event_types(manifest.key, manifest.webhook_events)


# --- reading ---------------------------------------------------------------------------------


def _is_on(module_key: str, enabled: Collection[str]) -> bool:
    return module_key == CORE or module_key in enabled


def _enabled(enabled: Collection[str] | None) -> Collection[str]:
    return enabled_module_keys() if enabled is None else enabled


def event_type(name: str) -> EventType:
    try:
        return _event_types[name]
    except KeyError:
        raise UnknownEventType(f"no module declares the webhook event type {name!r}") from None


def is_event_type_on(name: str, *, enabled: Collection[str] | None = None) -> bool:
    """Whether ``name`` is sent on this marketplace (its module is on; core's always are)."""
    return _is_on(event_type(name).module_key, _enabled(enabled))


def event_types(*, enabled: Collection[str] | None = None) -> list[EventType]:
    """The event types a seller of this marketplace (default: the current tenant's modules)
    may subscribe to: core's, then each module's in the order they were registered."""
    modules_on = _enabled(enabled)
    return [event for event in _event_types.values() if _is_on(event.module_key, modules_on)]


def call_kinds(*, enabled: Collection[str] | None = None) -> list[CallKindSpec]:
    modules_on = _enabled(enabled)
    return [spec for spec in _call_kinds.values() if _is_on(spec.module_key, modules_on)]


def is_call_kind(kind: str) -> bool:
    """Whether some module (or core) registered ``kind``, on or off here."""
    return kind in _call_kinds


def call_kind_label(kind: str) -> str:
    spec = _call_kinds.get(kind)
    return spec.label if spec is not None else kind


def dashboard_sections(*, enabled: Collection[str] | None = None) -> list[DashboardSection]:
    modules_on = _enabled(enabled)
    return [section for section in _sections if _is_on(section.module_key, modules_on)]
