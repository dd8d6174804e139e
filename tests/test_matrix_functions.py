"""Matrix functions (issue 24 item 3): expm, logm, sqrtm, sinm, cosm and S^p, their derivatives (the trace rule,
Fréchet derivatives, Daleckii–Krein, second derivatives) against central finite differences of scipy code written
here (scipy.linalg.expm, sqrtm, sinm, cosm; logm and S^p by numpy's eig: never mcalc's own evaluator), through
`Derivative.value`, the exported NumPy function and `--at`; the domain refusals; the reading; start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sl
from helpers import assert_close, cli, finite_difference, save_npz, seeded

import mcalc

Oracle = Callable[[Mapping[str, Any]], Any]
SEEDS = (0, 1, 2)


def _by_eig(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """f(A) = V f(Λ) V⁻¹ in plain numpy, for logm and S^p: scipy.linalg.logm takes 0.1 s a call, and the finite
    differences call it hundreds of times (the points are near I or SPD: V is well conditioned)."""

    def matrix(a: Any) -> Any:
        lam, v = np.linalg.eig(a)
        return np.real((v * f(lam.astype(complex))) @ np.linalg.inv(v))

    return matrix


_logm = _by_eig(np.log)


def _spd_power(s: Any, p: float) -> Any:
    return _by_eig(lambda lam: lam**p)(s)


# expression, wrt, declarations, the function in scipy, which names are drawn symmetric positive definite
CASES: list[tuple[str, list[str], dict[str, Any], Oracle, tuple[str, ...]]] = [
    ("tr(expm(X))", ["X"], {}, lambda v: np.trace(sl.expm(v["X"])), ()),
    ("tr(A expm(X))", ["X"], {}, lambda v: np.trace(v["A"] @ sl.expm(v["X"])), ()),
    ("a^T expm(X) b", ["X"], {}, lambda v: v["a"] @ sl.expm(v["X"]) @ v["b"], ()),
    ("tr(A logm(X))", ["X"], {}, lambda v: np.trace(v["A"] @ _logm(v["X"])), ()),
    ("tr(logm(X))", ["X"], {}, lambda v: np.trace(_logm(v["X"])), ()),
    ("tr(A sqrtm(X))", ["X"], {}, lambda v: np.trace(v["A"] @ np.real(sl.sqrtm(v["X"]))), ()),
    ("tr(A sinm(X))", ["X"], {}, lambda v: np.trace(v["A"] @ sl.sinm(v["X"])), ()),
    ("tr(A cosm(X))", ["X"], {}, lambda v: np.trace(v["A"] @ sl.cosm(v["X"])), ()),
    ("tr(A expm(X) B expm(X))", ["X"], {}, lambda v: np.trace(v["A"] @ sl.expm(v["X"]) @ v["B"] @ sl.expm(v["X"])), ()),
    ("tr(A logm(S))", ["S"], {"symmetric": "S"}, lambda v: np.trace(v["A"] @ _logm(v["S"])), ("S",)),
    ("tr(A S^(1/2))", ["S"], {"symmetric": "S"}, lambda v: np.trace(v["A"] @ _spd_power(v["S"], 0.5)), ("S",)),
    ("tr(A S^(-1/3))", ["S"], {"symmetric": "S"}, lambda v: np.trace(v["A"] @ _spd_power(v["S"], -1 / 3)), ("S",)),
    ("expm(t A)", ["t"], {"scalar": "t"}, lambda v: sl.expm(v["t"] * v["A"]), ()),
    ("sqrtm(X)", ["X"], {}, lambda v: np.real(sl.sqrtm(v["X"])), ()),  # a tensor: ∂sqrtm(X)ᵢⱼ/∂Xₖₗ
    ("tr(expm(X))", ["X", "X"], {}, lambda v: np.trace(sl.expm(v["X"])), ()),  # the Hessian (issue's Must show)
    ("tr(A expm(X))", ["X", "X"], {}, lambda v: np.trace(v["A"] @ sl.expm(v["X"])), ()),
    ("tr(A sqrtm(S))", ["S", "S"], {"symmetric": "S"}, lambda v: np.trace(v["A"] @ np.real(sl.sqrtm(v["S"]))), ("S",)),
]  # fmt: skip


def _point(d: Any, rng: np.random.Generator, spd: tuple[str, ...], top: int = 4) -> dict[str, Any]:
    """Values of distinct small sizes: a square matrix near I (logm, sqrtm defined, eigenvalues off the negative
    axis), an SPD one where asked, the others standard normal."""
    sizes: dict[str, int] = {}
    out: dict[str, Any] = {}
    for name, dims in d.variables.items():
        shape = tuple(sizes.setdefault(str(x), int(rng.integers(2, top + 1))) for x in dims)
        g = rng.standard_normal(shape)
        if name in spd:
            out[name] = g @ g.T / shape[0] + np.eye(shape[0])
        elif len(shape) == 2 and shape[0] == shape[1] and name in ("X", "S"):
            out[name] = np.eye(shape[0]) + 0.3 * g / np.sqrt(shape[0])
        else:
            out[name] = g if shape else float(rng.uniform(0.3, 0.8))
    return out


def _ids(case: tuple[Any, ...]) -> str:
    return f"{case[0]} by {','.join(case[1])}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_value_and_exported_code_match_finite_differences_of_scipy(case: tuple[Any, ...], seed: int) -> None:
    expr, wrt, decl, oracle, spd = case
    d = mcalc.diff(expr, wrt, **decl)
    rng = np.random.default_rng(seeded("matrix-functions", expr, *wrt, seed))
    point = _point(d, rng, spd, top=4 if len(wrt) == 1 else 3)  # a Hessian's differences: n⁴ evaluations
    symmetric = [decl["symmetric"]] if "symmetric" in decl else []
    expected = finite_difference(lambda v: np.asarray(oracle(v), dtype=float), point, d.wrt, symmetric)
    assert np.abs(expected).max() > 1e-6, f"{expr}: a zero derivative checks nothing"
    rtol = 1e-5 if len(wrt) == 1 else 1e-4
    assert_close(d.value(**point), expected, rtol=rtol, what=f"{expr} by {wrt} (.value)")
    exported = d.to_function()(*(point[name] for name in d.variables))
    assert_close(exported, expected, rtol=rtol, what=f"{expr} by {wrt} (exported NumPy)")


@pytest.mark.parametrize("case", CASES[:3] + CASES[9:11], ids=[_ids(c) for c in CASES[:3] + CASES[9:11]])
def test_at_on_the_command_line_matches_finite_differences(case: tuple[Any, ...], tmp_path: Any) -> None:
    expr, wrt, decl, oracle, spd = case
    d = mcalc.diff(expr, wrt, **decl)
    point = _point(d, np.random.default_rng(seeded("matrix-functions-at", expr)), spd)
    flags = [a for key, name in decl.items() for a in (f"--{key}", name)]
    run = cli("diff", expr, *(a for w in wrt for a in ("--wrt", w)), *flags, "--format", "json",
              "--at", str(save_npz(tmp_path / "v.npz", point)))  # fmt: skip
    assert run.code == 0, run.stderr
    symmetric = [decl["symmetric"]] if "symmetric" in decl else []
    expected = finite_difference(lambda v: np.asarray(oracle(v), dtype=float), point, d.wrt, symmetric)
    assert_close(np.asarray(run.json["value"]), expected, what=f"{expr} --at")


@pytest.mark.parametrize(
    ("expr", "flags", "shown"),
    [
        ("tr(expm(X))", [], "∂/∂X tr(expm(X)) = expm(X)ᵀ"),  # Matrix Cookbook §2.5: ∂Tr(F(X))/∂X = f(X)ᵀ
        ("tr(logm(X))", [], "∂/∂X tr(logm(X)) = X⁻ᵀ"),
        ("tr(sinm(X))", [], "∂/∂X tr(sinm(X)) = cosm(X)ᵀ"),
        ("tr(sqrtm(X))", [], "∂/∂X tr(sqrtm(X)) = 1/2 sqrtm(X)⁻ᵀ"),
        ("expm(t A)", ["--scalar", "t"], "d/dt expm(tA) = expm(tA) A"),
        ("tr(A expm(X))", [], "∂/∂X tr(A expm(X)) = L_expm(X, A)ᵀ"),
    ],
)
def test_the_printed_derivative(expr: str, flags: list[str], shown: str) -> None:
    wrt = "t" if "t" in flags else "X"
    run = cli("diff", expr, "--wrt", wrt, *flags)
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[0] == shown


def test_the_answer_says_what_each_operator_is() -> None:
    run = cli("diff", "tr(A expm(X))", "--wrt", "X", "--format", "json")
    assert any(line.startswith("L_expm(A, E) is the Fréchet derivative") and "∫₀¹ e^{sA} E e^{(1−s)A} ds" in line
               for line in run.json["operators"])  # fmt: skip
    text = cli("diff", "tr(A sqrtm(S))", "--wrt", "S", "--symmetric", "S").stdout.splitlines()
    where = [line for line in text if line.startswith("where: ")]
    assert any("Sylvester equation sqrtm(A) Z + Z sqrtm(A) = E" in w for w in where), where
    assert any("Daleckii–Krein" in w and "divided differences" in w for w in where), where
    hessian = cli("diff", "tr(A expm(X))", "--wrt", "X", "--wrt", "X").stdout
    assert "K2_expm(X, A)" in hessian and "is the n²×n² matrix with vec L2_expm(A, E, E2)" in hessian
    latex = cli("diff", "tr(A expm(X))", "--wrt", "X", "--format", "latex").stdout.splitlines()
    assert latex[1] == r"\text{where } L_{\exp}(A, E) = \int_0^1 e^{sA} E\, e^{(1-s)A}\,ds", latex


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["tr(logm(X))", "--wrt", "X", "--at", "X=[[-1,0],[0,2]]"], "needs a positive definite argument"),
        (["tr(sqrtm(X))", "--wrt", "X", "--at", "X=[[0,1],[-2,-3]]"], "no eigenvalue on the closed negative real axis"),
        (["tr(A S^(1/2))", "--wrt", "S", "--symmetric", "S", "--at", "S=[[1,2],[2,1]]", "--at", "A=[[1,0],[0,1]]"],
         "needs a positive definite argument"),
    ],
)  # fmt: skip
def test_a_point_outside_the_domain_is_refused_in_one_line(args: list[str], words: str) -> None:
    run = cli("diff", *args)
    assert run.code == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0] and "eigenvalue" in lines[0], lines


def test_check_draws_points_where_logm_and_sqrtm_are_differentiable() -> None:
    for expr in ("tr(A logm(X))", "tr(A sqrtm(X)) + tr(logm(X))"):
        run = cli("diff", expr, "--wrt", "X", "--check", "--seed", "3")
        assert run.code == 0 and "check: passed" in run.stdout, run.stdout + run.stderr


def test_a_non_integer_power_of_a_matrix_needs_a_symmetric_matrix() -> None:
    refused = cli("diff", "tr(S^(1/2))", "--wrt", "S")
    assert refused.code == 2 and "--symmetric S" in refused.stderr and "sqrtm(S)" in refused.stderr
    read = cli("diff", "tr(S^(1/2))", "--wrt", "S", "--symmetric", "S", "--format", "json").json
    assert any(
        "S^(1/2) is read as the power of the symmetric positive definite matrix S" in w for w in read["warnings"]
    )
    assert read["derivative"] == "1/2 S^(-1/2)"
    # integer powers and the inverse keep their meaning
    assert cli("diff", "tr(X^3)", "--wrt", "X").stdout.startswith("∂/∂X tr(X³) = 3(Xᵀ)²")
    assert cli("diff", "a^T X^-1 b", "--wrt", "X").stdout.startswith("∂/∂X (aᵀX⁻¹b) = −X⁻ᵀabᵀX⁻ᵀ")


def test_elementwise_functions_keep_their_meaning() -> None:
    x = np.array([[1.0, 2.0], [0.5, 3.0]])
    assert np.allclose(mcalc.diff("sum(exp(X))", "X").value(X=x), np.exp(x))
    assert np.allclose(mcalc.diff("tr(expm(X))", "X").value(X=x), sl.expm(x).T)


def test_sympy_export_refuses_a_matrix_function_in_one_line() -> None:
    run = cli("diff", "tr(expm(X))", "--wrt", "X", "--format", "sympy")
    assert run.code != 0 and "expm has no SymPy form" in run.stderr


def test_a_plain_diff_of_a_matrix_function_does_not_import_scipy() -> None:
    """scipy loads only when a matrix function is evaluated (bench/startup.py measures the time)."""
    code = (
        "import sys, mcalc; mcalc.diff('tr(A expm(X))', 'X').text; "
        "print('scipy' in sys.modules or any(m.startswith('scipy.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stdout + out.stderr


def test_the_printed_operators_read_back_as_input() -> None:
    right = cli("check", "tr(A expm(X))", "--wrt", "X", "--claim", "L_expm(X, A)^T")
    assert right.code == 0 and right.stdout.startswith("correct:"), right.stdout
    hessian = cli("check", "tr(A expm(X))", "--wrt", "X", "--wrt", "X", "--claim", "K[m,m] K2_expm(X, A)")
    assert hessian.code == 0 and hessian.stdout.startswith("correct:"), hessian.stdout + hessian.stderr
    x, a = np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[0.0, 1.0], [0.0, 0.0]])
    value = cli("eval", "L_expm(X, A)", "--at", f"X={x.tolist()}", "--at", f"A={a.tolist()}")
    # the divided difference (e² − e)/(2 − 1) at the off-diagonal entry, by the integral's definition
    assert np.allclose(json.loads(value.stdout), [[0.0, np.e**2 - np.e], [0.0, 0.0]]), value.stdout
    wrong = cli("diff", "L_expm(X, A, B)", "--wrt", "X")
    assert wrong.code == 2 and "L_expm takes 2 arguments, not 3" in wrong.stderr
