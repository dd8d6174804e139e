"""An elementwise function of a zero vector or matrix is a constant array: tanh(0) = 0, exp(0) = 𝟙, σ(0) = ½𝟙.

A zero array prints as `0`, which reads back as the number 0: `exp(y − y)ᵀx` by x printed `exp(0)`, which
mcalc reads as the number 1, not the vector 𝟙 (the round-trip property's known case). Folded, the zero is
gone: the derivative is 𝟙, and `(xᵀ tanh(y − y))²` by x is 0.
"""

from __future__ import annotations

from fractions import Fraction

from mcalc.simplify.engine import NORMALISERS, Simplifier
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

# f(0) of the catalogue's elementwise functions whose value there is a number every book gives
AT_ZERO: dict[str, Fraction] = {
    **dict.fromkeys(("exp", "cos", "cosh"), Fraction(1)),
    "sigmoid": Fraction(1, 2),
    **dict.fromkeys(
        ("sin", "tan", "tanh", "sinh", "arcsin", "arctan", "asin", "atan", "sqrt", "abs", "relu"), Fraction(0)
    ),
    "sign": Fraction(0),
}


def _apply(s: Simplifier, node: Node) -> Node:
    assert isinstance(node, N.Apply)
    value = AT_ZERO.get(node.func)
    arg = node.arg
    if value is None or not isinstance(arg, N.Zero) or (arg.rows, arg.cols) == (1, 1):
        return node
    if value == 0:
        return arg
    ones = N.Ones(arg.rows, arg.cols)
    return ones if value == 1 else N.Mul((N.Number(value), ones))


NORMALISERS[N.Apply] = _apply
