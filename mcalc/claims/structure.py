"""A claim by a structured matrix (--diagonal D, --toeplitz T) that is the derivative by every entry as if
free: Aᵀ for tr(AD) by a diagonal D, where the derivative along the diagonal is A ⊙ I. Placed on the
structure (mcalc.calculus.structured) it would be right; the diagnosis says so and names the placed form."""

from __future__ import annotations

from typing import Any

from mcalc.claims.sampling import Problem, close, value_at

# the words for each structure: what moves, as the diagnosis says it
MOVES = {"diagonal": "only its diagonal moves", "Toeplitz": "only the value of each diagonal moves"}


def placed_on_structure(p: Problem, node: Any) -> Any | None:
    """The claim placed on the variable's structure, when that is the derivative at every sample; else None."""
    from mcalc.calculus.structured import along_structure

    if not p.samples or p.env.structure(p.var) not in MOVES or not p.env.is_scalar(p.tree):
        return None
    placed = along_structure(node, p.var, p.env)
    if placed is None:
        return None
    placed = p.simp(placed)
    vals = [value_at(p, placed, sample) for sample in p.samples]
    if all(
        v is not None and close(v, sample[p.truth], sample["unit"]) for v, sample in zip(vals, p.samples, strict=True)
    ):
        return placed
    return None
