"""The adjugate, the Cholesky factor and Toeplitz matrices: what the catalogue's entries `adj`, `chol`,
`toeplitz` and their helper operators `cholphi` (Φ) and `toepsum` (α) do (issue 24, items 4 and 5).

Each is a function of a whole matrix (a `Columnwise` node whose catalogue entry has a differential, as
softmax's), so the parser, printers, evaluator and generated code read it from the catalogue. This module
holds their values (numpy, imported when called), their differentials (trees of nodes the rest of mcalc
reads) and the helper code `--format numpy` writes; mcalc.syntax.functions holds the entries.

    d adj(X) = det(X) (tr(X⁻¹dX) X⁻¹ − X⁻¹ dX X⁻¹)           X invertible
    d chol(S) = L Φ(L⁻¹ dS L⁻ᵀ),  L = chol(S)                 S symmetric positive definite
    d toeplitz(t) = toeplitz(dt)                             linear
    Φ(M) = the lower triangle of M, its diagonal halved; α(M)ᵢⱼ = Σ of Mᵀ's diagonal i − j

chol's argument is symmetric (the pipeline refuses one not known to be, `--at` a value that is not): the
formula holds for a symmetric dS. Φ, α, toeplitz and diagsums are linear; each has an adjoint (⟨C, f(M)⟩ =
⟨f*(C), M⟩) through which a gradient is read off: Φ* = Φ and α* = α (masks and diagonal sums), and
toeplitz* = diagsums, the 2n − 1 diagonal sums of a matrix, t₁ the top-right corner.
"""

from __future__ import annotations

from typing import Any

from mcalc.errors import MathError
from mcalc.syntax import nodes as N
from mcalc.syntax.build import add, mul, neg
from mcalc.syntax.nodes import Dim, Node

Array = Any  # numpy.ndarray

# The names of the helper operators as trees hold them (text output is valid input: they read back)
PHI = "cholphi"
ALPHA = "toepsum"
DIAGSUMS = "diagsums"
# A value whose asymmetry is above this (relative to its largest entry) is not a symmetric argument of chol
SYMMETRY_TOLERANCE = 1e-8


# --- values --------------------------------------------------------------------------------------


def adj_values(x: Array) -> Array:
    """adj(X) through the SVD X = U S Vᵀ: adj(X) = det(U) det(V) V diag(∏_{j≠i} sⱼ) Uᵀ, defined (and
    accurate) for singular X too, where det(X) X⁻¹ is not."""
    import numpy as np

    n = x.shape[0]
    if n == 1:
        return np.ones((1, 1))
    u, s, vt = np.linalg.svd(x)
    others = np.array([np.prod(np.delete(s, i)) for i in range(n)])
    sign = np.linalg.det(u) * np.linalg.det(vt)
    result: Array = sign * (vt.T * others) @ u.T
    return result


def spd_problem(s: Array) -> str | None:
    """Why a value is not a symmetric positive definite argument of chol, or None."""
    import numpy as np

    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        return "is not square"
    if not np.all(np.isfinite(s)):
        return "is not finite"
    scale = max(1.0, float(np.abs(s).max()))
    if float(np.abs(s - s.T).max()) > SYMMETRY_TOLERANCE * scale:
        return "is not symmetric"
    lowest = float(np.linalg.eigvalsh((s + s.T) / 2)[0])
    if lowest <= 0:
        return f"is not positive definite (smallest eigenvalue {lowest:.3g})"
    return None


def chol_values(s: Array) -> Array:
    """L, lower triangular with a positive diagonal, L Lᵀ = ½(S + Sᵀ)."""
    import numpy as np

    try:
        result: Array = np.linalg.cholesky((s + s.T) / 2)
    except np.linalg.LinAlgError as exc:
        raise MathError("chol needs a symmetric positive definite argument; this one is not") from exc
    return result


def phi_values(m: Array) -> Array:
    import numpy as np

    result: Array = np.tril(m, -1) + np.diag(np.diag(m)) / 2
    return result


def toeplitz_values(t: Array) -> Array:
    """T with Tᵢⱼ = t_{n+i−j} (1-based): t₁ the top-right corner, tₙ the diagonal, t_{2n−1} bottom-left."""
    import numpy as np

    t = t.reshape(-1)
    n = (t.size + 1) // 2
    i, j = np.indices((n, n))
    result: Array = t[n - 1 + i - j]
    return result


def diagsums_values(m: Array) -> Array:
    """The 2n − 1 sums of M's diagonals, as toeplitz places them: entry k (1-based) sums row − column = k − n."""
    import numpy as np

    n = m.shape[0]
    result: Array = np.array([np.trace(m, offset=n - k) for k in range(1, 2 * n)]).reshape(-1, 1)
    return result


def toepsum_values(m: Array) -> Array:
    """α(M): entry (i, j) the sum of the entries of Mᵀ on the diagonal row − column = i − j."""
    import numpy as np

    n = m.shape[0]
    sums = np.array([np.trace(m, offset=k) for k in range(-(n - 1), n)])  # Mᵀ's diagonal i − j is M's j − i
    i, j = np.indices((n, n))
    result: Array = sums[n - 1 + i - j]
    return result


# --- differentials: (f(X) itself, X, dX, rows of X, is X a vector) ↦ d f(X) --------------------------


def d_adj(value: Node, x: Node, dx: Node, rows: Dim, vector: bool) -> Node:
    inv = N.Inverse(x)
    return mul(N.Det(x), add(mul(N.Trace(mul(inv, dx)), inv), neg(mul(inv, dx, inv))))


def d_chol(value: Node, x: Node, dx: Node, rows: Dim, vector: bool) -> Node:
    inv = N.Inverse(value)
    return mul(value, N.Columnwise(PHI, mul(inv, dx, N.Transpose(inv))))


def d_linear(name: str) -> Any:
    """The differential of a linear operator f: d f(X) = f(dX)."""

    def differential(value: Node, x: Node, dx: Node, rows: Dim, vector: bool) -> Node:
        return N.Columnwise(name, dx)

    return differential


# --- generated code (`--format numpy`) ------------------------------------------------------------

ADJ_HELPER = (
    "def _adj(x):",
    "    # adj(X) = det(U) det(V) V diag(prod of the other singular values) U^T: defined for singular X too",
    "    u, s, vt = np.linalg.svd(x)",
    "    others = np.array([np.prod(np.delete(s, i)) for i in range(len(s))])",
    "    return np.linalg.det(u) * np.linalg.det(vt) * (vt.T * others) @ u.T",
)
CHOL_HELPER = (
    "def _chol(s):",
    "    return np.linalg.cholesky((s + s.T) / 2)",
)
PHI_HELPER = (
    "def _cholphi(m):",
    "    # the lower triangle of M with its diagonal halved",
    "    return np.tril(m, -1) + np.diag(np.diag(m)) / 2",
)
TOEPLITZ_HELPER = (
    "def _toeplitz(t):",
    "    # T[i, j] = t[n - 1 + i - j] (0-based): t[0] top-right, t[n - 1] the diagonal, t[2n - 2] bottom-left",
    "    t = np.ravel(t)",
    "    n = (t.size + 1) // 2",
    "    i, j = np.indices((n, n))",
    "    return t[n - 1 + i - j]",
)
TOEPSUM_HELPER = (
    "def _toepsum(m):",
    "    # entry (i, j): the sum of the entries of M^T on its diagonal row - column = i - j",
    "    n = m.shape[0]",
    "    sums = np.array([np.trace(m, offset=k) for k in range(1 - n, n)])",
    "    i, j = np.indices((n, n))",
    "    return sums[n - 1 + i - j]",
)
DIAGSUMS_HELPER = (
    "def _diagsums(m):",
    "    # the 2n - 1 sums of M's diagonals: entry k (0-based) sums row - column = k - (n - 1)",
    "    n = m.shape[0]",
    "    return np.array([np.trace(m, offset=n - 1 - k) for k in range(2 * n - 1)]).reshape(-1, 1)",
)
