"""`--steps`: the derivation, one line per identity applied, outermost operator first, then the
identification of the derivative from the differential (df = tr(Gᵀ dX) ⇒ ∂f/∂X = G)."""

from __future__ import annotations

from mcalc.pipeline import DerivKind, Result
from mcalc.render.printer import LATEX, TEXT, Printer
from mcalc.syntax import nodes as N
from mcalc.syntax.build import flatten
from mcalc.syntax.nodes import ONE, Node


def tidy(node: Node) -> Node:
    """Flatten nested sums and products and drop factors of one, keeping the order of the terms,
    so a step reads as the identity produced it (no canonical reordering)."""
    kids = node.children()
    if not kids:
        return node
    node = N.rebuild(node, tuple(tidy(k) for k in kids))
    if isinstance(node, (N.Mul, N.Add)):
        flat: list[Node] = []
        for c in node.children():
            if type(c) is type(node):
                flat.extend(c.children())
            elif not (isinstance(node, N.Mul) and c == ONE):
                flat.append(c)
        if isinstance(node, N.Mul) and isinstance(node, N.Mul):
            negs = [c for c in flat if isinstance(c, N.Number)]
            if len(negs) > 1:
                value = negs[0].value
                for c in negs[1:]:
                    value *= c.value
                flat = [N.Number(value)] + [c for c in flat if not isinstance(c, N.Number)]
        if len(flat) == 1:
            return flat[0]
        return type(node)(tuple(flat))
    if isinstance(node, N.Trace) and isinstance(node.arg, N.Add):
        return N.Add(tuple(N.Trace(t) for t in node.arg.terms))
    return node


def render_steps(result: Result, latex: bool = False) -> list[str]:
    pr = Printer(LATEX if latex else TEXT)
    d = "d" if not latex else "d\\,"
    lines: list[str] = []
    for stage in result.stages:
        for step in stage.derivation.steps:
            rule = step.rule
            lhs = f"{d}{pr.wrap(flatten(step.node), 21)}"
            rhs = pr(tidy(step.result))
            if latex:
                lines.append(f"{lhs} = {rhs} \\quad \\text{{({rule.name})}}")
            else:
                lines.append(f"{lhs} = {rhs}    [{rule.name}: {rule.identity}]")
        var = pr.s.name(stage.var)
        shown = pr(stage.result)
        d_text = pr(stage.differential)
        if stage.kind is DerivKind.GRADIENT:
            if latex:
                lines.append(
                    f"{d} f = {d_text} = \\operatorname{{tr}}\\left(G^\\top d{var}\\right)"
                    f" \\Rightarrow \\frac{{\\partial f}}{{\\partial {var}}} = G = {shown}"
                )
            else:
                lines.append(
                    f"df = {d_text} = tr(Gᵀ d{var}) ⇒ ∂f/∂{var} = G = {shown}"
                    "    [identify-gradient: df = tr(Gᵀ dX) ⇔ ∂f/∂X = G; tr(AB) = tr(BA), tr(Aᵀ) = tr(A)]"
                )
        elif stage.kind is DerivKind.SCALAR_VAR:
            arrow = "\\Rightarrow" if latex else "⇒"
            lines.append(f"{d}f = {d_text} {arrow} df/d{var} = {shown}    [identify: df = f′ d{var}]")
        else:
            lines.append(
                f"vec(df) = J vec(d{var}) ⇒ J = {shown}"
                "    [identify-vec: vec(AXB) = (Bᵀ ⊗ A) vec(X), vec(Xᵀ) = K vec(X)]"
            )
    return lines
