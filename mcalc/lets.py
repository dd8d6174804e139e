"""Named intermediates: `--let "e = y - Phi theta"`, the seed's own method for the least-squares example.

A let name stands in the expression for its definition. Shapes are inferred on the expression with every
name expanded (so `y`, `Φ`, `θ` unify as if written out); the name then keeps its definition's shape in
the environment (`env.lets`, `env.let_kinds`) without being a variable: `--at` gives values for the free
names only, and the evaluator computes a let name from its definition. The derivative goes through the
names by the chain rule (`d e = d(y − Φθ)`, `mcalc.calculus.rules`), so a result reads in terms of the
names (`−2Φᵀe`); where the names written out give the shorter result (a difference that cancels), that
one is printed instead.

Rules of the language: a let may use the free names and earlier lets, never itself or a later one; a let
name is not declared (`--scalar e`), differentiated by (`--wrt e`) or given a value (`--at e=...`): each
is refused with one line that names the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from mcalc.errors import InputError, McalcError
from mcalc.records import Record, record
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node
from mcalc.syntax.trees import depth_limit, too_deep_message


@record(frozen=True)
class Let(Record):
    name: str
    source: str  # the definition as typed
    tree: Node  # parsed, without source positions (they point into the definition, not the expression)


SHOWN = 80  # characters of a definition an error line repeats (a 12,000-character --let was echoed whole)


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def parse_lets(items: Sequence[tuple[str, str]], params: frozenset[str]) -> list[Let]:
    """Each (NAME, EXPR) parsed; a name given twice, or a definition that uses its own name or a later
    let's, is refused."""
    from mcalc.syntax.parser import parse

    out: list[Let] = []
    names = [name for name, _ in items]
    for i, (name, text) in enumerate(items):
        if name in names[:i]:
            raise InputError(f"--let {name} is given twice; give each name one definition")
        try:
            tree = parse(text, params)
        except McalcError as exc:
            where = f" at col {exc.span.start + 1} of the definition" if exc.span and len(text) > SHOWN else ""
            exc.message = f"in --let {name} = {_shown(text)}: {exc.message}{where}"
            exc.span = None  # the column is in the definition, which the error line does not show
            raise
        used = N.free_symbols(tree)
        if name in used:
            raise InputError(f"--let {name} = {_shown(text)} uses {name} itself; a let is defined by other names")
        later = [n for n in names[i + 1 :] if n in used]
        if later:
            raise InputError(
                f"--let {name} uses {later[0]}, which a later --let defines: put the --let for {later[0]} first"
            )
        out.append(Let(name, text, strip_spans(tree)))
    return out


def strip_spans(node: Node) -> Node:
    """A copy of the tree with no source positions."""
    kids = node.children()
    if not kids:
        return _respan(node, None)
    return _respan(N.rebuild(node, tuple(strip_spans(k) for k in kids)), None)


def _respan(node: Node, span: None) -> Node:
    return node if node.span is None else node.with_span(span)


class Expander:
    """Every let name replaced by its definition, written out. Each name expands to one tree object (a
    name used twice shares it), and no other node is copied: shape inference keys the size of each `I`
    by the identity of its node, and the fixed-up definitions must find those sizes."""

    def __init__(self, lets: Iterable[Let]) -> None:
        self.defs = {let.name: let.tree for let in lets}
        self.done: dict[str, Node] = {}

    def __call__(self, node: Node) -> Node:
        if isinstance(node, N.Symbol) and node.name in self.defs:
            hit = self.done.get(node.name)
            if hit is None:
                hit = self.done[node.name] = self(self.defs[node.name])
            if node.span is not None and hit.children():
                # the name's place in the expression: a shape error there says "e is ...", at its column
                return hit.with_span(node.span)
            return hit
        kids = node.children()
        if not kids:
            return node
        new = tuple(self(k) for k in kids)
        if all(a is b for a, b in zip(new, kids, strict=True)):
            return node
        return N.rebuild(node, new)


# The expression with every name written out is what shapes are inferred on: a chain of lets that each
# use the one before twice doubles it at every step (e₂ = e₁ + A e₁, ...), so its size is bounded like
# the length of an input (README § Limits), and counted on the shared tree before anything walks it.
MAX_EXPANDED = 20_000
SHORTER_TRIES = 2_000  # a result written out larger than this keeps its names without trying


def check_size(trees: Iterable[Node]) -> None:
    """Refuse, with one line, an expression that --let names make too large once written out."""
    size = sum(N.tree_size(t) for t in trees)
    if size > MAX_EXPANDED:
        raise InputError(
            f"with every --let name written out the expression has {size:,} nodes; mcalc works with at most "
            f"{MAX_EXPANDED:,} (a let used twice in the next one doubles it): use each name fewer times"
        )


def check_depth(trees: Iterable[Node], lets: Sequence[Let]) -> None:
    """Refuse an expression nested too deeply once its --let names are written out (each let adds the depth
    of its definition), before writing it out: that recursion would overflow the stack itself."""
    limit = depth_limit()
    depth_of: dict[str, int] = {}
    for let in lets:  # in definition order: a let uses the lets before it
        depth_of[let.name] = _written_depth(let.tree, depth_of)
    for tree in trees:
        if _written_depth(tree, depth_of) > limit:
            raise InputError(f"with every --let name written out, {too_deep_message(limit)}")


def _written_depth(root: Node, depth_of: Mapping[str, int]) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, N.Symbol) and node.name in depth_of:
            depth += depth_of[node.name] - 1
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children())
    return deepest


def used_lets(trees: Iterable[Node], lets: Sequence[Let]) -> list[Let]:
    """The lets the trees use, directly or through other lets, in definition order."""
    by_name = {let.name: let for let in lets}
    seen: set[str] = set()
    stack = [name for t in trees for name in N.free_symbols(t) if name in by_name]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(n for n in N.free_symbols(by_name[name].tree) if n in by_name)
    return [let for let in lets if let.name in seen]


def refuse_values(lets: Sequence[Let], values: Iterable[str]) -> None:
    """`--at e=...` for a let name: refused (its value is its definition's), never silently ignored."""
    by_name = {let.name: let for let in lets}
    for name in values:
        let = by_name.get(name)
        if let is not None:
            free = ", ".join(n for n in N.free_symbols(let.tree) if n not in by_name) or "its variables"
            raise InputError(
                f"{name} is a --let name ({name} = {let.source}), computed from its definition: "
                f"give values for {free}, not for {name}"
            )


def refuse_declared(lets: Sequence[Let], declared: Iterable[str], wrt: Iterable[str]) -> None:
    """A let name takes its kind and shape from its definition and is no variable to differentiate by."""
    names = {let.name: let for let in lets}
    for name in declared:
        if name in names:
            raise InputError(
                f"{name} is a --let name: its kind and shape come from its definition; drop the declaration of {name}"
            )
    for var in wrt:
        if var in names:
            let = names[var]
            free = ", ".join(n for n in N.free_symbols(let.tree) if n not in names) or "its variables"
            raise InputError(
                f"{var} is a --let name ({var} = {let.source}); differentiate by a variable of it ({free}): "
                "the chain rule goes through the name"
            )


def attach(env: object, lets: Sequence[Let], expand: Expander) -> None:
    """Record each let in the environment: its definition (with each I sized) and its shape and kind."""
    from mcalc.shapes import ShapeEnv, fix_identities
    from mcalc.shapes.kinds import Kind

    assert isinstance(env, ShapeEnv)
    for let in lets:
        if let.name in env.kinds or let.name in env.functions:
            raise InputError(f"{let.name} is a --let name and cannot also be a variable or a function of t")
        r, c = env.shape(expand(N.Symbol(let.name)))
        env.var_dims[let.name] = (r, c)
        env.let_kinds[let.name] = Kind.SCALAR if (r, c) == (1, 1) else Kind.VECTOR if c == 1 else Kind.MATRIX
        env.lets[let.name] = fix_identities(env, let.tree)


def expand(lets: Mapping[str, Node], node: Node) -> Node:
    """`node` with every let name written out (for a result: the sizes of I are already fixed)."""
    if not lets:
        return node
    done: dict[str, Node] = {}

    def one(name: str) -> Node:
        hit = done.get(name)
        if hit is None:
            hit = done[name] = N.substitute(lets[name], table(lets[name]))
        return hit

    def table(tree: Node) -> dict[Node, Node]:
        return {N.Symbol(n): one(n) for n in N.free_symbols(tree) if n in lets}

    try:
        return N.substitute(node, table(node))
    finally:
        # two closures that call each other are a reference cycle: freed now, not by the collector
        one = None  # type: ignore[assignment]
        table = None  # type: ignore[assignment]


def mentions(lets: Mapping[str, Node], node: Node) -> bool:
    return any(n in lets for n in N.free_symbols(node))


def unused_note(lets: Sequence[Let], used: Sequence[Let]) -> list[str]:
    kept = {let.name for let in used}
    return [f"--let {let.name} is not used by the expression" for let in lets if let.name not in kept]


def shorter(lets: Mapping[str, Node], result: Node, simplify: Callable[[Node], Node]) -> Node:
    """The result in terms of the let names, or written out where that is shorter (a difference that
    cancels once written out: `eᵀe − xᵀx` with `e = x`). A tie keeps the names."""
    if not mentions(lets, result):
        return result
    written = expand(lets, result)
    if N.tree_size(written) > SHORTER_TRIES:  # far longer written out: simplifying it would not pay
        return result
    written = simplify(written)
    return written if N.tree_size(written) < N.tree_size(result) else result
