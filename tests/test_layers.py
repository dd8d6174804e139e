"""The import layers of README § Architecture, checked by reading every module with `ast`.

A module may import only from its own layer or the layers below it; numpy, sympy and rich are never
imported at module level (so `mcalc --help` stays fast), rich only in cli/console.py and typer
only in the cli package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "mcalc"

BELOW_RENDER = {
    "exits",
    "view",
    "records",
    "errors",
    "budget",
    "stack",
    "syntax",
    "shapes",
    "lets",
    "reading",
    "calculus",
    "simplify",
    "numeric",
    "pipeline",
}
ALLOWED: dict[str, set[str]] = {
    # how an answer is shown (Layout, Format, View): on records alone, named by every layer above
    "view": {"records"},
    # equality, hash and repr for every dataclass (mcalc.records): standard library only, below everything
    "records": set(),
    # the exit codes, one table: standard library only, below everything
    "exits": set(),
    "errors": {"records", "exits"},
    # the program's Ctrl-C handler: standard library only, below everything
    "interrupt": {"exits"},
    # how deep this thread's real stack lets mcalc recurse: standard library only, below everything
    "stack": set(),
    # the works the rules cite, by short name: standard library only, below everything
    "sources": set(),
    "syntax": {"records", "errors", "stack", "syntax"},
    "budget": {"records", "errors", "interrupt"},
    "shapes": {"records", "errors", "syntax", "shapes"},
    "calculus": {"records", "errors", "budget", "syntax", "shapes", "calculus"},
    "simplify": {"records", "errors", "budget", "syntax", "shapes", "simplify"},
    # --let names: definitions written out for shapes, values and domains (on syntax and shapes only)
    "lets": {"records", "errors", "syntax", "shapes"},
    "numeric": {"records", "errors", "budget", "syntax", "shapes", "lets", "numeric"},
    "reading": {"records", "errors", "syntax", "shapes"},
    "pipeline": BELOW_RENDER - {"pipeline"},
    "declare": {"records", "errors", "syntax", "shapes"},
    # declared functions with a formula: evaluated and differentiated by the pipeline itself
    "formulas": {*BELOW_RENDER, "declare", "formulas"},
    "render": {*BELOW_RENDER, "render"},
    # code generators, one module per backend (NumPy in three, SymPy), and the names they write
    "export": {*BELOW_RENDER, "render", "export"},
    # the --steps derivation, which re-derives a gradient by trace rewriting, printed with render's printers
    "steps": {*BELOW_RENDER, "render", "steps"},
    "claims": {*BELOW_RENDER, "render", "declare", "claims"},
    "identities": {*BELOW_RENDER, "render", "steps", "declare", "sources", "identities"},
    # each command's answer as data, for the command line to render
    "answers": {*BELOW_RENDER, "render", "export", "steps", "claims", "declare", "formulas", "answers"},
    # the Python API: everything but the command line (it must import without typer and rich). Its session
    # (mcalc.session) holds a run's declarations, catalogue, view and budget, and makes its answers
    # (mcalc.derivative); messages phrased for Python (python_words) use the standard library only
    "python_words": set(),
    "derivative": {*BELOW_RENDER, "render", "export", "declare", "derivative"},
    "session": {
        "steps",
        "export",
        *BELOW_RENDER,
        "render",
        "claims",
        "declare",
        "formulas",
        "answers",
        "derivative",
        "python_words",
        "session",
    },
    "api": {*BELOW_RENDER, "render", "export", "claims", "declare", "formulas", "derivative", "session", "api"},
    # calls answered on N processes in input order (--jobs): standard library only
    "parallel": set(),
    # --jobs: a batch's and a sheet's lines, each a picklable call answered on a worker process
    "jobs": {*BELOW_RENDER, "render", "answers", "claims", "declare", "formulas", "parallel", "jobs"},
    # what the process does when it starts as the program (and mcalc.interrupt, below every layer)
    "program": {"interrupt", "program"},
    "cli": {
        "steps",
        "export",
        *BELOW_RENDER,
        "interrupt",
        "render",
        "claims",
        "declare",
        "formulas",
        "identities",
        "answers",
        "api",
        "session",
        "derivative",
        "python_words",
        "program",
        "jobs",
        "cli",
    },
}
HEAVY = {"numpy", "sympy", "matplotlib", "rich"}


def test_every_module_belongs_to_a_layer() -> None:
    """A new top-level module must be placed in ALLOWED, or its imports would go unchecked."""
    unplaced = sorted({layer_of(p) for p in ROOT.rglob("*.py")} - set(ALLOWED) - {"__init__", "__main__"})
    assert not unplaced, f"add these to ALLOWED (README § Architecture): {unplaced}"


def layer_of(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py") if rel.parts else ""


def modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if layer_of(p) in ALLOWED)


def package_of(path: Path) -> list[str]:
    """The dotted package a module sits in: mcalc/render/printer.py → ["mcalc", "render"]."""
    rel = path.relative_to(ROOT.parent).with_suffix("")
    return list(rel.parts[:-1])


def imports(tree: ast.Module, path: Path | None = None) -> list[tuple[str, bool]]:
    """(absolute module name, at module level?) for every import statement. `from mcalc import x` and
    relative imports (`from . import x`, `from ..cli import app`) are resolved to mcalc.x, so no spelling
    of an import escapes the layer check."""
    found: list[tuple[str, bool]] = []
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((a.name, id(node) in top) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                assert path is not None, "a relative import needs the module's path to resolve"
                base = package_of(path)[: len(package_of(path)) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((module, id(node) in top))
            # `from mcalc import cli` imports the package mcalc.cli: each name may be a module
            found.extend((f"{module}.{a.name}", id(node) in top) for a in node.names)
    return found


def layer_violations(path: Path, source: str) -> list[str]:
    layer = layer_of(path)
    found = []
    for name, _ in imports(ast.parse(source), path):
        parts = name.split(".")
        if parts[0] != "mcalc" or len(parts) < 2 or parts[1] not in ALLOWED:
            continue  # not mcalc, or mcalc's own __version__
        if parts[1] not in ALLOWED[layer]:
            found.append(f"{path.relative_to(ROOT)} ({layer}) imports {name}")
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_only_from_its_layer_or_below(path: Path) -> None:
    assert not layer_violations(path, path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("where", "planted"),
    [
        ("syntax/lexer.py", "from mcalc.cli.app import app"),
        ("syntax/lexer.py", "import mcalc.cli.app"),
        ("syntax/lexer.py", "from mcalc import cli"),
        ("syntax/lexer.py", "from mcalc import pipeline as p"),
        ("syntax/lexer.py", "from ..cli import app"),
        ("syntax/lexer.py", "from .. import render"),
        ("numeric/check.py", "from ..calculus.rules import DERIVATIVE_RULES"),
        ("render/printer.py", "def f():\n    from ..cli import commands"),
    ],
)
def test_a_planted_forbidden_import_is_caught(where: str, planted: str) -> None:
    path = ROOT / where
    assert layer_violations(path, path.read_text(encoding="utf-8") + "\n" + planted + "\n")


def test_allowed_spellings_are_not_flagged() -> None:
    path = ROOT / "render" / "printer.py"
    for ok in ("from . import share", "from .. import errors", "from mcalc import __version__", "import numpy"):
        assert not layer_violations(path, ok + "\n"), ok


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_heavy_libraries_are_imported_lazily(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for name, at_top in imports(tree, path):
        root = name.split(".")[0]
        if root in HEAVY:
            assert not at_top, f"{path.relative_to(ROOT)} imports {name} at module level"
        if root == "rich":
            assert path.relative_to(ROOT).as_posix() == "cli/console.py", f"rich outside console: {path}"
        if root == "typer":
            assert layer_of(path) == "cli", f"typer outside the cli package: {path}"


def test_the_numeric_oracle_is_independent_of_the_derivative_engine() -> None:
    for path in (ROOT / "numeric").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, _ in imports(tree, path):
            assert not name.startswith(("mcalc.calculus", "mcalc.simplify")), f"{path.name} imports {name}"


TYPER_ADAPTER = "cli/typer_adapter.py"
TYPER_PRIVATES = ("registered_commands", "build_runtime_param", "AdapterRuntimeParam")


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_typer_adapter_reaches_into_typer_internals(path: Path) -> None:
    """typer's private modules (typer._coercion, typer._click, …) and the attributes mcalc patches or swaps
    are named in mcalc/cli/typer_adapter.py alone (issue 22), which says what each reach buys."""
    if path.relative_to(ROOT).as_posix() == TYPER_ADAPTER:
        return
    source = path.read_text(encoding="utf-8")
    private = [name for name, _ in imports(ast.parse(source), path) if name.startswith("typer._")]
    assert not private, f"{path.relative_to(ROOT)} imports {private}: go through {TYPER_ADAPTER}"
    named = [word for word in TYPER_PRIVATES if word in source]
    assert not named, f"{path.relative_to(ROOT)} names typer's {named}: go through {TYPER_ADAPTER}"


def test_exit_codes_are_defined_in_one_table() -> None:
    """Issue 22: exit codes were defined in four modules; every code is a member of mcalc.exits.Exit, and
    a module names one by an alias of that member, never by a number."""
    import re

    numbered = re.compile(r"^\s*EXIT_\w+(?::\s*int)?\s*=\s*\d", re.M)
    found = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py") if numbered.search(p.read_text(encoding="utf-8"))]
    assert found == []
