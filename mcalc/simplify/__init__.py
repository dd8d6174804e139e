"""Bring a tree to mcalc's canonical form: compact, deterministic, and equal in value.

The canonical form (documented in README § Canonical form):
- zeros and identities removed (`I X → X`, `X + 0 → X`, `0 ⊙ X → 0`); scalars `tr`, `ᵀ` dropped;
- transposes pushed down to the leaves (`(AB)ᵀ → BᵀAᵀ`), cancelled in pairs and dropped on
  symmetric matrices; `(X⁻¹)ᵀ` is kept as X⁻ᵀ and `(Xᵀ)⁻¹` becomes X⁻ᵀ;
- exact rational coefficients collected in front, like terms merged (`CAB + CAB → 2CAB`), equal
  factors merged into powers (`s s⁻¹ → 1`, `X X → X²`), scalar factors sorted;
- a trace of a product in its least cyclic rotation, or without the trace when a rotation is a
  scalar product (`tr(a bᵀ) → bᵀa`); a scalar product in its least orientation (`xᵀa` ~ `aᵀx`);
- common left or right factors of a sum pulled out when that is shorter (`Bx + Bᵀx → (B + Bᵀ)x`).

Each normaliser below handles one node type and returns its input unchanged when nothing applies;
`simplify` applies them bottom-up, memoised, so a rewritten node is simplified once.
"""

from mcalc.simplify import matrix_functions as _matrix_functions  # noqa: F401  (its rows of the table)
from mcalc.simplify import rules as _rules  # noqa: F401  (fills the normaliser table)
from mcalc.simplify import zero_arrays as _zero_arrays  # noqa: F401  (its row of the table)
from mcalc.simplify.engine import EXPAND_LIMIT, ZERO, Simplifier, distribute, shortest, simplify, split_coefficient

__all__ = ["EXPAND_LIMIT", "ZERO", "Simplifier", "distribute", "shortest", "simplify", "split_coefficient"]
