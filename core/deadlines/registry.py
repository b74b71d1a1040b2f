"""What happens when a deadline is due: handlers registered by name.

A module declares its handlers in ``modules/<key>/deadlines.py`` (core apps in
``core/<app>/deadlines.py``); ``DeadlinesConfig.ready`` imports every installed app's
``deadlines`` module, so a module needs no edit outside its folder::

    @deadline_handler("gigs.auto_accept")
    def auto_accept(deadline: DueDeadline) -> None:
        accept_delivery(order_id=deadline.payload["order_id"], by_system=True)

A handler defined inside a module's package belongs to that module: its name must start with
``<module key>.``, and it fires only in tenants where the module is on. Any other handler
belongs to core (its name may not start with a module's key) and fires in every tenant.

Handlers must be idempotent. The sweeper runs a handler in the same transaction that marks
the deadline fired, so its database writes and the fire commit together or not at all; a
worker that dies mid-handler leaves nothing behind and the deadline is run again. Anything
outside the database (e-mail, webhooks, partner calls) goes through ``core.events.emit`` or
``transaction.on_commit``, never directly: the handler holds the deadline's row lock."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from core.registry import get_registry

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
NAME_MAX_LENGTH = 100


@dataclass(frozen=True, kw_only=True)
class DueDeadline:
    """What a handler receives: the deadline as scheduled, and which attempt this is (1+)."""

    key: str
    task: str
    payload: dict[str, Any]
    at: datetime
    attempt: int


DeadlineHandler = Callable[[DueDeadline], None]


@dataclass(frozen=True)
class RegisteredHandler:
    name: str
    function: DeadlineHandler
    # The module that owns it; None for core handlers, which fire in every tenant.
    module_key: str | None


_handlers: dict[str, RegisteredHandler] = {}


def deadline_handler(name: str) -> Callable[[DeadlineHandler], DeadlineHandler]:
    """Register ``function`` as the handler of deadlines scheduled with ``task=name``."""

    def register(function: DeadlineHandler) -> DeadlineHandler:
        owner = _owning_module(function.__module__)
        _check_name(name, owner)
        existing = _handlers.get(name)
        if existing is not None and _where(existing.function) != _where(function):
            raise ImproperlyConfigured(
                f"Deadline handler {name!r} is registered twice: by "
                f"{_where(existing.function)} and by {_where(function)}."
            )
        _handlers[name] = RegisteredHandler(name=name, function=function, module_key=owner)
        return function

    return register


def find_handler(name: str) -> RegisteredHandler | None:
    return _handlers.get(name)


def runnable_tasks(enabled_modules: Collection[str]) -> list[str]:
    """Handler names that may fire in a tenant running ``enabled_modules``."""
    return sorted(
        name
        for name, handler in _handlers.items()
        if handler.module_key is None or handler.module_key in enabled_modules
    )


def _owning_module(python_module: str) -> str | None:
    for manifest in get_registry():
        package = manifest.package
        if package and (python_module == package or python_module.startswith(package + ".")):
            return manifest.key
    return None


def _check_name(name: str, owner: str | None) -> None:
    if len(name) > NAME_MAX_LENGTH or not NAME_PATTERN.match(name):
        raise ImproperlyConfigured(
            f"Deadline handler name {name!r} must look like 'app.verb' (lower case, dotted)."
        )
    prefix = name.split(".", 1)[0]
    if owner is not None and prefix != owner:
        raise ImproperlyConfigured(
            f"Module {owner!r} may only register deadline handlers named '{owner}.<name>', "
            f"not {name!r}."
        )
    if owner is None and prefix in get_registry():
        raise ImproperlyConfigured(
            f"Deadline handler {name!r} is named after module {prefix!r} but is not defined "
            f"inside it."
        )


def _where(function: DeadlineHandler) -> str:
    return f"{function.__module__}.{function.__qualname__}"
