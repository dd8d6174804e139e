"""The engine: walks the tree and applies one rule from the table per node.

`differential(tree, wrt)` returns d(tree), an expression linear in the differential `dX`, or None
when the tree does not depend on X. Every rule applied is recorded as a `Step` so `--steps` can show
the derivation in the order a textbook would write it (outermost operator first).
"""

from __future__ import annotations

import itertools
from dataclasses import field

from mcalc import budget
from mcalc.calculus.rules import DERIVATIVE_RULES, Context, DerivativeRule
from mcalc.errors import NoRuleError
from mcalc.records import Record, record
from mcalc.shapes import ShapeEnv
from mcalc.syntax.nodes import Node


@record(frozen=True)
class Step(Record):
    rule: DerivativeRule
    node: Node
    result: Node


@record
class Derivation(Record):
    steps: list[Step] = field(default_factory=list)


def differential(
    tree: Node, wrt: str, env: ShapeEnv, derivation: Derivation | None = None, hold: frozenset[str] = frozenset()
) -> Node | None:
    ctx = Context(env, wrt, hold)
    memo: dict[Node, Node | None] = {}
    pending: list[tuple[int, Step]] = []
    visits = itertools.count()

    def d(node: Node) -> Node | None:
        budget.tick("differentiating")
        if node in memo:
            return memo[node]
        rule = DERIVATIVE_RULES.get(type(node))
        if rule is None:
            raise NoRuleError(f"no derivative rule for {type(node).__name__}", node.span)
        index = next(visits)  # numbered on the way down, so a step sorts before its children's
        result = rule.apply(node, d, ctx)
        memo[node] = result
        if result is not None and node.children():
            pending.append((index, Step(rule, node, result)))
        return result

    try:
        out = d(tree)
    finally:
        # a closure that calls itself is a reference cycle (holding memo, ctx, the steps): freed now
        d = None  # type: ignore[assignment]
    if derivation is not None:
        # outermost operator first: one sort, where inserting each step before its children's was
        # quadratic in the depth of the tree
        derivation.steps.extend(step for _, step in sorted(pending, key=lambda p: p[0]))
    return out
