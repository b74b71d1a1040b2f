"""``manage.py startmodule <key> [--directory DIR]``: a working empty module from the
skeleton in ``core/registry/module_template/`` (rendered by Django's TemplateCommand: ``.py-tpl``
files become ``.py`` with the key filled in, ``app_name`` in a path becomes the key).

It lands in ``modules/<key>/`` (package ``modules.<key>``), or in ``DIR/<key>/`` with package
``<key>`` (DIR is expected on ``sys.path``; ``--package`` names another dotted path). The one
line to add to ``SOUK_MODULES`` is printed; nothing outside the new folder is touched."""

from __future__ import annotations

import shutil
import subprocess
import sys
from argparse import ArgumentParser
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.templates import TemplateCommand

from core.registry import get_registry
from core.registry.manifest import KEY_PATTERN
from core.registry.product_types import PRODUCT_TYPE_KEY_PATTERN, PRODUCT_TYPE_MAX_LENGTH

TEMPLATE_DIR = Path(settings.BASE_DIR) / "core" / "registry" / "module_template"
TENANT_SLUG_LENGTH = 20


class Command(TemplateCommand):
    help = "Create a working empty Souk module (manifest, product type, API, pages, tests)."
    missing_args_message = "Name the module's key, e.g. `manage.py startmodule gigs`."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("key", help="The module's key: lower case, 2-32 letters/digits/_.")
        parser.add_argument(
            "--directory",
            help="Create DIR/<key>/ instead of modules/<key>/ (DIR must exist).",
        )
        parser.add_argument(
            "--package",
            help="The new folder's dotted import path (default modules.<key>, or <key> "
            "with --directory).",
        )
        parser.add_argument(
            "--product-type",
            help=f"The product type key it declares (default: the first "
            f"{PRODUCT_TYPE_MAX_LENGTH} characters of the module key).",
        )
        parser.add_argument("--name", dest="module_name", help="Its name for people.")

    def handle(self, *args: Any, **options: Any) -> None:
        key: str = options.pop("key")
        if not KEY_PATTERN.match(key):
            raise CommandError(
                f"{key!r} is not a module key: 2-32 characters, lower-case letters, digits "
                "and underscores, starting with a letter."
            )
        if key in get_registry():
            raise CommandError(f"A module with key {key!r} is already installed.")
        product_type = options.pop("product_type") or key[:PRODUCT_TYPE_MAX_LENGTH].rstrip("_")
        if not PRODUCT_TYPE_KEY_PATTERN.match(product_type):
            raise CommandError(
                f"{product_type!r} is not a product type key: 2-{PRODUCT_TYPE_MAX_LENGTH} "
                "lower-case letters, digits and underscores, starting with a letter."
            )
        if get_registry().product_type(product_type) is not None:
            raise CommandError(
                f"Product type {product_type!r} is already declared by an installed module; "
                "name the new module's own with --product-type."
            )
        directory = options.pop("directory")
        parent = Path(directory) if directory else Path(settings.BASE_DIR) / "modules"
        if not parent.is_dir():
            raise CommandError(f"{parent} is not a directory.")
        package = options.pop("package") or (key if directory else f"modules.{key}")
        if "." not in package and find_spec(package) is not None:
            raise CommandError(
                f"{package!r} is already an importable Python module; choose another key."
            )
        target = parent / key
        if target.exists():
            raise CommandError(f"{target} already exists; startmodule never overwrites a folder.")
        target.mkdir()
        context = {
            "package": package,
            "module_name": options.pop("module_name") or key.replace("_", " ").capitalize(),
            "product_type": product_type,
            "tenant_slug": key.replace("_", "-")[:TENANT_SLUG_LENGTH].strip("-"),
            "template": str(TEMPLATE_DIR),
            "extensions": ["py"],
            "files": [],
            "exclude": [],
        }
        try:
            super().handle("app", key, str(target), **options, **context)
        except BaseException:
            # Half a module is worse than none: the next attempt must find no folder.
            shutil.rmtree(target, ignore_errors=True)
            raise
        self._tidy(target, package)
        self.stdout.write(f"Created {target}. Add it to SOUK_MODULES:\n    {package!r},")

    def validate_name(self, name: str, name_or_dir: str = "name") -> None:
        # The key is checked against KEY_PATTERN above; TemplateCommand's own check would
        # also refuse any key that happens to be an importable module name (say, "json").
        if not name.isidentifier():
            raise CommandError(f"{name!r} is not a valid Python identifier.")

    def _tidy(self, target: Path, package: str) -> None:
        """Sort imports and format with the project's ruff settings: the key's length moves
        line breaks, so the files are formatted once they are rendered."""
        ruff = Path(sys.executable).with_name("ruff")
        found = str(ruff) if ruff.exists() else shutil.which("ruff")
        if found is None:
            self.stderr.write("ruff was not found: the new files are not formatted.")
            return
        config = [
            "--config",
            str(Path(settings.BASE_DIR) / "pyproject.toml"),
            "--config",
            f"lint.isort.known-first-party = {_first_party(package)!r}",
        ]
        for command in (["check", "--select", "I", "--fix", "--quiet"], ["format", "--quiet"]):
            subprocess.run(
                [found, *command, "--no-cache", *config, str(target)], check=False, timeout=60
            )


def _first_party(package: str) -> list[str]:
    """The project's own top-level packages and the new module's, so imports sort the same
    wherever the module is created."""
    base = Path(settings.BASE_DIR)
    own = sorted(path.parent.name for path in base.glob("*/__init__.py"))
    return sorted({*own, package.split(".")[0]})
