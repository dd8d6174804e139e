"""Abstract functions (issue 17): `--function f` (a scalar function of a vector or matrix, gradient ∇f) and
`--elementwise g` (entry by entry, derivative g′), as tensorgrad's tests use them: f(A x) by x is
Aᵀ∇f(Ax), sum(g(X w)) by w is Xᵀg′(Xw).

The printed derivative is checked against a concrete function substituted afterwards: in the printed
text ∇f becomes the gradient of a concrete f (exp for f(u) = sum(exp(u)), softmax for f = logsumexp,
2(·) for f(u) = sum(u ⊙ u)) and g′, g″ the derivatives of a concrete g; mcalc evaluates that text and the
value is compared with finite differences of independent numpy code of the concrete function.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference

import mcalc

RNG = np.random.default_rng(23)
A, X, W = RNG.normal(size=(3, 2)), RNG.normal(size=(4, 3)), RNG.normal(size=(3, 2))
x2, w3 = RNG.normal(size=2), RNG.normal(size=3)


def _lse(u: Any) -> Any:
    return np.log(np.sum(np.exp(u)))


# expression, declaration, wrt, printed derivative, {printed → concrete}, numpy oracle, values
CASES: list[tuple[str, list[str], list[str], str, dict[str, str], Callable[[dict[str, Any]], Any], dict[str, Any]]] = [
    ("f(A x)", ["--function", "f"], ["x"], "Aᵀ ∇f(Ax)", {"∇f(": "exp("},
     lambda v: np.sum(np.exp(v["A"] @ v["x"])), {"A": A, "x": x2}),
    ("f(A x)", ["--function", "f"], ["x"], "Aᵀ ∇f(Ax)", {"∇f(": "softmax("},
     lambda v: _lse(v["A"] @ v["x"]), {"A": A, "x": x2}),
    ("f(A x)", ["--function", "f"], ["x"], "Aᵀ ∇f(Ax)", {"∇f(": "2 ("},
     lambda v: np.sum((v["A"] @ v["x"]) ** 2), {"A": A, "x": x2}),
    ("sum(g(X w))", ["--elementwise", "g"], ["w"], "Xᵀ g′(Xw)", {"g′(": "cos("},
     lambda v: np.sum(np.sin(v["X"] @ v["w"])), {"X": X, "w": w3}),
    ("sum(g(X w))", ["--elementwise", "g"], ["w", "w"], "Xᵀ diag(g′′(Xw)) X", {"g′′(": "exp("},
     lambda v: np.sum(np.exp(v["X"] @ v["w"])), {"X": X, "w": w3}),
    ("f(X W)", ["--function", "f"], ["W"], "Xᵀ ∇f(XW)", {"∇f(": "exp("},
     lambda v: np.sum(np.exp(v["X"] @ v["W"])), {"X": X, "W": W}),
    ("f(tanh(X w)) + sum(g(w))", ["--function", "f", "--elementwise", "g"], ["w"], None,
     {"∇f(": "exp(", "g′(": "cos("},
     lambda v: np.sum(np.exp(np.tanh(v["X"] @ v["w"]))) + np.sum(np.sin(v["w"])), {"X": X, "w": w3}),
]  # fmt: skip


def _at(values: dict[str, Any]) -> list[str]:
    return [a for k, v in values.items() for a in ("--at", f"{k}={json.dumps(np.asarray(v).tolist())}")]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]} {'/'.join(c[4].values())}" for c in CASES])
def test_printed_form_with_a_concrete_function_substituted(case: Any) -> None:
    expr, decl, wrt, printed, concrete, oracle, values = case
    run = cli("diff", expr, *decl, *[a for v in wrt for a in ("--wrt", v)], "--format", "json")
    assert run.code == 0, run.stderr
    text = run.json["derivative"]
    if printed is not None:
        assert text == printed
    for abstract, function in concrete.items():
        assert abstract in text
        text = text.replace(abstract, function)
    value = cli("eval", text, *_at(values), "--format", "json")
    assert value.code == 0, (text, value.stderr)
    assert_close(value.json["value"], finite_difference(oracle, values, wrt), rtol=1e-4, what=f"{expr}: {text}")


def test_latex_ascii_and_steps() -> None:
    latex = cli("diff", "f(A x)", "--function", "f", "--wrt", "x", "--format", "latex").stdout
    assert latex.splitlines()[0] == r"\frac{\partial}{\partial x} f\left(A x\right) = A^{\top} \nabla f\left(A x\right)"
    ascii_ = cli("diff", "sum(g(X w))", "--elementwise", "g", "--wrt", "w", "--format", "text", "--ascii").stdout
    assert ascii_.splitlines()[0] == "d/dw sum(g(X w)) = X^T g'(X w)"
    assert "grad_f(A x)" in cli("diff", "f(A x)", "--function", "f", "--wrt", "x", "--ascii", "--format", "text").stdout
    steps = cli("diff", "f(A x)", "--function", "f", "--wrt", "x", "--steps", "--format", "json").json["steps"]
    assert any("d f(X) = ⟨∇f(X), dX⟩" in s for s in steps)
    g_latex = cli("diff", "sum(g(X w))", "--elementwise", "g", "--wrt", "w", "--format", "latex").stdout
    assert r"g'\left(X w\right)" in g_latex


def test_python_api() -> None:
    from mcalc.render import spelling

    spelling.use_ascii(False)  # the CLI's --ascii above is a process-wide switch
    d = mcalc.diff("f(A x)", "x", function="f")
    assert d.text == "Aᵀ ∇f(Ax)" and d.latex == r"A^{\top} \nabla f\left(A x\right)"
    assert mcalc.diff("sum(g(X w))", "w", elementwise=["g"]).text == "Xᵀ g′(Xw)"
    with pytest.raises(mcalc.InputError, match="abstract function"):
        d.value(A=A, x=x2)
    with pytest.raises(mcalc.InputError, match=r"declared \(function=\"f\"\) and has no numpy code"):
        _ = d.numpy_source
    assert mcalc.diff("tr(A B)", "A").text == "Bᵀ"  # the declarations end with the call


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--check"], "f is an abstract function (--function f) and has no values for --check"),
        (["--at", "x=[1,2]", "--at", "A=[[1,2],[3,4]]"], "f is an abstract function (--function f) and has no values"),
        (["--format", "numpy"], "f is declared (--function f) and has no numpy code"),
        (["--format", "sympy"], "f is declared (--function f) and has no SymPy form"),
    ],
)
def test_no_values_one_line(args: list[str], message: str) -> None:
    run = cli("diff", "f(A x)", "--function", "f", "--wrt", "x", *args)
    assert run.code == 2, run.stdout + run.stderr
    assert message in run.stderr and run.stderr.count("\n") == 1


def test_the_hessian_by_a_matrix_is_refused_one_line() -> None:
    run = cli("diff", "f(X W)", "--function", "f", "--wrt", "W", "--wrt", "W")
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stdout + run.stderr
    assert "the second derivative of f by a matrix (a tensor) is not built" in run.stderr


def test_bad_declarations_one_line() -> None:
    for args, message in [
        (["--function", "exp"], "--function exp: exp is already a function"),
        (["--function", "f", "--elementwise", "f"], "--elementwise f: f is already a function"),
        (["--function", "θ"], "bad --function 'θ'"),
    ]:
        run = cli("diff", "f(A x)", "--wrt", "x", *args)
        assert run.code == 2 and message in run.stderr, run.stderr
    ev = cli("eval", "f(A x)", "--function", "f", "--at", "x=[1,2]", "--at", "A=[[1,2],[3,4]]")
    assert ev.code == 2 and "has no values" in ev.stderr
    shape = cli("shape", "f(A x) + sum(g(x))", "--function", "f", "--elementwise", "g")
    assert shape.code == 0 and shape.stdout.startswith("f(A x) + sum(g(x)) : scalar")


def test_the_catalogue_is_left_as_it_was() -> None:
    from mcalc.syntax import functions

    before = functions.spellings()
    cli("diff", "sum(g(X w))", "--elementwise", "g", "--wrt", "w", "--wrt", "w")
    assert functions.spellings() == before and functions.lookup("g") is None


# --- a formula gives a declared function values: --at, --check and eval work, the print stays abstract ---

FORMULAS = [
    ("f(A x)", ["--function", "f(u) = sum(u .* u)"], ["x"], "Aᵀ ∇f(Ax)",
     lambda v: np.sum((v["A"] @ v["x"]) ** 2), {"A": A, "x": x2}),
    ("f(X W)", ["--function", "f(U) = logdet(U^T U)"], ["W"], "Xᵀ ∇f(XW)",
     lambda v: np.linalg.slogdet((v["X"] @ v["W"]).T @ (v["X"] @ v["W"]))[1], {"X": X, "W": W}),
    ("sum(g(X w))", ["--elementwise", "g(t) = t^3 + sin(t)"], ["w", "w"], "Xᵀ diag(g′′(Xw)) X",
     lambda v: np.sum((v["X"] @ v["w"]) ** 3 + np.sin(v["X"] @ v["w"])), {"X": X, "w": w3}),
]  # fmt: skip


@pytest.mark.parametrize("case", FORMULAS, ids=[c[1][1] for c in FORMULAS])
def test_a_formula_gives_values(case: Any) -> None:
    expr, decl, wrt, printed, oracle, values = case
    args = ["diff", expr, *decl, *[a for v in wrt for a in ("--wrt", v)], *_at(values), "--check", "--seed", "5"]
    run = cli(*args, "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert run.json["derivative"] == printed and run.json["check"]["passed"]
    assert_close(run.json["value"], finite_difference(oracle, values, wrt), rtol=1e-4, what=expr)
    ev = cli("eval", expr, *decl, *_at(values), "--format", "json")
    assert ev.code == 0 and abs(ev.json["value"] - oracle(values)) < 1e-8 * max(1.0, abs(oracle(values)))


def test_a_formula_in_the_python_api() -> None:
    d = mcalc.diff("f(A x)", "x", function="f(u) = sum(u .* u)")
    assert d.text == "Aᵀ ∇f(Ax)"
    assert_close(d.value(A=A, x=x2), 2 * A.T @ (A @ x2))


@pytest.mark.parametrize(
    ("decl", "message"),
    [
        (["--function", "f(u) = sum(u .* v)"], "in --function f(u) = sum(u .* v): uses v: a formula may use only"),
        (["--function", "f(u) = sum(u .*"], "in --function f(u) = sum(u .*: expected an operand"),
        (["--function", "f u = 3"], "bad --function 'f u = 3': write NAME, or NAME(u) = EXPR"),
        (["--function", "f(u) = sum(u .* u)", "--format", "numpy"], "f is declared (--function f) and has no numpy"),
    ],
)
def test_formula_refusals_are_one_line(decl: list[str], message: str) -> None:
    run = cli("diff", "f(A x)", *decl, "--wrt", "x", "--check")
    assert run.code == 2 and message in run.stderr and run.stderr.count("\n") == 1, run.stderr


def test_a_claim_is_checked_through_a_formula() -> None:
    right = cli("check", "f(A x)", "--function", "f(u) = sum(u .* u)", "--wrt", "x", "--claim", "2 A^T A x")
    assert right.code == 0 and right.stdout.startswith("correct"), right.stdout + right.stderr
    wrong = cli("check", "f(A x)", "--function", "f(u) = sum(u .* u)", "--wrt", "x", "--claim", "A^T A x")
    assert wrong.code == 1, wrong.stdout + wrong.stderr
