"""Whether a source can be index notation at all, decided without the index reader: the one question every
expression asks (mcalc.pipeline.prepare), where only an expression that passes loads the reader
(mcalc.syntax.index_expression, index_tokens, index_reader: a sixth of mcalc's own imports in a plain `diff`)."""

from __future__ import annotations

import re

UNICODE_SUBSCRIPTS = frozenset("ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")

# where index letters (`_i`, `_{ij}`, `ᵢ`), a delta or an index sum can start; the index scanner makes a
# subscript, delta or sum token nowhere else, so a source without one is not index notation
_MAY_BE_INDEX = re.compile("_[A-Za-z{]|[δ∑\\\\" + "".join(sorted(UNICODE_SUBSCRIPTS)) + "]")


def may_be_index(source: str) -> bool:
    """A cheap test before tokenizing: no index subscript, delta or sum, no index notation. Subscripts of
    names alone (`A_1 x − b_1`, a 3,000-term least-squares sum: 4% of its run scanned for nothing) are not."""
    return _MAY_BE_INDEX.search(source) is not None
