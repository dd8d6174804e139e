"""Kinds by use: an undeclared lowercase name that only scales or is added to scalars is a scalar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from mcalc.errors import McalcError
from mcalc.shapes.env import ShapeEnv
from mcalc.shapes.kinds import SCALAR_SHAPE, Declarations, Kind, default_kind
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

# Operators whose argument is an array by their meaning: a name under them is a vector, never a scalar.
_ARRAY_CONTEXTS: tuple[type, ...] = (N.Transpose, N.Sum, N.Norm, N.Diag, N.Vec, N.Kron, N.Columnwise)
# Wrappers that keep a scalar a scalar: the context of exp(c), c², -c is the context of c itself.
_SCALAR_WRAPPERS: tuple[type, ...] = (N.Apply, N.Power, N.ElementPower)


MAX_SCALAR_TRIALS = 16  # names tried one by one when no shrinking reading holds (small expressions only)


def scalars_by_use(
    trees: list[Node], decl: Declarations, infer: Callable[[Declarations], tuple[ShapeEnv, Node]]
) -> frozenset[str]:
    """The undeclared lowercase names that the expression uses only as scalars. Candidates are the names
    never under an array operator; one is a scalar when, read so, the expression still has a shape and the
    name scales a scalar-valued factor or is added to a scalar-valued term made of other variables (`2 x`
    and `x + 1` alone say nothing). All candidates are tried at once (one more inference), shrunk to those
    with a scalar use; if none holds, each is tried alone in order of appearance when there are at most
    MAX_SCALAR_TRIALS (so the cost stays a few inferences)."""
    occurrences = _occurrences(trees)
    candidates = [
        name
        for name, where in occurrences.items()
        if name not in decl.declared
        and default_kind(name) is Kind.VECTOR
        and not any(ancestors and isinstance(ancestors[-1], N.Transpose) for _, ancestors in where)  # xᵀ: an array
        and (
            not any(isinstance(a, _ARRAY_CONTEXTS) for _, ancestors in where for a in ancestors)
            or any(_in_exponent(operand, ancestors) for operand, ancestors in where)  # sum(x.^p)^(1/p)
        )
    ]

    def trial(names: set[str]) -> set[str]:
        try:
            env, _ = infer(replace(decl, scalars=decl.scalars | names))
        except McalcError:
            return set()
        memo: dict[int, tuple[int, dict[int, bool]]] = {}
        return {n for n in names if any(_scalar_use(env, occ, memo) for occ in occurrences[n])}

    names = set(candidates)
    while names:  # shrink: each round drops the names without a scalar use (a few rounds, each one inference)
        kept = trial(names)
        if kept == names:
            return frozenset(names)
        names = kept
    chosen: set[str] = set()
    for name in candidates[:MAX_SCALAR_TRIALS] if len(candidates) <= MAX_SCALAR_TRIALS else ():
        if name in trial(chosen | {name}):
            chosen.add(name)
    return frozenset(chosen)


_Occurrence = tuple[Node, tuple[Node, ...]]  # (the operand the name stands in, that operand's ancestors)


def _occurrences(trees: list[Node]) -> dict[str, list[_Occurrence]]:
    """Where each name occurs: the operand it stands in (the name, or a scalar wrapper such as exp(c) or
    c²) and that operand's ancestors, outermost first."""
    found: dict[str, list[_Occurrence]] = {}
    for tree in trees:
        stack: list[tuple[Node, tuple[Node, ...]]] = [(tree, ())]
        while stack:
            node, ancestors = stack.pop()
            if isinstance(node, N.Symbol):
                operand: Node = node
                k = len(ancestors)
                while k > 0 and isinstance(ancestors[k - 1], _SCALAR_WRAPPERS):
                    k -= 1
                    operand = ancestors[k]
                found.setdefault(node.name, []).append((operand, ancestors[:k]))
            stack.extend((c, (*ancestors, node)) for c in node.children())
    return found


def _factors(node: Node) -> list[Node]:
    """The factors of a product, nested products flattened (a b c parses as (a b) c)."""
    if isinstance(node, N.Mul):
        return [f for child in node.factors for f in _factors(child)]
    return [node]


def _scalar_use(env: ShapeEnv, occ: _Occurrence, memo: dict[int, tuple[int, dict[int, bool]]]) -> bool:
    """Does this occurrence scale, or add to, a scalar-valued part made of vectors or matrices? `memo`
    keeps, per sum, how many of its terms are such parts, so a sum of n names costs O(n), not O(n²)."""
    operand, ancestors = occ
    if not ancestors:
        return False
    parent = ancestors[-1]
    if _in_exponent(operand, ancestors):  # the exponent of ^ (Xᵏ, (xᵀx)ᵖ, ‖x‖^(1/p)) is a scalar by its meaning
        return True
    if isinstance(parent, N.PowerOf):
        return False
    if isinstance(parent, N.Mul):
        k = len(ancestors) - 1
        while k > 0 and isinstance(ancestors[k - 1], N.Mul):
            k -= 1  # the whole product this factor sits in
        rest = [f for f in _factors(ancestors[k]) if f is not operand]
        return bool(rest) and _reduced_array(env, N.Mul(tuple(rest)) if len(rest) > 1 else rest[0])
    if isinstance(parent, (N.Add, N.Hadamard)):
        if id(parent) not in memo:
            flags = {id(c): _reduced_array(env, c) for c in parent.children()}
            memo[id(parent)] = (sum(flags.values()), flags)
        count, flags = memo[id(parent)]
        return count - flags.get(id(operand), False) > 0
    return False


def _in_exponent(operand: Node, ancestors: tuple[Node, ...]) -> bool:
    """Is the operand (a part of) the exponent of a power `^`, through scalar arithmetic only: p in Xᵖ,
    (xᵀx)^(1/p), s^(2p + 1)? Such a name is a scalar by its meaning, as an exponent is."""
    child = operand
    for parent in reversed(ancestors):
        if isinstance(parent, N.PowerOf):
            return child is parent.exponent
        if not isinstance(parent, (N.Mul, N.Add, *_SCALAR_WRAPPERS)):
            return False
        child = parent
    return False


def _reduced_array(env: ShapeEnv, part: Node) -> bool:
    """A scalar-valued part made of a vector or matrix (xᵀx, tr A, ‖w‖): in `c x` with c a scalar, x
    scales c, yet x is still the vector the convention says."""
    if env.shape(part) != SCALAR_SHAPE:
        return False
    return any(env.kinds.get(v, Kind.SCALAR) is not Kind.SCALAR for v in N.free_symbols(part))
