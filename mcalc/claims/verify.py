"""A diagnosis is stated only when it is checked (issue 23 item 10).

A diagnosis of a claim's terms says: your answer is Σ αᵢ·tᵢ + (terms foreign to the derivative), where the tᵢ
are the derivative's terms. The least-squares fit that finds the αᵢ is only as good as the sampled values
it was fitted to: a 3,000-term sum fitted from a few hundred numbers has infinitely many exact fits, and
the smallest of them made every term "appear as 733/980 xᵢxᵢᵀ". So the diagnosis is stated only when the
claim, corrected as it says (Σ (αᵢ − 1)·tᵢ and the foreign terms taken away), equals the derivative at
random points that the fit never saw. When the fit cannot be trusted, the claim's own terms matched to
the derivative's by name (both are sums of canonical terms: claims/terms.py) give the other candidate,
checked the same way."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from mcalc.claims.sampling import POINTS, Problem, close, sample
from mcalc.claims.terms import term_node
from mcalc.errors import McalcError

Terms = list[tuple[Fraction, Any]]


def verified(p: Problem, claim: Any, coefs: list[Fraction], foreign: Terms) -> bool:
    """`claim` − Σ (αᵢ − 1)·tᵢ − Σ foreign equals the derivative at POINTS fresh random points (a seed other
    than the fit's); only the terms the diagnosis touches are evaluated besides the claim and the truth."""
    touched = [term_node((a - 1) * k, t) for a, (k, t) in zip(coefs, p.truth_terms, strict=True) if a != 1]
    touched += [term_node(k, t) for k, t in foreign]
    fresh = Problem(p.expr, p.var, p.env, p.simp, p.tree, p.truth, p.claim, p.kind, p.truth_terms,
                    _other_seed(p.seed), p.domain)  # fmt: skip
    saved = dict(p.env.sizes)
    try:
        sample(fresh, [p.truth, claim, *touched], POINTS)
    except McalcError:
        return False
    finally:
        p.env.sizes.clear()
        p.env.sizes.update(saved)  # the diagnosis goes on evaluating at the fit's last point
    for s in fresh.samples:
        corrected = s[claim] - sum((s[t] for t in touched), 0 * s[p.truth])
        if corrected.shape != s[p.truth].shape or not close(corrected, s[p.truth], s["unit"]):
            return False
    return True


def _other_seed(seed: int | None) -> int | None:
    """Points other than the fit's, yet the same from run to run under `--seed` (None: fresh entropy)."""
    return None if seed is None else seed + 1


def by_term_names(claim_terms: dict[Any, Fraction], truth_terms: Terms) -> tuple[list[Fraction], Terms] | None:
    """The coefficient the claim gives each of the derivative's terms, read from the claim's own terms, and
    the claim's terms that are none of the derivative's; None unless some term of the derivative is there
    as it should be (a claim sharing nothing with the derivative is said to differ, not to replace it all)."""
    coefs = [claim_terms.get(t, Fraction(0)) / k for k, t in truth_terms]
    if not any(a == 1 for a in coefs):
        return None
    known = {t for _, t in truth_terms}
    foreign = [(k, t) for t, k in claim_terms.items() if t not in known]
    return coefs, foreign
