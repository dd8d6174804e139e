"""Identities of Kronecker products inside a chain of factors, as textbooks apply them to a finished result:
- (bᵀ ⊗ R) vec(M) = R M b for a column b (MC eq. 520, vec(R M B) = (Bᵀ ⊗ R) vec(M), read backwards with
  B = b): a Hessian of a scalar function of xᵀAx read (xᵀ ⊗ I) vec(M) where M x is meant; a sum of vecs
  counts as the vec of the sum;
- (A ⊗ B)(C ⊗ D) = AC ⊗ BD where the shapes allow (the mixed-product rule, MC eq. 511);

- diag(vec(I)) is a projection (onto the diagonal's entries of vec(X)): its powers are itself;
  (𝟙ᵀ ⊗ I) diag(vec(I)) (𝟙 ⊗ I) = I (the diagonal of diag(v) is v); diag(vec(I)) (𝟙 ⊗ I) (𝟙ᵀ ⊗ I) diag(vec(I)) =
  diag(vec(I)) (diag(diag(X)) keeps X's diagonal): the vec Jacobians of diag(diag(·)) as the books give them.

`rewrite(s, chain)` is one pass over the chain; None when no identity applies (the common case).
"""

from __future__ import annotations

from mcalc.simplify.engine import Simplifier
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Dim, Node


def rewrite(s: Simplifier, chain: list[Node]) -> list[Node] | None:
    for i in range(len(chain)):
        f = chain[i]
        if isinstance(f, N.Power) and f.exponent > 0 and _mask(f.base) is not None:
            return [*chain[:i], f.base, *chain[i + 1 :]]
        if i + 1 < len(chain):
            done = _kron_vec(s, f, chain[i + 1]) or _mixed_product(s, f, chain[i + 1])
            if done is not None:
                return chain[:i] + done + chain[i + 2 :]
        n = _mask(f)
        if n is None:
            continue
        if 0 < i < len(chain) - 1 and _spread(chain[i - 1], 1, n) and _spread(chain[i + 1], 0, n):
            return [*chain[: i - 1], N.Identity(n), *chain[i + 2 :]]
        if i + 3 < len(chain) and _spread(chain[i + 1], 0, n) and _spread(chain[i + 2], 1, n):
            if _mask(chain[i + 3]) == n:
                return [*chain[: i + 1], *chain[i + 4 :]]
    return None


def _mask(node: Node) -> Dim | None:
    """n for diag(vec(I_n)), else None."""
    if isinstance(node, N.Diag) and isinstance(node.arg, N.Vec) and isinstance(node.arg.arg, N.Identity):
        return node.arg.arg.dim
    return None


def _spread(node: Node, row: int, n: Dim) -> bool:
    """Is node 𝟙_n ⊗ I_n (row 0) or 𝟙_nᵀ ⊗ I_n (row 1)?"""
    if not (isinstance(node, N.Kron) and isinstance(node.left, N.Ones) and isinstance(node.right, N.Identity)):
        return False
    ones = node.left
    length, one = (ones.rows, ones.cols) if row == 0 else (ones.cols, ones.rows)
    return one == 1 and length == n and node.right.dim == n


def _kron_vec(s: Simplifier, kron: Node, vec: Node) -> list[Node] | None:
    """(bᵀ ⊗ R) vec(M) → R M b, M of R's columns × b's rows."""
    if not isinstance(kron, N.Kron):
        return None
    env = s.env
    rows, k = env.shape(kron.left)
    if rows != 1 or k == 1:
        return None
    m = _unvec(s, vec)
    if m is None or env.shape(m) != (env.shape(kron.right)[1], k):
        return None
    return [kron.right, m, s.transpose(kron.left)]


def _mixed_product(s: Simplifier, left: Node, right: Node) -> list[Node] | None:
    """(A ⊗ B)(C ⊗ D) → AC ⊗ BD where A's columns are C's rows and B's columns D's (MC eq. 511); a factor
    that would become a product with an identity is left alone ((X⁻¹ ⊗ I)(I ⊗ X⁻ᵀ) is X⁻¹ ⊗ X⁻ᵀ all the same)."""
    if not (isinstance(left, N.Kron) and isinstance(right, N.Kron)):
        return None
    env = s.env
    if env.shape(left.left)[1] != env.shape(right.left)[0] or env.shape(left.right)[1] != env.shape(right.right)[0]:
        return None
    return [N.Kron(N.Mul((left.left, right.left)), N.Mul((left.right, right.right)))]


def _unvec(s: Simplifier, node: Node) -> Node | None:
    """The matrix M with vec(M) = node, for a vec, a scalar multiple of one, or a sum of such; else None."""
    if isinstance(node, N.Vec):
        return node.arg
    if isinstance(node, N.Mul):
        vecs = [f for f in node.factors if not s.is_scalar(f)]
        if len(vecs) != 1:
            return None
        inner = _unvec(s, vecs[0])
        if inner is None:
            return None
        return N.Mul(tuple(inner if f is vecs[0] else f for f in node.factors))
    if isinstance(node, N.Add):
        terms = [m for t in node.terms if (m := _unvec(s, t)) is not None]
        if len(terms) != len(node.terms) or len({s.env.shape(t) for t in terms}) != 1:
            return None  # a term is not a vec, or the vecs are of matrices shaped differently
        return N.Add(tuple(terms))
    return None
