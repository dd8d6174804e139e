"""mcalc check names the expression as mcalc diff's left side does (render.report.as_read): a scalar product
beside other factors keeps its parentheses, so a student's Rayleigh quotient is not shown back to them as
xᵀ A x (xᵀx)⁻¹ nor a product of two quadratic forms as xᵀAxxᵀx."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import central_gradient, cli


@pytest.mark.parametrize(
    ("expr", "left"),
    [
        ("x^T A x / (x^T x)", "∂/∂x ((xᵀAx) (xᵀx)⁻¹)"),
        ("x^T A x (x^T x)", "∂/∂x ((xᵀAx) (xᵀx))"),
    ],
)
@pytest.mark.parametrize("claim", ["x", "δ_ij x_j"])  # a matrix claim and an index claim: both verdicts
def test_check_names_the_expression_as_diff_does(expr: str, left: str, claim: str) -> None:
    diff = cli("diff", expr, "--wrt", "x")
    assert diff.code == 0 and diff.stdout.startswith(left + " = "), diff.stdout
    verdict = cli("check", expr, "--wrt", "x", "--claim", claim)
    assert verdict.code == 1, verdict.stdout + verdict.stderr  # both claims are wrong
    assert f"{left} = " in verdict.stdout, verdict.stdout


def test_the_textbook_rayleigh_gradient_is_judged_correct() -> None:
    """The seed's answer 2/(xᵀx) (Ax − (xᵀAx/xᵀx) x) for a symmetric A: right by numpy's central
    differences, and mcalc check says so, naming the quotient as diff does."""
    rng = np.random.default_rng(7)
    b = rng.normal(size=(5, 5))
    a = b + b.T
    x = rng.normal(size=5)
    claim = 2 / (x @ x) * (a @ x - (x @ a @ x) / (x @ x) * x)
    fd = central_gradient(lambda z: (z @ a @ z) / (z @ z), x)
    assert np.allclose(claim, fd, rtol=1e-6, atol=1e-8)
    verdict = cli(
        "check", "x^T A x / (x^T x)", "--wrt", "x", "--symmetric", "A",
        "--claim", "2/(x^T x) (A x - (x^T A x)/(x^T x) x)",
    )  # fmt: skip
    assert verdict.code == 0, verdict.stdout + verdict.stderr
    assert verdict.stdout.startswith("correct") and "∂/∂x ((xᵀAx) (xᵀx)⁻¹) = " in verdict.stdout, verdict.stdout


@pytest.mark.parametrize(
    ("wrt", "index"),
    [
        (["X"], "index: ∂((xᵀAx) X)ᵢⱼ/∂Xₖₗ = (xᵀAx) δᵢₖ δₗⱼ"),  # was ∂(xᵀAxX)ᵢⱼ
        (["X", "X"], "index: ∂²((xᵀAx) X)ᵢⱼ/∂Xₖₗ∂Xₘₙ = 0"),
    ],
)
def test_the_index_line_names_the_expression_as_the_equation_does(wrt: list[str], index: str) -> None:
    args = [a for w in wrt for a in ("--wrt", w)]
    run = cli("diff", "(x^T A x) X", *args)
    assert run.code == 0, run.stderr
    assert "((xᵀAx) X)" in run.stdout.splitlines()[0] and index in run.stdout.splitlines(), run.stdout


def test_the_index_line_value_is_the_scalar_times_the_identity() -> None:
    """∂((xᵀAx) X)ᵢⱼ/∂Xₖₗ = (xᵀAx) δᵢₖ δₗⱼ, against numpy central differences."""
    rng = np.random.default_rng(3)
    x, a, big_x = rng.normal(size=3), rng.normal(size=(3, 3)), rng.normal(size=(2, 4))
    fd = np.zeros((2, 4, 2, 4))
    for k, l_ in np.ndindex(2, 4):
        step = np.zeros((2, 4))
        step[k, l_] = 1e-6
        fd[:, :, k, l_] = ((x @ a @ x) * (big_x + step) - (x @ a @ x) * (big_x - step)) / 2e-6
    claimed = (x @ a @ x) * np.einsum("ik,lj->ijkl", np.eye(2), np.eye(4))
    assert np.allclose(fd, claimed, atol=1e-8)
    run = cli("check", "(x^T A x) X", "--wrt", "X", "--claim", "(x^T A x) δ_ik δ_lj")
    assert run.code == 0 and run.stdout.startswith("correct"), run.stdout + run.stderr
