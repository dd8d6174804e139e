"""The values of the matrix functions (expm, logm, sqrtm, sinm, cosm, S^p) and of their Fréchet derivatives,
computed with numpy and scipy (imported when a value is asked for: start-up never loads them).

- f(A): scipy.linalg's expm, logm, sqrtm, sinm, cosm; for a symmetric A, U diag(f(λ)) Uᵀ from eigh (exact
  symmetry, and the same eigenbasis as the derivative below).
- L_f(A, E), the Fréchet derivative: for a symmetric A the Daleckii–Krein form U (F ⊙ (Uᵀ E U)) Uᵀ, F the
  divided differences of f at the eigenvalues (Higham 2008, ch. 3), each written so that it does not cancel
  (e^b expm1(a − b)/(a − b), 1/(√a + √b), ...); otherwise scipy.linalg.expm_frechet for expm, the Sylvester
  equation sqrtm(A) Z + Z sqrtm(A) = E for sqrtm (scipy.linalg.solve_sylvester), and for the others the
  upper right block of f([[A, E], [0, A]]) (Higham 2008, ch. 3, the block formula).
- L^(k)_f(A, E₁, …, E_k), the k-th Fréchet derivative (k ≥ 2): the top right block of f(X_k), X_k = I₂ ⊗ X_{k−1}
  + [[0, 1], [0, 0]] ⊗ I ⊗ E_k, X_0 = A (Higham & Relton, SIAM J. Matrix Anal. Appl. 35 (2014), §3).
- K, the n²×n² matrix of E ↦ L^(k)_f(A, E, E₂, …) for vec Jacobians (Hessians), is built by
  mcalc.numeric.frechet_matrix from these.

This module imports only mcalc.errors: the catalogue (mcalc.syntax.functions) and the evaluator read it.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from mcalc.errors import MathError

Array = Any  # numpy.ndarray, loose so that the module imports without numpy
# A matrix whose antisymmetric part is below this (relative to the matrix) is treated as symmetric: eigh's
# basis for its value and the Daleckii–Krein form for its derivative
SYMMETRIC_TOL = 1e-13
# how close to the closed negative real axis (relative to the largest eigenvalue) an eigenvalue may come
# before logm, sqrtm and S^p refuse the point: there they are not differentiable
AXIS_TOL = 1e-10
MAX_ORDER = 3  # L^(3) needs f of a 8n×8n block matrix; a fourth derivative of a matrix function is refused


def is_symmetric(a: Array) -> bool:
    import numpy as np

    scale = float(np.abs(a).max()) if a.size else 0.0
    return bool(np.abs(a - a.T).max() <= SYMMETRIC_TOL * max(scale, 1e-300)) if a.size else True


# --- the scalar functions, their derivatives and their divided differences --------------------------------


def _dd_exp(a: Array, b: Array) -> Array:
    import numpy as np

    d = a - b
    with np.errstate(all="ignore"):
        q = np.where(d == 0, 1.0, np.expm1(d) / np.where(d == 0, 1.0, d))
    return np.exp(b) * q


def _dd_log(a: Array, b: Array) -> Array:
    import numpy as np

    d = a - b
    with np.errstate(all="ignore"):
        return np.where(d == 0, 1 / a, np.log1p(d / b) / np.where(d == 0, 1.0, d))


def _dd_sqrt(a: Array, b: Array) -> Array:
    import numpy as np

    return 1 / (np.sqrt(a) + np.sqrt(b))


def _dd_sin(a: Array, b: Array) -> Array:
    import numpy as np

    h = (a - b) / 2
    return np.cos((a + b) / 2) * np.sinc(h / np.pi)  # np.sinc(x) = sin(πx)/(πx): 2 cos((a+b)/2) sin(h)/(2h)


def _dd_cos(a: Array, b: Array) -> Array:
    import numpy as np

    h = (a - b) / 2
    return -np.sin((a + b) / 2) * np.sinc(h / np.pi)


def _dd_power(p: float) -> Callable[[Array, Array], Array]:
    def dd(a: Array, b: Array) -> Array:
        import numpy as np

        d = a - b
        with np.errstate(all="ignore"):
            # (aᵖ − bᵖ)/(a − b) = bᵖ expm1(p log1p(d/b)) / d, and p bᵖ⁻¹ where a = b
            q = np.expm1(p * np.log1p(d / b)) / np.where(d == 0, 1.0, d)
            return np.where(d == 0, p * b ** (p - 1), b**p * q)

    return dd


def _scalar(name: str) -> Callable[[Array], Array]:
    def f(x: Array) -> Array:
        import numpy as np

        result: Array = getattr(np, name)(x)
        return result

    return f


def _power(p: float) -> Callable[[Array], Array]:
    def f(x: Array) -> Array:
        return x**p

    return f


# name ↦ (the scalar f, its divided difference, does it need eigenvalues off the closed negative real axis)
_SCALAR: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array], bool]] = {
    "expm": (_scalar("exp"), _dd_exp, False),
    "logm": (_scalar("log"), _dd_log, True),
    "sqrtm": (_scalar("sqrt"), _dd_sqrt, True),
    "sinm": (_scalar("sin"), _dd_sin, False),
    "cosm": (_scalar("cos"), _dd_cos, False),
}

POWER_PREFIX = "mpow:"  # the entry of S^p is named mpow:p (p a fraction, "1/3")


def power_name(p: Fraction) -> str:
    return f"{POWER_PREFIX}{p}"


def _scalar_of(name: str) -> tuple[Callable[[Array], Array], Callable[[Array, Array], Array], bool]:
    if name.startswith(POWER_PREFIX):
        p = float(Fraction(name.removeprefix(POWER_PREFIX)))
        return _power(p), _dd_power(p), True
    return _SCALAR[name]


# --- values ---------------------------------------------------------------------------------------------


# logm and S^p through scipy (inverse scaling and squaring) take 0.1 s for a 5×5 matrix; a matrix with a
# well-conditioned eigenbasis (what --check's finite differences make of a symmetric point) is done by eig,
# V f(Λ) V⁻¹, whose rounding error is about cond(V)·ε
EIG_BASIS_COND = 1e4
_SLOW = ("logm",)


def eig_basis(name: str, a: Array) -> tuple[Array, Array, Array] | None:
    """λ, V, V⁻¹ with A = V diag(λ) V⁻¹, for logm and S^p when V is well conditioned (else None)."""
    import numpy as np

    if not (name in _SLOW or name.startswith(POWER_PREFIX)):
        return None
    lam, v = np.linalg.eig(a)
    if not np.isfinite(lam).all() or np.linalg.cond(v) > EIG_BASIS_COND:
        return None
    return lam.astype(complex), v, np.linalg.inv(v)


def _general(name: str, a: Array) -> Array:
    """f(A) for any square A (no symmetry assumed): by eig (logm, S^p, a good eigenbasis) or scipy.linalg."""
    import numpy as np
    import scipy.linalg as sl

    basis = eig_basis(name, a)
    if basis is not None:
        lam, v, w = basis
        return np.asarray(((v * _scalar_of(name)[0](lam)) @ w).real, dtype=float)
    if name.startswith(POWER_PREFIX):
        out = sl.fractional_matrix_power(a, float(Fraction(name.removeprefix(POWER_PREFIX))))
    else:
        out = getattr(sl, name)(a)
    out = np.asarray(out)
    if np.iscomplexobj(out):
        out = out.real  # the principal value of a real matrix off the negative axis is real; rounding left 0j
    return np.asarray(out, dtype=float)


def refuse_off_domain(name: str, a: Array, shown: str) -> None:
    """logm, sqrtm and S^p are differentiable where no eigenvalue lies on the closed negative real axis
    (for a symmetric argument: where it is positive definite); elsewhere the point is refused."""
    import numpy as np

    if not _scalar_of(name)[2] or a.size == 0:
        return
    eig = np.linalg.eigvalsh(a) if is_symmetric(a) else np.linalg.eigvals(a)
    scale = max(float(np.abs(eig).max()), 1e-300)
    bad = [e for e in eig if abs(e.imag) <= AXIS_TOL * scale and e.real <= AXIS_TOL * scale]
    if bad:
        worst = min(bad, key=lambda e: e.real)
        need = "a positive definite argument" if is_symmetric(a) else "no eigenvalue on the closed negative real axis"
        raise MathError(
            f"{display_name(name)}({shown}) needs {need}, and {shown} has the eigenvalue {worst.real:.3g} "
            f"(draw another point, or use --check, which draws positive definite ones)"
        )


def display_name(name: str) -> str:
    if name.startswith(POWER_PREFIX):
        return f"the power ^({name.removeprefix(POWER_PREFIX)}) of"
    return name


def value(name: str, a: Array, shown: str = "the argument") -> Array:
    """f(A), refused (MathError) at a point outside f's domain."""
    import numpy as np

    refuse_off_domain(name, a, shown)
    if is_symmetric(a):
        lam, u = np.linalg.eigh((a + a.T) / 2)
        f = _scalar_of(name)[0]
        return (u * f(lam)) @ u.T
    if name.startswith(POWER_PREFIX):
        raise MathError(f"{shown} is not symmetric: a non-integer power is read as the power of a symmetric matrix")
    return _general(name, a)


# --- Fréchet derivatives ----------------------------------------------------------------------------------


def divided_differences(name: str, lam: Array) -> Array:
    """F with F_ij = (f(λᵢ) − f(λⱼ))/(λᵢ − λⱼ), f′(λᵢ) where λᵢ = λⱼ (the first divided differences)."""
    dd = _scalar_of(name)[1]
    return dd(lam[:, None], lam[None, :])


def _second_derivative(name: str) -> Callable[[Array], Array]:
    import numpy as np

    if name.startswith(POWER_PREFIX):
        p = float(Fraction(name.removeprefix(POWER_PREFIX)))
        return lambda x: p * (p - 1) * x ** (p - 2)
    table: dict[str, Callable[[Array], Array]] = {
        "expm": np.exp,
        "logm": lambda x: -1 / x**2,
        "sqrtm": lambda x: -0.25 * x**-1.5,
        "sinm": lambda x: -np.sin(x),
        "cosm": lambda x: -np.cos(x),
    }
    return table[name]


# Below this spread three points' second divided difference is f″(mean)/2, whose error grows as spread²; above
# it, (f[x, y] − f[y, z])/(x − z) over the farthest pair, whose rounding error grows as ε/spread: both about
# 1e-10 relative at the crossing. The spread is relative to |mean| for log, sqrt and powers (f′/f″ ∝ x), absolute
# for exp, sin and cos (f′/f″ of order 1)
SECOND_DD_SPREAD = 1e-5


def second_divided_differences(name: str, lam: Array) -> Array:
    """F2 with F2_imj = f[λᵢ, λₘ, λⱼ], the second divided differences (f″/2 where the three coincide), one
    slice F2_i·· at a time (a dozen temporaries of n² numbers, not of n³)."""
    import numpy as np

    out = np.empty((lam.shape[0],) * 3, dtype=np.result_type(lam, float))
    for i in range(lam.shape[0]):
        out[i] = _second_dd(name, lam[i], lam[:, None], lam[None, :])
    return out


def _second_dd(name: str, x: Array, y: Array, z: Array) -> Array:
    import numpy as np

    _, dd, relative = _scalar_of(name)
    x, y, z = np.broadcast_arrays(x, y, z)
    dxz, dxy, dyz = np.abs(x - z), np.abs(x - y), np.abs(y - z)
    xz_far = (dxz >= dxy) & (dxz >= dyz)
    xy_far = ~xz_far & (dxy >= dyz)
    a = np.where(xz_far | xy_far, x, y)  # (a, c) the farthest pair, b the third point: f[a, b, c] is symmetric
    c = np.where(xz_far, z, np.where(xy_far, y, z))
    b = np.where(xz_far, y, np.where(xy_far, z, x))
    spread = np.abs(a - c)
    mean = (x + y + z) / 3
    close = spread <= SECOND_DD_SPREAD * (np.abs(mean) if relative else 1.0)
    with np.errstate(all="ignore"):
        far = (dd(a, b) - dd(b, c)) / np.where(close, 1.0, a - c)
    return np.where(close, _second_derivative(name)(mean) / 2, far)


def frechet(name: str, a: Array, directions: tuple[Array, ...], shown: str = "the argument") -> Array:
    """L^(k)_f(A, E₁, …, E_k), k = len(directions) ≥ 1."""
    import numpy as np

    refuse_off_domain(name, a, shown)
    k = len(directions)
    if k > MAX_ORDER:
        raise MathError(f"the Fréchet derivative of {display_name(name)} of order {k} is not computed (at most 3)")
    if k == 1:
        return _first(name, a, directions[0])
    n = a.shape[0]
    x = a
    for e in directions:  # X_j = I₂ ⊗ X_{j−1} + [[0, 1], [0, 0]] ⊗ I ⊗ E_j
        size = x.shape[0] // n
        x = np.kron(np.eye(2), x) + np.kron(np.array([[0.0, 1.0], [0.0, 0.0]]), np.kron(np.eye(size), e))
    fx = _general(name, x)
    return np.array(fx[:n, -n:])


def _first(name: str, a: Array, e: Array) -> Array:
    import numpy as np
    import scipy.linalg as sl

    if not np.any(e):
        return np.zeros_like(a, dtype=float)
    if is_symmetric(a):
        lam, u = np.linalg.eigh((a + a.T) / 2)  # Daleckii–Krein: U (F ⊙ (Uᵀ E U)) Uᵀ
        return u @ (divided_differences(name, lam) * (u.T @ e @ u)) @ u.T
    if name == "expm":
        return np.asarray(sl.expm_frechet(a, e, compute_expm=False, check_finite=False))
    if name == "sqrtm":
        y = _general("sqrtm", a)
        return np.asarray(sl.solve_sylvester(y, y, e))
    basis = eig_basis(name, a)
    if basis is not None:  # A = V Λ V⁻¹: L_f(A, E) = V (F ⊙ (V⁻¹ E V)) V⁻¹ (Higham 2008, ch. 3)
        lam, v, w = basis
        return np.asarray((v @ (divided_differences(name, lam) * (w @ e @ v)) @ w).real, dtype=float)
    n = a.shape[0]
    t = max(float(np.abs(a).max()), 1e-300) / float(np.abs(e).max())  # E scaled to A's size, then back
    block = np.block([[a, t * e], [np.zeros_like(a), a]])
    return np.array(_general(name, block)[:n, n:]) / t
