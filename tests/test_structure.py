"""Issue 14's house rules, measured: no import cycle anywhere under mcalc/ (the graph of every import,
at module level or inside a function), no module over 800 lines, no function over 60 lines, and a
command-line package (which only parses flags, calls the library and renders) under 1,000 lines in all.
The caps are a prompt to look, not a reason to move code into the wrong room (issue 22: at 600 and 800 they
had pushed the parser's sums into syntax/sums.py and the program's exit out of cli/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "mcalc"
MAX_MODULE_LINES = 800
MAX_CLI_LINES = 1000  # issue 22: a prompt to look, not a reason to push code into the wrong rooms


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def imported(name: str, path: Path) -> set[str]:
    """The mcalc modules a module imports (relative and `from mcalc import x` spellings resolved), with the
    packages whose `__init__` each import runs: importing mcalc.steps.lines runs mcalc/steps/
    __init__.py first (mcalc.render.chain did, and steps/__init__ imported chain: a cycle the graph of modules
    alone missed). A module's own packages are already being imported when it runs, so they add no edge."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            targets = [base, *(f"{base}.{a.name}" for a in node.names)]
        for t in targets:
            while t and t not in MODULES:
                t = t.rpartition(".")[0]
            found.update(_run_by_import(name, t) if t else ())
    return found


def _run_by_import(name: str, target: str) -> set[str]:
    """The mcalc modules that `import target` runs from module `name`: the target and each package above it,
    but not `name` itself nor its own packages (a package importing its own parent is not a cycle)."""
    parts = target.split(".")
    chain = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return {m for m in chain if m in MODULES and m != name and not name.startswith(m + ".")}


def cycles() -> list[list[str]]:
    graph = {name: imported(name, path) for name, path in MODULES.items()}
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                found.append([*stack[stack.index(m) :], m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    return found


def test_no_import_cycle_under_mcalc() -> None:
    assert not cycles(), "\n".join(" → ".join(c) for c in cycles())


def test_the_cycle_finder_sees_a_cycle(tmp_path: Path) -> None:
    graph_modules = dict(MODULES)
    try:
        a, b = tmp_path / "a.py", tmp_path / "b.py"
        a.write_text("from mcalc.errors import McalcError\n")
        assert "mcalc.errors" in imported("mcalc.fake_a", a)
        b.write_text("def f():\n    from mcalc.cli import app\n")
        assert "mcalc.cli.app" in imported("mcalc.fake_b", b)  # imports inside functions count too
        # importing a.b.c runs a/__init__ and a/b/__init__: a module outside a package reaches its __init__
        b.write_text("from mcalc.steps.lines import Line\n")
        assert {"mcalc.steps", "mcalc.steps.lines"} <= imported("mcalc.render.fake_c", b)
        assert "mcalc.render" not in imported("mcalc.render.fake_c", b)  # its own package: already running
        assert "mcalc.steps" not in imported("mcalc.steps.fake_d", b)
    finally:
        MODULES.clear()
        MODULES.update(graph_modules)


@pytest.mark.parametrize("name", sorted(MODULES), ids=str)
def test_no_module_is_over_800_lines(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{MODULES[name].relative_to(ROOT.parent)} has {lines} lines"


MAX_FUNCTION_LINES = 60


def long_functions(path: Path) -> list[tuple[str, int, int]]:
    """(name, line, length) of every function or method of a module longer than MAX_FUNCTION_LINES,
    counted from `def` to its last line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None:
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append((node.name, node.lineno, length))
    return found


def test_no_function_under_mcalc_is_over_60_lines() -> None:
    # complexity ≤ 15 and ≤ 50 statements are ruff's C90 and PLR0915 (pyproject.toml, run by test_lint)
    found = [
        f"{path.relative_to(ROOT.parent)}:{line} {name} has {length} lines"
        for path in MODULES.values()
        for name, line, length in long_functions(path)
    ]
    assert not found, "\n".join(found)


def test_the_function_length_check_sees_a_long_function(tmp_path: Path) -> None:
    module = tmp_path / "long.py"
    module.write_text("def f():\n" + "    x = 1\n" * 60 + "\n\nclass C:\n    def g(self):\n" + "        y = 2\n" * 59)
    assert long_functions(module) == [("f", 1, 61)]  # g has 60 lines: at the limit, not over it


# The interactive session (mcalc/cli/repl*.py: a prompt loop, completion, its own line syntax) is a front end
# of its own beside the command line, and is held to its own total.
SESSION_MODULES = "repl*.py"
MAX_SESSION_LINES = 1000
# Terminal I/O (the rich console, the guarded streams, a failure as one line) lives with the CLI that uses
# it (issue 22: it was a quarter of render/), as a room of its own with its own total.
TERMINAL_MODULES = frozenset({"console.py", "streams.py", "failures.py"})
MAX_TERMINAL_LINES = 800


def test_the_cli_package_is_under_its_line_caps() -> None:
    session = {p.name for p in (ROOT / "cli").glob(SESSION_MODULES)}
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "cli").glob("*.py")}
    cli = sum(n for name, n in sizes.items() if name not in session | TERMINAL_MODULES)
    assert cli < MAX_CLI_LINES, f"mcalc/cli/ has {cli} lines besides the session and terminal I/O: {sizes}"
    terminal = sum(sizes[name] for name in TERMINAL_MODULES)
    assert terminal < MAX_TERMINAL_LINES, f"terminal I/O has {terminal} lines: {sizes}"
    assert session, "the session's modules moved: update SESSION_MODULES"
    total = sum(sizes[name] for name in session)
    assert total < MAX_SESSION_LINES, f"the interactive session has {total} lines: {sizes}"


TOOLS = ROOT.parent / "tools"


def tool_imports() -> dict[str, set[str]]:
    """tools/*.py: which other tool each imports (they import each other by bare name, from sys.path)."""
    names = {p.stem for p in TOOLS.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in TOOLS.glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name in names)
            elif isinstance(node, ast.ImportFrom) and node.module in names:
                found.add(node.module)
        graph[path.stem] = found - {path.stem}
    return graph


def test_no_tool_imports_a_tool_that_imports_it() -> None:
    """gen_completions.py ran regen.py, which imports gen_completions (issue 22): a generator imports no other tool."""
    graph = tool_imports()
    assert graph["regen"] >= {"gen_completions", "gen_man"}
    mutual = sorted(f"{a} ⇄ {b}" for a, bs in graph.items() for b in bs if a in graph.get(b, set()))
    assert not mutual, mutual
