"""The n-th differential as a multilinear form: dⁿf[dV₁, …, dVₙ], one increment per `--wrt`.

The matrix (vec) form of a derivative after the first is the vec Jacobian of the one before, which
grows Kronecker products at every order. The index form of an n-th derivative is read instead off the
n-th differential of the expression itself: f is differentiated by V₁, the increment renamed to the
first slot (so that it is a constant for what follows), the result differentiated by V₂, and so on.
Each term of the result holds every slot's increment exactly once; `mcalc.render.index_higher` reads
its coefficient off term by term.

A slot's increment is `Differential(slot_name(var, n))`, whose shape is the variable's; by a symmetric
variable the increment is ½(dS + dSᵀ), the README's convention (½(∂F/∂S_kl + ∂F/∂S_lk)).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from mcalc.calculus.differentiate import differential
from mcalc.records import Record, record
from mcalc.shapes import ShapeEnv
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

SLOT_MARK = "#"  # not a character of any name the parser reads, so a slot never meets a user's name


def slot_name(var: str, slot: int) -> str:
    return f"{var}{SLOT_MARK}{slot}"


def slot_of(name: str) -> int | None:
    """The slot number of an increment's name, None for a plain differential."""
    head, mark, number = name.rpartition(SLOT_MARK)
    return int(number) if mark and head and number.isdigit() else None


@record(frozen=True)
class Form(Record):
    """dⁿf: `form` is linear in each slot's increment; None when it is identically zero."""

    function: Node
    wrt: tuple[str, ...]
    form: Node | None


def multilinear(
    function: Node, wrt: Sequence[str], env: ShapeEnv, simp: Callable[[Node], Node], first: Node | None = None
) -> Form:
    """The n-th differential of `function` (a simplified tree), slots numbered from 1 in `wrt` order;
    `simp` (the simplifier, a layer above) brings each differential to canonical form. `first`: the first
    differential, in d(wrt[0]), when the caller has it already (a derivative's first stage): not taken again
    (for a 3,000-term sum that was a second of `--at`)."""
    current: Node | None = function
    for slot, var in enumerate(wrt, start=1):
        assert current is not None
        env.var_dims.setdefault(slot_name(var, slot), env.var_dims[var])
        raw = first if slot == 1 and first is not None else differential(current, var, env)
        if raw is None:
            return Form(function, tuple(wrt), None)
        increment: Node = N.Differential(slot_name(var, slot))
        if var in env.symmetric and env.kind(var).name == "MATRIX":
            half = N.Number(Fraction(1, 2))
            increment = N.Mul((half, N.Add((increment, N.Transpose(increment)))))
        current = simp(N.substitute(raw, {N.Differential(var): increment}))
        if isinstance(current, N.Zero) or (isinstance(current, N.Number) and current.value == 0):
            return Form(function, tuple(wrt), None)
    return Form(function, tuple(wrt), current)
