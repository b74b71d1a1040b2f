"""`make lint` runs import-linter with the contracts in pyproject.toml. These tests run it on a
copy of the code (never the checkout itself) with a deliberate violation added, and check that
it fails naming the contract and the import; and that the code as it is keeps every contract."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("core", "tenants", "modules", "api")

LAYERS = "Layers: core <- tenants <- modules <- api (nothing imports a layer above it)"
CORE_NEVER_IMPORTS_MODULES = "Core never imports a module (not even through a URL conf or api)"
MODULES_INDEPENDENT = (
    "Modules are independent: another module only if depends_on lists it, only its "
    "services/selectors"
)


def copy_of_the_code(destination: Path) -> Path:
    """The Python packages and pyproject.toml, without caches, templates or static files."""

    def skipped(folder: str, names: list[str]) -> set[str]:
        return {
            name
            for name in names
            if name == "__pycache__"
            or (not (Path(folder) / name).is_dir() and not name.endswith(".py"))
        }

    for package in PACKAGES:
        shutil.copytree(ROOT / package, destination / package, ignore=skipped)
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={**os.environ, "COLUMNS": "400"},  # one line per import, however long
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def outcome(output: str, contract: str) -> str:
    """KEPT or BROKEN, as the report's summary says of ``contract``."""
    summary = " ".join(output.split("Broken contracts")[0].split())
    return summary.split(" ".join(contract.split()), 1)[1].split()[0]


def write(tree: Path, path: str, source: str) -> None:
    (tree / path).parent.mkdir(parents=True, exist_ok=True)
    (tree / path).write_text(source)


def test_the_code_as_it_is_keeps_every_contract(tmp_path):
    result = lint_imports(copy_of_the_code(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def test_core_importing_a_module_inside_a_function_fails_lint_naming_both_contracts(tmp_path):
    tree = copy_of_the_code(tmp_path)
    write(
        tree,
        "core/storefront/featured.py",
        "def featured_licences():\n"
        "    from modules.licensing.models import License\n\n"
        "    return License.objects.none()\n",
    )

    result = lint_imports(tree)

    assert result.returncode == 1
    assert outcome(result.stdout, LAYERS) == "BROKEN"
    assert outcome(result.stdout, CORE_NEVER_IMPORTS_MODULES) == "BROKEN"
    assert outcome(result.stdout, MODULES_INDEPENDENT) == "KEPT"
    assert "core is not allowed to import modules" in result.stdout
    assert "core.storefront.featured -> modules.licensing.models (l.2)" in result.stdout
    assert "Contracts: 2 kept, 2 broken." in result.stdout


def test_a_module_imports_another_only_if_declared_and_only_its_services_or_selectors(tmp_path):
    tree = copy_of_the_code(tmp_path)
    # gadgets declares licensing: its services are fine, its models are not.
    write(tree, "modules/gadgets/__init__.py", "")
    write(
        tree,
        "modules/gadgets/manifest.py",
        "from core.registry import ModuleManifest\n\n"
        'manifest = ModuleManifest(key="gadgets", name="Gadgets", depends_on=("licensing",))\n',
    )
    write(
        tree,
        "modules/gadgets/hooks.py",
        "import modules.licensing.services\nimport modules.licensing.models\n",
    )
    # widgets declares nothing: not even licensing's selectors.
    write(tree, "modules/widgets/__init__.py", "")
    write(tree, "modules/widgets/selectors.py", "import modules.licensing.selectors\n")

    result = lint_imports(tree)

    assert result.returncode == 1
    assert outcome(result.stdout, MODULES_INDEPENDENT) == "BROKEN"
    assert outcome(result.stdout, LAYERS) == "KEPT"
    report = result.stdout.split("Broken contracts")[1]
    violations = [line for line in report.splitlines() if " -> " in line]
    assert violations == [
        "modules.gadgets.hooks -> modules.licensing.models (l.2): only "
        "modules.licensing.services or modules.licensing.selectors may be imported from "
        "another module",
        "modules.widgets.selectors -> modules.licensing.selectors (l.1): widgets does not "
        "list 'licensing' in its manifest's depends_on",
    ]
