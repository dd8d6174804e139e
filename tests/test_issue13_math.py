"""Issue 13, items 9, 10 and 12, each with the issue's own example and checked against finite
differences of independent numpy code:

- 9: the index form of a derivative by a symmetric matrix follows the README's convention,
  ½(∂F/∂S_kl + ∂F/∂S_lk); the printed form is evaluated by a small evaluator written here;
- 10: `mcalc check` names every sufficient symmetry condition ("right when B is symmetric or when C
  is symmetric"), each verified here with numpy;
- 12: second and third derivatives of functions of t pass `--check`, and their values match finite
  differences of the functions themselves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference, make_point, numpy_function, save_npz, seeded

from mcalc import pipeline
from mcalc.cli.commands import Decl
from mcalc.numeric.check import (
    FUNCTION_ORDERS,
    check_derivative,
    domain_of,
    random_point,
    random_sizes,
    refresh_functions,
)
from mcalc.numeric.evaluate import function_key

# --------------------------------------------------------------------------------------------------
# item 9: index notation by a symmetric matrix
# --------------------------------------------------------------------------------------------------

SUBSCRIPTS = {"ᵢ": "i", "ⱼ": "j", "ₖ": "k", "ₗ": "l"}
FACTOR = re.compile(r"^(?P<name>δ|\([^)]*\)|[A-Za-z])(?P<sub>[ᵢⱼₖₗ]+)$")


def _split_sum(text: str) -> list[tuple[float, str]]:
    """'a + b − c' → [(1, 'a'), (1, 'b'), (-1, 'c')] (terms are products without inner sums)."""
    out: list[tuple[float, str]] = []
    sign = 1.0
    if text.startswith("−"):
        sign, text = -1.0, text[1:]
    for n, piece in enumerate(re.split(r" ([+−]) ", text)):
        if n % 2:
            sign = 1.0 if piece == "+" else -1.0
        else:
            out.append((sign, piece))
    return out


def evaluate_index_form(
    rhs: str, matrices: Mapping[str, np.ndarray], indices: str, shape: tuple[int, ...]
) -> np.ndarray:
    """The tensor T[indices] that an index form such as `1/2 (δᵢₖ δⱼₗ + δᵢₗ δⱼₖ)` denotes.

    Understood: an optional leading rational factor with a parenthesised sum, terms of an optional
    integer coefficient and factors NAMEₐᵦ, where δ is the identity and every other NAME (such as
    `B` or `(S⁻¹)`) must be given in `matrices`. Anything else fails the test, so a form this test
    cannot read is never taken as right."""
    scale = 1.0
    m = re.fullmatch(r"(−?)(\d+)/(\d+) \((.*)\)", rhs)
    if m:
        scale = (-1.0 if m.group(1) else 1.0) * int(m.group(2)) / int(m.group(3))
        rhs = m.group(4)
    out = np.zeros(shape)
    for sign, term in _split_sum(rhs):
        factors = term.split(" ")
        coef = sign * scale
        if factors[0].isdigit():
            coef *= int(factors.pop(0))
        out += coef * _product(factors, matrices, indices, shape)
    return out


def _product(
    factors: list[str], matrices: Mapping[str, np.ndarray], indices: str, shape: tuple[int, ...]
) -> np.ndarray:
    out = np.ones(shape)
    for factor in factors:
        m = FACTOR.match(factor)
        assert m, f"the test's index evaluator cannot read the factor {factor!r}"
        name, sub = m.group("name"), [SUBSCRIPTS[c] for c in m.group("sub")]
        assert len(sub) == 2 or (len(sub) == 1 and name != "δ"), f"{factor!r}: wrong number of indices"
        for pos in np.ndindex(*shape):
            at = dict(zip(indices, pos, strict=True))
            where = tuple(at[x] for x in sub)
            out[pos] *= float(where[0] == where[1]) if name == "δ" else matrices[name][where]
    return out


def _diff_args(expr: str, wrt: list[str], sym: str) -> list[str]:
    return ["diff", expr, *[a for v in wrt for a in ("--wrt", v)], *(["--symmetric", sym] if sym else [])]


def _diff_json(expr: str, wrt: list[str], sym: str, *extra: str) -> dict[str, Any]:
    run = cli(*_diff_args(expr, wrt, sym), *extra, "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    return run.json  # type: ignore[no-any-return]


# (expression, wrt, the symmetric name, numpy for the expression, the matrices the index form names)
SYMMETRIC_CASES: list[tuple[str, list[str], str, str, Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]]] = [
    ("S", ["S"], "S", "S", lambda v: {}),
    ("A B", ["A"], "A", "A @ B", lambda v: {"B": v["B"]}),
    ("S A S", ["S"], "S", "S @ A @ S", lambda v: {"(AS)": v["A"] @ v["S"], "(SA)": v["S"] @ v["A"]}),
    ("inv(S)", ["S"], "S", "inv(S)", lambda v: {"(S⁻¹)": np.linalg.inv(v["S"])}),
    ("tr(A S)", ["S"], "S", "tr(A @ S)", lambda v: {"A": v["A"]}),
    ("logdet(S)", ["S", "S"], "S", "logdet(S)", lambda v: {"(S⁻¹)": np.linalg.inv(v["S"])}),
    ("x^T S", ["S"], "S", "(x @ S)[None, :]", lambda v: {"x": v["x"]}),
    # not symmetric: a row function has entries Fⱼ (it printed xₖᵢ before)
    ("x^T A", ["A"], "", "(x @ A)[None, :]", lambda v: {"x": v["x"]}),
]


@pytest.mark.parametrize(
    ("expr", "wrt", "sym", "src", "named"),
    SYMMETRIC_CASES,
    ids=[f"{c[0]} by {','.join(c[1])}" for c in SYMMETRIC_CASES],
)
def test_index_form_by_a_symmetric_matrix_is_the_value(
    expr: str,
    wrt: list[str],
    sym: str,
    src: str,
    named: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]],
    tmp_path: Path,
    rng: np.random.Generator,
) -> None:
    """The printed index form, evaluated entry by entry, equals `--at`'s value and ½(∂F/∂S_kl +
    ∂F/∂S_lk) by central differences of the numpy function (README § Conventions)."""
    first = _diff_json(expr, wrt, sym)
    symmetric = [sym] if sym else []
    point = make_point(first["variables"], rng, symmetric=symmetric)
    out = _diff_json(expr, wrt, sym, "--at", str(save_npz(tmp_path / "v.npz", point.mcalc)))
    value = np.asarray(out["value"], dtype=float)
    expected = finite_difference(numpy_function(src), point.numpy, wrt, symmetric=symmetric)
    assert_close(value, expected, rtol=1e-5 if len(wrt) == 1 else 1e-4, what=f"{expr} value")
    f_indices = "ij"[: value.ndim - 2]
    printed = cli(*_diff_args(expr, wrt, sym), "--format", "index")
    assert printed.code == 0, printed.stdout
    rhs = printed.stdout.strip().split(" = ", 1)[1]
    index_value = evaluate_index_form(rhs, named(point.mcalc), f_indices + "kl", value.shape)
    np.testing.assert_allclose(index_value, value, atol=1e-9, err_msg=f"index form {printed.stdout!r}")


def test_index_form_of_the_issue_examples_is_written_out_symmetrised() -> None:
    """Issue 13 item 9 as typed: δᵢₖ δₗⱼ was the derivative treating S's entries as independent."""
    s = cli("diff", "S", "--wrt", "S", "--symmetric", "S", "--format", "index")
    assert s.code == 0 and s.stdout.strip() == "∂Sᵢⱼ/∂Sₖₗ = 1/2 (δᵢₖ δⱼₗ + δᵢₗ δⱼₖ)"
    ab = cli("diff", "A B", "--wrt", "A", "--symmetric", "A", "--format", "index")
    assert ab.code == 0 and ab.stdout.strip() == "∂(AB)ᵢⱼ/∂Aₖₗ = 1/2 (δᵢₖ Bₗⱼ + δᵢₗ Bₖⱼ)"
    # where both readings agree the ½ and the copy are not shown
    ld = cli("diff", "logdet(S)", "--wrt", "S", "--symmetric", "S", "--format", "index")
    assert ld.code == 0 and ld.stdout.strip() == "∂(logdet(S))/∂Sₖₗ = (S⁻¹)ₖₗ"
    # a variable that is not symmetric keeps the one-reading form
    bc = cli("diff", "A B", "--wrt", "A", "--format", "index")
    assert bc.code == 0 and bc.stdout.strip() == "∂(AB)ᵢⱼ/∂Aₖₗ = δᵢₖ Bₗⱼ"


def test_the_index_evaluator_tells_the_old_wrong_form_apart(rng: np.random.Generator) -> None:
    """The test's evaluator is not vacuous: the old form δᵢₖ δₗⱼ is not the symmetric value."""
    n = 3
    old = evaluate_index_form("δᵢₖ δₗⱼ", {}, "ijkl", (n,) * 4)
    new = evaluate_index_form("1/2 (δᵢₖ δⱼₗ + δᵢₗ δⱼₖ)", {}, "ijkl", (n,) * 4)
    s = rng.standard_normal((n, n))
    s = s + s.T
    expected = finite_difference(numpy_function("S"), {"S": s}, ["S"], symmetric=["S"])
    np.testing.assert_allclose(new, expected, atol=1e-8)
    assert np.max(np.abs(old - expected)) > 0.4


# --------------------------------------------------------------------------------------------------
# item 10: every sufficient symmetry condition
# --------------------------------------------------------------------------------------------------


def _claim_holds(claim_src: str, symmetric: set[str], rng: np.random.Generator) -> bool:
    """Does the claim equal the gradient of tr(ABAᵀC) by A (central differences) at random points where
    the matrices in `symmetric` are symmetric?"""
    f = numpy_function("tr(A @ B @ A.T @ C)")
    claim = numpy_function(claim_src)
    for _ in range(3):
        values = {"A": rng.standard_normal((3, 4))}
        for name in ("B", "C"):
            size = 4 if name == "B" else 3
            m = rng.standard_normal((size, size))
            values[name] = m + m.T if name in symmetric else m
        if not np.allclose(claim(values), finite_difference(f, values, ["A"]), atol=1e-6):
            return False
    return True


@pytest.mark.parametrize(
    ("claim", "claim_src", "conditions", "text"),
    [
        (
            "C^T A B + C A B^T",
            "C.T @ A @ B + C @ A @ B.T",
            [["B"], ["C"]],
            "CᵀAB + CABᵀ is right when B is symmetric or when C is symmetric; ",
        ),
        ("2 C A B", "2 * C @ A @ B", [["B", "C"]], "2CAB is right only when B and C are symmetric; "),
        ("C A B + C A B^T", "C @ A @ B + C @ A @ B.T", [["C"]], "CAB + CABᵀ is right only when C is symmetric; "),
    ],
)
def test_the_diagnosis_names_every_sufficient_symmetry_condition(
    claim: str, claim_src: str, conditions: list[list[str]], text: str, rng: np.random.Generator
) -> None:
    run = cli("check", "tr(A B A^T C)", "--wrt", "A", "--claim", claim, "--format", "json", "--seed", "5")
    assert run.code == 1
    out = run.json
    assert out["details"]["right_when_symmetric_any"] == conditions
    assert out["details"]["right_when_symmetric"] == conditions[0]
    assert out["explanation"].startswith(text)
    # each named condition is sufficient, and the claim is wrong when no matrix is symmetric
    for names in conditions:
        assert _claim_holds(claim_src, set(names), rng), names
    assert not _claim_holds(claim_src, set(), rng)
    # and each is minimal: no named matrix can be left out
    for names in conditions:
        for name in names:
            assert not _claim_holds(claim_src, set(names) - {name}, rng), (names, name)


def test_the_issue_example_as_one_line() -> None:
    run = cli("check", "tr(A B A^T C)", "--wrt", "A", "--claim", "C^T A B + C A B^T")
    assert run.code == 1
    assert "right when B is symmetric or when C is symmetric" in run.stdout
    assert "only when" not in run.stdout


# --------------------------------------------------------------------------------------------------
# item 12: second and third derivatives of functions of t under --check
# --------------------------------------------------------------------------------------------------

FUNCTION_CASES = [
    ("A(t) B(t)", "A(t) @ B(t)"),
    ("inv(A(t))", "inv(A(t))"),
    ("A(t)^T A(t)", "A(t).T @ A(t)"),
]


@pytest.mark.parametrize("order", [2, 3])
@pytest.mark.parametrize(("expr", "src"), FUNCTION_CASES, ids=[c[0] for c in FUNCTION_CASES])
def test_higher_derivatives_by_t_pass_the_check(expr: str, src: str, order: int) -> None:
    """Issue 13 item 12: `--check` failed with "no value given for A′′"."""
    run = cli("diff", expr, *["--wrt", "t"] * order, "--check", "--seed", "1", "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert run.json["check"]["passed"] is True


def _cubic(rng: np.random.Generator, shape: tuple[int, int], square: bool) -> list[np.ndarray]:
    """Coefficients of F(t) = Σ cⱼ tʲ, j ≤ 3; F(t) near I for a square F (so inv is well conditioned)."""
    coefs = [0.3 * rng.standard_normal(shape) / (j + 1) for j in range(4)]
    if square:
        coefs[0] = coefs[0] + np.eye(shape[0]) * 2
    return coefs


def _poly(coefs: list[np.ndarray], t: float, order: int) -> np.ndarray:
    return sum(
        (math.perm(j, order) * c * t ** (j - order) for j, c in enumerate(coefs) if j >= order), np.zeros_like(coefs[0])
    )


def _nth_difference(g: Callable[[float], np.ndarray], t: float, order: int) -> np.ndarray:
    """Central differences of order 2 and 3 (error O(h²))."""
    if order == 2:
        h = 1e-3
        return (g(t + h) - 2 * g(t) + g(t - h)) / h**2
    h = 2e-3
    return (g(t + 2 * h) - 2 * g(t + h) + 2 * g(t - h) - g(t - 2 * h)) / (2 * h**3)


@pytest.mark.parametrize("order", [2, 3])
@pytest.mark.parametrize(("expr", "src"), FUNCTION_CASES, ids=[c[0] for c in FUNCTION_CASES])
def test_higher_derivative_values_match_finite_differences(
    expr: str, src: str, order: int, tmp_path: Path, rng: np.random.Generator
) -> None:
    """The value at `--at` (A, A', A'', A''' given with ASCII primes) against differences in t of the
    numpy function of cubic A(t), B(t)."""
    names = ["A", "B"] if "B(t)" in expr else ["A"]
    shapes = {"A": (3, 3), "B": (3, 4)} if len(names) == 2 else {"A": (3, 3) if "inv" in expr else (4, 3)}
    coefs = {n: _cubic(rng, shapes[n], shapes[n][0] == shapes[n][1]) for n in names}
    t0 = 0.7
    values: dict[str, np.ndarray] = {"t": np.asarray(t0)}
    for n in names:
        for k in range(4):
            values[n + "'" * k] = _poly(coefs[n], t0, k)
    run = cli(
        "diff", expr, *["--wrt", "t"] * order, "--at", str(save_npz(tmp_path / "v.npz", values)), "--format", "json"
    )
    assert run.code == 0, run.stdout + run.stderr
    f = numpy_function(src)

    def g(t: float) -> np.ndarray:
        return f({n: (lambda s, c=coefs[n]: _poly(c, float(s), 0)) for n in names} | {"t": t})

    expected = _nth_difference(g, t0, order)
    assert_close(run.json["value"], expected, rtol=1e-4, what=f"{expr} by t ×{order}")
    assert np.max(np.abs(expected)) > 1e-3  # a cubic: the derivative is not zero


def test_random_points_hold_every_derivative_of_a_function_of_t() -> None:
    """random_point and refresh_functions store A, A′, A′′, ... under function_key's one spelling, each
    the t-derivative of the one before (central differences), after t moves as well."""
    result = pipeline.differentiate("A(t) B(t)", ["t"], Decl().build())
    env = result.env
    rng = np.random.default_rng(seeded("issue13-item12"))
    env.sizes.update(random_sizes(env, rng))
    values = random_point(env, domain_of([result.tree], env), rng)
    values["t"] = values["t"] + 0.25
    refresh_functions(env, values)
    h = 1e-5
    plus, minus = dict(values), dict(values)
    plus["t"], minus["t"] = values["t"] + h, values["t"] - h
    refresh_functions(env, plus)
    refresh_functions(env, minus)
    for name in ("A", "B"):
        assert all(function_key(name, k) in values for k in range(FUNCTION_ORDERS + 1))
        for k in range(4):
            slope = (plus[function_key(name, k)] - minus[function_key(name, k)]) / (2 * h)
            np.testing.assert_allclose(slope, values[function_key(name, k + 1)], rtol=1e-6, atol=1e-8)
        assert np.max(np.abs(values[function_key(name, 3)])) > 1e-3  # third derivatives are not zero


def test_a_second_derivative_without_its_a_double_prime_term_fails_the_check() -> None:
    """The check of a second derivative is not vacuous: A′B′·2 + AB′′ without A′′B fails."""
    result = pipeline.differentiate("A(t) B(t)", ["t", "t"], Decl().build())
    env = result.env
    previous = pipeline.Result(result.source, result.tree, env, result.stages[:-1])

    def first(values: Mapping[str, Any]) -> Any:
        return pipeline.evaluate_value(previous, values)

    def wrong(values: Mapping[str, Any]) -> Any:
        a2b = np.asarray(values[function_key("A", 2)]) @ np.asarray(values["B"])
        return pipeline.evaluate_value(result, values) - a2b

    domain = domain_of([result.tree], env)
    out = check_derivative(env, result.wrt, first, wrong, domain, seed=seeded("issue13-item12-wrong"))
    assert not out.passed and out.max_rel_error > 1e-3
    assert pipeline.check(result, seed=seeded("issue13-item12-right")).passed
