"""The shape rules of adj, chol, toeplitz and their helpers (mcalc.syntax.structured), by the kind of their
catalogue entry. Each takes the environment (mcalc.shapes.env.ShapeEnv, not imported here: env imports this
table) and env's rule that a matrix be square, so that the rules stay with the functions they serve."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcalc.errors import ShapeError
from mcalc.syntax import functions
from mcalc.syntax.nodes import Dim

Shape = tuple[Dim, Dim]
# env's `_square(env, node, arg, shape, unify, what)`: unify (or compare) the two sizes, else a ShapeError
Square = Callable[[Any, Any, Any, Shape, bool, str], Shape]


def _square_map(env: Any, node: Any, s: Shape, unify: bool, square: Square) -> Shape:
    return square(env, node, node.arg, s, unify, f"{node.func}(·)")


def _toeplitz(env: Any, node: Any, s: Shape, unify: bool, square: Square) -> Shape:
    """toeplitz(t): t a vector of 2n − 1 values, the result n×n. The length must be known here (a
    dimension is a name or a product of names, never 2n − 1): from --shape or a number in the text."""
    length, cols = (env.resolve(d) for d in s)
    text = env.text_of(node.arg)
    if cols != 1:
        raise ShapeError(f"toeplitz takes a vector of 2n − 1 values; {env.describe(node.arg, s)}", node.span)
    if not isinstance(length, int):
        raise ShapeError(
            f"toeplitz({text}) needs the length of {text} (2n − 1 values for an n×n matrix): declare it, "
            f"e.g. --shape {text}=5",
            node.span,
        )
    if length % 2 == 0:
        raise ShapeError(
            f"toeplitz takes an odd number of values (2n − 1 for an n×n matrix); {text} has {length}", node.span
        )
    n = (length + 1) // 2
    return (n, n)


def _diag_sums(env: Any, node: Any, s: Shape, unify: bool, square: Square) -> Shape:
    square(env, node, node.arg, s, unify, f"{node.func}(·)")
    n = env.resolve(s[0])
    if not isinstance(n, int):
        raise ShapeError(f"{node.func} needs the size of {env.describe(node.arg, s)}", node.span)
    return (2 * n - 1, 1)


MATRIX_SHAPES: dict[functions.Kind, Callable[[Any, Any, Shape, bool, Square], Shape]] = {
    functions.Kind.SQUARE_MAP: _square_map,
    functions.Kind.TOEPLITZ: _toeplitz,
    functions.Kind.DIAG_SUMS: _diag_sums,
}
