"""Normalisers of the matrix functions (expm(X), ...: `Columnwise` nodes of kind MATRIX_MAP) and of their
Fréchet derivatives L_f(A, E) (`Frechet` nodes):

- f(Xᵀ) = f(X)ᵀ, and L_f(Aᵀ, Eᵀ) = L_f(A, E)ᵀ (f has a real power series: Higham 2008, ch. 1);
- L is linear in each direction: L_f(A, c E) = c L_f(A, E) for a scalar c (dt of d expm(tA) = L(tA, dt A));
- a direction that commutes with A: L_f(A, I) = f′(A), L_f(c B, B) = f′(c B) B (Higham 2008, ch. 3, with
  commuting A and E: the integral ∫₀¹ e^{sA} E e^{(1−s)A} ds is e^A E). So d tr(f(X)) = tr(f′(X) dX), the
  Matrix Cookbook's ∂tr(F(X))/∂X = F′(X)ᵀ (§2.5), and d expm(tA)/dt = A expm(tA).
"""

from __future__ import annotations

from mcalc.simplify import rules as _rules  # noqa: F401  (the table's own rows first: tr's is wrapped below)
from mcalc.simplify.engine import NORMALISERS, ZERO, Simplifier
from mcalc.simplify.spectral import whole_matrix
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.build import mul
from mcalc.syntax.nodes import Node


def _is_matrix_function(node: Node) -> bool:
    if not isinstance(node, N.Columnwise):
        return False
    entry = functions.lookup(node.func)
    return entry is not None and entry.kind is functions.Kind.MATRIX_MAP


def _columnwise(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Columnwise)
    if _is_matrix_function(node) and isinstance(node.arg, N.Transpose):
        return s.simp(N.Transpose(N.Columnwise(node.func, node.arg.arg)))  # f(Xᵀ) = f(X)ᵀ
    return whole_matrix(s, node)  # prod(eig(X)) = det(X): the spectral functions' rules (one normaliser a node)


def _split(s: Simplifier, node: Node) -> tuple[list[Node], Node]:
    """The scalar factors of a product and the rest (the node itself when it has none)."""
    if not isinstance(node, N.Mul):
        return [], node
    scalars = [f for f in node.factors if s.is_scalar(f)]
    chain = [f for f in node.factors if not s.is_scalar(f)]
    if not scalars or not chain:
        return [], node
    return scalars, chain[0] if len(chain) == 1 else N.Mul(tuple(chain))


def _frechet(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Frechet)
    if type(node) is not N.Frechet:
        return node  # the matrix K of L: kept as it is
    args = list(node.args)
    pulled: list[Node] = []
    for i in range(1, len(args)):
        if isinstance(args[i], N.Zero) or args[i] == ZERO:
            r, c = s.env.shape(node)
            return N.Zero(r, c)
        scalars, rest = _split(s, args[i])
        if scalars:
            pulled += scalars
            args[i] = rest
    if pulled:  # linear in each direction: L(A, c E) = c L(A, E)
        return s.simp(mul(*pulled, N.Frechet(node.func, tuple(args))))
    if isinstance(args[0], N.Transpose):  # L(Aᵀ, E) = L(A, Eᵀ)ᵀ: the point untransposed
        flipped = (args[0].arg, *(N.Transpose(e) for e in args[1:]))
        return s.simp(N.Transpose(N.Frechet(node.func, flipped)))
    if len(args) == 2:
        a, e = args
        core = _split(s, a)[1]
        slope = functions.get(node.func).derivative
        if isinstance(e, N.Identity):
            return s.simp(slope(a))  # L_f(A, I) = f′(A)
        if e == core:
            return s.simp(mul(slope(a), e))  # E commutes with A = c E: L_f(A, E) = f′(A) E
    return node


def _trace(s: Simplifier, node: Node) -> Node:
    """tr(L_f(A, E)) = tr(f′(A) E) (the trace is cyclic under the integral), then the trace's own rules."""
    x = node.arg  # type: ignore[attr-defined]
    if type(x) is N.Frechet and len(x.args) == 2:
        return s.simp(N.Trace(mul(functions.get(x.func).derivative(x.at), x.args[1])))
    return _plain_trace(s, node)


NORMALISERS[N.Columnwise] = _columnwise
NORMALISERS[N.Frechet] = _frechet
_plain_trace = NORMALISERS[N.Trace]  # mcalc.simplify.rules' own, imported above
NORMALISERS[N.Trace] = _trace
