"""How many places a differential writes dX in, counted as its text would write it out (a part shared by two
parents counts at both), up to two: all a rule needs to know to choose between two forms of the same
differential. softmax's s ⊙ du − s(sᵀdu) writes du twice; when du already writes dX twice (an inner softmax's
differential), doing so at every level doubles the answer each time, and (diag(s) − s sᵀ) du writes it once.

Counted once per distinct part for the whole differentiation (the rules' Context holds one `Places`): a
count of each softmax's argument afresh walked every level below it, quadratic in the depth.
"""

from __future__ import annotations

from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node


class Places:
    """min(2, the number of places `node` writes a differential in), remembered for each part counted."""

    __slots__ = ("counted",)

    def __init__(self) -> None:
        self.counted: dict[Node, int] = {}

    def __call__(self, node: Node) -> int:
        counted = self.counted
        stack: list[tuple[Node, bool]] = [(node, False)]
        while stack:  # post-order over the parts not counted yet, without recursion (a deep tower)
            n, done = stack.pop()
            if n in counted:
                continue
            if done:
                counted[n] = 1 if isinstance(n, N.Differential) else min(2, sum(counted[c] for c in n.children()))
                continue
            stack.append((n, True))
            stack.extend((c, False) for c in n.children() if c not in counted)
        return counted[node]
