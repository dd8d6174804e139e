"""The numeric checks of the rewrites `--steps` uses after the rule table (mcalc/render/steps/lines.py's
REWRITES): each identity evaluated on both sides at random matrices with numpy (`mcalc identities --verify`).
Independent of the derivative engine: plain numpy, and central differences where a derivative is read off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _random(rng: Any, *shape: int) -> Any:
    return rng.standard_normal(shape)


def _check_trace_cyclic(rng: Any) -> tuple[Any, Any]:
    a, b = _random(rng, 3, 4), _random(rng, 4, 3)
    return (a @ b).trace(), (b @ a).trace()


def _check_trace_transpose(rng: Any) -> tuple[Any, Any]:
    import numpy as np

    a, b = _random(rng, 3, 4), _random(rng, 4, 3)
    return np.array([(a @ b).T.trace(), *((a @ b).T.ravel())]), np.array([(a @ b).trace(), *(b.T @ a.T).ravel()])


def _check_trace_linear(rng: Any) -> tuple[Any, Any]:
    a, b = _random(rng, 3, 3), _random(rng, 3, 3)
    return a.trace() + 2.5 * b.trace(), (a + 2.5 * b).trace()


def _check_collect_dx(rng: Any) -> tuple[Any, Any]:
    g1, g2, dx = _random(rng, 1, 4), _random(rng, 1, 4), _random(rng, 4, 1)
    return g1 @ dx + 2.5 * (g2 @ dx), (g1 + 2.5 * g2) @ dx


def _check_scalar_trace(rng: Any) -> tuple[Any, Any]:
    a, m, b = _random(rng, 1, 4), _random(rng, 4, 3), _random(rng, 3, 1)
    s = a @ m @ b
    return s[0, 0], s.trace()


def _check_scalar_transpose(rng: Any) -> tuple[Any, Any]:
    a, m, b = _random(rng, 1, 4), _random(rng, 4, 3), _random(rng, 3, 1)
    return a @ m @ b, (a @ m @ b).T


def _check_scalar_commute(rng: Any) -> tuple[Any, Any]:
    a, b, m = _random(rng, 1, 4), _random(rng, 4, 1), _random(rng, 3, 5)
    s = (a @ b)[0, 0]
    return s * m, m * s


def _check_sum_hadamard(rng: Any) -> tuple[Any, Any]:
    a, b = _random(rng, 3, 4), _random(rng, 3, 4)
    return (a * b).sum(), (a.T @ b).trace()


def _check_hadamard_diag(rng: Any) -> tuple[Any, Any]:
    import numpy as np

    x, y = _random(rng, 4, 1), _random(rng, 4, 1)
    return x * y, np.diag(x[:, 0]) @ y


def _vec(m: Any) -> Any:
    return m.reshape(-1, 1, order="F")


def _commutation(r: int, c: int) -> Any:
    from mcalc.numeric.evaluate import commutation_matrix

    return commutation_matrix(r, c)


def _check_vec_kron(rng: Any) -> tuple[Any, Any]:
    import numpy as np

    a, x, b = _random(rng, 2, 3), _random(rng, 3, 4), _random(rng, 4, 5)
    return _vec(a @ x @ b), np.kron(b.T, a) @ _vec(x)


def _check_vec_transpose(rng: Any) -> tuple[Any, Any]:
    import numpy as np

    a, x, b = _random(rng, 2, 4), _random(rng, 3, 4), _random(rng, 3, 5)
    return _vec(a @ x.T @ b), np.kron(b.T, a) @ _commutation(3, 4) @ _vec(x)


def _check_vec_form(rng: Any) -> tuple[Any, Any]:
    import numpy as np

    h, x, b = _random(rng, 3, 5), _random(rng, 3, 4), _random(rng, 4, 5)
    return _vec(h * (x @ b)), np.diag(_vec(h)[:, 0]) @ np.kron(b.T, np.eye(3)) @ _vec(x)


def _check_trace_form(rng: Any) -> tuple[Any, Any]:
    import numpy as np

    g, x = _random(rng, 4, 1), _random(rng, 4, 4)
    return g.T @ np.diag(x).reshape(-1, 1), np.array([[(np.diag(g[:, 0]) * x).sum()]])


def gradient_fd(f: Callable[[Any], float], x: Any, h: float = 1e-6) -> Any:
    import numpy as np

    out = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        out[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return out


def _check_identify_gradient(rng: Any) -> tuple[Any, Any]:
    g = _random(rng, 4, 3)  # f(X) = tr(G X): df = tr(G dX), so ∂f/∂X = Gᵀ
    return gradient_fd(lambda x: float((g @ x).trace()), _random(rng, 3, 4)), g.T


def _check_identify_jacobian(rng: Any) -> tuple[Any, Any]:
    import numpy as np

    j, x0 = _random(rng, 3, 4), _random(rng, 4)

    def entry(i: int) -> Callable[[Any], float]:
        return lambda x: float((j @ x)[i])

    return np.array([gradient_fd(entry(i), x0) for i in range(3)]), j


def _check_identify_vec(rng: Any) -> tuple[Any, Any]:
    import numpy as np

    a, b, x0 = _random(rng, 2, 3), _random(rng, 4, 2), _random(rng, 3, 4)

    def entry(i: int) -> Callable[[Any], float]:
        return lambda x: float(_vec(a @ x @ b)[i, 0])

    rows = [gradient_fd(entry(i), x0) for i in range(4)]
    return np.array([_vec(r)[:, 0] for r in rows]), np.kron(b.T, a)


def _check_identify_derivative(rng: Any) -> tuple[Any, Any]:
    a, b = _random(rng, 3, 3), _random(rng, 3, 3)
    h = 1e-6
    return ((a + (0.5 + h) * b) - (a + (0.5 - h) * b)) / (2 * h), b


def _check_nth_differential(rng: Any) -> tuple[Any, Any]:
    """d²det[E₁, E₂] from d(det(X) tr(X⁻¹E₁)) with E₁ constant, against a mixed central difference."""
    import numpy as np

    x, e1, e2 = np.eye(3) + 0.3 * _random(rng, 3, 3), _random(rng, 3, 3), _random(rng, 3, 3)
    inv, det, h = np.linalg.inv(x), np.linalg.det, 1e-4
    formula = det(x) * (np.trace(inv @ e1) * np.trace(inv @ e2) - np.trace(inv @ e2 @ inv @ e1))
    mixed = det(x + h * e1 + h * e2) - det(x + h * e1 - h * e2) - det(x - h * e1 + h * e2) + det(x - h * e1 - h * e2)
    return np.array([[mixed / (4 * h * h)]]), np.array([[formula]])


def _check_index_form(rng: Any) -> tuple[Any, Any]:
    """tr(L dX₁ R dX₂) = Σ (L)ₗᵢ Rⱼₖ (dX₁)ᵢⱼ (dX₂)ₖₗ: the tensor read off term by term."""
    import numpy as np

    left, right, d1, d2 = (_random(rng, 3, 3) for _ in range(4))
    tensor = np.einsum("li,jk->ijkl", left, right)
    return np.array([[np.trace(left @ d1 @ right @ d2)]]), np.array([[np.einsum("ijkl,ij,kl->", tensor, d1, d2)]])


STEP_CHECKS: dict[str, Callable[[Any], tuple[Any, Any]]] = {
    "trace-linear": _check_trace_linear,
    "collect-dx": _check_collect_dx,
    "trace-cyclic": _check_trace_cyclic,
    "trace-transpose": _check_trace_transpose,
    "scalar-trace": _check_scalar_trace,
    "scalar-transpose": _check_scalar_transpose,
    "scalar-commute": _check_scalar_commute,
    "sum-hadamard": _check_sum_hadamard,
    "hadamard-diag": _check_hadamard_diag,
    "trace-form": _check_trace_form,
    "vec-kron": _check_vec_kron,
    "vec-transpose": _check_vec_transpose,
    "vec-form": _check_vec_form,
    "identify-gradient": _check_identify_gradient,
    "identify-jacobian": _check_identify_jacobian,
    "identify-vec": _check_identify_vec,
    "identify-derivative": _check_identify_derivative,
    "nth-differential": _check_nth_differential,
    "index-form": _check_index_form,
}


def verify_step(check: Callable[[Any], tuple[Any, Any]], seed: int | None) -> dict[str, Any]:
    """Both sides of a rewrite at three random points (numpy); the worst relative difference."""
    import numpy as np

    from mcalc.numeric.points import generator

    rng = generator(1 if seed is None else seed)
    worst = 0.0
    for _ in range(3):
        lhs, rhs = (np.asarray(v, dtype=float) for v in check(rng))
        scale = max(1.0, float(np.abs(rhs).max()))
        worst = max(worst, float(np.abs(lhs - rhs).max()) / scale) if lhs.shape == rhs.shape else float("inf")
    return {"passed": worst < 1e-6, "max_rel_error": worst, "witness": "random matrices (numpy)"}
