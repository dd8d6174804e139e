"""`Derivative.to_sympy()` and `mcalc diff --format sympy`: the SymPy expression, evaluated by SymPy itself at
concrete values (symbols replaced by numbers, `doit()`, entries unfolded column-major), equals `--at` at
random points for every case of tests/golden/latex.txt: gradients, Jacobians, tensors (Kronecker products
and the commutation matrix), Hessians, functions of t, symmetric variables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
from helpers import functions_of, make_point, seeded
from test_latex import CASES, Case
from test_numpy_format import at_value, run

import mcalc
from mcalc.api import Derivative
from mcalc.export.sympy_expr import sympy_source
from mcalc.view import Layout


def derivative_of(case: Case) -> Derivative:
    decl: dict[str, list[str]] = {k: case.all(k) for k in ("scalar", "vector", "matrix", "symmetric")}
    shapes = [spec for key, spec in case.meta if key == "shape"]
    return mcalc.diff(case.input, case.all("wrt"), shape=shapes, **decl)  # mixed layout: the value's layout


def sizes_of(variables: dict[str, list[Any]], values: dict[str, np.ndarray]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, dims in variables.items():
        for d, n in zip(dims, np.shape(values[name]), strict=False):
            if isinstance(d, str):
                out[d] = n
    return out


def evaluate(expr: Any, values: dict[str, np.ndarray], sizes: dict[str, int]) -> np.ndarray:
    """SymPy evaluates its own expression: sizes, then arrays and numbers substituted, then doit()."""
    expr = expr.subs({s: sizes[s.name] for s in expr.atoms(sympy.Symbol) if s.is_integer and s.name in sizes})
    table: dict[Any, Any] = {}
    for d in expr.atoms(sympy.Derivative):  # f′(t), f′′(t) of a scalar function f(t)
        table[d] = sympy.Float(float(values[d.expr.func.__name__ + "′" * d.derivative_count]))
    for f in expr.atoms(sympy.core.function.AppliedUndef):
        table.setdefault(f, sympy.Float(float(values[f.func.__name__])))
    for m in expr.atoms(sympy.MatrixSymbol):
        name = re.sub(r"\((\w+)\)$", "", m.name)  # the value of A′(t) is A′
        table[m] = sympy.ImmutableMatrix(np.asarray(values[name], dtype=float).reshape(m.shape))
    for s in expr.free_symbols:
        if isinstance(s, sympy.Symbol) and s.name in values and s not in table:
            table[s] = sympy.Float(float(values[s.name]))
    expr = expr.xreplace(table)
    # the matrices given by their entries (vec, Kₘₙ) and the constant ones, spelled out now that sizes are known
    constants = (sympy.FunctionMatrix, sympy.OneMatrix, sympy.Identity, sympy.ZeroMatrix)
    expr = expr.xreplace({c: c.as_explicit() for c in expr.atoms(*constants)})
    out = spell_out(expr).doit()
    if isinstance(out, sympy.MatrixBase) or getattr(out, "is_Matrix", False):
        out = out.as_explicit()
        return np.array(out.evalf().tolist(), dtype=float)
    return np.asarray(float(out.evalf()))


def spell_out(expr: Any) -> Any:
    """Every matrix expression whose entries are all numbers as an explicit matrix, innermost first
    (SymPy's doit() leaves HadamardPower and elementwise functions of explicit matrices unevaluated)."""
    if not expr.args or isinstance(expr, sympy.MatrixBase):
        return expr
    expr = expr.func(*(spell_out(a) for a in expr.args))
    if isinstance(expr, sympy.MatrixExpr) and not expr.free_symbols:
        done = expr.doit()  # products and sums of explicit matrices multiply out here (fast)
        return sympy.ImmutableMatrix(done if isinstance(done, sympy.MatrixBase) else done.as_explicit())
    return expr


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_sympy_expression_evaluates_to_the_at_value(case: Case, tmp_path: Path) -> None:
    d = derivative_of(case)
    expr = d.to_sympy()
    variables = {k: list(v) for k, v in d.variables.items()}
    rng = np.random.default_rng(seeded("sympy", case.id))
    params = ("t", *case.all("scalar"))
    # small distinct sizes (a transposed answer cannot fit): SymPy multiplies explicit matrices of floats
    values = make_point(
        variables,
        rng,
        symmetric=case.all("symmetric"),
        positive=case.all("positive"),
        functions=functions_of(case.input, params),
        sizes=(2, 3, 4, 5, 6),
    ).mcalc
    expected = at_value(case, values, tmp_path)
    got = evaluate(expr, values, sizes_of(variables, values))
    got = got.reshape(expected.shape, order="F")  # vec forms stack columns
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10, err_msg=str(expr))
    # and the Python that --format sympy prints runs and builds an expression of the same value
    namespace: dict[str, Any] = {}
    source = sympy_source(d._result, Layout.MIXED)
    exec(compile(source, "<mcalc --format sympy>", "exec"), namespace)  # noqa: S102 - mcalc's output, in a test
    printed = evaluate(namespace["derivative"], values, sizes_of(variables, values)).reshape(expected.shape, order="F")
    np.testing.assert_allclose(printed, expected, rtol=1e-8, atol=1e-10, err_msg=source)


def test_format_sympy_prints_python_that_rebuilds_the_expression() -> None:
    code, out, err = run("diff", "tr(A B A^T C)", "--wrt", "A", "--format", "sympy")
    assert code == 0, err
    namespace: dict[str, Any] = {}
    exec(compile(out, "<mcalc --format sympy>", "exec"), namespace)  # noqa: S102 - mcalc's output, in a test
    assert namespace["derivative"] == mcalc.diff("tr(A B A^T C)", "A").to_sympy()
    assert out.splitlines()[-1] == "derivative = C*A*B + C.T*A*B.T"
