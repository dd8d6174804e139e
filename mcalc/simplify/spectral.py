"""Identities of the functions of a whole matrix that the simplifier applies: the eigenvalues' sum is the
trace and their product the determinant (MC eqs. 65-66), whatever the matrix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

if TYPE_CHECKING:
    from mcalc.simplify.engine import Simplifier


def whole_matrix(s: Simplifier, node: Node) -> Node:
    """prod(eig(X)) = det(X); the product of a scalar's one entry is the scalar."""
    assert isinstance(node, N.Columnwise)
    x = node.arg
    if node.func == "prod" and isinstance(x, N.Columnwise) and x.func == "eig":
        return s.simp(N.Det(x.arg))
    if node.func == "prod" and s.is_scalar(x):
        return x
    return node


def sum_of(s: Simplifier, x: Node) -> Node | None:
    """sum(eig(X)) = tr(X), or None."""
    if isinstance(x, N.Columnwise) and x.func == "eig":
        return s.simp(N.Trace(x.arg))
    return None
