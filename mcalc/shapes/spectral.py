"""Shapes of the functions of a whole matrix (mcalc.syntax.spectral), and when mcalc knows a matrix is symmetric.

Each entry names its rule by `shape`: eigenvalue functions need a square argument; svd(X) has min(m, n)
entries, a size mcalc writes only when it is known (the sizes are numbers, or m = n): otherwise svd(X) is
refused with the spellings that need no such size (σ_max, ‖X‖₂, ‖X‖_*).

A matrix is symmetric when mcalc can see it: a name declared with --symmetric, or an expression equal to its
own transpose term by term (BᵀB, X S Xᵀ with S symmetric, A + Aᵀ, its inverse or powers). The derivative
rules of λ_max, λ_min, eig and the eigenvectors pick the symmetric form by this test, and the reading says
which rule was used (`notes`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from mcalc.errors import ShapeError
from mcalc.shapes.kinds import SCALAR_SHAPE, Shape
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Dim, Node

ShapeEnv = Any  # mcalc.shapes.env.ShapeEnv, whose shape rules import this module: not imported back

# the eigenvalue functions whose rule depends on the symmetry of the argument, and how the reading says so
EIGEN_VALUES = frozenset({"λ_max", "λ_min", "eig"})
EIGEN_VECTORS = frozenset({"eigvec_max", "eigvec_min", "eigvecs"})


def transposed(symmetric: frozenset[str], n: Node) -> Node:
    """nᵀ in a normal form: (Aᵀ)ᵀ = A, (AB)ᵀ = BᵀAᵀ, Sᵀ = S for a symmetric name, a number is its own."""
    if isinstance(n, N.Transpose):
        return n.arg
    if isinstance(n, (N.Number, N.Identity)) or (isinstance(n, N.Symbol) and n.name in symmetric):
        return n
    if isinstance(n, N.Mul):
        return N.Mul(tuple(transposed(symmetric, f) for f in reversed(n.factors)))
    if isinstance(n, N.Add):
        return N.Add(tuple(transposed(symmetric, t) for t in n.terms))
    if isinstance(n, (N.Inverse, N.Power)):
        return N.rebuild(n, (transposed(symmetric, n.children()[0]),))
    return N.Transpose(n)


def is_symmetric(symmetric: frozenset[str], n: Node) -> bool:
    """Is n a symmetric matrix by its form (see the module's docstring)? False when mcalc cannot see it."""
    if isinstance(n, N.Add):
        return Counter(n.terms) == Counter(transposed(symmetric, t) for t in n.terms) or all(
            is_symmetric(symmetric, t) for t in n.terms
        )
    if isinstance(n, N.Mul):
        scalars_out = tuple(f for f in n.factors if not isinstance(f, N.Number))
        return N.Mul(scalars_out) == transposed(symmetric, N.Mul(scalars_out))
    if isinstance(n, (N.Inverse, N.Power)):
        return is_symmetric(symmetric, n.children()[0])
    if isinstance(n, N.Columnwise) and n.func == "pinv":
        return is_symmetric(symmetric, n.arg)
    return transposed(symmetric, n) == n


def rule_note(func: str, arg_text: str, symmetric: bool) -> str:
    """The reading line's word on the rule λ_max(X) (λ_min, eig) was differentiated by."""
    shown = f"{func}({arg_text})"
    d = f"d({arg_text})" if len(arg_text) > 1 else f"d{arg_text}"
    if symmetric:
        return f"{shown} by the symmetric rule dλ = vᵀ {d} v"
    return (
        f"{shown} by the general rule dλ = wᵀ {d} u (u, w right and left eigenvectors, wᵀu = 1; "
        f"--symmetric for vᵀ {d} v)"
    )


# --- the rules: (sizes of the argument, is a size 1, are two sizes equal) ↦ the result's shape ------------

Same = Callable[[Dim, Dim], bool]


def _k(text: str, r: Dim, c: Dim, same: Same) -> Dim:
    """min(m, n), the number of singular values, when it is known."""
    if isinstance(r, int) and isinstance(c, int):
        return min(r, c)
    if same(r, c):
        return r
    raise ShapeError(
        f"{text} has min(m, n) rows or columns for an m×n argument (the number of singular values), and its sizes "
        "are not known",
        hint="give them with --shape (a derivative of ‖X‖_* uses it too: a square X needs only --shape X=n×n); "
        "σ_max, ‖·‖₂ and ‖·‖_* need no such size",
    )


RULES: dict[str, Callable[[str, Dim, Dim, Same], Shape]] = {
    "square→number": lambda t, r, c, same: SCALAR_SHAPE,
    "square→vector": lambda t, r, c, same: (r, 1),
    "square→square": lambda t, r, c, same: (r, r),
    "matrix→number": lambda t, r, c, same: SCALAR_SHAPE,
    "matrix→singular values": lambda t, r, c, same: (_k(t, r, c, same), 1),
    "matrix→rows": lambda t, r, c, same: (r, 1),
    "matrix→columns": lambda t, r, c, same: (c, 1),
    "matrix→U": lambda t, r, c, same: (r, _k(t, r, c, same)),
    "matrix→V": lambda t, r, c, same: (c, _k(t, r, c, same)),
    "matrix→k×k": lambda t, r, c, same: (_k(t, r, c, same), _k(t, r, c, same)),
    "matrix→matrix": lambda t, r, c, same: (r, c),
    "matrix→transpose": lambda t, r, c, same: (c, r),
    "vector→number": lambda t, r, c, same: SCALAR_SHAPE,
}
SQUARE = frozenset(name for name in RULES if name.startswith("square"))


def vector_refusal(func: str, text: str) -> str:
    return f"{func} takes a vector, and {text} is a matrix: write {func}(vec({text})) for the product of its entries"


def spectral_norms(env: ShapeEnv, tree: Node) -> Node:
    """‖X‖₂ of a matrix X is its spectral norm σ_max(X): the `spectral_norm` entry (of a vector, ‖x‖₂ stays
    the Euclidean norm, a `Norm`). Read after shapes are known, as only they tell a matrix from a vector.
    Not `N.substitute`: a Norm's equality ignores its subscript, and ‖X‖_F must stay what it is."""
    if not N.contains_type(tree, N.Norm):
        return tree

    return _with_spectral_norms(env, tree)


def _with_spectral_norms(env: ShapeEnv, n: Node) -> Node:
    """A module function, not a closure that calls itself: that is a reference cycle (tests/test_memory.py)."""
    kids = n.children()
    new = tuple(_with_spectral_norms(env, k) for k in kids)
    if kids and any(a is not b for a, b in zip(new, kids, strict=True)):
        n = N.rebuild(n, new)
    if isinstance(n, N.Norm) and n.written == "2":
        r, c = env.shape(n.arg)
        if env.resolve(r) != 1 and env.resolve(c) != 1:
            return N.Columnwise("spectral_norm", n.arg, span=n.span)
    return n
