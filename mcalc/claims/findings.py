"""What is wrong with a claim that is not the derivative: one function per finding, tried from the most
specific (a zero answer, a constant factor) to the least ("they differ at random points").

Each finding is decided numerically, at the sampled points, and confirmed symbolically where the term
lists allow (then the verdict's method is symbolic)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from fractions import Fraction
from typing import Any

from mcalc.claims.sampling import TOLERANCE, Problem, close, fit, ratio, solve, value_at
from mcalc.claims.symmetry import transposed_symbols
from mcalc.claims.terms import expand_terms, fraction_text, sum_text, term_node, walk
from mcalc.claims.verdict import Outcome
from mcalc.claims.verify import by_term_names, verified
from mcalc.claims.wording import expected_sum, factor_text, of
from mcalc.records import Record, record


@record
class Finding(Record):
    rank: int  # smaller is more specific
    verdict: Outcome
    text: str
    node: Any
    flipped: bool
    symbolic: bool = False
    details: dict[str, Any] = field(default_factory=dict)


@record
class _Case(Record):
    """One reading of the claim (as given, or transposed) against the derivative, at the sampled points."""

    p: Problem
    node: Any
    flipped: bool
    claim_text: str
    expected: str
    vals: list[Any]
    truths: list[Any]
    claim_terms: dict[Any, Fraction]

    @property
    def about(self) -> str:
        """`∂/∂x f`, the derivative this case is about."""
        return f"{self.p.dvar} {of(self.p.expr)}"

    def finding(self, rank: int, verdict: Outcome, text: str, symbolic: bool = False, **details: Any) -> Finding:
        return Finding(rank, verdict, text, self.node, self.flipped, symbolic, details)

    def matches(self, want: dict[Any, Fraction]) -> bool:
        """The claim's terms are exactly `want` (the diagnosis holds symbolically)."""
        return self.claim_terms == {k: v for k, v in want.items() if v != 0}


def analyse(p: Problem, node: Any, shown: Any, flipped: bool) -> Finding:
    """Diagnose `node` (the claim, or its transpose) against the derivative, numerically; then
    confirm the diagnosis symbolically where the term lists allow."""
    from mcalc.render.printer import render_text

    case = _Case(
        p,
        node,
        flipped,
        p.claim_text or render_text(shown),
        render_text(p.truth),
        [s[node] for s in p.samples],
        [s[p.truth] for s in p.samples],
        expand_terms(node, p.simp),
    )
    for step in (_zero_claim, _constant_factor, _zero_derivative, _scalar_factor):
        found = step(case)
        if found is not None:
            return _same_text(case, found)
    return _same_text(case, _terms(case))


def _same_text(c: _Case, found: Finding) -> Finding:
    """Never two identical texts shown as different: a claim written as mcalc's answer (its I read with other
    sizes) is told what differs and how to write it (claims.same_text)."""
    from mcalc.claims.same_text import explained

    if not c.p.claim_text:
        return found
    text = explained(c.p.claim_text, c.about, c.p.claim, c.p.truth, c.p.env)  # the claim as read, not flipped
    return found if text is None else c.finding(found.rank, Outcome.WRONG, text)


def _zero_claim(c: _Case) -> Finding | None:
    import numpy as np

    if all(not np.any(v) for v in c.vals):
        return c.finding(4, Outcome.WRONG, f"your answer is 0, but {c.about} = {c.expected} is not")
    return None


def _constant_factor(c: _Case) -> Finding | None:
    r = ratio(c.vals, c.truths)
    if r is None:
        return None
    f = Fraction(r).limit_denominator(1000)
    if all(close(v, float(f) * t, s["unit"]) for v, t, s in zip(c.vals, c.truths, c.p.samples, strict=True)):
        text = factor_text(f, c.claim_text, c.expected, c.p.var, c.p.expr, c.p)
        sym = c.matches({t: k * f for k, t in c.p.truth_terms})
        return c.finding(1, Outcome.FACTOR, text, sym, factor=fraction_text(f))
    return c.finding(1, Outcome.FACTOR, f"{c.claim_text} is {r:.6g} × {c.about} = {c.expected}", False, factor=r)


def _zero_derivative(c: _Case) -> Finding | None:
    import numpy as np

    if not any(np.any(t) for t in c.truths):  # exactly 0: a derivative of 1e-30 is not "0" (np.allclose's 1e-8)
        return c.finding(5, Outcome.WRONG, f"{c.about} is 0 (it does not change with {c.p.var}), not {c.claim_text}")
    return None


def _scalar_factor(c: _Case) -> Finding | None:
    """det(X) by X, claimed X⁻ᵀ: the claim is the derivative times a scalar that changes from point to
    point (so no constant ratio), and that scalar is, or is the reciprocal of, one of the scalar
    sub-expressions of the two: a missing (or an extra) factor det(X)."""
    import numpy as np

    from mcalc.render.printer import render_text

    ratios = []  # claim = q · derivative at each point
    for v, t, s in zip(c.vals, c.truths, c.p.samples, strict=True):
        den = float(np.vdot(t, t))
        if v.shape != t.shape or den == 0.0:
            return None
        q = float(np.vdot(t, v)) / den
        if not close(v, q * t, s["unit"]):
            return None
        ratios.append(q)
    for factor in _scalar_parts(c):
        f_vals = [value_at(c.p, factor, s) for s in c.p.samples]
        if any(f is None or f.size != 1 for f in f_vals):
            continue
        fs = [float(f.reshape(())) for f in f_vals]
        for how, want in (("an extra", fs), ("a missing", [1 / f if f else np.inf for f in fs])):
            if np.allclose(ratios, want, rtol=1e-7, atol=0):
                text = f"{how} factor {render_text(factor)}: {c.about} = {c.expected}"
                return c.finding(1, Outcome.FACTOR, text, factor=render_text(factor))
    return None


def _scalar_parts(c: _Case) -> list[Any]:
    """The scalar-shaped sub-expressions of the derivative and the claim that are not numbers."""
    from mcalc.syntax import nodes as N

    seen: dict[Any, None] = {}
    for root in (c.p.truth, c.node):
        for n in walk(root):
            if not isinstance(n, N.Number) and n not in seen and c.p.env.shape(n) == (1, 1):
                seen[n] = None
    return list(seen)[:64]  # a bound on the work: a long claim has many scalar parts


def _transposed(c: _Case) -> Finding | None:
    swapped = transposed_symbols(c.p, c.node)
    if swapped is None:
        return None
    names, fixed = swapped
    where = " and ".join(names)
    what = " and ".join(f"{n}ᵀ" for n in names)
    text = f"{c.claim_text} has {where} where the derivative has {what}: {c.about} = {c.expected}"
    return c.finding(3, Outcome.WRONG, text, c.p.simp(fixed) == c.p.truth, transposed=names)


def _terms(c: _Case) -> Finding:
    """node = Σ αᵢ tᵢ over the derivative's terms tᵢ (+ terms foreign to it): which αᵢ are off? Stated only
    when the claim corrected as it says is the derivative at points the fit never saw (claims/verify.py):
    first the fit's answer, when the sampled values are enough to determine it, then the claim's terms
    matched to the derivative's by name."""
    p = c.p
    columns = [[s[term_node(k, t)] for s in p.samples] for k, t in p.truth_terms]
    alpha, residual, enough = fit(columns, c.vals)
    foreign: list[tuple[Fraction, Any]] = []
    if residual > TOLERANCE:
        found = _transposed(c)
        if found is not None:
            return found
        foreign = _foreign_terms(c, columns)
        if foreign:
            alpha, residual = _without(c, columns, foreign)
    candidates = []
    if residual <= TOLERANCE and enough:
        candidates.append(([Fraction(a).limit_denominator(1000) for a in alpha], foreign))
    named = by_term_names(c.claim_terms, p.truth_terms)
    if named is not None and named not in candidates:
        candidates.append(named)
    for coefs, extra in candidates:
        if verified(p, c.node, coefs, extra):
            return _classify(c, coefs, extra)
    where = "; mcalc could not say where" if candidates or residual <= TOLERANCE else ""
    text = f"{c.claim_text} is not {c.about} = {c.expected} (they differ at random points{where})"
    return c.finding(6, Outcome.WRONG, text)


def _foreign_terms(c: _Case, columns: list[list[Any]]) -> list[tuple[Fraction, Any]]:
    """The claim's own terms that no combination of the derivative's terms explains."""
    foreign: list[tuple[Fraction, Any]] = []
    for t, k in c.claim_terms.items():
        t_vals = [value_at(c.p, term_node(k, t), s) for s in c.p.samples]
        if any(v is None for v in t_vals):
            continue
        _, r = solve(columns, t_vals)
        if r > TOLERANCE:
            foreign.append((k, t))
    return foreign


def _without(c: _Case, columns: list[list[Any]], foreign: list[tuple[Fraction, Any]]) -> tuple[list[float], float]:
    """The least-squares fit of the claim less its foreign terms."""
    import numpy as np

    rest = [
        v - sum((value_at(c.p, term_node(k, t), s) for k, t in foreign), np.zeros_like(v))
        for v, s in zip(c.vals, c.p.samples, strict=True)
    ]
    alpha, residual = solve(columns, rest)
    if all(abs(a) < 1e-9 for a in alpha):
        residual = 1.0  # none of the derivative's terms is there: nothing more specific to say
    return alpha, residual


@record
class _Terms(Record):
    """The derivative's terms sorted by the coefficient the claim gives each, and the claim's foreign terms."""

    full: str  # ∂/∂x f = the derivative, as a sum
    coefs: list[Fraction]
    groups: dict[str, list[Any]]
    details: dict[str, Any]

    def text(self, group: str) -> str:
        return sum_text(self.groups[group])


def _classify(c: _Case, coefs: list[Fraction], foreign: list[tuple[Fraction, Any]]) -> Finding:
    terms = c.p.truth_terms
    groups: dict[str, list[Any]] = {
        "foreign": foreign,
        "missing": [terms[i] for i, a in enumerate(coefs) if a == 0],
        "doubled": [terms[i] for i, a in enumerate(coefs) if a == 2],
        "negated": [terms[i] for i, a in enumerate(coefs) if a == -1],
        "scaled": [(a, terms[i]) for i, a in enumerate(coefs) if a not in (0, 1, 2, -1)],
    }
    want: dict[Any, Fraction] = {}
    for a, (k, t) in zip(coefs, terms, strict=True):
        want[t] = want.get(t, Fraction(0)) + a * k
    for k, t in foreign:
        want[t] = want.get(t, Fraction(0)) + k
    found = _Terms(f"{c.about} = {expected_sum(c.p)}", coefs, groups, _term_details(terms, coefs, groups))
    kinds = frozenset(k for k, v in groups.items() if v)
    rank, verdict, text = _BY_KINDS.get(kinds, _mixed)(c, found)
    return Finding(rank, verdict, text, c.node, c.flipped, c.matches(want), found.details)


def _term_details(terms: list[Any], coefs: list[Fraction], groups: dict[str, list[Any]]) -> dict[str, Any]:
    details: dict[str, Any] = {
        "terms": [sum_text([nt]) for nt in terms],
        "coefficients": [fraction_text(a) for a in coefs],
    }
    for group, key in (("foreign", "extra"), ("missing", "missing"), ("doubled", "doubled"), ("negated", "wrong_sign")):
        if groups[group]:
            details[key] = [sum_text([t]) for t in groups[group]]
    if groups["scaled"]:
        details["scaled"] = {sum_text([t]): fraction_text(a) for a, t in groups["scaled"]}
    return details


# --- one verdict per combination of what is off: (rank, verdict, explanation) ---

_Verdict = tuple[int, Outcome, str]


def _missing(c: _Case, t: _Terms) -> _Verdict:
    return 2, Outcome.MISSING_TERM, f"missing {t.text('missing')}: {t.full}"


def _extra(c: _Case, t: _Terms) -> _Verdict:
    return 2, Outcome.EXTRA_TERM, f"{t.text('foreign')} does not belong: without it your answer is {t.full}"


def _doubled(c: _Case, t: _Terms) -> _Verdict:
    return 2, Outcome.EXTRA_TERM, f"an extra {t.text('doubled')} (a term counted twice): {t.full}"


def _doubled_in_place(c: _Case, t: _Terms) -> _Verdict:
    t.details["in_place_of"] = {"missing": t.details["missing"], "instead": t.details["doubled"]}
    return (
        2,
        Outcome.MISSING_TERM,
        f"missing {t.text('missing')} (your answer has {t.text('doubled')} in its place): {t.full}",
    )


def _replaced(c: _Case, t: _Terms) -> _Verdict:
    t.details["in_place_of"] = {"missing": t.details["missing"], "instead": t.details["extra"]}
    text = f"your answer has {t.text('foreign')} where the derivative has {t.text('missing')}: {t.full}"
    return 3, Outcome.WRONG, text


def _sign(c: _Case, t: _Terms) -> _Verdict:
    plural = "s have" if len(t.groups["negated"]) > 1 else " has"
    return 3, Outcome.WRONG, f"the term{plural} the wrong sign: {t.text('negated')}: {t.full}"


def _scaled(c: _Case, t: _Terms) -> _Verdict:
    parts = []
    for a, (k, term) in t.groups["scaled"]:
        hint = " (a missing factor 2)" if a == Fraction(1, 2) else ""
        parts.append(f"{sum_text([(k, term)])} appears as {sum_text([(a * k, term)])}{hint}")
    return 3, Outcome.WRONG, f"the term {'; the term '.join(parts)}: {t.full}"


def _mixed(c: _Case, t: _Terms) -> _Verdict:
    terms = c.p.truth_terms
    mine = sum_text(
        [(a * k, term) for a, (k, term) in zip(t.coefs, terms, strict=True) if a != 0] + t.groups["foreign"]
    )
    return 4, Outcome.WRONG, f"your answer is {mine}, but {t.full}"


_BY_KINDS: dict[frozenset[str], Callable[[_Case, _Terms], _Verdict]] = {
    frozenset({"missing"}): _missing,
    frozenset({"foreign"}): _extra,
    frozenset({"doubled"}): _doubled,
    frozenset({"missing", "doubled"}): _doubled_in_place,
    frozenset({"missing", "foreign"}): _replaced,
    frozenset({"negated"}): _sign,
    frozenset({"scaled"}): _scaled,
}
