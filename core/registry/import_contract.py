"""The import-linter contract that keeps modules apart (``make lint``, see pyproject.toml).

Every package under ``modules/`` is covered as soon as it exists. A module may import another
only when its manifest lists that module's key in ``depends_on``, and then only the other
module's ``services`` and ``selectors``: what it promises to keep stable. ``depends_on`` is read
from the manifest's source (a literal, as a reviewer reads it) rather than by importing it, so
the linter needs no Django settings. Only direct imports are checked: core and tenants never
import a module (the layers contract), so a module can reach another only directly.

Loaded by lint-imports only (``contract_types``); nothing at run time imports this file."""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils


@dataclass(frozen=True)
class DeclaredModule:
    package: str  # modules.licensing
    key: str  # licensing
    depends_on: frozenset[str]


@dataclass(frozen=True)
class UndeclaredImport:
    importer: str
    imported: str
    line_number: int
    reason: str


class ModuleDependencyContract(Contract):
    """Options: ``container`` (the package whose children are modules), ``entry_points`` (the
    submodules another module may import), ``ignore_imports`` (tests)."""

    type_name = "module_dependencies"

    container = fields.StringField()
    entry_points = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        import_removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=contract_utils.AlertLevel.ERROR,
        )
        container: str = self.container  # type: ignore[assignment]
        entry_points: list[str] = self.entry_points  # type: ignore[assignment]
        declared = {
            package: read_manifest(package) for package in sorted(graph.find_children(container))
        }
        violations: list[UndeclaredImport] = []
        for module in declared.values():
            for importer in sorted({module.package} | graph.find_descendants(module.package)):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    other = _owning_module(imported, declared)
                    if other is None or other.package == module.package:
                        continue
                    reason = _refusal(module, other, imported, entry_points)
                    if reason:
                        for detail in graph.get_import_details(
                            importer=importer, imported=imported
                        ):
                            violations.append(
                                UndeclaredImport(importer, imported, detail["line_number"], reason)
                            )
        return ContractCheck(
            kept=not violations,
            warnings=list(import_removal.warnings),
            ignored_import_count=import_removal.ignored_import_count,
            metadata={"violations": violations},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            output.print_error(
                f"{violation.importer} -> {violation.imported} (l.{violation.line_number}): "
                f"{violation.reason}",
                bold=False,
            )
        output.new_line()


def _owning_module(name: str, declared: dict[str, DeclaredModule]) -> DeclaredModule | None:
    for package, module in declared.items():
        if name == package or name.startswith(package + "."):
            return module
    return None


def _refusal(
    importer: DeclaredModule,
    imported: DeclaredModule,
    name: str,
    entry_points: list[str],
) -> str:
    """Why ``importer`` may not import ``name`` (a module of ``imported``); "" when it may."""
    if imported.key not in importer.depends_on:
        return f"{importer.key} does not list {imported.key!r} in its manifest's depends_on"
    relative = name.removeprefix(imported.package + ".")
    if name == imported.package or relative.split(".")[0] not in entry_points:
        allowed = " or ".join(f"{imported.package}.{entry}" for entry in entry_points)
        return f"only {allowed} may be imported from another module"
    return ""


def read_manifest(package: str) -> DeclaredModule:
    """The ``key`` and ``depends_on`` literals of ``<package>/manifest.py``."""
    key, depends_on = package.rsplit(".", 1)[-1], frozenset[str]()
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:  # a file, not a module's folder
        return DeclaredModule(package, key, depends_on)
    source = Path(next(iter(spec.submodule_search_locations))) / "manifest.py"
    if not source.exists():
        return DeclaredModule(package, key, depends_on)
    for call in ast.walk(ast.parse(source.read_text(), str(source))):
        if not (isinstance(call, ast.Call) and _called_name(call) == "ModuleManifest"):
            continue
        for keyword in call.keywords:
            if keyword.arg not in {"key", "depends_on"}:
                continue
            try:
                value = ast.literal_eval(keyword.value)
            except ValueError:
                raise ValueError(f"{source}: {keyword.arg} must be a literal") from None
            if keyword.arg == "key":
                key = str(value)
            else:
                depends_on = frozenset(str(item) for item in value)
    return DeclaredModule(package, key, depends_on)


def _called_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""
