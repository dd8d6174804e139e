"""The exported NumPy module (`--format numpy`, `Derivative.numpy_source`): `f`, its derivative and
`f_and_…`, each against independent numpy code written here (the value) and its central finite
differences (gradient, Jacobian of RᵀR, Hessians); tensor derivatives by einsum, with memory bounded by
the output array."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, finite_difference, seeded

import mcalc


def _sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-z))


def module(expr: str, wrt: str | list[str], **decl: Any) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    source = mcalc.diff(expr, wrt, **decl).numpy_source
    exec(compile(source, "<mcalc numpy export>", "exec"), namespace)  # noqa: S102 - mcalc's generated code
    return namespace


Oracle = Callable[[Mapping[str, Any]], Any]

# expression, wrt, name of the derivative function, independent numpy f, point (name → shape)
CASES: list[tuple[str, list[str], str, Oracle, dict[str, tuple[int, ...]]]] = [
    (
        "sum(log(1 + exp(-y .* (X w))))",
        ["w"],
        "grad",
        lambda v: np.sum(np.log1p(np.exp(-v["y"] * (v["X"] @ v["w"])))),
        {"y": (7,), "X": (7, 3), "w": (3,)},
    ),
    (
        "||X w - y||^2",
        ["w"],
        "grad",
        lambda v: np.sum((v["X"] @ v["w"] - v["y"]) ** 2),
        {"X": (6, 3), "w": (3,), "y": (6,)},
    ),
    ("R^T R", ["R"], "jacobian", lambda v: v["R"].T @ v["R"], {"R": (5, 3)}),
    ("A X B", ["X"], "jacobian", lambda v: v["A"] @ v["X"] @ v["B"], {"A": (2, 3), "X": (3, 4), "B": (4, 5)}),
    (
        "exp(A X B)",
        ["X"],
        "jacobian",
        lambda v: np.exp(v["A"] @ v["X"] @ v["B"]),
        {"A": (2, 3), "X": (3, 4), "B": (4, 2)},
    ),
    ("X^-1", ["X"], "jacobian", lambda v: np.linalg.inv(v["X"]), {"X": (3, 3)}),
    ("tr(X) X", ["X"], "jacobian", lambda v: np.trace(v["X"]) * v["X"], {"X": (3, 3)}),
    ("x x^T", ["x"], "jacobian", lambda v: np.outer(v["x"], v["x"]), {"x": (4,)}),
    ("A X b", ["X"], "jacobian", lambda v: v["A"] @ v["X"] @ v["b"], {"A": (2, 3), "X": (3, 4), "b": (4,)}),
    ("X^T", ["X"], "jacobian", lambda v: v["X"].T, {"X": (3, 4)}),
    (  # (b ⊗ I) diag(exp(Ax)) A: diag of a column is diag(vec(v)), so the einsum reads it
        "exp(A x) b^T",
        ["x"],
        "jacobian",
        lambda v: np.outer(np.exp(v["A"] @ v["x"]), v["b"]),
        {"A": (3, 2), "x": (2,), "b": (4,)},
    ),
    ("x^T A x", ["x"], "grad", lambda v: v["x"] @ v["A"] @ v["x"], {"x": (4,), "A": (4, 4)}),
    (
        "x^T (A + B) x",
        ["x"],
        "grad",
        lambda v: v["x"] @ (v["A"] + v["B"]) @ v["x"],
        {"x": (4,), "A": (4, 4), "B": (4, 4)},
    ),
    ("x^T A x", ["x", "x"], "hessian", lambda v: v["x"] @ v["A"] @ v["x"], {"x": (4,), "A": (4, 4)}),
    (
        "sum(log(1 + exp(-y .* (X w))))",
        ["w", "w"],
        "hessian",
        lambda v: np.sum(np.log1p(np.exp(-v["y"] * (v["X"] @ v["w"])))),
        {"y": (7,), "X": (7, 3), "w": (3,)},
    ),
    ("sum(sin(X w))", ["w", "w"], "hessian", lambda v: np.sum(np.sin(v["X"] @ v["w"])), {"X": (6, 3), "w": (3,)}),
    (  # Aᵀ(diag(s) − ssᵀ)A: the rank-one term as _outer_self(Aᵀs), Aᵀs computed once
        "logsumexp(A x)",
        ["x", "x"],
        "hessian",
        lambda v: np.log(np.sum(np.exp(v["A"] @ v["x"]))),
        {"A": (6, 3), "x": (3,)},
    ),
    ("tr(X^T A X)", ["X", "X"], "hessian", lambda v: np.trace(v["X"].T @ v["A"] @ v["X"]), {"X": (3, 2), "A": (3, 3)}),
    (
        "-1/2 logdet(S) - 1/2 (x - m)^T S^-1 (x - m)",
        ["S"],
        "grad",
        lambda v: (
            -0.5 * np.linalg.slogdet(v["S"])[1] - 0.5 * (v["x"] - v["m"]) @ np.linalg.solve(v["S"], v["x"] - v["m"])
        ),
        {"S": (4, 4), "x": (4,), "m": (4,)},
    ),
    (
        "sum(W2 tanh(W1 x))",
        ["W1"],
        "grad",
        lambda v: np.sum(v["W2"] @ np.tanh(v["W1"] @ v["x"])),
        {"W2": (2, 4), "W1": (4, 3), "x": (3,)},
    ),
]


def _point(shapes: dict[str, tuple[int, ...]], rng: np.random.Generator) -> dict[str, Any]:
    values = {k: rng.standard_normal(s) for k, s in shapes.items()}
    for k, v in values.items():
        if v.ndim == 2 and v.shape[0] == v.shape[1]:
            values[k] = np.eye(v.shape[0]) + 0.3 * v / np.sqrt(v.shape[0])  # well conditioned where inverted
    return values


@pytest.mark.parametrize(("expr", "wrt", "name", "oracle", "shapes"), CASES, ids=[f"{c[0]} ; {c[1]}" for c in CASES])
def test_exported_functions_match_independent_numpy_and_finite_differences(
    expr: str, wrt: list[str], name: str, oracle: Oracle, shapes: dict[str, tuple[int, ...]]
) -> None:
    ns = module(expr, wrt)
    assert "_commutation" not in ns and "np.kron(" not in mcalc.diff(expr, wrt).numpy_source  # never dense
    values = _point(shapes, np.random.default_rng(seeded(expr, *wrt)))
    value = ns["f"](**values)
    assert_close(value, np.asarray(oracle(values)), rtol=1e-12, what=f"f of {expr}")
    if not np.ndim(oracle(values)):
        assert isinstance(value, float), type(value)
    expected = finite_difference(oracle, values, wrt)
    derivative = ns[name](**values)
    assert_close(derivative, expected, rtol=1e-5 if len(wrt) == 1 else 1e-4, what=f"{name} of {expr}")
    both = ns[f"f_and_{name}"](**values)
    np.testing.assert_allclose(both[0], value, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(both[1], derivative, rtol=1e-12, atol=1e-14)


def test_the_jacobian_of_rtr_is_einsum_into_its_output_without_dense_kronecker_factors() -> None:
    """∂(RᵀR)/∂R at R 200×12: the peak memory is the (12, 12, 200, 12) output and a little more."""
    ns = module("R^T R", "R")
    source = mcalc.diff("R^T R", "R").numpy_source
    assert "np.einsum(" in source and "np.kron(" not in source and "_commutation" not in source
    rng = np.random.default_rng(seeded("rtr-memory"))
    r = rng.standard_normal((200, 12))
    tracemalloc.start()
    out = ns["jacobian"](r)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert out.shape == (12, 12, 200, 12)
    assert peak <= 1.2 * out.nbytes, (peak, out.nbytes)
    i, j, k, l_ = 3, 5, 17, 5  # ∂(RᵀR)ᵢⱼ/∂Rₖₗ = δⱼₗ Rₖᵢ + δᵢₗ Rₖⱼ
    assert out[i, j, k, l_] == r[k, i] and out[i, j, k, 4] == 0.0


def test_a_symmetric_variable_tensor_derivative_by_einsum() -> None:
    """S² by a symmetric S: the symmetrised Jacobian, against finite differences of S @ S."""
    ns = module("S^2", "S", symmetric="S")
    rng = np.random.default_rng(seeded("sym-square"))
    s = rng.standard_normal((3, 3))
    s = s + s.T
    expected = finite_difference(lambda v: v["S"] @ v["S"], {"S": s}, ["S"], symmetric=["S"])
    assert_close(ns["jacobian"](s), expected, what="S^2 by symmetric S")


def test_the_quadratic_form_hessian_is_one_pass_over_a() -> None:
    """A + Aᵀ returned as computed: no copy after the sum (the reshape is a view)."""
    ns = module("x^T A x", ["x", "x"])
    a = np.random.default_rng(seeded("quad")).standard_normal((300, 300))
    tracemalloc.start()
    h = ns["hessian"](np.ones(300), a)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    np.testing.assert_array_equal(h, a + a.T)
    assert peak <= 1.2 * h.nbytes, (peak, h.nbytes)


def test_a_sum_of_matrices_times_a_vector_is_a_sum_of_products() -> None:
    """∇ xᵀAx = (A + Aᵀ)x is A @ x + A.T @ x: two matrix-vector products, no n×n intermediate (the sum
    A + Aᵀ reads A by columns and costs more than both products); a scalar in the sum broadcasts, so
    (A + c)x is not distributed (Ax + cx would be wrong)."""
    rng = np.random.default_rng(seeded("sum-times-vector"))
    a, x, c = rng.standard_normal((300, 300)), rng.standard_normal(300), 0.7
    grad = module("x^T A x", "x")["grad"]
    assert "A @ x + A.T @ x" in mcalc.diff("x^T A x", "x").numpy_source
    grad(x, a)  # numpy's first-call allocations
    tracemalloc.start()
    g = grad(x, a)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    np.testing.assert_allclose(g, (a + a.T) @ x, rtol=1e-12, atol=1e-12)
    assert peak < 0.1 * a.nbytes, (peak, a.nbytes)
    scaled = module("x^T (A + c) x", "x", scalar="c")
    assert "(A + (2.0 * c) + A.T) @ x" in mcalc.diff("x^T (A + c) x", "x", scalar="c").numpy_source
    expected = finite_difference(lambda v: v["x"] @ (v["A"] + c) @ v["x"], {"x": x[:5], "A": a[:5, :5]}, ["x"])
    assert_close(scaled["grad"](x[:5], a[:5, :5], c), expected, what="(A + c) x")


def test_an_inverse_computed_anyway_multiplies_instead_of_solving() -> None:
    """∇Σ of the Gaussian log-density, −½Σ⁻ᵀ + ½Σ⁻ᵀrrᵀΣ⁻ᵀ: one inverse, then products with it (a solve
    per product would double the O(n³) work), and the outer product rrᵀ never multiplied by an n×n."""
    source = mcalc.diff("-1/2 logdet(S) - 1/2 (x - m)^T S^-1 (x - m)", "S").numpy_source
    grad = source[source.index("def grad") : source.index("def f_and_grad")]
    assert grad.count("np.linalg.inv(") == 1 and "solve" not in grad, grad
    assert "(_t1.T @ (x - m)) @ ((x.T - m.T) @ _t1.T)" in grad, grad


def test_a_glm_hessian_is_a_symmetric_gram_product() -> None:
    """Xᵀ diag(v) X is `_gram(X, v)`: bᵀb with b = √v X (BLAS syrk) when v ≥ 0, else (Xᵀ diag(v)) X; both
    agree with the product written out (the sin case above takes the second branch at its point)."""
    ns = module("sum(log(1 + exp(-y .* (X w))))", ["w", "w"])
    assert "_gram(X, " in mcalc.diff("sum(log(1 + exp(-y .* (X w))))", ["w", "w"]).numpy_source
    rng = np.random.default_rng(seeded("gram"))
    m, v = rng.standard_normal((9, 4)), rng.standard_normal((9, 1))
    for weights in (v, np.abs(v)):
        np.testing.assert_allclose(ns["_gram"](m, weights), m.T @ np.diag(weights[:, 0]) @ m, rtol=1e-12, atol=1e-12)


def test_a_rank_one_term_computes_its_column_once() -> None:
    """The logsumexp Hessian Aᵀ diag(s) A − (Aᵀs)(sᵀA): the second term is u uᵀ with u = Aᵀs computed
    once (`_outer_self`), not a second product sᵀA; `_outer_self` is the outer product written out."""
    source = mcalc.diff("logsumexp(A x)", ["x", "x"]).numpy_source
    hessian = source[source.index("def hessian") : source.index("def f_and_hessian")]
    assert "_outer_self(A.T @ _t1)" in hessian and "_t1.T @ A" not in hessian, hessian
    u = np.random.default_rng(seeded("outer")).standard_normal((5, 1))
    np.testing.assert_array_equal(module("logsumexp(A x)", ["x", "x"])["_outer_self"](u), np.outer(u, u))


def test_an_unused_temporary_is_dropped_by_its_whole_name() -> None:
    # uses are counted per whole name (_t1 is not used by _t12), and a temporary only an unused one read goes next
    from mcalc.export.numpy_code import _drop_unused

    lines = ["    _t1 = A @ x", "    _t12 = x.T @ x", "    _t3 = _t4 + 1.0", "    _t4 = _t12 * 2.0", "    return _t12"]
    assert _drop_unused(lines) == ["    _t12 = x.T @ x", "    return _t12"]
