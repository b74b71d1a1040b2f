"""System check: the team permissions modules ask for exist (id souk.E008). A module's
``permissions`` guard its seller side and its studio nav entries name one; a name no team
role can be granted would lock every teammate out (or, misspelt, guard nothing)."""

from __future__ import annotations

from typing import Any

from django.core import checks

from core.registry import ModuleRegistry, get_registry
from core.sellers.models import TeamPermission


def module_permission_errors(registry: ModuleRegistry) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for manifest in registry:
        named = [*manifest.permissions, *(e.permission for e in manifest.pages if e.permission)]
        for permission in named:
            if permission not in TeamPermission.values:
                errors.append(
                    checks.Error(
                        f"Module {manifest.key!r} asks for team permission {permission!r}, "
                        "which no team role can hold.",
                        hint=f"Use one of {', '.join(TeamPermission.values)}.",
                        id="souk.E008",
                    )
                )
    return errors


def module_permissions_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return module_permission_errors(get_registry())
