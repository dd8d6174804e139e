"""Issue 26 item 1, flat memory: mcalc makes no reference cycles, so everything a call allocates is freed by
reference counting the moment it is done with, and nothing waits for the cyclic collector.

The engine's recursive walks were closures that call themselves (a function → its closure cell → the
function), each holding its memo, context and trees: ≈ 270 objects a call that only a full collection
freed, and the collector's resume (freeze, unfreeze) put them where one seldom ran. A 100,000-line batch
passed 1 GiB. Here: with the collector off, a few hundred calls of every kind leave it nothing to find.
The batch's peak memory at 1,000 and 100,000 lines is measured in bench/batch.py, not here."""

from __future__ import annotations

import ast
import gc
import io
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import cli

import mcalc

LINES = (
    ("x^T A x", "x"),
    ("tr(A B A^T C)", "A"),
    ("log det(X)", "X"),
    ("||W x - y||^2", "W"),
    ("sum(exp(x))", "x"),
    ("a^T X b", "X"),
    ("tr(X^-1 A)", "X"),
    ("tanh(W x)", "x"),
)


def _calls(i: int) -> Iterator[Callable[[], object]]:
    """One round of API calls of every kind: derivatives and their forms, sessions with --let and
    --function, claims right and wrong, values, the numeric check, steps, and refusals."""
    expr, wrt = LINES[i % len(LINES)]
    session = mcalc.Session(symmetric="S", let={"e": "y - W x"}, function="f")
    yield lambda: mcalc.diff(expr, wrt).text
    yield lambda: mcalc.diff(expr, wrt).latex
    yield lambda: session.diff("e^T e", "x").text
    yield lambda: session.diff("f(S x)", "x").text
    yield lambda: session.steps("e^T e", "W")
    yield lambda: mcalc.check_claim("x^T A x", "x", "(A + A^T) x").ok
    yield lambda: mcalc.check_claim("x^T A x", "x", "2 A x").ok
    yield lambda: mcalc.diff("x^T A x", "x", shape={"x": 3}).value(x=np.ones(3), A=np.eye(3))
    yield lambda: mcalc.diff("x^T A x", "x").check(seed=1)

    def refused(expr: str) -> None:
        with pytest.raises(mcalc.McalcError):
            mcalc.diff(expr, "x")

    yield lambda: refused("x^T A (")
    yield lambda: refused("A x + x^T")
    yield lambda: refused("q(x)")


def _left_for_the_collector(work: Callable[[int], None], rounds: int) -> Counter[str]:
    """What `rounds` of `work` leave that reference counting cannot free: the objects a full collection
    finds unreachable, by type (DEBUG_SAVEALL keeps them in gc.garbage to be named)."""
    work(1)  # caches warm: what they keep is not garbage
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        work(rounds)
        gc.collect()
        return Counter(type(o).__name__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_api_calls_leave_nothing_for_the_cyclic_collector() -> None:
    """≈ 200 calls (16 rounds of 12 kinds) with the collector off: not one object left in a cycle (there
    were ≈ 300 a round: 9,330 for 30 rounds)."""

    def work(rounds: int) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the --let e unused by f(S x): a warning, not the subject here
            for i in range(rounds):
                for call in _calls(i):
                    call()

    assert _left_for_the_collector(work, 16) == Counter()


def test_a_batch_leaves_nothing_for_the_cyclic_collector() -> None:
    """`mcalc diff -` of 100 lines and `check --file` of 60 claims, run in-process with the collector off:
    nothing left in a cycle (the program's own collector pause is then a no-op, as for any caller that
    turned the collector off)."""

    def work(rounds: int) -> None:
        batch = "".join(f"{e} ; {w}\n" for e, w in LINES * rounds).encode()
        stdout = sys.stdout
        sys.stdout = io.StringIO()  # the in-process runner's own capture makes cycles of its own
        try:
            from mcalc.cli.app import app

            sys.stdin = io.TextIOWrapper(io.BytesIO(batch))
            with pytest.raises(SystemExit):
                app(args=["diff", "-", "--format", "json"], prog_name="mcalc")
        finally:
            sys.stdout, sys.stdin = stdout, sys.__stdin__

    assert _left_for_the_collector(work, 12) == Counter()


def test_a_sheet_leaves_nothing_for_the_cyclic_collector(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.txt"

    def work(rounds: int) -> None:
        claims = "x^T A x ; x ; (A + A^T) x\ntr(A B) ; A ; B\nlog det(X) ; X ; X^-1\na^T X b ; X ; b a^T\n"
        sheet.write_text(claims * rounds)
        stdout = sys.stdout
        sys.stdout = io.StringIO()
        try:
            from mcalc.cli.app import app

            with pytest.raises(SystemExit):
                app(args=["check", "--file", str(sheet), "--format", "json"], prog_name="mcalc")
        finally:
            sys.stdout = stdout

    assert _left_for_the_collector(work, 15) == Counter()


def test_the_collector_is_on_again_after_a_command() -> None:
    """The program pauses the collector for one answer (mcalc.cli.collector), never beyond it."""
    assert gc.isenabled()
    run = cli("diff", "-", "--format", "json", stdin=b"x^T A x ; x\n(\n")
    assert run.code == 2 and gc.isenabled()


def _self_calling_closures(tree: ast.Module) -> list[tuple[ast.FunctionDef, ast.FunctionDef, set[str]]]:
    """(enclosing function, nested function, the nested functions it calls) for each nested function that
    calls itself or a sibling: a reference cycle (function → closure cell → function) unless dropped."""
    found = []
    for outer in ast.walk(tree):
        if not isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        inner = [n for n in ast.walk(outer) if isinstance(n, ast.FunctionDef) and n is not outer]
        names = {n.name for n in inner}
        for f in inner:
            called = {x.id for x in ast.walk(f) if isinstance(x, ast.Name)} & names
            if called:
                found.append((outer, f, called))
    return found


def _dropped(outer: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The names `outer` rebinds to None (in the `finally` that ends the cycle)."""
    return {
        t.id
        for n in ast.walk(outer)
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and n.value.value is None
        for t in n.targets
        if isinstance(t, ast.Name)
    }


def test_every_closure_that_calls_itself_is_dropped_when_done() -> None:
    """The static side of the tests above, for paths they do not run: a nested function that calls itself
    (or a sibling that calls it back) is set to None when its enclosing function is done (`finally: walk =
    None`), or is a module function. Two such walks came in while the first nine were being fixed."""
    root = Path(mcalc.__file__).parent
    left = [
        f"{path.relative_to(root.parent)}:{f.lineno} {outer.name}.{f.name}"
        for path in sorted(root.rglob("*.py"))
        for outer, f, _ in _self_calling_closures(ast.parse(path.read_text(encoding="utf-8")))
        if f.name not in _dropped(outer)
    ]
    assert not left, "reference cycles left for the cyclic collector:\n" + "\n".join(left)


def test_the_closure_check_sees_a_cycle_and_its_drop() -> None:
    planted = "def f(n):\n    def walk(k):\n        return walk(k - 1) if k else 0\n    return walk(n)\n"
    [(outer, inner, called)] = _self_calling_closures(ast.parse(planted))
    assert (outer.name, inner.name, called) == ("f", "walk", {"walk"}) and "walk" not in _dropped(outer)
    dropped = planted.replace(
        "    return walk(n)\n", "    try:\n        return walk(n)\n    finally:\n        walk = None\n"
    )
    [(outer, _, _)] = _self_calling_closures(ast.parse(dropped))
    assert "walk" in _dropped(outer)
