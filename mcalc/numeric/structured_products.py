"""Products with the structured factors of vec-form derivatives, applied without building them: the commutation
matrix K_rc (a permutation of rows or columns), A ⊗ B (two small products per block of columns) and I + Kₙₙ
(the symmetriser of a Hessian by a symmetric matrix). A dense K or A ⊗ B of a Hessian is an n²×n² matrix, as large
as the answer, and its product with the n²×n² matrix beside it takes n⁶ operations: Kₘₘ K_expm(X), the Hessian of
tr(expm(X)), spent seconds of matmul at m = 40, and 1/2 K_expm(S) (I + Kₘₘ) held six times the answer's bytes.
Every function here returns a new array in its operand's memory order (a Fortran-ordered K_f stays one, so the
value's vec unfolding stays a view) and holds at most one column block beside it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Array = Any


def in_place(v: Array, apply: Callable[[Array], Array], axis: int) -> Array:
    """v with `apply` done block by block into v itself, blocks of columns (axis 1: apply maps each column on
    its own, keeping their length: a structured factor on the left) or of rows (axis 0: on the right); about
    √(its count) blocks, so one block beside v instead of a second array as large."""
    count = v.shape[axis]
    width = max(1, -(-count // max(1, math.isqrt(count))))
    for start in range(0, count, width):
        part = (slice(None), slice(start, start + width)) if axis == 1 else (slice(start, start + width), slice(None))
        v[part] = apply(v[part])
    return v


def commute_rows(v: Array, r: int, c: int) -> Array:
    """K_rc V without K_rc: row j + ci of the result is row i + rj of V."""
    import numpy as np

    m = v.shape[1]
    if v.flags.f_contiguous and not v.flags.c_contiguous:
        out = np.empty(v.shape, order="F")
        out.reshape((c, r, m), order="F")[...] = v.reshape((r, c, m), order="F").transpose(1, 0, 2)
        return out
    out = np.empty(v.shape)
    out.reshape(r, c, m)[...] = np.ascontiguousarray(v).reshape(c, r, m).transpose(1, 0, 2)
    return out


def commute_columns(v: Array, r: int, c: int) -> Array:
    """V K_rc = (K_cr Vᵀ)ᵀ."""
    return commute_rows(v.T, c, r).T


def symmetrise_rows(v: Array, n: int) -> Array:
    """(I + Kₙₙ) V = V + Kₙₙ V."""
    out = commute_rows(v, n, n)
    out += v
    return out


def symmetrise_columns(v: Array, n: int) -> Array:
    """V (I + Kₙₙ) = V + V Kₙₙ."""
    out = commute_columns(v, n, n)
    out += v
    return out


def kron_rows(a: Array, b: Array, v: Array) -> Array:
    """(A ⊗ B) V (numpy's kron: (A ⊗ B)[iq + k, jq′ + l] = A_ij B_kl), a block of columns at a time."""
    import numpy as np

    (p, p1), (q, q1) = a.shape, b.shape
    m = v.shape[1]
    fortran = v.flags.f_contiguous and not v.flags.c_contiguous
    out = np.empty((p * q, m), order="F" if fortran else "C")
    width = max(1, m // max(p, q, 1))  # temporaries of one block: about 1/n of the result
    for start in range(0, m, width):
        block = v[:, start : start + width]
        rows = block.reshape(p1, q1, -1) if block.flags.c_contiguous else block.T.reshape(-1, p1, q1).transpose(1, 2, 0)
        out[:, start : start + width] = np.einsum("ij,kl,jlc->ikc", a, b, rows, optimize=True).reshape(p * q, -1)
    return out


def kron_columns(v: Array, a: Array, b: Array) -> Array:
    """V (A ⊗ B) = ((Aᵀ ⊗ Bᵀ) Vᵀ)ᵀ."""
    return kron_rows(a.T, b.T, v.T).T
