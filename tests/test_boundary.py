"""The two services never import each other; the portal runs without anything of triage's."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((str(path.relative_to(ROOT)), node.module))
    return found


@pytest.mark.parametrize(("package", "forbidden"), [("portal", "triage"), ("triage", "portal")])
def test_no_cross_imports(package: str, forbidden: str) -> None:
    offenders = [
        (where, name)
        for where, name in imported_modules(package)
        if name == forbidden or name.startswith(forbidden + ".")
    ]
    assert offenders == []


def test_shared_package_does_not_import_services_at_module_level() -> None:
    """Only the CLI and supervisor may reach the services, and only inside functions."""
    for path in (ROOT / "tipline").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"portal", "triage"}, (path.name, name)


def test_importing_portal_loads_nothing_of_triage() -> None:
    code = (
        "import portal, portal.worker, sys;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'triage'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
