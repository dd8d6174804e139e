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
