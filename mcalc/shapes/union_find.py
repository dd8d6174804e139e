"""Dimension variables (`?3`) unified by union-find: bound to each other, to rigid names, to sizes or to
products of dimensions (a Kronecker product's m·p). mcalc.shapes.env's shape rules unify through it."""

from __future__ import annotations

import math

from mcalc.syntax.nodes import Dim


class UnionFind:
    """Dimension variables (`?3`) bound to each other, to rigid names, to sizes or to products."""

    def __init__(self) -> None:
        self.parent: dict[str, Dim] = {}
        self.counter = 0
        self.context: set[str] = set()  # the sizes of a bare I, 𝟙 or K: free until their context fixes them
        self.trail: list[tuple[str, Dim]] | None = None  # during `all_or_none`: each binding's previous value

    def fresh(self, context: bool = False) -> str:
        self.counter += 1
        v = f"?{self.counter}"
        self.parent[v] = v
        if context:
            self.context.add(v)
        return v

    def _set(self, var: str, to: Dim) -> None:
        if self.trail is not None:
            self.trail.append((var, self.parent[var]))
        self.parent[var] = to

    def all_or_none(self, pairs: list[tuple[Dim, Dim]]) -> bool:
        """Unify each pair; if one fails after a size was bound to a product, the bindings are undone, so
        that the error message shows the shapes as they were (kron(A, B)ᵀ kron(A, B) + A: A m×n, not m·n×m
        after the rows agreed). Names merged (x .* A: A's rows are x's m) stay: the message reads better."""
        self.trail = []
        try:
            if all(self.unify(a, b) for a, b in pairs):
                return True
            if any(isinstance(self.parent[var], tuple) for var, _ in self.trail):
                for var, before in reversed(self.trail):
                    self.parent[var] = before
            return False
        finally:
            self.trail = None

    def find(self, d: Dim) -> Dim:
        if isinstance(d, tuple):
            return tuple(self.find(x) for x in d)
        while isinstance(d, str) and d.startswith("?"):
            p = self.parent[d]
            if p == d:
                return d
            nxt = self.parent[p] if isinstance(p, str) and p.startswith("?") else p
            self._set(d, nxt)
            d = p
        return d

    def unify(self, a: Dim, b: Dim) -> bool:
        a, b = self.find(a), self.find(b)
        if a == b:
            return True
        # an inferred size is never 1: that would silently turn a vector into a scalar (tr(x))
        if (a == 1 and isinstance(b, str) and b.startswith("?")) or (
            b == 1 and isinstance(a, str) and a.startswith("?")
        ):
            return False
        if isinstance(a, tuple) != isinstance(b, tuple) and self._occurs(b if isinstance(a, tuple) else a, a, b):
            return False  # n = n·p holds only for p = 1, never inferred (bound, it loops: n = n·p = n·p·p …)
        if isinstance(a, str) and a.startswith("?"):
            if isinstance(b, str) and b.startswith("?") and int(b[1:]) > int(a[1:]):
                self._set(b, a)  # the earlier variable stays the representative
            else:
                self._set(a, b)
            return True
        if isinstance(b, str) and b.startswith("?"):
            self._set(b, a)
            return True
        if isinstance(a, tuple) and isinstance(b, tuple):
            return self._unify_products(_flat(a), _flat(b))
        if isinstance(a, tuple) and isinstance(b, int) or isinstance(b, tuple) and isinstance(a, int):
            return self._unify_products(
                _flat(a) if isinstance(a, tuple) else (a,), _flat(b) if isinstance(b, tuple) else (b,)
            )
        sa, sb = _size(a), _size(b)
        return sa is not None and sa == sb

    def _occurs(self, single: Dim, a: Dim, b: Dim) -> bool:
        """Is `single` (one of a, b) a factor of the other, a product, or of a product a factor is bound to?"""
        stack = [b if single is a else a]
        seen: set[Dim] = set()
        while stack:
            d = self.find(stack.pop())
            if isinstance(d, tuple):
                stack.extend(x for x in d if x not in seen)
                seen.update(d)
            elif d == single:
                return True
        return False

    def _unify_products(self, a: tuple[Dim, ...], b: tuple[Dim, ...]) -> bool:
        """A product's size does not depend on its order: factors equal on both sides cancel (Rᵀ ⊗ I + I ⊗ Rᵀ,
        n·n + n·n, kept R m×n instead of making it square), and the rest pair in order. With more factors on
        one side, each of the other side's factors pairs with a context size (a bare I's) from the end, and
        its one context size takes the rest as a product: (I ⊗ K_{q,m} ⊗ I)(I ⊗ vec(B)), a·q·m·b = u·q·p,
        reads b = p and u = a·m (a factor before the context size pairs with the first free one, after it with
        the last)."""
        rest_b = list(b)
        rest_a = []
        for x in a:
            if x in rest_b:
                rest_b.remove(x)
            else:
                rest_a.append(x)
        rest_a, rest_b = _numbers_multiplied(rest_a, rest_b)
        if len(rest_a) == len(rest_b):
            return all(self.unify(x, y) for x, y in zip(rest_a, rest_b, strict=True))
        short, long = (rest_a, rest_b) if len(rest_a) < len(rest_b) else (rest_b, rest_a)
        free = [x for x in short if x in self.context]
        if len(free) != 1:
            return False
        slots = [x for x in long if x in self.context]
        at = short.index(free[0])
        before, after = short[:at], short[at + 1 :]  # Kronecker order: the factors before it pair first
        if len(slots) < len(before) + len(after):
            return False
        taken = slots[: len(before)] + (slots[len(slots) - len(after) :] if after else [])
        pairs_ok = all(self.unify(x, y) for x, y in zip(before + after, taken, strict=True))
        remaining = list(long)
        for y in taken:
            remaining.remove(y)
        return pairs_ok and self.unify(free[0], remaining[0] if len(remaining) == 1 else tuple(remaining))


def _numbers_multiplied(a: list[Dim], b: list[Dim]) -> tuple[list[Dim], list[Dim]]:
    """The number factors of each side multiplied and cancelled against the other's: 3·3·m = 9·m, and
    2·m = 6 leaves m = 3 (a numeric --shape under a Kronecker product: kron(A, I_3)'s I₃ ⊗ vec(I₃))."""
    na, nb = [x for x in a if isinstance(x, int)], [x for x in b if isinstance(x, int)]
    if not na and not nb:
        return a, b
    pa, pb = math.prod(na), math.prod(nb)
    a, b = [x for x in a if not isinstance(x, int)], [x for x in b if not isinstance(x, int)]
    if pa % pb == 0:
        return a + ([pa // pb] if pa != pb else []), b
    if pb % pa == 0:
        return a, b + [pb // pa]
    return a + [pa], b + [pb]


def _flat(d: tuple[Dim, ...]) -> tuple[Dim, ...]:
    """A product's factors, nested products (a size bound to a product) written out."""
    out: list[Dim] = []
    for x in d:
        out.extend(_flat(x) if isinstance(x, tuple) else (x,))
    return tuple(out)


def _size(d: Dim) -> int | None:
    if isinstance(d, int):
        return d
    if isinstance(d, tuple):
        total = 1
        for x in d:
            s = _size(x)
            if s is None:
                return None
            total *= s
        return total
    return None
