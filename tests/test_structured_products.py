"""Products with K_rc, A ⊗ B and I + Kₙₙ applied without building them (mcalc.numeric.structured_products)
against the dense matrices built by numpy (np.kron, np.eye and a commutation matrix written here), for operands
in C and Fortran order and non-square factors; and a product through the evaluator that uses them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import seeded

import mcalc
from mcalc.numeric import structured_products as SP


def _commutation(r: int, c: int) -> Any:
    """K vec(M) = vec(Mᵀ) for an r×c M, vec stacking columns: row j + ci has its 1 in column i + rj."""
    k = np.zeros((r * c, r * c))
    for i in range(r):
        for j in range(c):
            k[j + c * i, i + r * j] = 1.0
    return k


def _operands(rows: int, cols: int, *parts: object) -> list[Any]:
    g = np.random.default_rng(seeded("structured", rows, cols, *parts)).standard_normal((rows, cols))
    return [g, np.asfortranarray(g), g[:, ::-1].copy()[:, ::-1]]


@pytest.mark.parametrize(("r", "c"), [(2, 3), (3, 3), (4, 1), (1, 5)])
def test_commutation_rows_and_columns(r: int, c: int) -> None:
    k = _commutation(r, c)
    for v in _operands(r * c, 7, r, c):
        assert np.array_equal(SP.commute_rows(v, r, c), k @ v)
        assert np.array_equal(SP.commute_columns(v.T, c, r), v.T @ _commutation(c, r))
    n = 3
    for v in _operands(n * n, 5, "sym"):
        assert np.allclose(SP.symmetrise_rows(v, n), (np.eye(n * n) + _commutation(n, n)) @ v)
        assert np.allclose(SP.symmetrise_columns(v.T, n), v.T @ (np.eye(n * n) + _commutation(n, n)))


@pytest.mark.parametrize(
    ("a_shape", "b_shape"), [((2, 3), (4, 2)), ((3, 3), (3, 3)), ((2, 1), (3, 2)), ((1, 1), (2, 2))]
)
def test_kron_rows_and_columns(a_shape: tuple[int, int], b_shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(seeded("structured-kron", a_shape, b_shape))
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    dense = np.kron(a, b)
    for v in _operands(dense.shape[1], 11, a_shape, b_shape):
        out = SP.kron_rows(a, b, v)
        assert np.allclose(out, dense @ v) and out.flags.f_contiguous == (
            v.flags.f_contiguous and not v.flags.c_contiguous
        )
    for v in _operands(5, dense.shape[0], "left", a_shape, b_shape):
        assert np.allclose(SP.kron_columns(v, a, b), v @ dense)


def test_a_product_with_structured_factors_matches_the_dense_product() -> None:
    """The evaluator's product −(X⁻¹ ⊗ X⁻ᵀ) Kₘₘ (the Hessian of tr(logm(X))) and 1/2 K (I + Kₘₘ) read back."""
    rng = np.random.default_rng(seeded("structured-product"))
    x = np.eye(4) + 0.2 * rng.standard_normal((4, 4))
    xi = np.linalg.inv(x)
    got = mcalc.diff("tr(logm(X))", ["X", "X"]).value(X=x)
    dense = -np.kron(xi, xi.T) @ _commutation(4, 4)
    assert np.allclose(got, dense.reshape(4, 4, 4, 4, order="F"))


@pytest.mark.parametrize(
    ("expr", "declared"),
    [("tr(expm(S))", {"symmetric": "S"}), ("tr(A expm(S))", {"symmetric": "S"}), ("tr(sqrtm(X))", {})],
)
def test_fused_and_in_place_products_match_the_dense_product(expr: str, declared: dict[str, str]) -> None:
    """K_f (I + Kₙₙ), Kₙₙ K_f and (A ⊗ B) Kₙₙ K_f applied in place give what the dense matrices give."""
    from mcalc.numeric.frechet_matrix import frechet_matrix

    rng = np.random.default_rng(seeded("structured-fused", expr))
    g = rng.standard_normal((4, 4))
    s, a = g @ g.T / 4 + np.eye(4), rng.standard_normal((4, 4))
    k44, sym = _commutation(4, 4), np.eye(16) + _commutation(4, 4)
    d = mcalc.diff(expr, ["S", "S"] if declared else ["X", "X"], **declared)  # type: ignore[arg-type]
    if expr == "tr(expm(S))":
        dense = 0.5 * frechet_matrix("expm", s, ()) @ sym
        got = d.value(S=s)
    elif expr == "tr(A expm(S))":
        k2 = frechet_matrix("expm", s, (a.T,))
        dense = 0.25 * (k2 + k44 @ k2) @ sym
        got = d.value(S=s, A=a)
    else:
        got = d.value(X=s + 0.1 * a)  # a general (non-symmetric) point
        y = np.linalg.inv(np.real(sl_sqrtm(s + 0.1 * a)))
        dense = -0.5 * np.kron(y, y.T) @ k44 @ frechet_matrix("sqrtm", s + 0.1 * a, ())
    assert np.allclose(got, dense.reshape(4, 4, 4, 4, order="F"), rtol=1e-10, atol=1e-12)


def sl_sqrtm(m: Any) -> Any:
    import scipy.linalg

    return scipy.linalg.sqrtm(m)
