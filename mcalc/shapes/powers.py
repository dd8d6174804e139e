"""Shape rules of powers with an expression for the exponent (x.^t, 2.^x, Xᵏ) and of a finite sum over an
index (∑_{r=0}^{k−1}), registered in the table of `env` (the package imports this module)."""

from __future__ import annotations

from typing import Any

from mcalc.errors import ShapeError
from mcalc.shapes.env import _SHAPE_RULES, ShapeEnv, _add, _is_one, _leaf_number, _scalarish, _square, _sub
from mcalc.shapes.kinds import Shape
from mcalc.syntax import nodes as N


def _scalar_exponent(env: ShapeEnv, node: Any, unify: bool) -> None:
    e = _sub(env, node.exponent, unify)
    if not _scalarish(env, e):
        text = env.text_of(node.exponent)
        hint = f"declare it a scalar: --scalar {text}" if isinstance(node.exponent, N.Symbol) else None
        raise ShapeError(
            f"the exponent of a power must be a scalar: {env.describe(node.exponent, e)}", node.span, hint=hint
        )


def _power_of(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    """B^E, E an expression: a scalar's power, or a square matrix's power by a whole number (X^k)."""
    _scalar_exponent(env, node, unify)
    s = _sub(env, node.base, unify)
    if _scalarish(env, s):
        return s
    text, exp = env.text_of(node.base), env.text_of(node.exponent)
    if _is_one(env, s[1]) or _is_one(env, s[0]):
        raise ShapeError(
            f"power of a vector: {text}^{exp} is not defined",
            node.span,
            hint=f"did you mean {text}.^{exp} (entrywise)?",
        )
    return _square(env, node, node.base, s, unify, "a matrix power")


def _element_power_of(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    """B.^E: E a scalar or B's shape; a scalar B is raised to every entry of E (2.^x)."""
    return _add(env, node, unify, "an elementwise power")


def _sum_over(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    _sub(env, node.count, unify)
    return _sub(env, node.body, unify)


_SHAPE_RULES.update(
    {
        N.ElementPowerOf: _element_power_of,
        N.PowerOf: _power_of,
        N.Bound: _leaf_number,
        N.SumOver: _sum_over,
    }
)
