"""`--steps` for a derivative whose index form is read off the n-th differential (mcalc.render.index_higher):
that differential with numbered increments, then the index form, each with its rewrite."""

from __future__ import annotations

from mcalc.calculus.multilinear import multilinear, slot_name
from mcalc.pipeline import DerivKind, Result
from mcalc.render.index_higher import BARE, SUPERSCRIPT, by_differential, found_index, is_call, render_index_higher
from mcalc.render.printer import LATEX, TEXT, Printer, subscript
from mcalc.simplify import Simplifier
from mcalc.steps.lines import REWRITES, Rewrite
from mcalc.syntax import nodes as N
from mcalc.syntax.build import flatten
from mcalc.syntax.nodes import Node


def index_steps(result: Result, latex: bool = False) -> list[str]:
    """`--steps` for an index form read off the n-th differential: that differential with numbered
    increments, then the index form; for a first derivative that is a tensor, its index form read off the
    vec form's terms (the `index:` line), where it has one."""
    if not by_differential(result):
        tensor = len(result.wrt) == 1 and result.final.kind is DerivKind.TENSOR
        found = found_index(result, latex) if tensor else None
        return [] if found is None else _cited([(found, REWRITES["index-form"])], latex)
    env, wrt, function = result.env, result.wrt, result.stages[0].function
    pr = Printer(LATEX if latex else TEXT)
    increments: dict[Node, Node] = {}
    for slot, var in enumerate(wrt, start=1):
        name = f"d{var}_{slot}" if latex else f"d{pr.s.name(var)}{subscript(str(slot)) or slot}"
        increments[N.Differential(slot_name(var, slot))] = N.Symbol(name)
    form = multilinear(function, wrt, env, Simplifier(env)).form
    shown = "0" if form is None else pr.p(flatten(N.substitute(form, increments)))
    order = f"^{{{len(wrt)}}}" if latex else str(len(wrt)).translate(SUPERSCRIPT)
    slots = ", ".join(pr.p(x) for x in increments.values())
    f_text = pr.p(flatten(function))
    if not (is_call(Printer(TEXT).p(flatten(function))) or isinstance(function, BARE)):
        f_text = pr.paren(f_text)
    lines = [
        (f"d{order} {f_text}[{slots}] = {shown}", REWRITES["nth-differential"]),
        (render_index_higher(function, wrt, env, latex), REWRITES["index-form"]),
    ]
    return _cited(lines, latex)


def _cited(lines: list[tuple[str, Rewrite]], latex: bool) -> list[str]:
    if latex:
        return [rf"{body} \qquad \left[\text{{{r.name}: }} {r.latex}\right]" for body, r in lines]
    return [f"{body}    [{r.name}: {r.identity}]" for body, r in lines]
