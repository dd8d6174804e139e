"""The Matrix Cookbook's convention for a symmetric variable (issue 23 item 7).

For a variable declared symmetric, mcalc reports the gradient on the space of symmetric matrices,
sym(G) = (G + Gᵀ)/2, G being the gradient with the entries taken as independent (README § Symmetric
matrices). The Matrix Cookbook (Petersen & Pedersen, §2.8, structured matrices) writes instead
G + Gᵀ − diag(G), which counts each off-diagonal pair once: ∂ logdet(S)/∂S = 2S⁻¹ − diag(diag(S⁻¹)). That is
a right answer in another convention, and gets its own verdict (exit 0, as a transposed layout does). In terms
of mcalc's T = sym(G), whose diagonal is G's, the Cookbook's form is 2T − diag(diag(T))."""

from __future__ import annotations

from typing import Any

CONVENTION = "matrix-cookbook"


def applies(kind: Any, var: str, env: Any) -> bool:
    """A gradient (scalar by matrix) by a variable declared symmetric."""
    from mcalc.pipeline import DerivKind

    return kind is DerivKind.GRADIENT and var in env.symmetric


def cookbook_form(truth: Any, simp: Any) -> Any:
    """2T − diag(diag(T)): mcalc's derivative T = sym(G) written in the Cookbook's convention."""
    from fractions import Fraction

    from mcalc.syntax import nodes as N

    return simp(N.Add((N.Mul((N.Number(Fraction(2)), truth)), N.Mul((N.Number(Fraction(-1)), N.Diag(N.Diag(truth)))))))


def explanation(typed: str, var: str, dvar: str, shown: str, expected: str) -> str:
    return (
        f"{typed} is G + Gᵀ − diag(G), the Matrix Cookbook's convention for symmetric matrices (G the gradient "
        f"with the entries of {var} taken as independent; each off-diagonal pair counted once); mcalc reports "
        f"sym(G) = (G + Gᵀ)/2: {dvar} {shown} = {expected}"
    )


def details() -> dict[str, str]:
    return {"convention": CONVENTION, "mcalc": "sym(G) = (G + Gᵀ)/2", "claim": "G + Gᵀ − diag(G)"}
