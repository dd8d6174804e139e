"""No way in through input: user text is only ever read by mcalc's own lexer and parser, never by eval,
exec, sympify or parse_expr, and values are never unpickled.

Python (and shell) payloads go through every entry point — the expression, --wrt, --claim, --at
NAME=JSON, --shape, batch standard input, `mcalc check --file`. Each must be refused as input (exit 2,
one line) and must leave no trace: the file the payload would create does not exist afterwards. The
many payloads per entry point run in-process (the same app; a payload that ran would create the file
there too); batch input, sheets and one payload per entry point also run in a real process.
A malicious pickle (inside an .npz and renamed .npz) is refused the same way.
A static check reads mcalc/ for the calls that would make this possible.
"""

from __future__ import annotations

import ast
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

MCALC = Path(__file__).resolve().parent.parent / "mcalc"


def payloads(target: Path) -> list[str]:
    t = str(target)
    return [
        f"__import__('os').system('echo pwned > {t}')",
        f'__import__("os").system("touch {t}")',
        f"exec(\"open('{t}', 'w').write('pwned')\")",
        f"eval(\"__import__('os').system('touch {t}')\")",
        f"open('{t}', 'w').write('pwned')",
        f"__import__('subprocess').call(['touch', '{t}'])",
        f"(lambda: __import__('os').system('touch {t}'))()",
        f"x.__class__.__mro__[1].__subclasses__()  # touch {t}",
        f"Symbol('x').__class__.__init__.__globals__['os'].system('touch {t}')",
        f"$(touch {t})",
        f"`touch {t}`",
        f"x; touch {t}",
        f"x && touch {t}",
        f"{{{{ self.__init__.__globals__.os.system('touch {t}') }}}}",
        f"S(\"__import__('os').system('touch {t}')\")",
    ]


def run(args: list[str], stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """mcalc in a real process."""
    return subprocess.run(
        [sys.executable, "-m", "mcalc", *args], input=stdin, capture_output=True, text=True, timeout=60, cwd=cwd
    )


def run_here(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """mcalc in this process (the same typer app as the console script), in the directory `cwd`."""
    from helpers import cli

    before = Path.cwd()
    os.chdir(cwd or before)
    try:
        res = cli(*args)
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(args, res.code, res.stdout, res.stderr)


def refused(out: subprocess.CompletedProcess[str], what: str) -> None:
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr + out.stdout, out.stderr
    assert out.returncode == 2, f"{what}: exit {out.returncode}\n{out.stdout}{out.stderr}"


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


# Many payloads per process where the entry point allows it (batch stdin, --file), else one per process.


def test_no_code_execution_through_the_expression(target: Path) -> None:
    for p in payloads(target)[:6]:
        for cmd in (["diff", p, "--wrt", "x"], ["eval", p, "--at", "x=[1]"], ["shape", p]):
            refused(run_here(cmd, cwd=target.parent), f"{cmd[0]} {p!r}")
            assert not target.exists(), f"side effect from {p!r}"


def test_no_code_execution_through_batch_stdin(target: Path) -> None:
    lines = [p.replace(";", ",") + " ; x" for p in payloads(target)] + [f"x ; {p}" for p in payloads(target)]
    out = run(["diff", "-", "--format", "json"], stdin="\n".join(lines) + "\n", cwd=target.parent)
    assert not target.exists()
    assert "Traceback" not in out.stderr and "internal error" not in out.stdout
    import json

    objects = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(objects) == len(lines)
    n = len(payloads(target))
    assert all("error" in o for o in objects[:n]), [o for o in objects[:n] if "error" not in o]
    assert out.returncode == 2


def test_no_code_execution_batch_var_is_an_input_error(target: Path) -> None:
    import json

    lines = [f"x ; {p}" for p in payloads(target)]
    out = run(["diff", "-", "--format", "json"], stdin="\n".join(lines) + "\n", cwd=target.parent)
    assert not target.exists()
    objects = [json.loads(line) for line in out.stdout.splitlines()]
    assert all("error" in o for o in objects), [o for o in objects if "error" not in o]


def test_no_code_execution_through_check_file(target: Path) -> None:
    sheet = target.parent / "sheet.txt"
    rows = [f"{p.replace(';', ',')} ; x ; 2 x" for p in payloads(target)]
    rows += [f"x^T x ; x ; {p.replace(';', ',')}" for p in payloads(target)]
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = run(["check", "--file", str(sheet), "--format", "json"], cwd=target.parent)
    assert not target.exists()
    assert "Traceback" not in out.stderr and "internal error" not in out.stdout
    import json

    objects = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(objects) == len(rows)
    assert all("error" in o for o in objects), [o for o in objects if "error" not in o]
    assert out.returncode == 2


def test_no_code_execution_through_claim(target: Path) -> None:
    for p in payloads(target)[:5]:
        refused(run_here(["check", "x^T x", "--wrt", "x", "--claim", p], cwd=target.parent), f"--claim {p!r}")
        assert not target.exists()


def test_no_code_execution_through_at_values(target: Path) -> None:
    for p in payloads(target)[:4]:
        for spec in (f"x={p}", f"x=[{p}]", f"{p}=[1]"):
            out = run_here(["eval", "x^T x", "--at", spec], cwd=target.parent)
            refused(out, f"--at {spec!r}")
            assert not target.exists()


def test_no_code_execution_through_shape(target: Path) -> None:
    for p in payloads(target)[:4]:
        for spec in (f"A={p}", f"A=3x{p}", f"{p}=3x4"):
            out = run_here(["shape", "A x", "--shape", spec], cwd=target.parent)
            assert not target.exists()
            if spec.startswith("A="):
                refused(out, f"--shape {spec!r}")


def test_no_code_execution_through_wrt(target: Path) -> None:
    for p in payloads(target)[:3]:
        out = run_here(["diff", "x^T x", "--wrt", p], cwd=target.parent)
        assert not target.exists()
        refused(out, f"--wrt {p!r}")


def test_no_code_execution_wrt_leaves_no_trace(target: Path) -> None:
    """Whatever --wrt and --scalar do with the text, nothing runs."""
    for p in payloads(target)[:3]:
        run_here(["diff", "x^T x", "--wrt", p], cwd=target.parent)
        run_here(["diff", "x^T x", "--wrt", "x", "--scalar", p, "--symmetric", p], cwd=target.parent)
        assert not target.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "PAYLOAD", "--wrt", "x"],
        ["check", "x^T x", "--wrt", "x", "--claim", "PAYLOAD"],
        ["eval", "x^T x", "--at", "x=[PAYLOAD]"],
        ["shape", "A x", "--shape", "A=PAYLOAD"],
        ["diff", "x^T x", "--wrt", "PAYLOAD"],
    ],
    ids=["expression", "claim", "at", "shape", "wrt"],
)
def test_no_code_execution_in_a_real_process(target: Path, args: list[str]) -> None:
    payload = payloads(target)[0]
    out = run([a.replace("PAYLOAD", payload) for a in args], cwd=target.parent)
    refused(out, " ".join(args))
    assert not target.exists()


class _Evil:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Callable[..., int], tuple[str]]:
        return (os.system, (f"touch {self.path}",))


def test_no_code_execution_from_a_malicious_pickle(target: Path) -> None:
    """An .npz whose array is a pickled object (np.load would run it with allow_pickle=True), and a raw
    pickle renamed .npz: both refused (exit 2), and the pickle's payload never runs."""
    evil = np.empty(1, dtype=object)
    evil[0] = _Evil(str(target))
    archive = target.parent / "evil.npz"
    np.savez(archive, X=evil)
    raw = target.parent / "raw.npz"
    raw.write_bytes(pickle.dumps({"X": _Evil(str(target))}))
    for path in (archive, raw):
        out = run_here(["eval", "tr(X)", "--at", str(path)], cwd=target.parent)
        refused(out, str(path))
        assert not target.exists(), f"unpickled {path.name}"
    assert "unpickle" in run_here(["eval", "tr(X)", "--at", str(archive)]).stderr


# --- the static check -----------------------------------------------------------------------------

FORBIDDEN_TEXT = re.compile(r"(?<![\w.])(eval|exec)\(|sympify\(|parse_expr\(|allow_pickle\s*=\s*True")
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "sympify", "parse_expr"}


def _sources() -> list[Path]:
    return sorted(MCALC.rglob("*.py"))


# The one function that compiles code: `Derivative.to_function()` runs mcalc's own generated numpy module
# (never user text; it checks the module's statements first). Every other line of mcalc stays clean.
GENERATED_CODE_RUNNER = ("derivative.py", "_compile_generated")


def _exempt_lines(path: Path, tree: ast.Module) -> set[int]:
    if path.relative_to(MCALC).as_posix() != GENERATED_CODE_RUNNER[0]:
        return set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == GENERATED_CODE_RUNNER[1]:
            return set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return set()


def test_no_code_execution_mcalc_has_no_eval_exec_sympify_or_pickles() -> None:
    """grep: no eval(, exec(, sympify(, parse_expr(, allow_pickle=True anywhere in mcalc/."""
    hits = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        exempt = _exempt_lines(path, ast.parse(text))
        for n, line in enumerate(text.splitlines(), start=1):
            if FORBIDDEN_TEXT.search(line) and n not in exempt:
                hits.append(f"{path.relative_to(MCALC.parent)}:{n}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_no_code_execution_mcalc_calls_nothing_that_runs_text() -> None:
    """The same, by reading the code (so `getattr`-free aliases such as `from sympy import sympify as s`
    or `pickle.loads` are caught too)."""
    hits = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exempt = _exempt_lines(path, tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                regex = isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "re"
                if name in FORBIDDEN_CALLS and node.lineno not in exempt and not regex:  # re.compile: a pattern
                    hits.append(f"{path.name}:{node.lineno}: call of {name}")
                for kw in node.keywords:
                    if kw.arg == "allow_pickle" and not (
                        isinstance(kw.value, ast.Constant) and kw.value.value is False
                    ):
                        hits.append(f"{path.name}:{node.lineno}: allow_pickle not literally False")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name in ("pickle", "marshal", "shelve", "dill", "sympify", "parse_expr"):
                        hits.append(f"{path.name}:{node.lineno}: import of {alias.name}")
    assert not hits, "\n".join(hits)


def test_no_code_execution_static_check_would_catch_a_call(tmp_path: Path) -> None:
    """The static checks are not vacuous: they flag a planted eval and allow_pickle=True."""
    planted = "def f(s):\n    return eval(s)\n\nimport numpy as np\nnp.load('x', allow_pickle=True)\n"
    assert FORBIDDEN_TEXT.search(planted.splitlines()[1])
    assert FORBIDDEN_TEXT.search(planted.splitlines()[4])
    assert not FORBIDDEN_TEXT.search("def run_eval(expr): return evaluate(expr)")
    calls = [n for n in ast.walk(ast.parse(planted)) if isinstance(n, ast.Call)]
    assert any(isinstance(c.func, ast.Name) and c.func.id == "eval" for c in calls)


def test_no_code_execution_the_generated_code_runner_is_exempt_only_for_itself() -> None:
    """The exemption covers `_compile_generated` and nothing else in derivative.py, and that function refuses a
    module that is not the shape of mcalc's generated code (an import other than numpy, a statement)."""
    from mcalc.derivative import _compile_generated

    path = MCALC / "derivative.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exempt = _exempt_lines(path, tree)
    assert exempt and len(exempt) < 40
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert {c.lineno for c in calls if c.func.id in ("exec", "compile")} <= exempt  # type: ignore[attr-defined]
    for bad in ("import os\ndef f():\n    pass", "x = 1\ndef f():\n    pass", "print(1)"):
        with pytest.raises(RuntimeError, match="unexpected statement"):
            _compile_generated(bad, "f")


def test_no_code_execution_to_function_only_runs_what_mcalc_generated(target: Path) -> None:
    """A payload cannot reach `to_function`: it is refused at parse time, before any code is generated."""
    import mcalc

    for p in payloads(target)[:6]:
        with pytest.raises(mcalc.McalcError):
            mcalc.diff(p, "x").to_function()
        assert not target.exists()
