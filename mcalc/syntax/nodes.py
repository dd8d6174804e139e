"""The immutable expression tree: one class per operator and leaf (their base, Node, is in
mcalc.syntax.tree).

The classes are written out rather than made by `@dataclass`: the dataclass machinery compiles several
methods per class, about 20 ms for these 31 classes, a tenth of a whole `mcalc diff` run. Each class lists
its constructor fields in `FIELDS` (the ones equality compares in `KEY`, when that is fewer) and the fields
that hold child nodes in `CHILDREN`. Structural equality and hashing ignore the source span.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any, ClassVar

from mcalc.errors import Span
from mcalc.syntax.tree import BY_CONTEXT as BY_CONTEXT
from mcalc.syntax.tree import Dim as Dim
from mcalc.syntax.tree import Node as Node

# nodes are frozen (Node.__setattr__ refuses): the constructors set their fields around it
_set = object.__setattr__


def _located(node: Node, span: Span | None) -> None:
    """The fields every node has: where it was typed, and the hash and equal representative not yet known."""
    _set(node, "span", span)
    _set(node, "_hash", 0)
    _set(node, "_same", None)


# --- leaves -------------------------------------------------------------------------------------


class _Named(Node):
    __slots__ = ("name",)
    name: str
    FIELDS = ("name",)

    def __init__(self, name: str, *, span: Span | None = None) -> None:
        _set(self, "name", name)
        _located(self, span)


class _Sized(Node):
    __slots__ = ("rows", "cols")
    rows: Dim
    cols: Dim
    FIELDS = ("rows", "cols")

    def __init__(self, rows: Dim, cols: Dim, *, span: Span | None = None) -> None:
        _set(self, "rows", rows)
        _set(self, "cols", cols)
        _located(self, span)


class Symbol(_Named):
    """A named variable; its kind and shape live in the shape environment, not in the node."""

    __slots__ = ()


class Number(Node):
    __slots__ = ("value",)
    value: Fraction
    FIELDS = ("value",)

    def __init__(self, value: Fraction, *, span: Span | None = None) -> None:
        _set(self, "value", value)
        _located(self, span)


class Identity(Node):
    """The identity matrix; `dim` is None until shape inference fixes the size the context needs."""

    __slots__ = ("dim",)
    dim: Dim | None
    FIELDS = ("dim",)

    def __init__(self, dim: Dim | None = None, *, span: Span | None = None) -> None:
        _set(self, "dim", dim)
        _located(self, span)


class Ones(_Sized):
    """The all-ones matrix (or vector, when cols == 1)."""

    __slots__ = ()


class Zero(_Sized):
    __slots__ = ()


class Commutation(_Sized):
    """K with K vec(M) = vec(Mᵀ) for an r×c matrix M."""

    __slots__ = ()


class Differential(_Named):
    """dX: the differential of the variable `name`."""

    __slots__ = ()


class FunctionOf(Node):
    """A(t): the variable `name` as a function of the scalar `param`; `order` counts primes."""

    __slots__ = ("name", "param", "order")
    name: str
    param: str
    order: int
    FIELDS = ("name", "param", "order")

    def __init__(self, name: str, param: str, order: int = 0, *, span: Span | None = None) -> None:
        _set(self, "name", name)
        _set(self, "param", param)
        _set(self, "order", order)
        _located(self, span)


# --- operators ----------------------------------------------------------------------------------


class Add(Node):
    __slots__ = ("terms",)
    terms: tuple[Node, ...]
    FIELDS = CHILDREN = ("terms",)
    TUPLE_CHILD = True

    def __init__(self, terms: tuple[Node, ...], *, span: Span | None = None) -> None:
        _set(self, "terms", terms)
        _located(self, span)


class _Factors(Node):
    __slots__ = ("factors",)
    factors: tuple[Node, ...]
    FIELDS = CHILDREN = ("factors",)
    TUPLE_CHILD = True

    def __init__(self, factors: tuple[Node, ...], *, span: Span | None = None) -> None:
        _set(self, "factors", factors)
        _located(self, span)


class Mul(_Factors):
    """Product: a matrix chain in which scalar-shaped factors commute with everything."""

    __slots__ = ()


class Hadamard(_Factors):
    __slots__ = ()


class Kron(Node):
    __slots__ = ("left", "right")
    left: Node
    right: Node
    FIELDS = CHILDREN = ("left", "right")

    def __init__(self, left: Node, right: Node, *, span: Span | None = None) -> None:
        _set(self, "left", left)
        _set(self, "right", right)
        _located(self, span)


class Unary(Node):
    """An operator of one node, `arg` (the base of tr, det, ᵀ, …; and of the steps' d(·))."""

    __slots__ = ("arg",)
    arg: Node
    FIELDS = CHILDREN = ("arg",)

    def __init__(self, arg: Node, *, span: Span | None = None) -> None:
        _set(self, "arg", arg)
        _located(self, span)


class Transpose(Unary):
    __slots__ = ()


class Inverse(Unary):
    __slots__ = ()


class _Raised(Node):
    """A base and an exponent: a number (`Power`, `ElementPower`) or a node (`PowerOf`, `ElementPowerOf`)."""

    __slots__ = ("base", "exponent")
    base: Node
    FIELDS = ("base", "exponent")
    CHILDREN: ClassVar[tuple[str, ...]] = ("base",)

    def __init__(self, base: Node, exponent: Any, *, span: Span | None = None) -> None:
        _set(self, "base", base)
        _set(self, "exponent", exponent)
        _located(self, span)


class Power(_Raised):
    """Matrix power of a square matrix (integer exponent), ordinary power of a scalar."""

    __slots__ = ()
    exponent: Fraction


class ElementPower(_Raised):
    """X.^p, entry by entry."""

    __slots__ = ()
    exponent: Fraction


class ElementPowerOf(_Raised):
    """B.^E with an expression for the exponent (`x.^t`, `2.^x`, `x.^y`), entry by entry: E is a scalar
    or has B's shape, and a scalar B is raised to every entry of E. The base must be positive: B.^E is
    exp(E ⊙ log B), and its derivative by E holds log B."""

    __slots__ = ()
    exponent: Node
    CHILDREN = ("base", "exponent")


class PowerOf(_Raised):
    """B^E with an expression for the exponent: the ordinary power of a positive scalar B (`(xᵀx)^p`),
    or the matrix power of a square B by a scalar that is a whole number ≥ 0 when evaluated (`X^k`)."""

    __slots__ = ()
    exponent: Node
    CHILDREN = ("base", "exponent")


class Bound(_Named):
    """The index of a `SumOver`, bound by it: a whole number running over the sum's range, not a variable."""

    __slots__ = ()


class SumOver(Node):
    """∑_{index=0}^{count−1} body: a finite sum whose number of terms is an expression (k in d(Xᵏ) =
    ∑_{r=0}^{k−1} Xʳ dX X^(k−1−r)); `body` refers to the index as `Bound(index)`."""

    __slots__ = ("index", "count", "body")
    index: str
    count: Node
    body: Node
    FIELDS = ("index", "count", "body")
    CHILDREN = ("count", "body")

    def __init__(self, index: str, count: Node, body: Node, *, span: Span | None = None) -> None:
        _set(self, "index", index)
        _set(self, "count", count)
        _set(self, "body", body)
        _located(self, span)


class Trace(Unary):
    __slots__ = ()


class Det(Unary):
    __slots__ = ()


class LogDet(Unary):
    __slots__ = ()


class _Applied(Node):
    """A catalogue function (by name) of one node."""

    __slots__ = ("func", "arg")
    func: str
    arg: Node
    FIELDS = ("func", "arg")
    CHILDREN = ("arg",)

    def __init__(self, func: str, arg: Node, *, span: Span | None = None) -> None:
        _set(self, "func", func)
        _set(self, "arg", arg)
        _located(self, span)


class Apply(_Applied):
    """An elementwise function (exp, log, tanh, ...) applied entry by entry."""

    __slots__ = ()


class Columnwise(_Applied):
    """A catalogue function of a whole column (softmax, logsumexp), applied to each column of a matrix:
    not entry by entry, so it never commutes with a transpose and has its own derivative and shape."""

    __slots__ = ()


class Norm(Node):
    """‖X‖: p = 2 is the Euclidean / Frobenius norm, p = 1 the sum of absolute values.

    `written` is the subscript the user typed (`2`, `1`, `inf`, `F`, or "" for none): on a matrix,
    ‖A‖₂, ‖A‖₁ and ‖A‖_inf are induced norms, which the shape layer refuses rather than read as
    entrywise ones. Equality ignores it."""

    __slots__ = ("arg", "p", "written")
    arg: Node
    p: int
    written: str
    FIELDS = ("arg", "p", "written")
    KEY = ("arg", "p")
    CHILDREN = ("arg",)

    def __init__(self, arg: Node, p: int = 2, written: str = "", *, span: Span | None = None) -> None:
        _set(self, "arg", arg)
        _set(self, "p", p)
        _set(self, "written", written)
        _located(self, span)


class Sum(Unary):
    """Sum of all entries."""

    __slots__ = ()


class Diag(Unary):
    """diag: a vector to a diagonal matrix, or a square matrix to the vector of its diagonal."""

    __slots__ = ()


class Vec(Unary):
    """Columns stacked into one vector."""

    __slots__ = ()


class Unvec(Node):
    """The inverse of vec: a vector of length rows·cols folded column by column."""

    __slots__ = ("arg", "rows", "cols")
    arg: Node
    rows: Dim
    cols: Dim
    FIELDS = ("arg", "rows", "cols")
    CHILDREN = ("arg",)

    def __init__(self, arg: Node, rows: Dim, cols: Dim, *, span: Span | None = None) -> None:
        _set(self, "arg", arg)
        _set(self, "rows", rows)
        _set(self, "cols", cols)
        _located(self, span)


OPERATORS: tuple[type[Node], ...] = (
    Add, Mul, Hadamard, Kron, Transpose, Inverse, Power, ElementPower, ElementPowerOf, PowerOf, SumOver,
    Trace, Det, LogDet, Apply, Columnwise, Norm, Sum, Diag, Vec, Unvec,
)  # fmt: skip
LEAVES: tuple[type[Node], ...] = (
    Symbol, Number, Identity, Ones, Zero, Commutation, Differential, FunctionOf, Bound,
)  # fmt: skip


def rebuild(node: Node, children: tuple[Node, ...]) -> Node:
    """A copy of `node` with new children, in the order `node.children()` lists them."""
    if not node.CHILDREN:
        return node
    values: dict[str, Any] = {}
    i = 0
    for name in node.CHILDREN:
        old = getattr(node, name)
        if isinstance(old, tuple):
            values[name] = tuple(children[i : i + len(old)])
            i += len(old)
        else:
            values[name] = children[i]
            i += 1
    cls = type(node)
    names = _EXTRA_FIELDS.get(cls)
    if names is None:
        names = tuple(name for name in cls.FIELDS if name not in cls.CHILDREN)
        _EXTRA_FIELDS[cls] = names
    for name in names:
        values[name] = getattr(node, name)
    return cls(**values, span=node.span)  # type: ignore[call-arg]


# the non-child constructor fields of each class (a Power's exponent), cached
_EXTRA_FIELDS: dict[type, tuple[str, ...]] = {}


def contains(node: Node, target: Node) -> bool:
    """Does `target` occur in `node`? (Iterative: trees can be deep.)"""
    stack = [node]
    while stack:
        n = stack.pop()
        if n == target:
            return True
        stack.extend(n.children())
    return False


def free_symbols(node: Node) -> list[str]:
    """Variable names in order of first appearance (functions of t count under their own name)."""
    seen: dict[str, None] = {}
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Symbol):
            seen.setdefault(n.name)
        elif isinstance(n, FunctionOf):
            seen.setdefault(n.name)
            seen.setdefault(n.param)
        stack.extend(reversed(n.children()))
    return list(seen)


ONE = Number(Fraction(1))
MINUS_ONE = Number(Fraction(-1))


def substitute(node: Node, mapping: dict[Node, Node]) -> Node:
    """Replace every occurrence of a key of `mapping` (matched structurally)."""
    memo: dict[Node, Node] = {}

    def walk(n: Node) -> Node:
        if n in mapping:
            return mapping[n]
        hit = memo.get(n)
        if hit is not None:
            return hit
        kids = n.children()
        out = n if not kids else rebuild(n, tuple(walk(k) for k in kids))
        memo[n] = out
        return out

    return walk(node)


def tree_size(node: Node) -> int:
    """Number of nodes, counting a shared subtree at every place it occurs (the printed size)."""
    sizes: dict[Node, int] = {}
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        n, done = stack.pop()
        if n in sizes:
            continue
        if done:
            sizes[n] = 1 + sum(sizes[c] for c in n.children())
            continue
        stack.append((n, True))
        stack.extend((c, False) for c in n.children() if c not in sizes)
    return sizes[node]


def contains_type(node: Node, cls: type[Node]) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cls):
            return True
        stack.extend(n.children())
    return False


INDEX_NAMES = ("r", "s", "q", "j", "l", "u", "v", "w")


def fresh_index(node: Node, variables: Iterable[str] = ()) -> str:
    """A name for the index of a new sum inside `node`: one that no variable (of `node` or of the whole
    expression, `variables`) and no other index there uses."""
    taken: set[str] = set(variables)
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (Symbol, Bound, Differential)):
            taken.add(n.name)
        elif isinstance(n, SumOver):
            taken.add(n.index)
        stack.extend(n.children())
    for name in INDEX_NAMES:
        if name not in taken:
            return name
    return next(f"r{i}" for i in range(1, len(taken) + 2) if f"r{i}" not in taken)
