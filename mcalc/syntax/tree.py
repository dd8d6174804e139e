"""The base of every expression node: frozen and slotted, with structural equality that ignores the
source span, a cached hash (the simplifier and the evaluator key dictionaries by whole subtrees) and
per-class accessors for keys and children. The node classes themselves are in mcalc.syntax.nodes.

Dimensions (`Dim`) are either concrete sizes (`int`) or symbol names (`str`); a product of
dimensions (the size of `vec(X)` or of a Kronecker product) is a tuple of its factors.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar, Self, TypeAlias

from mcalc.errors import Span

Dim: TypeAlias = int | str | tuple["Dim", ...]
# The size of an input `𝟙` / `ones` / `1ᵀ`: fixed by shape inference from the context (like a bare I).
BY_CONTEXT = "·context"

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
