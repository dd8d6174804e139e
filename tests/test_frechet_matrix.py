"""The n²×n² matrices K_f(A) and K2_f(A, C) of the matrix functions' Fréchet derivatives (mcalc.numeric.
frechet_matrix: Daleckii–Krein columns at a symmetric point, one first derivative per column elsewhere) and the
Jacobians and Hessians that use them, against central finite differences of scipy.linalg's functions (expm, logm,
sqrtm, sinm, cosm, fractional_matrix_power: never mcalc's evaluator), at two sizes and at symmetric and
non-symmetric points. The memory these take is measured by bench/numeric.py, not here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sl
from helpers import assert_close, finite_difference, seeded

import mcalc
from mcalc.numeric.evaluate import commutation_matrix
from mcalc.numeric.frechet_matrix import frechet_matrix

Matrix = Any


def _real(f: Callable[[Matrix], Matrix]) -> Callable[[Matrix], Matrix]:
    return lambda a: np.real(f(a))


SCIPY: dict[str, Callable[[Matrix], Matrix]] = {
    "expm": sl.expm,
    "logm": _real(sl.logm),
    "sqrtm": _real(sl.sqrtm),
    "sinm": sl.sinm,
    "cosm": sl.cosm,
    "mpow:1/2": _real(lambda a: sl.fractional_matrix_power(a, 0.5)),
    "mpow:-1/3": _real(lambda a: sl.fractional_matrix_power(a, -1 / 3)),
}
GENERAL = ("expm", "logm", "sqrtm", "sinm", "cosm")  # S^p is read only for a symmetric S
SIZES = (3, 6)


def _point(n: int, symmetric: bool, *parts: object) -> Matrix:
    """Near I (logm, sqrtm defined: no eigenvalue on the negative axis), or symmetric positive definite."""
    g = np.random.default_rng(seeded("frechet-matrix", n, symmetric, *parts)).standard_normal((n, n))
    return g @ g.T / n + np.eye(n) if symmetric else np.eye(n) + 0.3 * g / np.sqrt(n)


def _unit(n: int, col: int) -> Matrix:
    e = np.zeros((n, n))
    e[col % n, col // n] = 1.0  # vec stacks columns: column k + nl of K is vec L(E_kl)
    return e


def _k_by_differences(f: Callable[[Matrix], Matrix], a: Matrix, h: float = 1e-6) -> Matrix:
    n = a.shape[0]
    cols = [(f(a + h * _unit(n, c)) - f(a - h * _unit(n, c))) / (2 * h) for c in range(n * n)]
    return np.stack([c.reshape(-1, order="F") for c in cols], axis=1)


def _k2_by_differences(f: Callable[[Matrix], Matrix], a: Matrix, c: Matrix, h: float = 1e-4) -> Matrix:
    """vec L2_f(A, E_kl, C) by the mixed central difference of f along E_kl and C."""
    n = a.shape[0]

    def column(e: Matrix) -> Matrix:
        d = f(a + h * e + h * c) - f(a + h * e - h * c) - f(a - h * e + h * c) + f(a - h * e - h * c)
        return (d / (4 * h * h)).reshape(-1, order="F")

    return np.stack([column(_unit(n, k)) for k in range(n * n)], axis=1)


CASES = [(name, False) for name in GENERAL] + [(name, True) for name in SCIPY]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize(("name", "symmetric"), CASES, ids=[f"{c[0]}-{'sym' if c[1] else 'general'}" for c in CASES])
def test_k_matches_finite_differences_of_scipy(name: str, symmetric: bool, n: int) -> None:
    a = _point(n, symmetric, name)
    k = frechet_matrix(name, a, ())
    expected = _k_by_differences(SCIPY[name], a)
    assert_close(k, expected, rtol=1e-6, what=f"K_{name} at n = {n}")
    assert k.flags.f_contiguous  # the value's vec unfolding is then a view, not a copy
    commuted = frechet_matrix(name, a, (), commuted=True)
    assert_close(commuted, commutation_matrix(n, n) @ expected, rtol=1e-6, what=f"Kₙₙ K_{name} at n = {n}")


# at a symmetric point (and logm's near I) the second-order Daleckii–Krein form, elsewhere L_f of [[A, C], [0, A]]
K2_CASES = [(name, sym, (3, 6)) for name in GENERAL for sym in (False, True)]
K2_CASES += [("mpow:1/2", True, (3, 6)), ("mpow:-1/3", True, (3, 6))]


@pytest.mark.parametrize(
    ("name", "symmetric", "sizes"), K2_CASES, ids=[f"{c[0]}-{'sym' if c[1] else 'general'}" for c in K2_CASES]
)
def test_k2_matches_mixed_finite_differences_of_scipy(name: str, symmetric: bool, sizes: tuple[int, int]) -> None:
    for n in sizes:
        a = _point(n, symmetric, name, "k2")
        c = np.random.default_rng(seeded("frechet-matrix-c", name, n)).standard_normal((n, n))
        expected = _k2_by_differences(SCIPY[name], a, c)
        assert_close(frechet_matrix(name, a, (c,)), expected, rtol=1e-5, what=f"K2_{name} at n = {n}")
        commuted = frechet_matrix(name, a, (c,), commuted=True)
        assert_close(commuted, commutation_matrix(n, n) @ expected, rtol=1e-5, what=f"Kₙₙ K2_{name} at n = {n}")


# the derivatives whose values are K_f or Kₙₙ K_f (the cases), through mcalc.diff(...).value()
DERIVATIVES: list[tuple[str, list[str], Callable[[dict[str, Any]], Any]]] = [
    ("expm(X)", ["X"], lambda v: sl.expm(v["X"])),
    ("sqrtm(X)", ["X"], lambda v: np.real(sl.sqrtm(v["X"]))),
    ("cosm(X)", ["X"], lambda v: sl.cosm(v["X"])),
    ("tr(expm(X))", ["X", "X"], lambda v: np.trace(sl.expm(v["X"]))),
    ("a^T expm(X) b", ["X", "X"], lambda v: v["a"] @ sl.expm(v["X"]) @ v["b"]),
    ("tr(A sinm(X))", ["X", "X"], lambda v: np.trace(v["A"] @ sl.sinm(v["X"]))),
    ("tr(sqrtm(X))", ["X", "X"], lambda v: np.trace(np.real(sl.sqrtm(v["X"])))),
]


@pytest.mark.parametrize("symmetric", [False, True], ids=["general", "symmetric-point"])
@pytest.mark.parametrize(
    ("expr", "wrt", "oracle"), DERIVATIVES, ids=[f"{d[0]} by {','.join(d[1])}" for d in DERIVATIVES]
)
def test_jacobians_and_hessians_match_finite_differences_of_scipy(
    expr: str, wrt: list[str], oracle: Callable[[dict[str, Any]], Any], symmetric: bool
) -> None:
    d = mcalc.diff(expr, wrt)
    for n in (2, 4) if len(wrt) == 2 else SIZES:  # a Hessian's nested differences: 4n⁴ evaluations
        rng = np.random.default_rng(seeded("frechet-matrix-diff", expr, n, symmetric))
        point = {"X": _point(n, symmetric, expr), "a": rng.standard_normal(n), "b": rng.standard_normal(n),
                 "A": rng.standard_normal((n, n))}  # fmt: skip
        point = {k: v for k, v in point.items() if k in d.variables}
        expected = finite_difference(lambda v: np.asarray(oracle(v), dtype=float), point, wrt)
        assert np.abs(expected).max() > 1e-3, f"{expr}: a zero derivative checks nothing"
        assert_close(d.value(**point), expected, rtol=1e-5 if len(wrt) == 1 else 1e-4, what=f"{expr} at n = {n}")


@pytest.mark.parametrize("name", list(SCIPY))
@pytest.mark.parametrize("gap", [0.0, 1e-9, 1e-6, 1e-3], ids=["equal", "1e-9", "1e-6", "1e-3"])
def test_repeated_and_close_eigenvalues(name: str, gap: float) -> None:
    """Divided differences where eigenvalues coincide or nearly do (f′ and f″/2 as limits, no cancellation)."""
    rng = np.random.default_rng(seeded("frechet-matrix-close", name, gap))
    u, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    a = (u * np.array([0.7, 0.7 + gap, 0.7 + 2 * gap, 1.9])) @ u.T
    a = (a + a.T) / 2
    c = rng.standard_normal((4, 4))
    assert_close(frechet_matrix(name, a, ()), _k_by_differences(SCIPY[name], a), rtol=1e-6, what=f"K_{name}")
    assert_close(frechet_matrix(name, a, (c,)), _k2_by_differences(SCIPY[name], a, c), rtol=1e-5, what=f"K2_{name}")
