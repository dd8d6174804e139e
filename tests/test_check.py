"""`--check`, the finite-difference oracle: it passes on right derivatives at domain-aware random
points, it fails (and `mcalc diff --check` exits 1) when a rule of the table is deliberately broken,
it is repeatable with --seed, and its cost does not grow with the number of entries of X."""

from __future__ import annotations

import dataclasses
import gc
import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from helpers import seeded
from typer.testing import CliRunner

from mcalc import pipeline
from mcalc.calculus import rules
from mcalc.cli.app import app
from mcalc.cli.commands import Decl, _check
from mcalc.numeric.check import CheckResult, check_derivative, domain_of
from mcalc.syntax import nodes as N
from mcalc.syntax.build import mul, num


def mcalc(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def check_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = mcalc("diff", *args, "--check", "--format", "json")
    return code, json.loads(out)["check"]


def run_check(expr: str, wrt: list[str], seed: int = 0, **decl: list[str]) -> CheckResult:
    result = pipeline.differentiate(expr, wrt, Decl(**decl).build())
    out = _check(result, seed)
    assert isinstance(out, CheckResult)
    return out


# --- right derivatives pass, at points in each function's domain ---

DOMAIN_CASES = [
    ("logdet(X)", ["X"], {}),  # the case: det X > 0 at every point
    ("log det(X)", ["X"], {}),
    ("logdet(S)", ["S"], {"symmetric": ["S"]}),  # SPD
    ("logdet(X^T X)", ["X"], {}),  # rank-deficient XᵀX (m < n) must be redrawn
    ("logdet(X + X^T)", ["X"], {}),  # compound argument: SPD X
    ("logdet(X^T A X)", ["X"], {"symmetric": ["A"]}),
    ("tr(inv(X^T X))", ["X"], {}),
    ("a^T X^-1 b", ["X"], {}),  # well-conditioned invertible X
    ("tr(A X^-1 B)", ["X"], {}),
    ("det(X)", ["X"], {}),
    ("sum(log(x))", ["x"], {}),  # positive entries
    ("sum(sqrt(x))", ["x"], {}),
    ("sqrt(x^T A x)", ["x"], {}),  # sqrt of a matrix quantity
    ("log(x^T S x)", ["x"], {"symmetric": ["S"]}),
    ("(x^T x)^(1/2)", ["x"], {}),
    ("sum(x.^-1)", ["x"], {}),
    ("norm2(x - a)", ["x"], {}),
    ("tr(A) + tr(X - X^T)", ["X"], {}),  # the derivative is exactly 0: rounding noise must not fail it
    ("tr(A B A^T C)", ["A"], {}),
    ("x^T A x", ["x", "x"], {}),  # a Hessian: the oracle differences the gradient
    ("A(t) B(t)", ["t"], {}),  # functions of t
    ("inv(A(t))", ["t"], {}),
    ("B C", ["B"], {}),  # a tensor (vec Jacobian)
    ("tr(S A)", ["S"], {"symmetric": ["S"]}),  # symmetric variable: sym(G) convention
]


@pytest.mark.parametrize(("expr", "wrt", "decl"), DOMAIN_CASES, ids=[c[0] for c in DOMAIN_CASES])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_right_derivatives_pass_at_domain_aware_points(
    expr: str, wrt: list[str], decl: dict[str, list[str]], seed: int
) -> None:
    out = run_check(expr, wrt, seed, **decl)
    assert out.passed, f"{expr}: {out}"
    assert out.max_rel_error < 1e-6 and out.points == 3


def test_logdet_check_passes_on_the_command_line() -> None:
    code, out, _ = mcalc("diff", "logdet(X)", "--wrt", "X", "--check")
    assert code == 0
    assert out.splitlines()[0] == "∂/∂X logdet(X) = X⁻ᵀ"
    assert out.splitlines()[2].startswith("check: passed, max relative error ")


def test_check_reports_max_error_points_directions_and_the_sizes_of_every_point() -> None:
    code, check = check_json("a^T X b", "--wrt", "X", "--seed", "4")
    assert code == 0 and check["passed"] is True
    assert check["points"] == 3 and check["directions"] == 2 and check["seed"] == 4
    assert set(check["sizes"]) == {"m", "n"}
    for i in range(3):
        m, n = check["sizes"]["m"][i], check["sizes"]["n"][i]
        assert m != n and min(m, n) >= 2  # distinct sizes: a transposed answer cannot pass
    assert len({(m, n) for m, n in zip(check["sizes"]["m"], check["sizes"]["n"], strict=True)}) > 1


def test_check_is_repeatable_with_seed_and_reports_the_seed_it_drew() -> None:
    first = check_json("tr(A B A^T C)", "--wrt", "A", "--seed", "7")
    again = check_json("tr(A B A^T C)", "--wrt", "A", "--seed", "7")
    other = check_json("tr(A B A^T C)", "--wrt", "A", "--seed", "8")
    assert first == again
    assert first[1]["sizes"] != other[1]["sizes"] or first[1]["max_rel_error"] != other[1]["max_rel_error"]
    _, unseeded = check_json("tr(A B A^T C)", "--wrt", "A")
    replay = check_json("tr(A B A^T C)", "--wrt", "A", "--seed", str(unseeded["seed"]))
    assert replay[1] == unseeded


def test_no_point_in_the_domain_is_a_math_error_with_exit_1() -> None:
    code, _, err = mcalc("diff", "log(-(x^T x))", "--wrt", "x", "--check")
    assert code == 1
    assert err.startswith("error: no point where the expression is defined") and len(err.splitlines()) == 1


# --- the tester is tested: wrong derivatives fail ---


def _underlying(proxy: Any) -> dict[Any, Any]:
    """The dict behind a MappingProxyType (so a test can swap one row of the rule table)."""
    (target,) = [r for r in gc.get_referents(proxy) if isinstance(r, dict)]
    return target


@pytest.fixture
def broken_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[type, Callable[..., Any]], None]]:
    table = _underlying(rules.DERIVATIVE_RULES)

    def swap(op: type, apply: Callable[..., Any]) -> None:
        monkeypatch.setitem(table, op, dataclasses.replace(table[op], apply=apply))

    yield swap


def _det_without_transpose(node: Any, d: Any, ctx: Any) -> Any:
    """d det(X) = det(X) tr(X⁻ᵀ dX): the transpose dropped from the gradient det(X) X⁻ᵀ."""
    dx = d(node.arg)
    return None if dx is None else mul(node, N.Trace(mul(N.Transpose(N.Inverse(node.arg)), dx)))


def _inverse_with_the_wrong_sign(node: Any, d: Any, ctx: Any) -> Any:
    """d(X⁻¹) = +X⁻¹ (dX) X⁻¹."""
    dx = d(node.arg)
    return None if dx is None else mul(node, dx, node)


def _logdet_twice(node: Any, d: Any, ctx: Any) -> Any:
    dx = d(node.arg)
    return None if dx is None else mul(num(2), N.Trace(mul(N.Inverse(node.arg), dx)))


@pytest.mark.parametrize(
    ("op", "apply", "expr"),
    [
        (N.Det, _det_without_transpose, "det(X)"),
        (N.Inverse, _inverse_with_the_wrong_sign, "a^T X^-1 b"),
        (N.LogDet, _logdet_twice, "logdet(X)"),
    ],
    ids=["d-det without the transpose", "d-inverse with the sign flipped", "d-logdet doubled"],
)
def test_a_broken_rule_fails_the_check_and_diff_check_exits_1(
    broken_rule: Callable[[type, Callable[..., Any]], None], op: type, apply: Callable[..., Any], expr: str
) -> None:
    assert run_check(expr, ["X"]).passed  # the real rule passes
    broken_rule(op, apply)
    out = run_check(expr, ["X"])
    assert not out.passed and out.max_rel_error > 1e-3
    code, stdout, _ = mcalc("diff", expr, "--wrt", "X", "--check", "--seed", "0")
    assert code == 1
    assert "check: FAILED" in stdout
    code, check = check_json(expr, "--wrt", "X", "--seed", "0")
    assert code == 1 and check["passed"] is False


def test_the_rule_table_is_restored_after_a_broken_rule_test() -> None:
    assert run_check("det(X)", ["X"]).passed and run_check("a^T X^-1 b", ["X"]).passed


def _problem(expr: str, wrt: str, **decl: list[str]) -> tuple[Any, Any]:
    result = pipeline.differentiate(expr, [wrt], Decl(**decl).build())
    env = result.env

    def f_value(values: Any) -> Any:
        return pipeline.evaluate_expression(result.tree, env, values)

    return result, f_value


@pytest.mark.parametrize("factor", [2.001, 0.999, -1.0])
def test_a_derivative_off_by_a_small_factor_fails(factor: float) -> None:
    """autograd's test of its tester: 2.001 where 2 is right must not pass."""
    result, f_value = _problem("x^T x", "x")
    env = result.env

    def d_value(values: Any) -> Any:
        return factor * pipeline.evaluate_value(result, values)

    out = check_derivative(env, ["x"], f_value, d_value, domain_of([result.tree], env), seed=seeded("test_check", 0))
    assert not out.passed and out.max_rel_error > 1e-4


def test_a_transposed_gradient_fails_even_for_a_square_matrix() -> None:
    result, f_value = _problem("tr(A X^2)", "X")
    env = result.env

    def d_value(values: Any) -> Any:
        return pipeline.evaluate_value(result, values).T  # (XA + AX)ᵀ transposed

    out = check_derivative(env, ["X"], f_value, d_value, domain_of([result.tree], env), seed=seeded("test_check", 0))
    assert not out.passed


def test_a_symmetric_variable_needs_the_symmetric_gradient() -> None:
    """For a declared-symmetric S the value is sym(G) (README § Symmetric matrices); G itself agrees
    with every symmetric direction, so the oracle must check the symmetry explicitly."""
    result, f_value = _problem("tr(S A)", "S", symmetric=["S"])
    env = result.env

    def raw_gradient(values: Any) -> Any:
        return np.asarray(values["A"]).T  # G = Aᵀ, not sym(G)

    out = check_derivative(
        env, ["S"], f_value, raw_gradient, domain_of([result.tree], env), seed=seeded("test_check", 0)
    )
    assert not out.passed
    assert run_check("tr(S A)", ["S"], symmetric=["S"]).passed


# --- cost: two evaluations per direction, whatever the size of X ---


@pytest.mark.parametrize("expr", ["tr(A X B X^T)", "logdet(X)", "a^T X^-1 b"])
def test_the_number_of_evaluations_does_not_grow_with_the_number_of_entries(expr: str) -> None:
    counts = {}
    for n in (3, 40):
        result, f_value = _problem(expr, "X")
        env = result.env
        calls = {"f": 0, "d": 0}

        def f_counted(values: Any, f: Any = f_value, c: dict[str, int] = calls) -> Any:
            c["f"] += 1
            return f(values)

        def d_counted(values: Any, r: Any = result, c: dict[str, int] = calls) -> Any:
            c["d"] += 1
            return pipeline.evaluate_value(r, values)

        dims = {d: n for d in ("m", "n", "p", "q") if d in str(env.variables())}
        domain = domain_of([result.tree, result.final.result], env)
        out = check_derivative(env, ["X"], f_counted, d_counted, domain, seed=seeded("test_check", 1), fixed_sizes=dims)
        assert out.passed and set(out.sizes) == set()  # every dimension fixed: nothing random to report
        counts[n] = dict(calls)
    assert counts[3] == counts[40] == {"f": 3 * 2 * 2, "d": 3}


def test_the_step_refinement_only_runs_when_the_first_difference_misses() -> None:
    result, f_value = _problem("tr(A X B X^T)", "X")
    env = result.env
    calls = {"f": 0}

    def f_counted(values: Any) -> Any:
        calls["f"] += 1
        return f_value(values)

    def wrong(values: Any) -> Any:
        return 1.5 * pipeline.evaluate_value(result, values)

    domain = domain_of([result.tree], env)
    check_derivative(env, ["X"], f_counted, wrong, domain, seed=seeded("test_check", 1))
    assert calls["f"] == 3 * 2 * 4  # a wrong derivative: both step sizes, still O(1) per direction


def test_the_cost_benchmark_runs_with_tiny_sizes() -> None:
    """bench/check_cost.py must not rot (no timing is asserted)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.check_cost import measure

    row = measure("logdet(X)", "X", 4, 1)
    assert row["passed"] and row["f_calls"] == 12 and row["entries"] == 16 and row["ratio"] > 0
