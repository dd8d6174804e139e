"""The n²×n² matrices K of a matrix function's Fréchet derivatives (vec L^(k)_f(A, E, E₂, …) = K vec(E)), the
values of `K_expm(X)` and `K2_expm(X, C)` in Jacobians and Hessians, built straight into the answer's array: no
intermediate holds more than n³ numbers (issue 25 item 3: no intermediate larger than the answer).

- At a symmetric A = U diag(λ) Uᵀ (and, for logm and S^p, at an A with a well-conditioned eigenbasis V):
  K[i + nj, k + nl] = Σ_ab V_ia W_bj F_ab W_ak V_lb, W = V⁻¹, F the divided differences of f at λ (the
  Daleckii–Krein form, Higham 2008, ch. 3), written n columns at a time (one l): a product of n²×n by n×n.
- Otherwise column by column: column k + nl is vec L_f(A, E_kl), E_kl = e_k e_lᵀ, from one first Fréchet
  derivative each: scipy.linalg.expm_frechet (expm; sinm and cosm as the real and imaginary parts of
  L_expm(iA, E), since sin A = Im e^{iA}), the Sylvester equation sqrtm(A) Z + Z sqrtm(A) = E solved in A's
  Schur basis, computed once (sqrtm), mcalc.syntax.matrix_values otherwise.
- K2_f(A, C) column by column too: L2_f(A, E, C) is the top right n×n block of L_f([[A, C], [0, A]], I₂ ⊗ E)
  (Higham & Relton, SIAM J. Matrix Anal. Appl. 35 (2014), §3: f of [[X, I₂ ⊗ E], [0, X]] has it as its top
  right block, X = [[A, C], [0, A]]), one first derivative of a 2n×2n matrix per column.

The result is Fortran-ordered: the value's unfolding (pipeline._arrange, vec stacks columns) is then a view.
This replaces one expm of the 2n²×2n² matrix [[Aᵀ ⊗ I, I], [0, I ⊗ A]] (Van Loan 1978), whose intermediates held
about 34 times the answer's bytes for K_expm(X) and 120 times for K2_expm (tracemalloc, n = 20), and the dense
inverse of I ⊗ Y + Yᵀ ⊗ I for sqrtm.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcalc.syntax import matrix_values

Array = Any
First = Callable[[Array], Array]  # E ↦ L_f(M, E) at a fixed point M


def frechet_matrix(
    name: str,
    a: Array,
    fixed: tuple[Array, ...],
    shown: str = "the argument",
    commuted: bool = False,
    symmetrised: bool = False,
) -> Array:
    """K with vec L^(k)_f(A, E, E₂, …, E_k) = K vec(E) (vec stacks columns), k = 1 + len(fixed) ≤ 3; with
    `commuted`, Kₙₙ K (vec L(E)ᵀ = Kₙₙ vec L(E): the Hessian of tr(f(X))); with `symmetrised`, times I + Kₙₙ
    (column k + nl the sum of columns k + nl and l + nk: a Hessian by a symmetric matrix). Refused (MathError)
    at a point outside f's domain."""
    out = _matrix(name, a, fixed, shown, commuted)
    if symmetrised:
        _symmetrise_columns(out, a.shape[0])
    return out


def _symmetrise_columns(out: Array, n: int) -> None:
    """K (I + Kₙₙ) in place: columns k + nl and l + nk both become their sum (the diagonal's doubled)."""
    for k in range(n):
        out[:, k + n * k] *= 2
        for col in range(k + 1, n):
            both = out[:, k + n * col] + out[:, col + n * k]
            out[:, k + n * col] = both
            out[:, col + n * k] = both


def _matrix(name: str, a: Array, fixed: tuple[Array, ...], shown: str, commuted: bool) -> Array:
    import numpy as np

    matrix_values.refuse_off_domain(name, a, shown)
    n = a.shape[0]
    out = np.empty((n * n, n * n), order="F")
    if not fixed:
        basis = _eigen_basis(name, a)
        if basis is not None:
            _eigen_columns(out, name, *basis, commuted)
            return out
        _columns(out, n, _first(name, a), commuted)
        return out
    if len(fixed) == 1:
        basis = _eigen_basis(name, a)
        if basis is not None:
            _eigen_columns2(out, name, *basis, fixed[0], commuted)
            return out
        big = np.block([[a, fixed[0]], [np.zeros_like(a), a]])
        first = _first(name, big)
        _columns(out, n, lambda e: first(np.kron(np.eye(2), e))[:n, n:], commuted)
        return out
    _columns(out, n, lambda e: matrix_values.frechet(name, a, (e, *fixed)), commuted)
    return out


def _eigen_basis(name: str, a: Array) -> tuple[Array, Array, Array] | None:
    """(λ, V, V⁻¹) where the Daleckii–Krein form is exact: A symmetric (eigh), or logm and S^p with a
    well-conditioned eigenbasis (the basis matrix_values computes their values in)."""
    import numpy as np

    if matrix_values.is_symmetric(a):
        lam, u = np.linalg.eigh((a + a.T) / 2)
        return lam, u, u.T
    return matrix_values.eig_basis(name, a)


def _eigen_columns(out: Array, name: str, lam: Array, v: Array, w: Array, commuted: bool) -> None:
    """K[i + nj, k + nl] = Σ_ab V_ia W_bj F_ab W_ak V_lb: for each l, the n columns k + nl are P W with
    P[i + nj, a] = V_ia G_aj, G = (F diag(V_l·)) W (n³ numbers at a time); Kₙₙ K has P[j + ni, a] instead."""
    import numpy as np

    n = lam.shape[0]
    f = matrix_values.divided_differences(name, lam)
    for col in range(n):
        g = (f * v[col, :][None, :]) @ w
        p3 = v[:, None, :] * g.T[None, :, :] if commuted else g.T[:, None, :] * v[None, :, :]
        p = p3.reshape(n * n, n)
        block = p @ w
        out[:, col * n : (col + 1) * n] = block.real if np.iscomplexobj(block) else block


def _eigen_columns2(out: Array, name: str, lam: Array, v: Array, w: Array, c: Array, commuted: bool) -> None:
    """K2_f(A, C) from the second-order Daleckii–Krein form: in A's eigenbasis (Ẽ = W E V, C̃ = W C V)
    L̃2(A, E, C)_ij = Σ_m F2_imj (Ẽ_im C̃_mj + C̃_im Ẽ_mj), F2 the second divided differences (Higham 2008,
    ch. 3; Higham & Relton 2014, §5), then L2 = V L̃2 W. For E = E_kl, Ẽ_im = W_ik V_lm: the n columns of one l
    are Σ_ij V_pi W_jq B_ijk with B_ijk = W_ik G_ij + H_ijk V_lj, G = Σ_m F2_imj V_lm C̃_mj, H = Σ_m F2_imj C̃_im W_mk
    (n³ numbers at a time)."""
    import numpy as np

    n = lam.shape[0]
    f2 = matrix_values.second_divided_differences(name, lam)
    ct = w @ c @ v
    h = np.einsum("imj,im,mk->ijk", f2, ct, w)
    for col in range(n):
        g = np.einsum("imj,m,mj->ij", f2, v[col, :], ct)
        b = g[:, :, None] * w[:, None, :] + h * v[col, :][None, :, None]
        t = (v @ b.reshape(n, n * n)).reshape(n, n, n)  # [p, j, k]
        r = (t.transpose(0, 2, 1) @ w).transpose(0, 2, 1)  # [p, q, k]
        r = r.transpose(1, 0, 2) if commuted else r  # Kₙₙ K2: row q + np
        out[:, col * n : (col + 1) * n] = (r.real if np.iscomplexobj(r) else r).reshape((n * n, n), order="F")


def _columns(out: Array, n: int, first: First, commuted: bool) -> None:
    """Column k + nl of K is vec L(E_kl) (of Kₙₙ K, vec L(E_kl)ᵀ): one first derivative per column, in place."""
    import numpy as np

    e = np.zeros((n, n))
    for col in range(n * n):
        row, column = col % n, col // n
        e[row, column] = 1.0
        value = np.asarray(first(e))
        out[:, col] = (value.T if commuted else value).reshape(-1, order="F")
        e[row, column] = 0.0


def _first(name: str, m: Array) -> First:
    """E ↦ L_f(M, E) at a fixed M, with what does not depend on E computed once."""
    import numpy as np
    import scipy.linalg as sl

    symmetric = matrix_values.is_symmetric(m)
    if name == "expm" and not symmetric:
        return lambda e: sl.expm_frechet(m, e, compute_expm=False, check_finite=False)
    if name in _BY_EXPM and not symmetric:  # sin M = Im e^{iM}, cos M = Re e^{iM} for a real M
        part = _BY_EXPM[name]
        return lambda e: part(sl.expm_frechet(1j * m, e, compute_expm=False, check_finite=False))
    if name == "sqrtm" and not symmetric:
        matrix_values.refuse_off_domain(name, m, "the argument")
        r, q = sl.schur(matrix_values.value("sqrtm", m), output="complex")
        trsyl = sl.get_lapack_funcs("trsyl", (r,))

        def sylvester(e: Array) -> Array:  # R Z̃ + Z̃ R = scale · Qᴴ E Q, Z = Q Z̃ Qᴴ
            z, scale, info = trsyl(r, r, q.conj().T @ e @ q)
            if info < 0:
                raise ValueError(f"trsyl: illegal argument {-info}")
            return np.real(q @ z @ q.conj().T) / scale

        return sylvester
    return lambda e: matrix_values.frechet(name, m, (e,))


def _real(z: Array) -> Array:
    return z.real


def _minus_imaginary(z: Array) -> Array:
    return -z.imag


# L_sin(M, E) = Im L_exp(iM, iE) = Re L_exp(iM, E); L_cos(M, E) = Re L_exp(iM, iE) = −Im L_exp(iM, E)
_BY_EXPM: dict[str, Callable[[Array], Array]] = {"sinm": _real, "cosm": _minus_imaginary}
