"""The immutable expression tree: one class per operator and leaf, on one base, Node: frozen and slotted,
with structural equality that ignores the source span, a cached hash (the simplifier and the evaluator key
dictionaries by whole subtrees) and per-class accessors for keys and children.

Dimensions (`Dim`) are either concrete sizes (`int`) or symbol names (`str`); a product of dimensions (the
size of `vec(X)` or of a Kronecker product) is a tuple of its factors.

The classes are written out rather than made by `@dataclass`: the dataclass machinery compiles several
methods per class, about 20 ms for these 31 classes, a tenth of a whole `mcalc diff` run. Each class lists
its constructor fields in `FIELDS` (the ones equality compares in `KEY`, when that is fewer) and the fields
that hold child nodes in `CHILDREN`. Structural equality and hashing ignore the source span.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from operator import attrgetter
from typing import Any, ClassVar, Self, TypeAlias

from mcalc.errors import Span

Dim: TypeAlias = int | str | tuple["Dim", ...]
# The size of an input `𝟙` / `ones` / `1ᵀ`: fixed by shape inference from the context (like a bare I).
BY_CONTEXT = "·context"
# The size of an input `unvec(v)`: fixed by shape inference from v's length (a product, as vec(X)'s is).
BY_ARGUMENT = "·argument"

# Nodes are frozen: their own __setattr__ refuses, so construction and the cached hash go around it.
_set = object.__setattr__


class Node:
    __slots__ = ("span", "_hash", "_same")
    span: Span | None
    _hash: int
    # an equal node met before (set by __eq__): chains of these lead to one representative, so a pair of
    # equal trees is compared node by node once, not on every later comparison of trees that contain them
    _same: Node | None

    # The constructor's fields in order (span, keyword-only, aside), the ones equality compares, and the
    # ones that hold child nodes (a field of `TUPLE_CHILD` classes is a tuple of nodes).
    FIELDS: ClassVar[tuple[str, ...]] = ()
    KEY: ClassVar[tuple[str, ...]] = ()
    CHILDREN: ClassVar[tuple[str, ...]] = ()
    TUPLE_CHILD: ClassVar[bool] = False

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: nodes are immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: nodes are immutable")

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__qualname__}({shown})"

    def with_span(self, span: Span | None) -> Self:
        """The same node, located at `span`."""
        return type(self)(*(getattr(self, name) for name in self.FIELDS), span=span)  # type: ignore[call-arg]

    def key(self) -> tuple[Any, ...]:
        getter = _KEY_GETTERS.get(type(self))
        if getter is None:
            getter = _key_getter(type(self))
        return getter(self)

    def __hash__(self) -> int:
        h = self._hash
        if h == 0:
            h = hash((type(self).__name__, self.key())) or 1
            _set(self, "_hash", h)
        return h

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(self) is not type(other):
            return False
        assert isinstance(other, Node)
        a, b = self._representative(), other._representative()
        if a is b:
            return True
        if hash(a) != hash(b) or a.key() != b.key():
            return False
        # equal: b now stands for a. Without this, a derivative's shared sub-trees (a deep chain's Hessian)
        # compared with an equal copy were walked as if unshared, exponentially often
        _set(b, "_same", a)
        return True

    def _representative(self) -> Node:
        n = self
        while n._same is not None:
            n = n._same
        if n is not self and self._same is not n:
            _set(self, "_same", n)  # the chain shortened for next time
        return n

    def children(self) -> tuple[Node, ...]:
        getter = _CHILD_GETTERS.get(type(self))
        if getter is None:
            getter = _child_getter(type(self))
        return getter(self)


# Per-class accessors, built once: keys and children are read millions of times on a large input (a
# 3,000-term sum), and a generic walk over the fields was most of the simplifier's time.
_KEY_GETTERS: dict[type, Callable[[Node], tuple[Any, ...]]] = {}
_CHILD_GETTERS: dict[type, Callable[[Node], tuple[Node, ...]]] = {}


def _key_getter(cls: type[Node]) -> Callable[[Node], tuple[Any, ...]]:
    names = cls.KEY or cls.FIELDS
    getter: Callable[[Node], Any]
    if len(names) == 1:
        one = attrgetter(names[0])

        def getter(n: Node) -> tuple[Any, ...]:
            return (one(n),)

    elif names:
        getter = attrgetter(*names)
    else:

        def getter(n: Node) -> tuple[Any, ...]:
            return ()

    _KEY_GETTERS[cls] = getter
    return getter


def _no_children(n: Node) -> tuple[Node, ...]:
    return ()


def _child_getter(cls: type[Node]) -> Callable[[Node], tuple[Node, ...]]:
    names = cls.CHILDREN
    getter: Callable[[Node], Any]
    if not names:
        getter = _no_children
    elif cls.TUPLE_CHILD:
        getter = attrgetter(names[0])  # terms / factors: already a tuple of nodes
    elif len(names) == 1:
        one = attrgetter(names[0])

        def getter(n: Node) -> tuple[Node, ...]:
            return (one(n),)

    else:
        getter = attrgetter(*names)
    _CHILD_GETTERS[cls] = getter
    return getter


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


class Frechet(Node):
    """L^(k)_f(A, E₁, …, E_k): the k-th Fréchet derivative of the matrix function `func` (expm, logm, ...: a
    catalogue entry) at the square matrix A = args[0], in the directions E₁ … E_k = args[1:]; k = 1 is
    L_f(A, E), with f(A + E) = f(A) + L_f(A, E) + o(‖E‖), so d f(X) = L_f(X, dX). Linear in each direction
    and symmetric in them. Not a closed matrix expression in general: evaluated numerically
    (mcalc.syntax.matrix_values) and named in the printed answer's `where` lines (Higham 2008, ch. 3)."""

    __slots__ = ("func", "args")
    func: str
    args: tuple[Node, ...]
    FIELDS = ("func", "args")
    CHILDREN = ("args",)
    TUPLE_CHILD = True

    def __init__(self, func: str, args: tuple[Node, ...], *, span: Span | None = None) -> None:
        _set(self, "func", func)
        _set(self, "args", args)
        _located(self, span)

    @property
    def at(self) -> Node:
        return self.args[0]

    @property
    def directions(self) -> tuple[Node, ...]:
        return self.args[1:]


class FrechetMatrix(Frechet):
    """K_f(A, E₂, …, E_k): the n²×n² matrix of the linear map E ↦ L^(k)_f(A, E, E₂, …, E_k), vec(L) = K vec(E)
    (the vec Jacobian of a Frechet node, for Jacobians and Hessians); args = (A, E₂, …, E_k)."""

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
    Trace, Det, LogDet, Apply, Columnwise, Frechet, FrechetMatrix, Norm, Sum, Diag, Vec, Unvec,
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

    try:
        return walk(node)
    finally:
        # a closure that calls itself is a reference cycle: freed now, not by the cyclic collector
        walk = None  # type: ignore[assignment]


def every_node(node: Node) -> list[Node]:
    """Every node of the tree, each occurrence, without recursion (a deep tree does not reach the limit)."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(n.children())
    return out


def distinct_nodes(node: Node) -> Iterator[Node]:
    """Each distinct sub-tree once (a shared sub-tree is visited once, not once per path to it), in reading
    order: a node before its children, left to right."""
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        yield n
        stack.extend(reversed(n.children()))


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
