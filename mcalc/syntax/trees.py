"""The shape of the tree the parser builds: flat sums and products gathered in one pass, and a cap on its
depth (chains of binary operators nest without limit otherwise)."""

from __future__ import annotations

from mcalc import stack as call_stack
from mcalc.errors import ParseError, Span
from mcalc.syntax.nodes import Add, Hadamard, Mul, Node

# Levels of the tree, chains included: `a ./ b ./ c …` nests its left side once per operator (so do
# / .* ⊙ ⊗), within the length limit 25,000 deep; 20,000 of `/ 2` grew to 1.7 GB before any answer.
MAX_TREE_DEPTH = 2_000


def check_tree_depth(root: Node) -> None:
    """Refuse a tree deeper than MAX_TREE_DEPTH, or than this thread's stack can take (mcalc.stack), before
    anything recurses through it (walked without recursion, in time linear in its size)."""
    limit = depth_limit()
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise ParseError(too_deep_message(limit), node.span)
        stack.extend((child, depth + 1) for child in node.children())


def depth_limit() -> int:
    """The deepest tree mcalc takes here: the fixed cap, or less when this thread's stack is small."""
    return min(MAX_TREE_DEPTH, call_stack.levels_allowed())


def too_deep_message(limit: int) -> str:
    chains = "counting one for each / ./ .* ⊙ ⊗ in a chain (each nests what is before it)"
    if limit < MAX_TREE_DEPTH:
        return call_stack.too_deep(limit, f", {chains}")
    return f"expression nested too deeply: more than {MAX_TREE_DEPTH:,} levels, {chains}"


class Flat:
    """The operands of one flat sum or product as it is read, built into a node once: rebuilding the
    tuple at every + made a 50,000-term sum quadratic (16 s of parsing, outside the time budget).
    (a + b) + c stays nested: the parentheses return a finished node."""

    def __init__(self, first: Node) -> None:
        self.kind: type[Add] | type[Mul] | type[Hadamard] | None = None
        self.items: list[Node] = [first]
        self.span: Span | None = first.span

    def single(self) -> Node | None:
        return self.items[0] if self.kind is None else None

    def extend(self, kind: type[Add] | type[Mul] | type[Hadamard], item: Node, spanned: Node | None = None) -> None:
        if self.kind is not kind:
            self.items = [self.node()]
            self.kind = kind
        self.items.append(item)
        end = (spanned or item).span
        self.span = end if self.span is None else (self.span if end is None else Span(self.span.start, end.end))

    def replace(self, node: Node) -> None:
        self.kind, self.items, self.span = None, [node], node.span

    def node(self) -> Node:
        if self.kind is None:
            return self.items[0]
        return self.kind(tuple(self.items), span=self.span)
