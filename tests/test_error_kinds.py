"""Errors carry a kind, not an HTTP status: services know nothing of HTTP, and
``core.envelope.KIND_STATUS`` is the one place a kind becomes a status."""

from __future__ import annotations

import ast
from pathlib import Path

from core.envelope import KIND_STATUS, http_status
from core.errors import DomainError, ErrorKind

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("core", "tenants", "modules", "api")


def _python_sources() -> list[Path]:
    return [
        path
        for top in SOURCES
        for path in (ROOT / top).rglob("*.py")
        if "migrations" not in path.parts and "tests" not in path.parts
    ]


def _error_class_names(trees: list[ast.Module]) -> set[str]:
    names = {"DomainError"}
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {
                        getattr(base, "id", getattr(base, "attr", None)) for base in node.bases
                    }
                    if bases & names:
                        names.add(node.name)
                        grew = True
    return names


def test_every_kind_answers_one_status():
    assert set(KIND_STATUS) == set(ErrorKind)
    error = DomainError(ErrorKind.CONFLICT, "Taken.", kind=ErrorKind.CONFLICT)
    assert http_status(error) == 409
    assert http_status(DomainError(ErrorKind.INVALID, "Bad.")) == 400  # the default kind


def test_no_domain_error_names_an_http_status():
    sources = {path: ast.parse(path.read_text()) for path in _python_sources()}
    error_classes = _error_class_names(list(sources.values()))
    offenders = []
    for path, tree in sources.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                callee = getattr(node.func, "id", getattr(node.func, "attr", None))
                if callee in error_classes and any(kw.arg == "status" for kw in node.keywords):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.ClassDef) and node.name in error_classes:
                for statement in node.body:
                    targets = getattr(statement, "targets", [getattr(statement, "target", None)])
                    if any(getattr(target, "id", None) == "status" for target in targets):
                        offenders.append(f"{path.relative_to(ROOT)}:{statement.lineno}")
    assert offenders == []
    assert len(error_classes) > 10  # the scan found the apps' error classes
