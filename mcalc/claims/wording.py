"""The words of a verdict: d/dx or ∂/∂X, shapes in words, the two layout conventions, what a constant
factor usually means."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from mcalc.claims.sampling import Problem
from mcalc.claims.terms import fraction_text, sum_text, walk
from mcalc.view import Layout


def expected_sum(p: Problem) -> str:
    from mcalc.render.printer import render_text

    short = render_text(p.truth)
    if len(p.truth_terms) <= 1:
        return short
    long = sum_text(p.truth_terms)
    return short if long == short else f"{short} = {long}"


def factor_text(f: Fraction, claim: str, expected: str, var: str, expr: str, p: Problem) -> str:
    from mcalc.syntax import nodes as N

    dvar = p.dvar
    if f == -1:
        return f"the sign is wrong: {dvar} {of(expr)} = {expected}, and your answer is its negative"
    head = f"your answer {claim} is {fraction_text(f)} × {dvar} {of(expr)} = {expected}"
    if f == Fraction(1, 2):
        squared = sum(1 for n in walk(p.tree) if isinstance(n, N.Symbol) and n.name == var) >= 2 or any(
            isinstance(n, N.Power) and n.exponent == 2 for n in walk(p.tree)
        )
        why = " from the square (d(uᵀu) = 2uᵀdu)" if squared else ""
        return f"{head}: a missing factor 2{why}"
    if f == 2:
        return f"{head}: an extra factor 2 (was a ½ dropped, or a symmetric term counted twice?)"
    if f < 0:
        return f"{head}: the sign and the size are both off"
    return head


def d_text(wrt: list[str], env: Any) -> str:
    """∂/∂x, d/dt for a scalar; ∂²/∂x², ∂²/∂x∂y, d²/dt² as `mcalc diff` labels them."""
    from mcalc.render.report import higher_operator
    from mcalc.shapes import Kind

    scalar = all(env.kinds.get(w) is Kind.SCALAR for w in wrt)
    if len(wrt) == 1:
        return f"d/d{wrt[0]}" if scalar else f"∂/∂{wrt[0]}"
    return higher_operator(wrt, scalar)


def of(expr: str) -> str:
    return expr if len(expr) <= 40 else "the expression"


def shape_words(shape: tuple[Any, Any]) -> str:
    from mcalc.shapes import dim_text

    r, c = shape
    if r == 1 and c == 1:
        return "a scalar"
    if c == 1:
        return f"a column of length {dim_text(r)}"
    if r == 1:
        return f"a row of length {dim_text(c)}"
    return f"{dim_text(r)}×{dim_text(c)}"


def shape_reason(kind: Any, var: str, env: Any) -> str:
    from mcalc.pipeline import DerivKind
    from mcalc.shapes import shape_text

    vshape = shape_text(env.shape_of_var(var))
    if kind is DerivKind.GRADIENT:
        return f" (the gradient of a scalar has the shape of {var}, {vshape}, or its transpose in numerator layout)"
    if kind is DerivKind.JACOBIAN:
        return " (the Jacobian has a row per entry of f and a column per entry of the variable)"
    if kind is DerivKind.SCALAR_VAR:
        return " (the derivative by a scalar has the shape of the expression)"
    return " (∂vec F/∂vec X has a row per entry of F and a column per entry of X)"


def layout_capable(kind: Any, env: Any, truth: Any) -> bool:
    from mcalc.pipeline import DerivKind

    if kind is DerivKind.SCALAR_VAR:
        return bool(env.is_vector(truth))
    return True


def layout_names(kind: Any) -> dict[str, str]:
    from mcalc.pipeline import DerivKind

    if kind is DerivKind.GRADIENT:
        return {"mcalc": "denominator layout", "claim": "numerator layout"}
    if kind is DerivKind.SCALAR_VAR:
        return {"mcalc": "numerator layout", "claim": "denominator layout"}
    return {"mcalc": "numerator layout", "claim": "denominator layout"}


# the layout in which the transpose of a derivative shown in numerator or denominator layout is right
_OTHER = {Layout.NUMERATOR: Layout.DENOMINATOR, Layout.DENOMINATOR: Layout.NUMERATOR}


def other_layout(asked: Layout, kind: Any) -> str:
    """The layout in which the transpose of the derivative in layout `asked` is right."""
    if asked is Layout.MIXED:  # mcalc's default: its other reading is the claim's in layout_names
        return layout_names(kind)["claim"].removesuffix(" layout")
    return _OTHER[asked].value


def layout_text(claim: str, expected: str, kind: Any, var: str, env: Any, square: bool, column: bool = False) -> str:
    """Why a transposed claim is right in the other layout; `column`: the variable is a vector, whose entries
    have one index (∂f/∂xⱼ, not ∂f/∂xⱼᵢ)."""
    from mcalc.pipeline import DerivKind

    dvar = f"∂/∂{var}"
    if kind is DerivKind.GRADIENT and column:
        return (
            f"{claim} is the transpose of mcalc's {dvar} = {expected}: right in numerator layout "
            f"(a row: entry j = ∂f/∂{var}ⱼ); mcalc's default is denominator layout "
            f"(a column like {var}: entry i = ∂f/∂{var}ᵢ)"
        )
    if kind is DerivKind.GRADIENT:
        return (
            f"{claim} is the transpose of mcalc's {dvar} = {expected}: right in numerator layout "
            f"(shaped like {var}ᵀ: entry (i, j) = ∂f/∂{var}ⱼᵢ); mcalc's default is denominator layout "
            f"(shaped like {var}: entry (i, j) = ∂f/∂{var}ᵢⱼ)"
        )
    if kind is DerivKind.JACOBIAN:
        return (
            f"{claim} is the transpose of mcalc's Jacobian {expected}: right in denominator layout (a row per "
            f"entry of {var}, entry (i, j) = ∂fⱼ/∂{var}ᵢ); mcalc uses numerator layout for Jacobians (a row "
            f"per entry of f, entry (i, j) = ∂fᵢ/∂{var}ⱼ)"
        )
    if kind is DerivKind.SCALAR_VAR:
        return (
            f"{claim} is the transpose of mcalc's d/d{var} = {expected}: right in denominator layout (a row); "
            f"mcalc shapes the derivative of a vector by a scalar like the vector (numerator layout)"
        )
    return (
        f"{claim} is the transpose of mcalc's ∂vec F/∂vec {var} = {expected}: right in denominator layout "
        f"(a row per entry of vec {var}); mcalc uses numerator layout (a row per entry of vec F)"
    )
