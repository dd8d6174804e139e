"""A derivative (or a claim) as a sum of canonical products with exact coefficients, and the wording
of such sums. Two expressions with the same terms are equal symbolically."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

from mcalc.syntax.nodes import every_node

MAX_TERMS = 40


def _distribute(node: Any) -> list[Any]:
    """Terms whose sum is `node`: products, transposes, traces and Hadamard/Kronecker products
    distributed over sums. Gives up (one term) past MAX_TERMS."""
    from mcalc.syntax import nodes as N

    if isinstance(node, N.Add):
        out: list[Any] = []
        for t in node.terms:
            out.extend(_distribute(t))
        return out if len(out) <= MAX_TERMS else [node]
    if isinstance(node, (N.Mul, N.Hadamard, N.Kron)):
        parts = [_distribute(f) for f in node.children()]
        count = 1
        for p in parts:
            count *= len(p)
        if count > MAX_TERMS:
            return [node]
        return [N.rebuild(node, combo) for combo in itertools.product(*parts)]
    if isinstance(node, (N.Transpose, N.Trace, N.Sum, N.Vec, N.Diag, N.Unvec)):
        return [N.rebuild(node, (t,)) for t in _distribute(node.children()[0])]
    return [node]


def expand_terms(node: Any, simp: Any) -> dict[Any, Fraction]:
    """node = Σ coef·term, each term canonical (the simplifier's form) and without its coefficient."""
    from mcalc.simplify import split_coefficient
    from mcalc.syntax import nodes as N

    pending = [node]
    out: dict[Any, Fraction] = {}
    for _ in range(3):  # the simplifier may factor a sum back; distribute again (bounded)
        again: list[Any] = []
        for raw in pending:
            for piece in _distribute(raw):
                t = simp(piece)
                subs = t.terms if isinstance(t, N.Add) else (t,)
                for sub in subs:
                    if simp.is_zero(sub):
                        continue
                    if isinstance(sub, N.Add) or (
                        isinstance(sub, N.Mul) and any(isinstance(f, N.Add) for f in sub.factors)
                    ):
                        again.append(sub)
                        continue
                    coef, factors = split_coefficient(sub)
                    key = N.Number(Fraction(1)) if not factors else factors[0]
                    if len(factors) > 1:
                        key = N.Mul(tuple(factors))
                    out[key] = out.get(key, Fraction(0)) + coef
        if not again:
            break
        pending = again
    else:
        for sub in pending:
            out[sub] = out.get(sub, Fraction(0)) + 1
    return {k: v for k, v in out.items() if v != 0}


def term_node(coef: Fraction, term: Any) -> Any:
    from mcalc.syntax import nodes as N

    if coef == 1:
        return term
    if isinstance(term, N.Number) and term.value == 1:
        return N.Number(coef)
    factors = term.factors if isinstance(term, N.Mul) else (term,)
    return N.Mul((N.Number(coef), *factors))


def sum_text(terms: list[tuple[Fraction, Any]]) -> str:
    from mcalc.render.printer import render_text
    from mcalc.syntax import nodes as N

    nodes = [term_node(c, t) for c, t in terms]
    if not nodes:
        return "0"
    return render_text(nodes[0] if len(nodes) == 1 else N.Add(tuple(nodes)))


def fraction_text(f: Fraction) -> str:
    if f.denominator == 1:
        return str(f.numerator)
    return f"{f.numerator}/{f.denominator}"


def walk(node: Any) -> list[Any]:
    return every_node(node)
