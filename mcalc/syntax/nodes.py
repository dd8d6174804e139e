"""The immutable expression tree.

Every node is a frozen, slotted dataclass. Structural equality and hashing ignore the source span,
so two trees that differ only in where they were typed compare equal; the hash is cached because
the simplifier and the evaluator key dictionaries by whole subtrees.

Dimensions (`Dim`) are either concrete sizes (`int`) or symbol names (`str`); a product of
dimensions (the size of `vec(X)` or of a Kronecker product) is a tuple of its factors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from fractions import Fraction
from operator import attrgetter
from typing import Any, ClassVar, TypeAlias

from mcalc.errors import Span

Dim: TypeAlias = int | str | tuple["Dim", ...]
# The size of an input `𝟙` / `ones` / `1ᵀ`: fixed by shape inference from the context (like a bare I).
BY_CONTEXT = "·context"


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    span: Span | None = field(default=None, compare=False, kw_only=True, repr=False)
    _hash: int = field(default=0, compare=False, init=False, repr=False)
    # an equal node met before (set by __eq__): chains of these lead to one representative, so a pair of
    # equal trees is compared node by node once, not on every later comparison of trees that contain them
    _same: Node | None = field(default=None, compare=False, init=False, repr=False)

    # Names of the child-node fields, in order; tuples of nodes are allowed.
    CHILDREN: ClassVar[tuple[str, ...]] = ()

    def key(self) -> tuple[Any, ...]:
        getter = _KEY_GETTERS.get(type(self))
        if getter is None:
            getter = _key_getter(type(self))
        return getter(self)

    def __hash__(self) -> int:
        h = self._hash
        if h == 0:
            h = hash((type(self).__name__, self.key())) or 1
            object.__setattr__(self, "_hash", h)
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
        object.__setattr__(b, "_same", a)
        return True

    def _representative(self) -> Node:
        n = self
        while n._same is not None:
            n = n._same
        if n is not self and self._same is not n:
            object.__setattr__(self, "_same", n)  # the chain shortened for next time
        return n

    def children(self) -> tuple[Node, ...]:
        getter = _CHILD_GETTERS.get(type(self))
        if getter is None:
            getter = _child_getter(type(self))
        return getter(self)


# Per-class accessors, built once: keys and children are read millions of times on a large input (a
# 3,000-term sum), and the generic `fields()` walk was most of the simplifier's time.
_KEY_GETTERS: dict[type, Callable[[Node], tuple[Any, ...]]] = {}
_CHILD_GETTERS: dict[type, Callable[[Node], tuple[Node, ...]]] = {}


def _key_getter(cls: type[Node]) -> Callable[[Node], tuple[Any, ...]]:
    names = tuple(f.name for f in fields(cls) if f.compare)
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
    tuple_fields = [f.name for f in fields(cls) if f.name in names and "tuple" in str(f.type)]
    getter: Callable[[Node], Any]
    if not names:
        getter = _no_children
    elif tuple_fields == list(names) and len(names) == 1:
        getter = attrgetter(names[0])  # terms / factors: already a tuple of nodes
    elif not tuple_fields:
        if len(names) == 1:
            one = attrgetter(names[0])

            def getter(n: Node) -> tuple[Node, ...]:
                return (one(n),)

        else:
            getter = attrgetter(*names)
    else:

        def getter(n: Node) -> tuple[Node, ...]:
            out: list[Node] = []
            for name in names:
                value = getattr(n, name)
                if isinstance(value, tuple):
                    out.extend(value)
                else:
                    out.append(value)
            return tuple(out)

    _CHILD_GETTERS[cls] = getter
    return getter


# --- leaves -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Symbol(Node):
    """A named variable; its kind and shape live in the shape environment, not in the node."""

    name: str


@dataclass(frozen=True, slots=True, eq=False)
class Number(Node):
    value: Fraction


@dataclass(frozen=True, slots=True, eq=False)
class Identity(Node):
    """The identity matrix; `dim` is None until shape inference fixes the size the context needs."""

    dim: Dim | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Ones(Node):
    """The all-ones matrix (or vector, when cols == 1)."""

    rows: Dim
    cols: Dim


@dataclass(frozen=True, slots=True, eq=False)
class Zero(Node):
    rows: Dim
    cols: Dim


@dataclass(frozen=True, slots=True, eq=False)
class Commutation(Node):
    """K with K vec(M) = vec(Mᵀ) for an r×c matrix M."""

    rows: Dim
    cols: Dim


@dataclass(frozen=True, slots=True, eq=False)
class Differential(Node):
    """dX: the differential of the variable `name`."""

    name: str


@dataclass(frozen=True, slots=True, eq=False)
class FunctionOf(Node):
    """A(t): the variable `name` as a function of the scalar `param`; `order` counts primes."""

    name: str
    param: str
    order: int = 0


# --- operators ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Add(Node):
    terms: tuple[Node, ...]
    CHILDREN: ClassVar[tuple[str, ...]] = ("terms",)


@dataclass(frozen=True, slots=True, eq=False)
class Mul(Node):
    """Product: a matrix chain in which scalar-shaped factors commute with everything."""

    factors: tuple[Node, ...]
    CHILDREN: ClassVar[tuple[str, ...]] = ("factors",)


@dataclass(frozen=True, slots=True, eq=False)
class Hadamard(Node):
    factors: tuple[Node, ...]
    CHILDREN: ClassVar[tuple[str, ...]] = ("factors",)


@dataclass(frozen=True, slots=True, eq=False)
class Kron(Node):
    left: Node
    right: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("left", "right")


@dataclass(frozen=True, slots=True, eq=False)
class Transpose(Node):
    arg: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True, slots=True, eq=False)
class Inverse(Node):
    arg: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True, slots=True, eq=False)
class Power(Node):
    """Matrix power of a square matrix (integer exponent), ordinary power of a scalar."""

    base: Node
    exponent: Fraction
    CHILDREN: ClassVar[tuple[str, ...]] = ("base",)


@dataclass(frozen=True, slots=True, eq=False)
class ElementPower(Node):
    """X.^p, entry by entry."""

    base: Node
    exponent: Fraction
    CHILDREN: ClassVar[tuple[str, ...]] = ("base",)


@dataclass(frozen=True, slots=True, eq=False)
class ElementPowerOf(Node):
    """B.^E with an expression for the exponent (`x.^t`, `2.^x`, `x.^y`), entry by entry: E is a scalar
    or has B's shape, and a scalar B is raised to every entry of E. The base must be positive: B.^E is
    exp(E ⊙ log B), and its derivative by E holds log B."""

    base: Node
    exponent: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("base", "exponent")


@dataclass(frozen=True, slots=True, eq=False)
class PowerOf(Node):
    """B^E with an expression for the exponent: the ordinary power of a positive scalar B (`(xᵀx)^p`),
    or the matrix power of a square B by a scalar that is a whole number ≥ 0 when evaluated (`X^k`)."""

    base: Node
    exponent: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("base", "exponent")


@dataclass(frozen=True, slots=True, eq=False)
class Bound(Node):
    """The index of a `SumOver`, bound by it: a whole number running over the sum's range, not a variable."""

    name: str


@dataclass(frozen=True, slots=True, eq=False)
class SumOver(Node):
    """∑_{index=0}^{count−1} body: a finite sum whose number of terms is an expression (k in d(Xᵏ) =
    ∑_{r=0}^{k−1} Xʳ dX X^(k−1−r)); `body` refers to the index as `Bound(index)`."""

    index: str
    count: Node
    body: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("count", "body")


@dataclass(frozen=True, slots=True, eq=False)
class Trace(Node):
    arg: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True, slots=True, eq=False)
class Det(Node):
    arg: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True, slots=True, eq=False)
class LogDet(Node):
    arg: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True, slots=True, eq=False)
class Apply(Node):
    """An elementwise function (exp, log, tanh, ...) applied entry by entry."""

    func: str
    arg: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True, slots=True, eq=False)
class Columnwise(Node):
    """A catalogue function of a whole column (softmax, logsumexp), applied to each column of a matrix:
    not entry by entry, so it never commutes with a transpose and has its own derivative and shape."""

    func: str
    arg: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True, slots=True, eq=False)
class Norm(Node):
    """‖X‖: p = 2 is the Euclidean / Frobenius norm, p = 1 the sum of absolute values.

    `written` is the subscript the user typed (`2`, `1`, `inf`, `F`, or "" for none): on a matrix,
    ‖A‖₂, ‖A‖₁ and ‖A‖_inf are induced norms, which the shape layer refuses rather than read as
    entrywise ones."""

    arg: Node
    p: int = 2
    written: str = field(default="", compare=False)
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True, slots=True, eq=False)
class Sum(Node):
    """Sum of all entries."""

    arg: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True, slots=True, eq=False)
class Diag(Node):
    """diag: a vector to a diagonal matrix, or a square matrix to the vector of its diagonal."""

    arg: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True, slots=True, eq=False)
class Vec(Node):
    """Columns stacked into one vector."""

    arg: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True, slots=True, eq=False)
class Unvec(Node):
    """The inverse of vec: a vector of length rows·cols folded column by column."""

    arg: Node
    rows: Dim
    cols: Dim
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


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
        names = tuple(f.name for f in fields(cls) if f.init and f.name not in cls.CHILDREN and f.name != "span")
        _EXTRA_FIELDS[cls] = names
    for name in names:
        values[name] = getattr(node, name)
    return cls(**values, span=node.span)


# the non-child constructor fields of each class (a Power's exponent), cached: `fields()` is slow
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
