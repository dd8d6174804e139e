"""Vector-valued abstract functions (issue 23 item 4): `--function f` read as vector-valued by use
(f(x)ᵀ g(x)) or declared (`--function "f: vector -> vector"`), derivatives through the Jacobian J_f; the
Hessian ∇²f of a scalar-valued f of a vector.

Numbers: each function is given a formula (`--function "f(u) = sin(u)"`), mcalc's value of the printed
derivative at a point (`--at`) is compared with central differences of independent numpy code of the same
composition, and mcalc's own --check must pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference

import mcalc

RNG = np.random.default_rng(4)
x3, a4 = RNG.normal(size=3), RNG.normal(size=4)
A43, W43 = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))


def _softmax(u: Any) -> Any:
    e = np.exp(u - u.max())
    return e / e.sum()


SIN, SQUARE, EXP = "f(u) = sin(u)", "g(u) = u .* u", "g(u) = exp(u)"
# Jacobians that are not symmetric, so that a transpose too many or too few is seen:
# sum(u) diag(cos u) + sin(u) 𝟙ᵀ, and the same for g with exp
MIXED_F, MIXED_G = "f(u) = sum(u) sin(u)", "g(u) = (u^T u) exp(u)"


def _mixed_f(u: Any) -> Any:
    return np.sum(u) * np.sin(u)


def _mixed_g(u: Any) -> Any:
    return (u @ u) * np.exp(u)


# expression, --function items, wrt, printed derivative, numpy oracle, values
CASES: list[tuple[str, list[str], list[str], str, Callable[[dict[str, Any]], Any], dict[str, Any]]] = [
    ("f(x)^T g(x)", [SIN, SQUARE], ["x"], "J_f(x)ᵀ g(x) + J_g(x)ᵀ f(x)",
     lambda v: np.sin(v["x"]) @ (v["x"] * v["x"]), {"x": x3}),
    ("f(g(x))", [SIN, EXP], ["x"], "J_f(g(x)) J_g(x)",
     lambda v: np.sin(np.exp(v["x"])), {"x": x3}),
    ("f(A x)", ["f(u) = tanh(u)"], ["x"], "J_f(Ax) A",
     lambda v: np.tanh(v["A"] @ v["x"]), {"A": A43, "x": x3}),
    ("a^T f(W x)", ["f(u) = softmax(u)"], ["x"], "Wᵀ J_f(Wx)ᵀ a",
     lambda v: v["a"] @ _softmax(v["W"] @ v["x"]), {"a": a4, "W": W43, "x": x3}),
    ("||f(x)||^2", [SIN], ["x"], "2 J_f(x)ᵀ f(x)",
     lambda v: np.sum(np.sin(v["x"]) ** 2), {"x": x3}),
    ("f(A x)", ["f(u) = sum(exp(u))"], ["x", "x"], "Aᵀ ∇²f(Ax) A",
     lambda v: np.sum(np.exp(v["A"] @ v["x"])), {"A": A43, "x": x3}),
    ("f(x)^T g(x)", [MIXED_F, MIXED_G], ["x"], "J_f(x)ᵀ g(x) + J_g(x)ᵀ f(x)",
     lambda v: _mixed_f(v["x"]) @ _mixed_g(v["x"]), {"x": x3}),
    ("f(g(x))", [MIXED_F, MIXED_G], ["x"], "J_f(g(x)) J_g(x)",
     lambda v: _mixed_f(_mixed_g(v["x"])), {"x": x3}),
    ("f(A x)", [MIXED_F], ["x"], "J_f(Ax) A",
     lambda v: _mixed_f(v["A"] @ v["x"]), {"A": A43, "x": x3}),
    ("f(A x)", [MIXED_F], ["A"], "xᵀ ⊗ J_f(Ax)",
     lambda v: _mixed_f(v["A"] @ v["x"]), {"A": A43, "x": x3}),
    ("a^T f(W x)", [MIXED_F], ["x"], "Wᵀ J_f(Wx)ᵀ a",
     lambda v: v["a"] @ _mixed_f(v["W"] @ v["x"]), {"a": a4, "W": W43, "x": x3}),
    ("f(x)^T A^T A g(x)", [MIXED_F, MIXED_G], ["x"], None,
     lambda v: _mixed_f(v["x"]) @ v["A"].T @ v["A"] @ _mixed_g(v["x"]), {"A": A43, "x": x3}),
]  # fmt: skip


def _args(decl: list[str], wrt: list[str], values: dict[str, Any]) -> list[str]:
    out = [a for d in decl for a in ("--function", d)] + [a for w in wrt for a in ("--wrt", w)]
    return out + [a for k, v in values.items() for a in ("--at", f"{k}={json.dumps(np.asarray(v).tolist())}")]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]} by {''.join(c[2])}" for c in CASES])
def test_value_against_finite_differences_of_numpy(case: Any) -> None:
    expr, decl, wrt, printed, oracle, values = case
    run = cli("diff", expr, *_args(decl, wrt, values), "--check", "--seed", "3", "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    if printed is not None:
        assert run.json["derivative"] == printed
    assert run.json["check"]["passed"]
    assert_close(run.json["value"], finite_difference(oracle, values, wrt), rtol=1e-4, what=expr)


def test_the_jacobian_of_a_formula_is_its_matrix_of_partials() -> None:
    # J_f(x) of f(u) = sum(u) sin(u) is sum(x) diag(cos(x)) + sin(x) 𝟙ᵀ: against numpy directly
    at = f"x={json.dumps(x3.tolist())}"
    run = cli("eval", "J_f(x)", "--function", MIXED_F, "--at", at, "--format", "json")
    assert run.code == 0, run.stderr
    assert_close(run.json["value"], np.sum(x3) * np.diag(np.cos(x3)) + np.outer(np.sin(x3), np.ones(3)), rtol=1e-12)
    value = cli("eval", "f(x)", "--function", SIN, "--at", f"x={json.dumps(x3.tolist())}", "--format", "json")
    assert_close(value.json["value"], np.sin(x3), rtol=1e-12)


# --- what is read, and said -------------------------------------------------------------------------------


def test_the_product_rule_of_vector_functions_by_use() -> None:
    run = cli("diff", "f(x)^T g(x)", "--wrt", "x", "--function", "f", "--function", "g")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[0] == "∂/∂x (f(x)ᵀ g(x)) = J_f(x)ᵀ g(x) + J_g(x)ᵀ f(x)"
    lines = run.stderr.splitlines()
    assert lines[0].startswith("warning: f is read as vector-valued (its value is transposed)")
    assert lines[1].startswith("warning: g is read as vector-valued (it multiplies a transposed vector)")
    assert all('--function "f: vector -> scalar"' in lines[0] for _ in [0])
    latex = cli("diff", "f(x)^T g(x)", "--wrt", "x", "--function", "f,g", "--format", "latex").stdout.splitlines()[0]
    assert latex.endswith(
        r"= \mathbf{J}_{f}\left(x\right)^{\top} g\left(x\right) + \mathbf{J}_{g}\left(x\right)^{\top} f\left(x\right)"
    )
    ascii_ = cli("diff", "f(x)^T g(x)", "--wrt", "x", "--function", "f,g", "--ascii").stdout.splitlines()[0]
    assert ascii_ == "d/dx (f(x)^T g(x)) = J_f(x)^T g(x) + J_g(x)^T f(x)"


def test_declared_vector_valued_says_nothing_more() -> None:
    decl = ["--function", "f: vector -> vector", "--function", "g: vector → vector"]
    run = cli("diff", "f(g(x))", "--wrt", "x", *decl)
    assert run.code == 0 and run.stderr == "", run.stderr
    assert run.stdout.splitlines()[:2] == ["∂(f(g(x)))/∂x = J_f(g(x)) J_g(x)", "shape: p×m"]


def test_without_function_it_is_refused_naming_function() -> None:
    run = cli("diff", "f(x)^T g(x)", "--wrt", "x")
    assert run.code == 2 and "--function f" in run.stderr and "2fgx" not in run.stdout + run.stderr


def test_a_number_that_does_not_fit_is_read_as_a_vector() -> None:
    run = cli("diff", "A f(x) + b", "--wrt", "x", "--function", "f")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[0] == "∂(A f(x) + b)/∂x = A J_f(x)"
    assert "f is read as vector-valued (read as a number it does not fit the expression)" in run.stderr


def test_a_scalar_valued_function_stays_so() -> None:
    run = cli("diff", "f(A x)", "--wrt", "x", "--function", "f")
    assert run.code == 0 and run.stderr == "" and run.stdout.startswith("∂/∂x f(Ax) = Aᵀ ∇f(Ax)")
    declared = cli("diff", "f(x)^T g(x)", "--wrt", "x", "--function", "f: vector -> scalar", "--function", "g")
    assert "f is read as vector-valued" not in declared.stderr


def test_a_curve_and_declared_lengths() -> None:
    curve = cli("diff", "f(t)^T f(t)", "--wrt", "t", "--scalar", "t", "--function", "f: scalar -> vector")
    assert curve.code == 0 and curve.stdout.splitlines()[0] == "d/dt (f(t)ᵀ f(t)) = 2 J_f(t)ᵀ f(t)", curve.stderr
    for length, shape in (("3", "shape: 3×m"), ("k", "shape: k×m")):
        run = cli("diff", "f(x)", "--wrt", "x", "--function", f"f: vector -> vector[{length}]")
        assert run.code == 0 and run.stdout.splitlines()[1] == shape, run.stdout + run.stderr


def test_printed_forms_read_back_as_claims() -> None:
    for expr, decl, wrt, claim in [
        ("f(x)^T g(x)", "f,g", ["x"], "J_f(x)^T g(x) + J_g(x)^T f(x)"),
        ("f(A x)", "f", ["x", "x"], "A^T ∇²f(A x) A"),
        ("f(A x)", "f", ["x", "x"], "A^T hess_f(A x) A"),
        ("f(g(x))", "f: vector -> vector,g: vector -> vector", ["x"], "J_f(g(x)) J_g(x)"),
    ]:
        wrts = [a for w in wrt for a in ("--wrt", w)]
        run = cli("check", expr, *wrts, "--function", decl, "--claim", claim)
        assert run.code == 0 and run.stdout.startswith("correct"), (claim, run.stdout + run.stderr)
    wrong = cli("check", "f(x)^T g(x)", "--wrt", "x", "--function", MIXED_F, "--function", MIXED_G,
                "--claim", "J_f(x) g(x) + J_g(x)^T f(x)")  # fmt: skip
    assert wrong.code == 1 and wrong.stdout.startswith("wrong"), wrong.stdout + wrong.stderr
    ascii_ = cli("diff", "f(A x)", "--wrt", "x", "--wrt", "x", "--function", "f", "--ascii").stdout
    assert ascii_.splitlines()[0] == "d^2/dx^2 f(A x) = A^T hess_f(A x) A"


def test_python_api() -> None:
    from mcalc.render import spelling

    spelling.use_ascii(False)  # the CLI's --ascii is a process-wide switch
    d = mcalc.diff("f(x)^T g(x)", "x", function=["f: vector -> vector", "g: vector -> vector"])
    assert d.text == "J_f(x)ᵀ g(x) + J_g(x)ᵀ f(x)" and not d.warnings
    with_values = mcalc.diff("f(x)^T g(x)", "x", function=[MIXED_F, MIXED_G])
    expected = finite_difference(lambda v: _mixed_f(v["x"]) @ _mixed_g(v["x"]), {"x": x3}, ["x"])
    assert_close(with_values.value(x=x3), expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["f(x)", "--function", "f: vectr -> vector"], "bad --function 'f: vectr -> vector': write NAME: ARGUMENT"),
        (["f(x)", "--function", "f: vector -> matrix"], "a matrix-valued one is not built"),
        (["f(x)", "--function", "f: vector -> scalar[3]"], "a length [3] is given to a vector value only"),
        (["f(X)", "--function", "f: vector -> vector"], "f takes a vector at col 1: X is m×n"),
        (["f(x)^T f(X)", "--function", "f"], "f is vector-valued at col 8: it takes a vector or a scalar, and X is"),
        (["J_f(x)", "--function", "f: vector -> scalar"], "J_f is the Jacobian of a vector-valued f"),
        (["J_f(x) x", "--function", "f: vector -> vector"], "the second derivative of the vector-valued f"),
        (["f(x)^T g(x)", "--function", "f,g", "--check"], "f is an abstract function (--function f) and has no"),
        (["f(x)", "--function", "f(u) = vec(u u^T)"], "its length, m·m, is neither its argument's length nor"),
        (["f(x)", "--function", "f(U) = U^T"], "its value U^T is n×m; a --function's value is a number, or"),
    ],
)
def test_refusals_are_one_line(args: list[str], message: str) -> None:
    run = cli("diff", *args, "--wrt", "x")
    assert run.code == 2 and message in run.stderr and run.stderr.count("\n") == 1, run.stdout + run.stderr


def test_a_claim_not_equal_as_written_names_the_formula_it_needs() -> None:
    # symbolically different, and f, g have no values to compare at: refused with the fix, never "correct"
    run = cli("check", "f(x)^T g(x)", "--wrt", "x", "--function", "f,g", "--claim", "J_f(x) g(x) + J_g(x)^T f(x)")
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stdout + run.stderr
    assert "is not ∂/∂x (f(x)ᵀ g(x)) as written, and f is an abstract function (--function f)" in run.stderr
    assert '--function "f(u) = …", to have the claim judged' in run.stderr
    g = cli("check", "sum(g(X w))", "--wrt", "w", "--elementwise", "g", "--claim", "X g′(X w)")
    assert g.code == 2 and '--elementwise "g(t) = …"' in g.stderr, g.stdout + g.stderr
