"""The packages' imports point one way (DESIGN.md, layers): ``maps`` and ``reports`` import from ``server`` (whose
indicator core both share) and never from each other; ``server`` imports neither (its app factory registers them
by name)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"server": {"maps", "reports"}, "maps": {"reports"}, "reports": {"maps"}}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, wherever the import statement is."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_import_only_down_the_layers(package):
    """No module of ``package`` imports a package it may not depend on."""
    wrong = {
        path.relative_to(ROOT).as_posix(): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {module: names for module, names in wrong.items() if names} == {}


def test_the_import_check_can_fail(tmp_path):
    """The check sees imports at the top, inside functions and of submodules."""
    module = tmp_path / "module.py"
    module.write_text("import os\nfrom maps.aggregates import x\ndef f():\n    import reports.cells\n")
    assert imported_packages(module) == {"os", "maps", "reports"}
