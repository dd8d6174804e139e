"""mcalc from Python: `mcalc.diff(...)` and `mcalc.check_claim(...)`.

The same engine, declarations and conventions as the command line (README § Python), without typer or
rich, and without numpy or sympy until a number or a SymPy expression is asked for. Errors are the
`mcalc.errors` classes (`ParseError`, `ShapeError`, ...), each with `.position` (0-based column) and
`.message`.
"""

from __future__ import annotations

from typing import Unpack

from mcalc.claims.verdict import Outcome, Verdict
from mcalc.derivative import Derivative, ShapeAnswer
from mcalc.session import DeclarationArgs, Names, Session
from mcalc.view import Layout

__all__ = ["Derivative", "Outcome", "Session", "ShapeAnswer", "Verdict", "check_claim", "diff"]


def diff(
    expr: str,
    wrt: Names,
    *,
    layout: str | Layout = "mixed",
    **declarations: Unpack[DeclarationArgs],
) -> Derivative:
    """Differentiate `expr` by `wrt` (a name, or a list of names for a second derivative): a one-call
    `Session(...).diff(expr, wrt)`.

    >>> import mcalc
    >>> mcalc.diff("tr(A B)", "A").text
    'Bᵀ'

    Declarations are those of the command line: `scalar="c,t"` or `scalar=["c", "t"]`,
    `symmetric="S"`, `shape={"A": "m×n", "x": 3}` (or `shape="A=3x4"`); Greek may be spelled out
    (`wrt="theta"`). Named intermediates are `--let`'s: `let={"e": "y - Phi theta"}` (in order: a later
    name may use an earlier one) or `let=["e = y - Phi theta", "L = e^T e"]`. Abstract functions are
    `--function`'s and `--elementwise`'s: `function="f"` (`f(A x)` by x is `Aᵀ ∇f(Ax)`), `elementwise="g"`.
    Raises `mcalc.McalcError` (a subclass naming the kind of error) with `.position`; warnings are issued
    as `mcalc.ReadingWarning` and kept on `.warnings`.
    """
    return Session(layout=layout, **declarations).one_call().diff(expr, wrt)


def check_claim(
    expr: str,
    wrt: Names,
    claim: str,
    *,
    seed: int | None = None,
    layout: str | Layout | None = None,
    **declarations: Unpack[DeclarationArgs],
) -> Verdict:
    """Is `claim` the derivative of `expr` by `wrt`? The verdict of `mcalc check`: `.ok` (also its truth
    value: `assert mcalc.check_claim(...)`), `.verdict` (an `Outcome`: `correct`, `layout`, `cookbook`,
    `factor`, `missing-term`, `extra-term`, `wrong-shape`, `wrong-layout`, `wrong`), `.explanation`.

    Without `layout`, the transpose of the derivative is `layout` (right in the other convention, `.ok`);
    with `layout="numerator"` or `"denominator"` the claim must be the derivative in that layout, and its
    transpose is `wrong-layout` (not `.ok`).
    """
    return Session(**declarations).one_call().check(expr, wrt, claim, seed=seed, layout=layout)
