"""``manage.py startmodule``: a working empty module from the skeleton in
``core/registry/module_template/``. The generated code lints with the project's ruff settings,
compiles, its manifest passes the registry's system checks (its nav entries reverse once its
URLs are mounted), and its own tests (cross-tenant, module off) pass in a Souk whose
SOUK_MODULES lists it. Bad keys and existing folders are refused without writing anything."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test.utils import override_settings

from core.registry import ModuleManifest, ModuleRegistry, get_registry
from core.registry.checks import check_registry
from core.registry.registry import load_manifest
from tests.fleet_helpers import subprocess_database_url

BASE_DIR = Path(settings.BASE_DIR)
RUFF = Path(sys.executable).with_name("ruff")
EXPECTED_FILES = [
    "__init__.py",
    "apps.py",
    "manifest.py",
    "models.py",
    "migrations/__init__.py",
    "migrations/0001_initial.py",
    "errors.py",
    "services.py",
    "selectors.py",
    "api.py",
    "pages.py",
    "urls.py",
    "seller_urls.py",
    "operator_urls.py",
    "deadlines.py",
    "templates/{key}/mine.html",
    "templates/{key}/studio.html",
    "templates/{key}/operator.html",
    "static/{key}/{key}.css",
    "tests/__init__.py",
    "tests/test_{key}.py",
]


def start_module(key: str, directory: Path, *options: str) -> str:
    out = StringIO()
    call_command("startmodule", key, "--directory", str(directory), *options, stdout=out)
    return out.getvalue()


def ruff(*args: str, cwd: Path, package: str) -> subprocess.CompletedProcess[str]:
    first_party = ["api", "core", "modules", "tenants", "tests", package]
    return subprocess.run(
        [
            str(RUFF),
            *args,
            "--no-cache",
            "--config",
            str(BASE_DIR / "pyproject.toml"),
            "--config",
            f"lint.isort.known-first-party = {first_party!r}",
            package,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def on_path(tmp_path: Path) -> Iterator[Path]:
    """``tmp_path`` on sys.path, and the packages imported from it forgotten afterwards."""
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.split(".")[0] in _packages_in(tmp_path)]:
        del sys.modules[name]


def _packages_in(directory: Path) -> set[str]:
    return {path.parent.name for path in directory.glob("*/__init__.py")} | {
        path.stem for path in directory.glob("*.py")
    }


def test_startmodule_makes_a_module_that_lints_compiles_and_passes_the_registry_checks(on_path):
    output = start_module("gizmo_rental", on_path)

    folder = on_path / "gizmo_rental"
    assert output.strip().splitlines()[-1].strip() == "'gizmo_rental',"
    for name in EXPECTED_FILES:
        assert (folder / name.format(key="gizmo_rental")).is_file(), name
    assert not list(folder.rglob("*.py-tpl"))
    checked = ruff("check", cwd=on_path, package="gizmo_rental")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    formatted = ruff("format", "--check", cwd=on_path, package="gizmo_rental")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    for source in folder.rglob("*.py"):
        compile(source.read_text(), str(source), "exec")

    manifest = load_manifest("gizmo_rental")
    assert isinstance(manifest, ModuleManifest)
    assert (manifest.key, manifest.package) == ("gizmo_rental", "gizmo_rental")
    assert manifest.product_type_keys == ("gizmo_rent",)
    assert sorted(entry.area for entry in manifest.pages) == ["account", "operator", "studio"]
    assert list(manifest.webhook_events) == ["gizmo_rental.item_created"]
    assert manifest.settings_model().model_dump() == {"follow_up_days": 3}
    # Its nav entries name its URLs: mount them as core/urls.py would, with the app installed.
    (on_path / "gizmo_rental_urlconf.py").write_text(
        "from django.urls import include, path\n\n"
        "from core.module_pages import module_page_urls\n"
        "from core.urls import urlpatterns as core_patterns\n"
        "from gizmo_rental.manifest import manifest\n\n"
        "urlpatterns = [*core_patterns, path(manifest.page_prefix, "
        "include(manifest.storefront_urls)), *module_page_urls([manifest])]\n"
    )
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, "gizmo_rental"],
        ROOT_URLCONF="gizmo_rental_urlconf",
    ):
        assert check_registry(ModuleRegistry([*get_registry(), manifest])) == []
        assert importlib.import_module("gizmo_rental.api").seller_router is not None


def test_a_module_key_is_validated_and_nothing_is_written(tmp_path):
    for bad_key in ["Gizmos", "gizmo-rental", "g", "1gizmo", "a" * 33]:
        with pytest.raises(CommandError, match="is not a module key"):
            start_module(bad_key, tmp_path)
    with pytest.raises(CommandError, match="is not a product type key"):
        start_module("gizmos", tmp_path, "--product-type", "Gizmo")
    with pytest.raises(CommandError, match="'alpha' is already installed"):
        start_module("alpha", tmp_path)
    with pytest.raises(CommandError, match="'software' is already declared"):
        start_module("software", tmp_path)
    with pytest.raises(CommandError, match="already an importable Python module"):
        start_module("json", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_refused_and_left_alone(tmp_path):
    existing = tmp_path / "gizmos"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")

    with pytest.raises(CommandError, match="already exists"):
        start_module("gizmos", tmp_path)

    assert [path.name for path in existing.iterdir()] == ["notes.txt"]
    assert (existing / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_the_generated_module_tests_pass_where_souk_modules_lists_it():
    """The generated cross-tenant, module-off and deadline tests, run by pytest in a Souk with the module
    in SOUK_MODULES (a settings module made for the run). Its own test database (the module's
    tables in every schema) is made on the first run, about a minute; later runs reuse it."""
    # var/ is ignored by git, so a fresh clone has none yet.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    workspace = Path(tempfile.mkdtemp(prefix="startmodule-", dir=BASE_DIR / "var"))
    try:
        start_module("gizmo_hire", workspace)
        (workspace / "startmodule_settings.py").write_text(
            "from core.settings.base import compose_apps\n"
            "from core.settings.test import *  # noqa: F403\n"
            "from core.settings.test import SOUK_MODULES\n\n"
            'SOUK_MODULES = [*SOUK_MODULES, "gizmo_hire"]\n'
            "TENANT_APPS, INSTALLED_APPS = compose_apps(SOUK_MODULES)\n"
        )
        database_url = urlsplit(os.environ.get("DATABASE_URL") or subprocess_database_url())
        own_database = database_url._replace(path=database_url.path + "_startmodule")
        # Not an xdist worker's or this run's pytest variables: the run is a fresh one.
        environment = {
            **{name: value for name, value in os.environ.items() if not name.startswith("PYTEST")},
            "PYTHONPATH": str(workspace),
            "DJANGO_SETTINGS_MODULE": "startmodule_settings",
            "DATABASE_URL": urlunsplit(own_database),
        }
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "--ds=startmodule_settings",
                str(workspace / "gizmo_hire" / "tests"),
            ],
            cwd=BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert "3 passed" in run.stdout
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
