"""Shapes of a --function's value and derivatives (mcalc.syntax.vector_functions).

A vector-valued f: ℝⁿ → ℝᵖ has one argument length n and one value length p for the whole expression
(`env.function_dims[f] = (p, n)`, unified like a name's dimensions: f(x) and f(y) need x and y as long):
f(u) is p×1, J_f(u) is p×n. A scalar argument makes n = 1 (a curve f(t), J_f(t) a column). ∇²f(u) of a
scalar-valued f is n×n for a vector u. A declared signature is held to: `f: vector -> scalar` applied to a
matrix, or `f: scalar -> vector` to a vector, is refused naming the declaration.
"""

from __future__ import annotations

from typing import Any

from mcalc.errors import ShapeError
from mcalc.shapes.kinds import SCALAR_SHAPE, Shape
from mcalc.syntax import nodes as N
from mcalc.syntax.functions import Function, Kind
from mcalc.syntax.nodes import Dim
from mcalc.syntax.vector_functions import HESSIAN, JACOBIAN, is_vector_valued

# the ShapeEnv, typed loosely: mcalc.shapes.env calls this module, so this one does not import it
ShapeEnv = Any

_KIND_OF_SHAPE = ("scalar", "vector", "matrix")


def _kind(env: ShapeEnv, shape: Shape) -> str:
    r, c = env.resolve(shape[0]), env.resolve(shape[1])
    return _KIND_OF_SHAPE[0 if (r, c) == SCALAR_SHAPE else 1 if c == 1 else 2]


def shape(env: ShapeEnv, node: N.Columnwise, entry: Function, arg: Shape, unify: bool) -> Shape | None:
    """The shape of f(u), J_f(u) or ∇²f(u) for a --function f, or None for the other entries."""
    from mcalc.syntax import functions

    if entry.kind is Kind.JACOBIAN:
        name = node.func.removeprefix(JACOBIAN)
        base = functions.get(name)
        if not is_vector_valued(base, env.vector_valued):
            raise ShapeError(f"J_{name} is the Jacobian of a vector-valued {name}: {_scalar_valued(name)}", node.span)
        out, inn = _dims(env, node, base, arg, unify)
        return (out, inn)
    if entry.kind is Kind.HESSIAN:
        name = node.func.removeprefix(HESSIAN)
        if is_vector_valued(functions.get(name), env.vector_valued) or _kind(env, arg) == "matrix":
            raise ShapeError(f"∇²{name} is the Hessian of a scalar-valued {name} of a vector", node.span)
        return (arg[0], arg[0])
    if is_vector_valued(entry, env.vector_valued):
        out, _ = _dims(env, node, entry, arg, unify)
        return (out, 1)
    if entry.signature is not None:
        _held_to(env, node, entry, arg)
    return None


def _scalar_valued(name: str) -> str:
    return f'{name} is scalar-valued here, its derivative is ∇{name} (declare --function "{name}: vector -> vector")'


def _held_to(env: ShapeEnv, node: N.Columnwise, entry: Function, arg: Shape) -> None:
    """A declared argument kind: a scalar one takes a scalar, a vector one a vector (or a scalar)."""
    assert entry.signature is not None
    want, got = entry.signature.argument, _kind(env, arg)
    if got == want or want == "matrix" or (want == "vector" and got == "scalar"):
        return
    raise ShapeError(
        f"{entry.name} takes a {want}: {env.describe(node.arg, arg)} "
        f'(declared --function "{entry.name}: {want} -> {entry.signature.value}")',
        node.span,
    )


def _dims(env: ShapeEnv, node: N.Columnwise, entry: Function, arg: Shape, unify: bool) -> tuple[Dim, Dim]:
    """(p, n) of a vector-valued f, made at its first application and unified with each argument."""
    _held_to(env, node, entry, arg) if entry.signature is not None else None
    kind = _kind(env, arg)
    if kind == "matrix":
        raise ShapeError(
            f"{entry.name} is vector-valued: it takes a vector or a scalar, and {env.describe(node.arg, arg)}",
            node.span,
        )
    length: Dim = 1 if kind == "scalar" else arg[0]
    dims: tuple[Dim, Dim] | None = env.function_dims.get(entry.name)
    if dims is None:
        if not unify:
            raise ShapeError(f"{entry.name} is not applied in the expression", node.span)
        sig = entry.signature
        out: Dim = length if sig is not None and sig.same_length else env.uf.fresh()
        if sig is not None and sig.length is not None:
            out = sig.length
        made: tuple[Dim, Dim] = (out, length)
        env.function_dims[entry.name] = made
        return made
    ok = env.uf.unify(dims[1], length) if unify else env.resolve(dims[1]) == env.resolve(length)
    if not ok:
        raise ShapeError(
            f"{entry.name} is applied to arguments of different lengths: {env.describe(node.arg, arg)}, "
            f"and {entry.name} is applied elsewhere to one of length {env.size_text(dims[1])}",
            node.span,
        )
    return dims
