"""SymPy forms of the whole-matrix functions of issue 24 (mcalc.syntax.structured), entry by entry where
SymPy has no class: a `FunctionMatrix` whose entry (i, j) is spelled out (0-based indices).

    adj(X)         Determinant(X) Inverse(X): the form mcalc differentiates (X invertible)
    toeplitz(t)    entry (i, j) = t[n − 1 + i − j]
    cholphi(M)     Φ(M): M[i, j] below the diagonal, M[i, i]/2 on it, 0 above
    toepsum(M)     α(M): entry (i, j) = Σ_k M[k, k + i − j] (Mᵀ's diagonal i − j), for a known size
    diagsums(M)    entry k = Σ of M's diagonal row − column = k − (n − 1), for a known size
    chol(S)        none: the Cholesky factor has no closed form, refused in one line
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcalc.errors import NoRuleError
from mcalc.syntax import nodes as N

Expr = Any  # a sympy expression
Builder = Any  # mcalc.export.sympy_expr.SympyBuilder (not imported: it imports this module)


def _indices() -> tuple[Expr, Expr]:
    import sympy

    i, j = sympy.symbols("i j", integer=True, nonnegative=True)
    return i, j


def _adj(b: Builder, node: N.Columnwise) -> Expr:
    import sympy

    x = b(node.arg)
    return sympy.Determinant(x) * sympy.Inverse(x)


def _toeplitz(b: Builder, node: N.Columnwise) -> Expr:
    import sympy

    t = b(node.arg)
    n, _ = b.shape(node)
    i, j = _indices()
    return sympy.FunctionMatrix(n, n, sympy.Lambda((i, j), t[n - 1 + i - j, 0]))


def _phi(b: Builder, node: N.Columnwise) -> Expr:
    import sympy

    m = b(node.arg)
    n, _ = b.shape(node)
    i, j = _indices()
    entry = sympy.Piecewise((m[i, j], i > j), (m[i, j] / 2, sympy.Eq(i, j)), (0, True))
    return sympy.FunctionMatrix(n, n, sympy.Lambda((i, j), entry))


def _size(b: Builder, node: N.Columnwise) -> int:
    n = b.env.resolve(b.env.shape(node.arg)[0])
    if not isinstance(n, int):
        raise NoRuleError(f"{node.func}(·) has a SymPy form for a known size only: give one with --shape")
    return n


def _toepsum(b: Builder, node: N.Columnwise) -> Expr:
    import sympy

    m, n = b(node.arg), _size(b, node)
    sums = {k: sympy.Add(*(m[r, r + k] for r in range(n) if 0 <= r + k < n)) for k in range(1 - n, n)}
    return sympy.Matrix(n, n, lambda i, j: sums[i - j])


def _diagsums(b: Builder, node: N.Columnwise) -> Expr:
    import sympy

    m, n = b(node.arg), _size(b, node)
    # entry k (0-based) sums row − column = k − (n − 1): M[r, r − k + n − 1]
    return sympy.Matrix(
        2 * n - 1, 1, lambda k, _: sympy.Add(*(m[r, r - k + n - 1] for r in range(n) if 0 <= r - k + n - 1 < n))
    )


def _chol(b: Builder, node: N.Columnwise) -> Expr:
    raise NoRuleError("chol(·) has no SymPy form (the Cholesky factor has no closed form): use --format numpy")


SYMPY_FORMS: dict[str, Callable[[Builder, N.Columnwise], Expr]] = {
    "adj": _adj,
    "toeplitz": _toeplitz,
    "cholphi": _phi,
    "toepsum": _toepsum,
    "diagsums": _diagsums,
    "chol": _chol,
}
