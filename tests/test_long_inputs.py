"""Long inputs a user can type in a line, answered rather than refused at the budget (issue 25 item 4),
each checked against finite differences of independent numpy code at a size that runs in a moment here;
bench/slow_inputs.py times the issue's full sizes."""

from __future__ import annotations

import warnings

import numpy as np

import mcalc
from tests.helpers import central_gradient, seeded


def test_a_product_of_many_equal_scalar_products_is_a_power() -> None:
    n = 300
    expr = " ".join(["(x^T x)"] * n)
    d = mcalc.diff(expr, "x")
    assert d.text == f"{2 * n} (xᵀx)²⁹⁹ x"
    rng = np.random.default_rng(seeded("power", n))
    x = rng.standard_normal(3)
    x /= np.linalg.norm(x) * 1.001  # xᵀx near 1: the 300th power stays finite
    np.testing.assert_allclose(d.value(x=x), central_gradient(lambda v: (v @ v) ** n, x), rtol=1e-5)


def test_a_long_periodic_trace_is_a_power_under_the_trace() -> None:
    k = 40  # 80 factors: over the 64 written out
    expr = "tr(" + " ".join(["A B"] * k) + ")"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = mcalc.diff(expr, "A")
    assert d.text == f"{k} (BᵀAᵀ)³⁹ Bᵀ"
    rng = np.random.default_rng(seeded("trace", k))
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((2, 3))
    scale = np.abs(np.linalg.eigvals(a @ b)).max() ** 0.5
    a, b = a / scale, b / scale  # spectral radius of AB is 1: (AB)⁴⁰ stays of order one

    def f(m: np.ndarray) -> float:
        return float(np.trace(np.linalg.matrix_power(m @ b, k)))

    np.testing.assert_allclose(d.value(A=a, B=b), central_gradient(f, a), rtol=1e-5, atol=1e-8)


def test_a_short_periodic_chain_stays_written_out() -> None:
    d = mcalc.diff("tr(A B A B A B)", "A")
    assert d.text == "3BᵀAᵀBᵀAᵀBᵀ"


def _sin_tower_jet(depth: int, x: float) -> tuple[float, float, float, float]:
    """sin∘…∘sin and its first three derivatives at x, by the chain rule one level at a time (Faà di Bruno
    to third order): independent of mcalc's symbolic form."""
    s, d1, d2, d3 = x, 1.0, 0.0, 0.0
    for _ in range(depth):
        sn, c = np.sin(s), np.cos(s)
        s, d1, d2, d3 = sn, c * d1, c * d2 - sn * d1**2, c * d3 - 3 * sn * d1 * d2 - c * d1**3
    return s, d1, d2, d3


def test_the_third_derivative_of_a_sin_tower_keeps_its_powers() -> None:
    # each term of the third derivative is a product of many cos/sin factors, some cubed or squared: a factor
    # whose base occurs once is kept as it is (not remade), and repeated bases still merge into one power
    depth = 6
    d = mcalc.Session(scalar="x").diff("sin(" * depth + "x" + ")" * depth, ["x", "x", "x"])
    rng = np.random.default_rng(seeded("sin tower", depth))
    for x in rng.uniform(-2, 2, 3):
        want = _sin_tower_jet(depth, float(x))
        np.testing.assert_allclose(float(d.value(x=x)), want[3], rtol=1e-10, atol=1e-12)
        h = 1e-3  # and the jet itself against central differences of its second derivative
        fd = (_sin_tower_jet(depth, x + h)[2] - _sin_tower_jet(depth, x - h)[2]) / (2 * h)
        np.testing.assert_allclose(want[3], fd, rtol=1e-4, atol=1e-6)
