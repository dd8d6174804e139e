"""Is a wrong claim right under a condition? Right only when some constant matrices are symmetric, or
right with Mᵀ written for M (X⁻¹ for X⁻ᵀ)."""

from __future__ import annotations

import itertools
from typing import Any

from mcalc.claims.sampling import POINTS, Problem, close, sample, value_at
from mcalc.claims.terms import walk
from mcalc.errors import McalcError

# How many sets of matrices `_symmetric_conditions` may try: subsets are tried smallest first, so with
# a few constant matrices (the usual case) every minimal sufficient set is found well within this.
MAX_SYMMETRY_TRIALS = 32


def symmetric_conditions(p: Problem, node: Any) -> list[list[str]]:
    """Every minimal set of constant square matrices whose being symmetric makes `node` right.

    A set counts when `node` equals the derivative at random points where those matrices are
    symmetric. Sets are tried smallest first and supersets of a set already found skipped, so each
    one returned is minimal: for tr(ABAᵀC) by A, CᵀAB + CABᵀ gives [[B], [C]] (either suffices)."""
    cands = _symmetry_candidates(p)
    if not cands or not _right_when_symmetric(p, node, cands):
        return []
    found: list[list[str]] = []
    trials = 1
    for size in range(1, len(cands)):
        for combo in itertools.combinations(cands, size):
            if any(set(f) <= set(combo) for f in found):
                continue
            if trials >= MAX_SYMMETRY_TRIALS:
                return found or [cands]
            trials += 1
            if _right_when_symmetric(p, node, list(combo)):
                found.append(list(combo))
    return found or [cands]


def _symmetry_candidates(p: Problem) -> list[str]:
    """Constant square matrices not already declared symmetric (nor the variable, nor functions of t)."""
    from mcalc.shapes import Kind

    env = p.env
    cands = []
    for name, kind in env.kinds.items():
        if kind is not Kind.MATRIX or name in env.symmetric or name == p.var or name in env.functions:
            continue
        r, c = env.shape_of_var(name)
        if r == c:
            cands.append(name)
    return cands


def _right_when_symmetric(p: Problem, node: Any, names: list[str]) -> bool:
    """`node` equals the derivative at random points where `names` are symmetric."""
    env = p.env
    saved = env.symmetric
    env.symmetric = saved | frozenset(names)
    try:
        q = Problem(p.expr, p.var, env, p.simp, p.tree, p.truth, p.claim, p.kind, p.truth_terms, p.seed, p.domain)
        q.dvar, q.claim_text = p.dvar, p.claim_text
        sample(q, [p.truth, node], POINTS)
    except McalcError:
        return False
    finally:
        env.symmetric = saved
    return all(close(s[node], s[p.truth], s["unit"]) for s in q.samples)


def symmetric_note(typed: str, conditions: list[list[str]]) -> str:
    """ "X is right only when B is symmetric; " for one sufficient set, "X is right when B is
    symmetric or when C is symmetric; " for several (each set is enough on its own)."""

    def when(names: list[str]) -> str:
        return f"when {' and '.join(names)} {'is' if len(names) == 1 else 'are'} symmetric"

    if len(conditions) == 1:
        return f"{typed} is right only {when(conditions[0])}; "
    return f"{typed} is right {' or '.join(when(c) for c in conditions)}; "


def transposed_symbols(p: Problem, node: Any) -> tuple[list[str], Any] | None:
    """Square matrices M such that the claim with Mᵀ for M is right (X⁻¹ written for X⁻ᵀ)."""
    from mcalc.shapes import Kind
    from mcalc.syntax import nodes as N

    env = p.env
    names = [
        n for n in N.free_symbols(node)
        if env.kinds.get(n) is Kind.MATRIX and n not in env.symmetric
        and env.shape_of_var(n)[0] == env.shape_of_var(n)[1]
    ]  # fmt: skip
    trials = [[n] for n in names] + ([names] if len(names) > 1 else [])
    for group in trials:
        fixed = p.simp(N.substitute(node, {N.Symbol(n): N.Transpose(N.Symbol(n)) for n in group}))
        vals = [value_at(p, fixed, s) for s in p.samples]
        if all(v is not None and close(v, s[p.truth], s["unit"]) for v, s in zip(vals, p.samples, strict=True)):
            return group, fixed
    return None


def sums_to_one(p: Problem, node: Any) -> list[str]:
    """Vectors y such that the claim is right when sum(y) = 1: the derivative has sum(y) where a textbook
    assumes a one-hot or probability vector (softmax cross-entropy's (softmax(Wx) − y)xᵀ)."""
    from fractions import Fraction

    from mcalc.syntax import nodes as N

    if not p.samples:
        return []
    names = sorted({n.arg.name for n in walk(p.truth) if isinstance(n, N.Sum) and isinstance(n.arg, N.Symbol)})
    for name in names:
        if not p.env.is_vector(N.Symbol(name)):
            continue
        fixed = p.simp(N.substitute(p.truth, {N.Sum(N.Symbol(name)): N.Number(Fraction(1))}))
        vals = [value_at(p, fixed, sample) for sample in p.samples]
        if all(
            v is not None and close(sample[node], v, sample["unit"]) for v, sample in zip(vals, p.samples, strict=True)
        ):
            return [name]
    return []
