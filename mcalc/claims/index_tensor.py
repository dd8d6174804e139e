"""An index claim's free indices and their ranges (checked once, before any number), and its value as a
tensor at a point, built with numpy's einsum.

Einstein's convention: in a product, an index written twice is summed, once is free; three times is
refused. An index the left side of an equation states (`∂y_i/∂A_kl`) is free wherever it appears, so
`(exp(x))ᵢ δᵢₖ` (mcalc's own form of a diagonal Jacobian) is the entry (i, k), not a sum over i. Every term
of a sum has the same free indices; an index ranges over one dimension (the names' dimensions tell which).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import field
from typing import Any

from mcalc.errors import InputError, Span
from mcalc.records import Record, record
from mcalc.syntax import index_reader as R
from mcalc.syntax.index_reader import walk

Array = Any
ITERATIONS = 100  # a product's einsum may run over this many times the element budget (README § Limits)


def refuse(message: str, span: Span | None = None) -> InputError:
    """Bad input in the claim: `in the claim at col N: …`, JSON `"in": "claim"`."""
    err = InputError(message, span).in_claim()
    assert isinstance(err, InputError)
    return err


@record
class Ranges(Record):
    """Which dimension each index ranges over: a union of indices and dimensions (δᵢₖ joins i and k)."""

    env: Any
    parent: dict[Any, Any] = field(default_factory=dict)
    strict: bool = True  # False: conflicts pass (to count a claim's free indices as written)

    def copy(self) -> Ranges:
        return Ranges(self.env, dict(self.parent))

    def find(self, x: Any) -> Any:
        while self.parent.get(x, x) != x:
            x = self.parent[x]
        return x

    def dim_of(self, index: str) -> Any:
        root = self.find(("index", index))
        return root[1] if root[0] == "dim" else None

    def join(self, index: str, other: Any, span: Span | None, where: str) -> None:
        """Index `index` ranges over `other` (a dimension, or another index)."""
        a = self.find(("index", index))
        b = self.find(other if isinstance(other, tuple) and other[0] == "index" else ("dim", self.env.resolve(other)))
        if a == b:
            return
        if a[0] == "dim" and b[0] == "dim":
            if not self.strict:
                return
            from mcalc.shapes import dim_text

            raise refuse(
                f"index {index} ranges over two different dimensions, {dim_text(a[1])} and {dim_text(b[1])} ({where})",
                span,
            )
        if a[0] == "dim":
            a, b = b, a
        self.parent[a] = b


@record
class Reading(Record):
    """The claim checked: the free indices of every node, the pieces of mcalc text with their trees."""

    stated: frozenset[str]  # indices the left side states: free wherever they appear
    trees: Mapping[str, Any]  # an entry's mcalc text → its tree
    ranges: Ranges
    free: dict[int, tuple[str, ...]] = field(default_factory=dict)  # id(node) → its free indices, in order

    def of(self, node: R.IndexNode) -> tuple[str, ...]:
        return self.free[id(node)]


def free_indices(node: R.IndexNode, rd: Reading) -> tuple[str, ...]:
    """The node's free indices (checked: counts in products, equal sets in sums, one range each)."""
    out = _FREE[type(node)](node, rd)
    rd.free[id(node)] = out
    return out


def _entry(node: R.Entry, rd: Reading) -> tuple[str, ...]:
    from mcalc.shapes import shape_text

    env = rd.ranges.env
    r, c = env.shape(rd.trees[node.text])
    dims = {0: [], 1: [r] if c == 1 else [c] if r == 1 else None, 2: [r, c]}.get(len(node.indices))
    what = node.text.strip()
    if dims is None or (len(node.indices) == 2 and (r == 1 or c == 1)) or (not node.indices and (r, c) != (1, 1)):
        need = "no index" if (r, c) == (1, 1) else "one index" if 1 in (r, c) else "two indices"
        raise refuse(f"{what} is {shape_text((r, c))}: its entries take {need}", node.span)
    for x, d in zip(node.indices, dims, strict=True):
        rd.ranges.join(x, d, node.span, f"{what} is {shape_text((r, c))}")
    if len(node.indices) == 2 and node.indices[0] == node.indices[1]:  # Aᵢᵢ: the trace, or the diagonal
        return node.indices[:1] if node.indices[0] in rd.stated else ()
    return node.indices


def _delta(node: R.Delta, rd: Reading) -> tuple[str, ...]:
    rd.ranges.join(node.a, ("index", node.b), node.span, f"δ{node.a}{node.b}")
    if node.a == node.b:  # δᵢᵢ: n, or 1 for every i when i is free
        return (node.a,) if node.a in rd.stated else ()
    return (node.a, node.b)


def _product(node: R.Product, rd: Reading) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for f in node.factors:
        for x in free_indices(f, rd):
            counts[x] = counts.get(x, 0) + 1
    for x, n in counts.items():
        if n > 2 and x not in rd.stated:
            told = f"index {x} is used {n} times in one product (at most twice: once free, twice summed)"
            raise refuse(told, node.span)
    return tuple(x for x, n in counts.items() if n == 1 or x in rd.stated)


def _sum(node: R.Sum, rd: Reading) -> tuple[str, ...]:
    first = free_indices(node.terms[0], rd)
    for term in node.terms[1:]:
        here = free_indices(term, rd)
        odd = sorted(set(first) ^ set(here))
        if odd:
            span = getattr(term, "span", node.span)
            told = f"index {odd[0]} is free in one term and not in another (every term needs the same free indices)"
            raise refuse(told, span)
    return first


def _power(node: R.Power, rd: Reading) -> tuple[str, ...]:
    return free_indices(node.base, rd)


def _apply(node: R.Apply, rd: Reading) -> tuple[str, ...]:
    from mcalc.syntax import functions

    f = functions.lookup(node.function)
    if f is None or not f.elementwise or f.abstract or f.arity != 1:
        told = f"{node.function} of an index expression: only elementwise functions (exp, log, …) apply to entries"
        raise refuse(told, node.span)
    return free_indices(node.arg, rd)


def _sum_over(node: R.SumOver, rd: Reading) -> tuple[str, ...]:
    inner = free_indices(node.body, rd)
    for x in node.indices:
        if x not in inner and not _mentions(node.body, x):
            raise refuse(f"∑_{x}: the index {x} does not occur in the sum", node.span)
        if x in rd.stated:
            raise refuse(f"∑_{x}: {x} is a free index of the left side; it cannot also be summed", node.span)
    return tuple(x for x in inner if x not in node.indices)


def _num(node: R.Num, rd: Reading) -> tuple[str, ...]:
    return ()


_FREE: dict[type, Callable[[Any, Reading], tuple[str, ...]]] = {
    R.Entry: _entry, R.Delta: _delta, R.Product: _product, R.Sum: _sum, R.Power: _power, R.Apply: _apply,
    R.SumOver: _sum_over, R.Num: _num,
}  # fmt: skip


def _mentions(node: R.IndexNode, x: str) -> bool:
    for n in walk(node):
        if (isinstance(n, R.Entry) and x in n.indices) or (isinstance(n, R.Delta) and x in (n.a, n.b)):
            return True
    return False


# --- values ---

Labelled = tuple[Array, tuple[str, ...]]


@record
class Point(Record):
    """One random point: the pieces' values and each index's size."""

    rd: Reading
    pieces: Mapping[str, Array]  # an entry's mcalc text → its value as a 2-d array
    sizes: Mapping[str, int]


def value(node: R.IndexNode, pt: Point) -> Labelled:
    return _VALUE[type(node)](node, pt)


def _v_entry(node: R.Entry, pt: Point) -> Labelled:
    arr = pt.pieces[node.text]
    if not node.indices:
        return arr.reshape(-1)[0], ()
    if len(node.indices) == 1:
        return arr.reshape(-1), node.indices
    return _einsum([arr], [node.indices], pt.rd.of(node)), pt.rd.of(node)


def _v_delta(node: R.Delta, pt: Point) -> Labelled:
    import numpy as np

    n = pt.sizes[node.a]
    if node.a == node.b:
        labels = pt.rd.of(node)
        return (np.ones(n), labels) if labels else (float(n), ())
    return np.eye(n), (node.a, node.b)


def _v_product(node: R.Product, pt: Point) -> Labelled:
    parts = [value(f, pt) for f in node.factors]
    out = pt.rd.of(node)
    return _einsum([a for a, _ in parts], [lab for _, lab in parts], out), out


def _v_sum(node: R.Sum, pt: Point) -> Labelled:
    import numpy as np

    out = pt.rd.of(node)
    total = np.zeros([pt.sizes[x] for x in out])
    for term in node.terms:
        arr, labels = value(term, pt)
        total = total + _einsum([arr], [labels], out)
    return total, out


def _v_power(node: R.Power, pt: Point) -> Labelled:
    import numpy as np

    arr, labels = value(node.base, pt)
    with np.errstate(all="ignore"):
        return np.power(np.asarray(arr, dtype=float), float(node.exponent)), labels


def _v_apply(node: R.Apply, pt: Point) -> Labelled:
    import numpy as np

    from mcalc.syntax import functions

    arr, labels = value(node.arg, pt)
    f = functions.lookup(node.function)
    assert f is not None
    a = np.asarray(arr, dtype=float)
    with np.errstate(all="ignore"):
        return np.asarray(f.evaluate(a.reshape(-1, 1)), dtype=float).reshape(a.shape), labels


def _v_sum_over(node: R.SumOver, pt: Point) -> Labelled:
    arr, labels = value(node.body, pt)
    out = pt.rd.of(node)
    return _einsum([arr], [labels], out), out


def _v_num(node: R.Num, pt: Point) -> Labelled:
    return float(node.value), ()


_VALUE: dict[type, Callable[[Any, Point], Labelled]] = {
    R.Entry: _v_entry, R.Delta: _v_delta, R.Product: _v_product, R.Sum: _v_sum, R.Power: _v_power,
    R.Apply: _v_apply, R.SumOver: _v_sum_over, R.Num: _v_num,
}  # fmt: skip


def _einsum(arrays: list[Array], labels: list[tuple[str, ...]], out: tuple[str, ...]) -> Array:
    """Σ over the labels not in `out` of the product of the arrays (a label in `out` no array carries is
    not allowed here: the callers' free indices always come from the arrays)."""
    import numpy as np

    from mcalc.numeric.budget import max_elements

    spec = ",".join("".join(lab) for lab in labels) + "->" + "".join(out)
    return np.einsum(spec, *[np.asarray(a, dtype=float) for a in arrays], optimize=("greedy", max_elements()))


def within_budget(body: R.IndexNode, rd: Reading, sizes: Mapping[str, int], order: tuple[str, ...]) -> None:
    """Refuse before evaluating: a node's tensor over the element budget (numeric.budget), or a product
    whose indices together span over ITERATIONS × the budget entries (einsum's work)."""
    from mcalc.numeric import budget

    def span(indices: Collection[str]) -> int:
        total = 1
        for x in indices:
            total *= sizes[x]
        return total

    budget.require("the claim's tensor", span(order))
    for n in walk(body):
        budget.require("a tensor of the claim", span(set(rd.free.get(id(n), ()))))
        if isinstance(n, R.Product):
            every = {x for f in n.factors for x in rd.free.get(id(f), ())}
            work, limit = span(every), ITERATIONS * budget.max_elements()
            if work > limit:
                raise InputError(
                    f"too large: a product of the claim runs over {work:,} combinations of its indices; the limit is "
                    f"{limit:,} ({ITERATIONS} × the element budget; raise it with {budget.ENV_VAR}=N)"
                )
    # einsum keeps its intermediates within the budget too (optimize="greedy" with a memory limit)


def tensor(body: R.IndexNode, pt: Point, order: tuple[str, ...]) -> Array:
    """The claim's value with its axes in `order` (an index of `order` the body does not carry: the claim
    is constant along it)."""
    import numpy as np

    arr, labels = value(body, pt)
    operands = [np.asarray(arr, dtype=float)]
    subs = [labels]
    for x in order:
        if x not in labels:
            operands.append(np.ones(pt.sizes[x]))
            subs.append((x,))
    return _einsum(operands, subs, order)
