"""`--check` is honest about what finite differences can resolve (README § Homework checks, "Too small to
tell"). A central difference carries rounding noise of about eps·|f|/h; where the derivative is below that
noise (a 60-deep softmax tower's gradient, ~1e-58, under f ≈ 1.4; 1e20 + xᵀx), a right answer and a wrong one
of the same size agree with the differences alike, so the check says INCONCLUSIVE, never "passed".

The table compares derivatives written in plain numpy (independent of mcalc: the softmax tower by its own
backward pass) with differences of functions written in plain numpy, through mcalc's oracle; mcalc's
expression only supplies the variables' kinds and the random points."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
from helpers import seeded
from typer.testing import CliRunner

import mcalc
from mcalc import pipeline
from mcalc.cli.app import app
from mcalc.cli.commands import Decl
from mcalc.numeric.check import CheckResult, check_derivative, domain_of

Fn = Callable[[Mapping[str, Any]], Any]


def _vec(values: Mapping[str, Any], name: str) -> Any:
    return np.asarray(values[name], dtype=float).reshape(-1)


def _tower(depth: int) -> str:
    inner = "W x"
    for _ in range(depth):
        inner = f"softmax({inner})"
    return f"lse({inner})"


def _softmax(u: Any) -> Any:
    e = np.exp(u - u.max())
    return e / e.sum()


def _tower_f(depth: int) -> Fn:
    def f(values: Mapping[str, Any]) -> Any:
        s = np.asarray(values["W"]) @ _vec(values, "x")
        for _ in range(depth):
            s = _softmax(s)
        return np.log(np.sum(np.exp(s)))

    return f


def _tower_grad(depth: int, factor: float = 1.0) -> Fn:
    """∂f/∂W by a backward pass: lse′ = softmax, each softmax's Jacobian diag(s) − s sᵀ, then g xᵀ."""

    def grad(values: Mapping[str, Any]) -> Any:
        x = _vec(values, "x")
        layers = [np.asarray(values["W"]) @ x]
        for _ in range(depth):
            layers.append(_softmax(layers[-1]))
        g = _softmax(layers[-1])
        for s in reversed(layers[1:]):
            g = s * g - s * (s @ g)
        return factor * np.outer(g, x)

    return grad


def _quadratic(offset: float, scale: float) -> Fn:
    return lambda v: offset + scale * float(_vec(v, "x") @ _vec(v, "x"))


def _quadratic_grad(scale: float) -> Fn:
    return lambda v: 2 * scale * _vec(v, "x")


def _form(values: Mapping[str, Any]) -> Any:
    x = _vec(values, "x")
    return float(x @ np.asarray(values["A"]) @ x)


def _zero_f(values: Mapping[str, Any]) -> Any:  # tr(A) + tr(X − Xᵀ): X cancels
    x = np.asarray(values["X"])
    return float(np.trace(np.asarray(values["A"])) + np.trace(x - x.T))


# (name, mcalc expression giving the kinds, variable, f in numpy, derivative in numpy, outcome)
CASES: list[tuple[str, str, str, Fn, Fn, str]] = [
    ("xᵀAx, right", "x^T A x", "x", _form, lambda v: (np.asarray(v["A"]) + np.asarray(v["A"]).T) @ _vec(v, "x"),
     "passed"),
    ("xᵀAx, 2Ax (wrong)", "x^T A x", "x", _form, lambda v: 2 * np.asarray(v["A"]) @ _vec(v, "x"), "failed"),
    ("softmax tower 2 deep, right", _tower(2), "W", _tower_f(2), _tower_grad(2), "passed"),
    ("softmax tower 2 deep, half (wrong)", _tower(2), "W", _tower_f(2), _tower_grad(2, 0.5), "failed"),
    # at 60 levels the gradient is ~1e-58 (tests/test_softmax_towers.py, at 120 digits), below float64's rounding
    # of f ≈ 1.4: the float64 backward pass gives 0 (an underflow to the check), mcalc's own value ±1e-45
    ("softmax tower 60 deep, right", _tower(60), "W", _tower_f(60), _tower_grad(60), "inconclusive"),
    ("softmax tower 60 deep, half (wrong)", _tower(60), "W", _tower_f(60), _tower_grad(60, 0.5), "inconclusive"),
    ("softmax tower 60 deep, sign (wrong)", _tower(60), "W", _tower_f(60), _tower_grad(60, -1.0), "inconclusive"),
    ("1e20 + xᵀx, right", "x^T x", "x", _quadratic(1e20, 1.0), _quadratic_grad(1.0), "inconclusive"),
    ("1e20 + xᵀx, half (wrong)", "x^T x", "x", _quadratic(1e20, 1.0), _quadratic_grad(0.5), "inconclusive"),
    ("1e-30 xᵀx, right", "x^T x", "x", _quadratic(0.0, 1e-30), _quadratic_grad(1e-30), "inconclusive"),
    ("1e-30 xᵀx, half (wrong)", "x^T x", "x", _quadratic(0.0, 1e-30), _quadratic_grad(0.5e-30), "inconclusive"),
    # small beside 1, but not beside f: the differences' noise scales with f, and they resolve it
    ("1e-6 xᵀx, right", "x^T x", "x", _quadratic(0.0, 1e-6), _quadratic_grad(1e-6), "passed"),
    ("1e-6 xᵀx, half (wrong)", "x^T x", "x", _quadratic(0.0, 1e-6), _quadratic_grad(0.5e-6), "failed"),
    ("1000 + 1e-3 xᵀx, right", "x^T x", "x", _quadratic(1e3, 1e-3), _quadratic_grad(1e-3), "passed"),
    ("1000 + 1e-3 xᵀx, half (wrong)", "x^T x", "x", _quadratic(1e3, 1e-3), _quadratic_grad(0.5e-3), "failed"),
    ("tr(A) + tr(X − Xᵀ), I (wrong)", "tr(A) + tr(X - X^T)", "X", _zero_f, lambda v: np.eye(len(v["X"])),
     "failed"),
]  # fmt: skip


def _outcome(out: CheckResult) -> str:
    if out.passed:
        return "passed"
    return "inconclusive" if out.inconclusive else "failed"


@pytest.mark.parametrize(("name", "expr", "var", "f", "d", "want"), CASES, ids=[c[0] for c in CASES])
def test_check_outcome_by_the_derivative_s_size(name: str, expr: str, var: str, f: Fn, d: Fn, want: str) -> None:
    result = pipeline.differentiate(expr, [var])
    env = result.env
    domain = domain_of([result.tree], env)
    out = check_derivative(env, [var], f, d, domain, seed=seeded("check_resolution", name))
    assert _outcome(out) == want, (name, out)
    if want == "inconclusive":
        assert out.inconclusive_reason == "unresolved" and out.unresolved_points == out.points
        assert any("below what finite differences can resolve" in n for n in out.notes), out.notes
    if want == "passed":
        assert out.unresolved_points == 0 and out.zero_points == 0, out


# (name, mcalc expression, variable, f in numpy, outcome) for a derivative claimed identically 0
ZERO_CASES: list[tuple[str, str, str, Fn, str]] = [
    ("tr(A) + tr(X − Xᵀ) (right)", "tr(A) + tr(X - X^T)", "X", _zero_f, "passed"),
    ("xᵀAx (wrong)", "x^T A x", "x", _form, "failed"),
    # the limit of differences: a derivative below their noise cannot be told from 0 (the note says so)
    ("1 + 1e-30 xᵀx (wrong, below the noise)", "x^T x", "x", _quadratic(1.0, 1e-30), "passed"),
]


@pytest.mark.parametrize(("name", "expr", "var", "f", "want"), ZERO_CASES, ids=[c[0] for c in ZERO_CASES])
def test_an_identically_zero_derivative_is_checked_in_absolute_terms(
    name: str, expr: str, var: str, f: Fn, want: str
) -> None:
    result = pipeline.differentiate(expr, [var])
    env = result.env
    domain = domain_of([result.tree], env)
    seed = seeded("check_resolution", name)

    def zero(values: Mapping[str, Any]) -> Any:
        x = np.asarray(values[var])
        return np.zeros(x.shape if x.ndim == 2 and x.shape[1] > 1 else x.size)

    out = check_derivative(env, [var], f, zero, domain, seed=seed, zero=True)
    assert _outcome(out) == want, (name, out)
    if want == "passed":
        assert out.zero_points == out.points
        assert any("absolute terms" in n and "cannot tell 0 from a derivative below" in n for n in out.notes)
    # the same zeros from a formula that is not the zero array (an underflow): too small to tell, not passed
    out = check_derivative(env, [var], f, zero, domain, seed=seed)
    assert _outcome(out) == ("failed" if want == "failed" else "inconclusive"), (name, out)
    assert out.zero_points == 0


def test_diff_check_of_the_zero_array_passes_and_says_in_what_terms() -> None:
    code, text = _cli("diff", "tr(A) + tr(X - X^T)", "--wrt", "X", "--check", "--seed", "1")
    line = next(ln for ln in text.splitlines() if ln.startswith("check:"))
    assert code == 0 and line.startswith("check: passed") and "the derivative is 0: checked in absolute terms" in line


def test_the_numpy_tower_gradient_is_right_where_differences_resolve_it() -> None:
    """The backward pass of the table is itself checked: against central differences of the numpy tower at a
    depth whose gradient is well above their noise."""
    from helpers import central_gradient

    rng = np.random.default_rng(seeded("check_resolution", "tower"))
    w, x = rng.standard_normal((4, 3)), rng.standard_normal(3)
    f, grad = _tower_f(2), _tower_grad(2)
    numeric = central_gradient(lambda ww: f({"W": ww, "x": x}), w)
    np.testing.assert_allclose(grad({"W": w, "x": x}), numeric, rtol=1e-6, atol=1e-10)


def test_a_derivative_resolved_at_some_points_only_is_judged_at_those_and_says_so() -> None:
    """An 8-deep tower: at some random sizes the gradient is below the noise, at others above it."""
    result = pipeline.differentiate(_tower(8), ["W"])
    env = result.env
    domain = domain_of([result.tree], env)
    seen = set()
    for k in range(12):
        out = check_derivative(env, ["W"], _tower_f(8), _tower_grad(8), domain, seed=seeded("check_resolution", k))
        wrong = check_derivative(
            env, ["W"], _tower_f(8), _tower_grad(8, 0.5), domain, seed=seeded("check_resolution", k)
        )
        assert not wrong.passed, wrong  # a wrong answer never passes, resolved or not
        if 0 < out.unresolved_points < out.points:
            assert out.passed and not wrong.inconclusive, (out, wrong)  # judged, and failed, where resolved
            assert any(f"at {out.unresolved_points} of {out.points} points" in n for n in out.notes)
        seen.add(_outcome(out))
    assert seen <= {"passed", "inconclusive"}


def _cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout


def test_diff_check_says_inconclusive_in_text_and_json_and_exits_0() -> None:
    code, text = _cli("diff", _tower(60), "--wrt", "W", "--check", "--seed", "1")
    line = next(ln for ln in text.splitlines() if ln.startswith("check:"))
    assert code == 0 and line.startswith("check: INCONCLUSIVE (3 points"), line
    assert "below what finite differences can resolve" in line and "max relative error" not in line
    code, out = _cli("diff", _tower(60), "--wrt", "W", "--check", "--seed", "1", "--format", "json")
    check = json.loads(out)["check"]
    assert code == 0 and check["passed"] is False and check["inconclusive"] is True
    assert check["inconclusive_reason"] == "unresolved" and check["unresolved_points"] == 3


def test_diff_check_of_a_resolved_derivative_is_unchanged() -> None:
    code, out = _cli("diff", "x^T A x", "--wrt", "x", "--check", "--seed", "1", "--format", "json")
    check = json.loads(out)["check"]
    assert code == 0 and check["passed"] is True and check["inconclusive"] is False
    assert check["inconclusive_reason"] is None and check["unresolved_points"] == check["zero_points"] == 0


def test_the_python_check_result_says_why() -> None:
    out = mcalc.diff("1e20 + x^T x", "x").check(seed=1)
    assert not out.passed and out.inconclusive and out.inconclusive_reason == "unresolved"
    assert mcalc.diff("x^T x", "x").check(seed=1).passed


# --- mcalc check --claim: values compared relative to their own size, and refused where they mean nothing ---

# (expression, claim, verdict, method, the claim's value over the derivative's in numpy at a random point);
# the first four used to be "correct": values under an absolute 1e-12 were all equal
CLAIMS: list[tuple[str, str, str, str, float]] = [
    ("1e-30 x^T x", "x ./ 1e30", "factor", "symbolic", 0.5),
    ("exp(-70) x^T x", "exp(-70) x", "factor", "symbolic", 0.5),
    ("1e-30 x^T x", "sqrt(x^T x) x ./ (1e30 norm2(x))", "factor", "numeric", 0.5),
    ("1e-30 x^T x", "sqrt(x^T x) x ./ (-5e29 norm2(x))", "factor", "numeric", -1.0),
    ("1e-30 x^T x", "sqrt(x^T x) x ./ (5e29 norm2(x))", "correct", "numeric", 1.0),
    ("1e-30 x^T x", "2 x ./ 1e30", "correct", "symbolic", 1.0),
]

NUMPY_CLAIMS: dict[str, Callable[[Any], Any]] = {
    "x ./ 1e30": lambda x: x / 1e30,
    "exp(-70) x": lambda x: np.exp(-70.0) * x,
    "sqrt(x^T x) x ./ (1e30 norm2(x))": lambda x: np.sqrt(x @ x) * x / (1e30 * np.linalg.norm(x)),
    "sqrt(x^T x) x ./ (-5e29 norm2(x))": lambda x: np.sqrt(x @ x) * x / (-5e29 * np.linalg.norm(x)),
    "sqrt(x^T x) x ./ (5e29 norm2(x))": lambda x: np.sqrt(x @ x) * x / (5e29 * np.linalg.norm(x)),
    "2 x ./ 1e30": lambda x: 2 * x / 1e30,
}
NUMPY_GRADIENTS: dict[str, Callable[[Any], Any]] = {
    "1e-30 x^T x": lambda x: 2e-30 * x,
    "exp(-70) x^T x": lambda x: 2 * np.exp(-70.0) * x,
}


@pytest.mark.parametrize(("expr", "claim", "verdict", "method", "ratio"), CLAIMS, ids=[c[1] for c in CLAIMS])
def test_a_claim_about_a_tiny_derivative_is_judged_by_its_own_size(
    expr: str, claim: str, verdict: str, method: str, ratio: float
) -> None:
    x = np.random.default_rng(seeded("check_resolution", claim)).standard_normal(4)
    got, want = NUMPY_CLAIMS[claim](x), NUMPY_GRADIENTS[expr](x)
    np.testing.assert_allclose(got, ratio * want, rtol=1e-12)  # the table's premise, in numpy
    assert np.abs(got - want).max() < 1e-12  # what the old absolute floor could not see
    v = mcalc.check_claim(expr, "x", claim, seed=seeded("check_resolution", claim))
    assert (v.verdict, v.method) == (verdict, method), v.line()
    assert v.ok is (ratio == 1.0)
    code, out = _cli("check", expr, "--wrt", "x", "--claim", claim, "--at", f"x={json.dumps(x.tolist())}")
    assert code == (0 if ratio == 1.0 else 1), out
    assert ("the claim and the derivative agree" in out) is (ratio == 1.0), out


@pytest.mark.parametrize("claim", ["x ./ exp(800)", "exp(-800) x", "2 x ./ exp(800)"])
def test_a_claim_about_a_derivative_that_underflows_is_refused(claim: str) -> None:
    """exp(−800) xᵀx by x is 2e-348 x: 0 in float64, and so is every claim of that size, right (the last) or
    wrong: values cannot judge it, and it is not equal as written. One line, exit 1 (a mathematical error)."""
    assert np.exp(-800.0) == 0.0  # the premise, in numpy
    code, out = _cli("check", "exp(-800) x^T x", "--wrt", "x", "--claim", claim, "--format", "json")
    obj = json.loads(out)
    assert code == 1 and obj["category"] == "math error", out
    assert "values cannot settle it" in obj["error"] and "underflows to 0" in obj["error"]
    with pytest.raises(mcalc.McalcError, match="values cannot settle it"):
        mcalc.check_claim("exp(-800) x^T x", "x", claim)


@pytest.mark.parametrize(
    ("offset", "scale", "right", "wrong"),
    [(1e-3, 1e-9, "passed", "failed"), (1.0, 1e-30, "inconclusive", "inconclusive")],
    ids=["resolved at 1e-9", "below the noise at 1e-30"],
)
def test_a_symmetric_variable_s_form_is_judged_at_the_derivative_s_own_size(
    offset: float, scale: float, right: str, wrong: str
) -> None:
    """By a --symmetric S the value is sym(G); G itself (Aᵀ for tr(S A)) is wrong. At a scale where the
    differences resolve the derivative it fails; below their noise nothing passes (the old 1e-8 floor of the
    symmetry test would not have seen a derivative of 1e-30 break it). Derivatives in numpy."""
    result = pipeline.differentiate("tr(S A)", ["S"], Decl(symmetric=["S"]).build())
    env = result.env
    domain = domain_of([result.tree], env)

    def f(v: Mapping[str, Any]) -> Any:
        return offset + scale * float(np.trace(np.asarray(v["S"]) @ np.asarray(v["A"])))

    def sym(v: Mapping[str, Any]) -> Any:
        a = np.asarray(v["A"])
        return scale * (a + a.T) / 2

    def raw(v: Mapping[str, Any]) -> Any:
        return scale * np.asarray(v["A"]).T

    seed = seeded("check_resolution", "symmetric", scale)
    assert _outcome(check_derivative(env, ["S"], f, sym, domain, seed=seed)) == right
    assert _outcome(check_derivative(env, ["S"], f, raw, domain, seed=seed)) == wrong
