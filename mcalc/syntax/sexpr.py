"""A one-line S-expression of a tree: golden parse tests, debugging and a total order on trees."""

from __future__ import annotations

from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node


def to_sexpr(node: Node, children: list[str] | None = None) -> str:
    """`children`, when given, are the S-expressions of node.children() already computed."""
    if isinstance(node, N.Symbol):
        return node.name
    if isinstance(node, N.Number):
        return str(node.value)
    if isinstance(node, N.Bound):
        return f"#{node.name}"
    if isinstance(node, N.Differential):
        return f"d{node.name}"
    if isinstance(node, N.FunctionOf):
        return f"{node.name}{chr(0x2032) * node.order}({node.param})"
    if isinstance(node, N.Identity):
        return "I" if node.dim is None else f"I[{node.dim}]"
    if isinstance(node, (N.Ones, N.Zero, N.Commutation)):
        return f"{type(node).__name__.lower()}[{node.rows},{node.cols}]"
    head = type(node).__name__.lower()
    extra = ""
    if isinstance(node, (N.Power, N.ElementPower)):
        extra = f" {node.exponent}"
    elif isinstance(node, (N.Apply, N.Columnwise)):
        head = node.func
    elif isinstance(node, N.Norm) and node.p != 2:
        extra = f" p={node.p}"
    elif isinstance(node, N.SumOver):
        extra = f" #{node.index}"
    elif isinstance(node, N.Unvec):
        extra = f" {node.rows}x{node.cols}"
    inner = " ".join(children if children is not None else [to_sexpr(c) for c in node.children()])
    return f"({head} {inner}{extra})"
