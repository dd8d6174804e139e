"""The import layers of README § Architecture, checked by reading every module with `ast`.

A module may import only from its own layer or the layers below it; numpy, sympy and rich are never
imported at module level (so `mcalc --help` stays fast), rich only in render/console.py and typer
only in the cli package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "mcalc"

ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "syntax": {"errors", "syntax"},
    "shapes": {"errors", "syntax"},
    "calculus": {"errors", "syntax", "shapes", "calculus"},
    "simplify": {"errors", "syntax", "shapes"},
    "numeric": {"errors", "syntax", "shapes", "numeric"},
    "pipeline": {"errors", "syntax", "shapes", "calculus", "simplify", "numeric"},
    "render": {"errors", "syntax", "shapes", "calculus", "simplify", "numeric", "pipeline", "render"},
    "cli": {"errors", "syntax", "shapes", "calculus", "simplify", "numeric", "pipeline", "render", "cli"},
}
HEAVY = {"numpy", "sympy", "matplotlib", "rich"}


def layer_of(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py") if rel.parts else ""


def modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if layer_of(p) in ALLOWED)


def imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """(module name, at module level?) for every import statement."""
    found: list[tuple[str, bool]] = []
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((a.name, id(node) in top) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in top))
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_only_from_its_layer_or_below(path: Path) -> None:
    layer = layer_of(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for name, _ in imports(tree):
        parts = name.split(".")
        if parts[0] != "mcalc" or len(parts) < 2:
            continue
        target = parts[1]
        assert target in ALLOWED[layer], f"{path.relative_to(ROOT)} ({layer}) imports {name}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_heavy_libraries_are_imported_lazily(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for name, at_top in imports(tree):
        root = name.split(".")[0]
        if root in HEAVY:
            assert not at_top, f"{path.relative_to(ROOT)} imports {name} at module level"
        if root == "rich":
            assert path.relative_to(ROOT).as_posix() == "render/console.py", f"rich outside console: {path}"
        if root == "typer":
            assert layer_of(path) == "cli", f"typer outside the cli package: {path}"


def test_the_numeric_oracle_is_independent_of_the_derivative_engine() -> None:
    for path in (ROOT / "numeric").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, _ in imports(tree):
            assert not name.startswith(("mcalc.calculus", "mcalc.simplify")), f"{path.name} imports {name}"
