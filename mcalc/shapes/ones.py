"""The number 1 multiplying an array is the ones vector 𝟙 (issue 23 item 5): `x^T 1`, `1^T X 1`, `X 1`.

Books write 𝟙 as a bold 1; typed, the bold is lost. Read as the number, `x^T 1` is xᵀ (its Jacobian I) and
`X 1` is X: a question nobody asked. A `1` written as a later factor of a product is read as 𝟙 when what it
multiplies has columns (a row or a matrix: its column count is not 1), and a warning says so, as `1ᵀ` is
read as the row of ones. After a scalar (`(x^T x) 1`) or a column (`x 1`) it stays the number.
"""

from __future__ import annotations

from collections.abc import Iterable

from mcalc.errors import Span
from mcalc.shapes.env import ShapeEnv
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node


def ones_for_one(env: ShapeEnv, tree: Node, spans: Iterable[Span], source: str) -> tuple[Node, list[str]]:
    """`tree` (read from `source`) with each written `1` at one of `spans` that multiplies an array with
    columns replaced by 𝟙 (sized by context), and one warning per product changed; the tree itself when none is."""
    targets = {(s.start, s.end) for s in spans}
    notes: list[str] = []

    def factor(mul: N.Mul, i: int, f: Node) -> Node:
        if not (i > 0 and isinstance(f, N.Number) and f.value == 1 and f.span is not None):
            return f
        if (f.span.start, f.span.end) not in targets:
            return f
        before = mul.factors[:i]
        cols = env.resolve(env.shape(before[0] if len(before) == 1 else N.Mul(before))[1])
        if cols == 1:
            return f
        shown = source[mul.span.start : mul.span.end].strip() if mul.span is not None else "a product"
        notes.append(f"read the 1 in {shown} as the ones vector 𝟙 (it multiplies an array); write 𝟙 or ones to say so")
        return N.Ones(N.BY_CONTEXT, 1, span=f.span)

    def walk(n: Node) -> Node:
        kids = n.children()
        if not kids:
            return n
        new = tuple(walk(k) for k in kids)
        if isinstance(n, N.Mul):
            new = tuple(factor(n, i, f) for i, f in enumerate(new))
        return n if all(a is b for a, b in zip(new, kids, strict=True)) else N.rebuild(n, new)

    try:
        changed = walk(tree)
    finally:
        # a closure that calls itself is a reference cycle: freed now, not by the cyclic collector
        walk = None  # type: ignore[assignment]
    return changed, notes
