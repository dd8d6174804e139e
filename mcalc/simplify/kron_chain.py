"""Identities of Kronecker products inside a chain of factors, as textbooks apply them to a finished result:
- (bᵀ ⊗ R) vec(M) = R M b for a column b (MC eq. 520, vec(R M B) = (Bᵀ ⊗ R) vec(M), read backwards with
  B = b): a Hessian of a scalar function of xᵀAx read (xᵀ ⊗ I) vec(M) where M x is meant; a sum of vecs
  counts as the vec of the sum.

`rewrite(s, chain)` is one pass over the chain; None when no identity applies (the common case).
"""

from __future__ import annotations

from mcalc.simplify.engine import Simplifier
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node


def rewrite(s: Simplifier, chain: list[Node]) -> list[Node] | None:
    for i in range(len(chain) - 1):
        done = _kron_vec(s, chain[i], chain[i + 1])
        if done is not None:
            return chain[:i] + done + chain[i + 2 :]
    return None


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
