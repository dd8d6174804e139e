"""Small constructors used by the derivative rules: they drop the obvious (a product by one, a sum
of one term) so rules stay one line, and leave real simplification to the simplifier."""

from __future__ import annotations

from fractions import Fraction

from mcalc.syntax.nodes import ONE, Add, Mul, Node, Number


def num(value: int | Fraction) -> Number:
    return Number(Fraction(value))


def mul(*factors: Node) -> Node:
    flat: list[Node] = []
    for f in factors:
        if f == ONE:
            continue
        flat.append(f)
    if not flat:
        return ONE
    if len(flat) == 1:
        return flat[0]
    return Mul(tuple(flat))


def add(*terms: Node) -> Node:
    flat: list[Node] = []
    for t in terms:
        if isinstance(t, Add):
            flat.extend(t.terms)
        else:
            flat.append(t)
    if len(flat) == 1:
        return flat[0]
    return Add(tuple(flat))


def neg(x: Node) -> Node:
    return mul(num(-1), x)


def numbers_merged(factors: list[Node]) -> list[Node]:
    """A product's factors with its numbers multiplied into one, in front when there were several."""
    numbers = [c for c in factors if isinstance(c, Number)]
    if len(numbers) < 2:
        return factors
    value = numbers[0].value
    for c in numbers[1:]:
        value *= c.value
    return [Number(value), *(c for c in factors if not isinstance(c, Number))]


def flatten(node: Node) -> Node:
    """Nested sums and products flattened (as the user reads them), nothing else changed."""
    kids = node.children()
    if not kids:
        return node
    from mcalc.syntax.nodes import rebuild

    flat_kids = tuple([flatten(k) for k in kids])
    if any(a is not b for a, b in zip(flat_kids, kids, strict=True)):
        node = rebuild(node, flat_kids)  # a copy only when a child changed
    if isinstance(node, (Mul, Add)):
        flat: list[Node] = []
        for c in node.children():
            if type(c) is type(node):
                flat.extend(c.children())
            else:
                flat.append(c)
        if isinstance(node, Mul):  # −(2x) reads −2x
            flat = numbers_merged(flat)
        if len(flat) == 1:  # −1 written `- 1`: the number itself, not a product of one factor
            return flat[0]
        kept = node.children()
        if len(flat) == len(kept) and all(a is b for a, b in zip(flat, kept, strict=True)):
            return node  # flat already: the node itself (a copy of each sum and product was most of the time)
        return type(node)(tuple(flat), span=node.span)
    return node
