"""Two different names are never printed the same (issue 26, item 7).

mcalc reads `x0` and `x_0` as two names (`x₀` is `x_0`), but LaTeX printed both as `x_{0}`: ∂/∂x0 (x0ᵀ x_0) =
x_0 came out as the false equation ∂/∂x_{0} (x_{0}ᵀ x_{0}) = x_{0}. Now, in an answer holding both, the name
typed without `_` is `\\mathit{x0}` (mcalc/render/latex_names.py). Each look-alike pair is checked in every
format (text, ASCII, LaTeX, NumPy, SymPy): two spellings, and the exported code computes with the two values
apart (checked against finite differences of plain numpy, and against the SymPy symbols). A `where` name
(u₁, which reads back as u_1) keeps clear of the input's u_1 and u1.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import numpy as np
import pytest
from helpers import central_gradient
from test_latex import mathtext_error
from typer.testing import CliRunner

import mcalc
from mcalc.cli.app import app
from mcalc.render.latex_names import as_typed

# (name typed without `_`, its twin with `_`); lowercase names are vectors, uppercase matrices
PAIRS = [("x0", "x_0"), ("W1", "W_1"), ("θ0", "θ_0"), ("x12", "x_12"), ("λ1", "λ_1"), ("Σ2", "Σ_2")]


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def _expr(a: str, b: str) -> str:
    """An expression whose derivative by `a` is exactly `b`: aᵀb, or tr(AᵀB)."""
    return f"{a}^T {b}" if a[0].islower() else f"tr({a}^T {b})"


def _rhs(out: str) -> str:
    """The derivative: what follows the last ` = ` of the first line."""
    return out.splitlines()[0].rsplit(" = ", 1)[1].strip()


def _spellings(a: str, b: str, *options: str) -> tuple[str, str, str]:
    """How one answer holding both names prints each (as the other's derivative), and its equation."""
    code, by_a, _ = run("diff", _expr(a, b), "--wrt", a, *options)
    assert code == 0, by_a
    code, by_b, _ = run("diff", _expr(b, a), "--wrt", b, *options)
    assert code == 0, by_b
    return _rhs(by_b), _rhs(by_a), by_a.splitlines()[0]


@pytest.mark.parametrize(("a", "b"), PAIRS)
@pytest.mark.parametrize("options", [(), ("--ascii",), ("--format", "latex")], ids=["text", "ascii", "latex"])
def test_each_pair_prints_two_spellings(a: str, b: str, options: tuple[str, ...]) -> None:
    spelled_a, spelled_b, equation = _spellings(a, b, *options)
    assert spelled_a != spelled_b, (a, b, spelled_a)
    assert spelled_a in equation and spelled_b in equation, equation


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_latex_keeps_the_subscript_for_the_twin_and_renders(a: str, b: str) -> None:
    spelled_a, spelled_b, equation = _spellings(a, b, "--format", "latex")
    assert spelled_a.startswith(r"\mathit{"), spelled_a  # the one typed without `_`
    assert "_{" in spelled_b and r"\mathit" not in spelled_b, spelled_b
    assert mathtext_error(equation, image=False) is None, equation


def test_alone_a_name_with_digits_is_subscripted_as_books_write_it() -> None:
    _, out, _ = run("diff", "x0^T A x0", "--wrt", "x0", "--format", "latex")
    assert r"\mathit" not in out and r"\partial x_{0}" in out, out
    assert as_typed(["x0", "W1", "x_1", "W_1", "θ2", "θ_2", "y3"]) == {"W1", "θ2"}


def _placeholders(tex: str, spelled: dict[str, str]) -> str:
    """The output with each name's spelling replaced by a plain letter, and the grouping that a subscripted
    name needs in index notation (`{X_{0}}_{kl}`, `\\left(X_{0}\\right)_{lj}`) dropped."""
    for spelling, letter in spelled.items():
        tex = tex.replace(spelling, letter)
    letters = "|".join(spelled.values())
    tex = re.sub(rf"\{{({letters})\}}", r"\1", tex)
    return re.sub(rf"\\left\(({letters})\\right\)", r"\1", tex)


@pytest.mark.parametrize(
    ("pair_expr", "wrt", "spelled", "plain_expr"),
    [
        ("X0 X_0", "X0", {r"\mathit{X0}": "A", "X_{0}": "B"}, "A B"),  # a tensor: vec and index form
        ("θ0^T Σ θ_0", "θ0", {r"\mathit{\theta 0}": "a", r"\theta_{0}": "b"}, "a^T Σ b"),
        ("tr(W1 W_1 W1^T)", "W_1", {r"\mathit{W1}": "A", "W_{1}": "B"}, "tr(A B A^T)"),
    ],
)
def test_latex_with_steps_is_the_same_equations_as_for_two_plain_names(
    pair_expr: str, wrt: str, spelled: dict[str, str], plain_expr: str
) -> None:
    """Never an equation with the two conflated: with each spelling replaced by a letter, the LaTeX (with
    --steps, and index notation for a tensor) is line for line the LaTeX of the same question about two
    plain names."""
    plain_wrt = dict(zip(["X0", "θ0", "W_1"], ["A", "a", "B"], strict=True))[wrt]
    code, pair, _ = run("diff", pair_expr, "--wrt", wrt, "--format", "latex", "--steps")
    assert code == 0, pair
    _, plain, _ = run("diff", plain_expr, "--wrt", plain_wrt, "--format", "latex", "--steps")
    assert _placeholders(pair, spelled) == plain


def test_json_and_the_api_tell_the_pair_apart() -> None:
    _, out, _ = run("diff", "x0^T x_0", "--wrt", "x0", "--format", "json")
    obj = json.loads(out)
    assert (
        obj["equation_latex"] == r"\frac{\partial}{\partial \mathit{x0}} \left(\mathit{x0}^{\top} x_{0}\right) = x_{0}"
    )
    d = mcalc.diff("W1 x_1 + W_1 x1", "W1")
    assert d.equation_latex.count(r"\mathit{W1}") == 2 and r"\mathit{x1}" in d.equation_latex, d.equation_latex
    assert d.latex == r"x_{1}^{\top} \otimes I_{m}", d.latex


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_numpy_export_takes_the_two_as_two_parameters(a: str, b: str) -> None:
    code, source, _ = run("diff", _expr(a, b), "--wrt", a, "--format", "numpy")
    assert code == 0, source
    grad = next(f for f in ast.parse(source).body if isinstance(f, ast.FunctionDef) and f.name == "grad")
    params = [arg.arg for arg in grad.args.args]
    assert len(params) == 2 and len(set(params)) == 2, params
    namespace: dict[str, Any] = {}
    exec(compile(source, "<mcalc numpy>", "exec"), namespace)  # noqa: S102 - mcalc's own generated code
    rng = np.random.default_rng(26)
    shape = (3,) if a[0].islower() else (3, 2)
    va, vb = rng.normal(size=shape), rng.normal(size=shape)
    f_value = namespace["f"](va, vb)
    assert np.isclose(f_value, float(np.sum(va * vb)))  # aᵀb or tr(AᵀB): the two values kept apart
    expected = central_gradient(lambda v: float(np.sum(v * vb)), va)
    assert np.allclose(namespace["grad"](va, vb), expected, atol=1e-6)


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_sympy_export_binds_two_symbols_and_writes_exact_rationals(a: str, b: str) -> None:
    """(aᵀb)²/3 by a is 2/3 (aᵀb) b: two symbols bound, and at integer values the exact rational."""
    import sympy

    code, source, _ = run("diff", f"({_expr(a, b)})^2 / 3", "--wrt", a, "--format", "sympy")
    assert code == 0, source
    assert not re.search(r"\d\.\d", source), source  # 2/3 stays sympy arithmetic, never 0.666…
    namespace: dict[str, Any] = {}
    exec(compile(source, "<mcalc sympy>", "exec"), namespace)  # noqa: S102 - mcalc's own generated code
    symbols = {k: v for k, v in namespace.items() if isinstance(v, sympy.MatrixSymbol)}
    assert len(symbols) == 2 and len({s.name for s in symbols.values()}) == 2, source
    sizes = {v: 2 for v in namespace.values() if isinstance(v, sympy.Symbol) and v.is_integer}
    first, second = (s.subs(sizes) for s in sorted(symbols.values(), key=lambda s: s.name != a))
    rng = np.random.default_rng(26)
    va, vb = (sympy.Matrix(rng.integers(-5, 6, size=first.shape).tolist()) for _ in range(2))
    value = namespace["derivative"].subs(sizes).subs({first: va, second: vb}).doit()
    expected = sympy.Rational(2, 3) * sum(va.multiply_elementwise(vb)) * vb
    assert sympy.Matrix(value) == expected  # exact: no float anywhere


def test_a_where_name_keeps_clear_of_the_inputs_u_names() -> None:
    """u₁ reads back as u_1, and u_1, u1 and u₁ all print u_{1} in LaTeX: with u_1 or u1 in the input, the
    repeated parts are named with another letter."""
    mlp = "sum((W4 tanh(W3 tanh(W2 tanh(W1 x))) - y).^2)"
    for extra in (" + u_1^T u1", " + u_2^T y", ""):
        _, out, _ = run("diff", mlp + extra, "--wrt", "W1", "--format", "json")
        obj = json.loads(out)
        where = [line.split(" = ")[0] for line in obj["shared"]["where"]]
        letter = where[0][0]
        assert letter == ("v" if extra else "u"), where
        assert all(w[0] == letter for w in where), where
