"""The value of a derivative from its index terms: Σ coefficient · einsum of the entries.

A third or higher derivative's vec form nests Kronecker products whose arrays grow as numel(X)⁴ and
beyond before they are contracted; its index terms (calculus.index_terms) hold only the arrays of the
expression (X⁻¹, exp(Ax), ...) and Kronecker deltas, so the largest array is the value itself. Each
term arrives as plain data: (coefficient, [(node or None for a delta, row index, column index), ...]);
an index None is a dimension of size 1.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

from mcalc.numeric.evaluate import evaluate
from mcalc.shapes import ShapeEnv
from mcalc.syntax.nodes import Node

Array = Any
IndexEntry = tuple[Node | None, str | None, str | None]


def evaluate_terms(
    terms: Sequence[tuple[float, Sequence[IndexEntry]]],
    out: Sequence[str],
    sizes: Mapping[str, int],
    env: ShapeEnv,
    values: Mapping[str, Array],
) -> Array:
    """Σ over the terms, shaped by the output indices `out` (sizes from `sizes`); entries of the same
    node are evaluated once."""
    import numpy as np

    total = np.zeros([sizes[o] for o in out])
    cache: dict[Node, Array] = {}
    for coef, entries in terms:
        operands: list[Array] = []
        subscripts: list[list[str]] = []
        for node, rows, cols in entries:
            if node is None:
                assert rows is not None and cols is not None
                operands.append(np.eye(sizes[rows]))
            else:
                if node not in cache:
                    r, c = env.shape(node)
                    cache[node] = np.asarray(evaluate(node, env, values), dtype=float).reshape(env.size(r), env.size(c))
                arr = cache[node]
                operands.append(arr[slice(None) if rows else 0, slice(None) if cols else 0])
            subscripts.append([x for x in (rows, cols) if x])
        present = {x for sub in subscripts for x in sub}
        for o in out:  # an output index no entry carries: the term is constant along it
            if o not in present:
                operands.append(np.ones(sizes[o]))
                subscripts.append([o])
        total += float(coef) * _einsum(operands, subscripts, out)
    return total


def _einsum(operands: list[Array], subscripts: list[list[str]], out: Sequence[str]) -> Array:
    import numpy as np

    if not operands:
        return np.ones(())
    names = sorted({x for sub in subscripts for x in sub} | set(out))
    if len(names) > len(string.ascii_letters):
        raise ValueError("too many indices for einsum")
    letter = dict(zip(names, string.ascii_letters, strict=False))
    spec = ",".join("".join(letter[x] for x in sub) for sub in subscripts) + "->" + "".join(letter[o] for o in out)
    return np.einsum(spec, *operands, optimize="greedy")
