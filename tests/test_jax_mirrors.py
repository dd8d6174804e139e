"""The JAX export writes a matrix term and its transpose (X + Xᵀ) as one `_sym_sum` (backends.SYM_SUM): each
term's mirror is found through an index of the terms by value, not by a search of the later terms per term
(quadratic in a long sum's gradient). The pairing is the search's, so the module is the same text; these
run without JAX (tests/test_jax_export.py runs the modules)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

import mcalc
from mcalc.export import numpy_expr
from mcalc.syntax.nodes import Node

CASES = [
    ("x^T A x", ["x", "x"]),
    ("x^T A x + x^T B x + x^T A x + x^T A^T x", ["x", "x"]),
    ("x^T A x + x^T B x + x^T C x", ["x", "x"]),
    ("tr(X^T A X) + tr(X^T A^T X) + tr(X B X^T)", ["X"]),
    (" + ".join(f"x_{i}^T A x_{i}" for i in range(1, 9)), ["A"]),
]


def _searched(wr: numpy_expr.NumpyWriter, terms: Sequence[Node]) -> list[str]:
    """The pairing by a search of the later terms for each term's first unpaired mirror (as first written)."""
    if "sym_sum" not in wr.backend.ops:
        return [wr.w(t) for t in terms]
    texts: list[str] = []
    paired: set[int] = set()
    for i, t in enumerate(terms):
        if i in paired:
            continue
        mirror = next(
            (j for j in range(i + 1, len(terms)) if j not in paired and terms[j] == numpy_expr._flipped(t)), None
        )
        if mirror is None or wr.env.is_scalar(t):
            texts.append(wr.w(t))
            continue
        paired.add(mirror)
        arg = t.arg if isinstance(t, numpy_expr.N.Transpose) else t
        texts.append(wr.op("sym_sum", numpy_expr.strip(wr.w(arg))))
    return texts


@pytest.mark.parametrize(("expr", "wrt"), CASES)
def test_the_jax_module_pairs_mirrored_terms_as_the_search_did(
    expr: str, wrt: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    indexed = mcalc.Session().diff(expr, wrt).jax_source  # a session of its own: no answer kept from before
    monkeypatch.setattr(numpy_expr, "_mirrored", _searched)
    assert indexed == mcalc.Session().diff(expr, wrt).jax_source


def test_a_hessian_of_a_quadratic_form_is_one_sym_sum() -> None:
    assert "_sym_sum(A)" in mcalc.diff("x^T A x", ["x", "x"]).jax_source
