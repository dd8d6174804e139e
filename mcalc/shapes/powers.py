"""S^(1/2) of a symmetric matrix S, once shapes are known: the tree's Power node (a number's power, or the
integer power of a matrix, elsewhere) becomes the catalogue's S^p (`mpow:1/2`, a matrix function evaluated
through the eigenvalues and differentiated by Daleckii–Krein). The shape rule allowed it only for a name
declared --symmetric and noted the reading (mcalc.shapes.env `_spd_power`)."""

from __future__ import annotations

from mcalc.shapes.env import ShapeEnv
from mcalc.syntax import matrix_functions
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node


def matrix_powers(tree: Node, env: ShapeEnv) -> Node:
    """`tree` with each non-integer power of a matrix made the matrix function S^p (the same tree if none)."""
    found: dict[Node, Node] = {}
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, N.Power) and n.exponent.denominator != 1 and not env.is_scalar(n.base):
            found[n] = matrix_functions.power_node(n.base, n.exponent).with_span(n.span)
        stack.extend(n.children())
    return N.substitute(tree, found) if found else tree
