"""The derivative of a Fréchet derivative (a `Frechet` node, made by the differential of a matrix function:
d f(X) = L_f(X, dX)), for second and third derivatives (Hessians).

L^(k)_f(A, E₁, …, E_k) is linear in each direction and, as a function of A, has the next Fréchet derivative
as its differential (Higham & Relton, SIAM J. Matrix Anal. Appl. 35 (2014), §3):

    d L^(k)_f(A, E₁, …, E_k) = L^(k+1)_f(A, dA, E₁, …, E_k) + Σᵢ L^(k)_f(A, E₁, …, dEᵢ, …, E_k).

The table row is in mcalc.calculus.rules (`d-frechet`); this module holds its function and the adjoint and
vec rules that read gradients and Jacobians off a differential holding L (mcalc.calculus.identify).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcalc.errors import NoRuleError
from mcalc.syntax import matrix_values
from mcalc.syntax import nodes as N
from mcalc.syntax.build import add
from mcalc.syntax.nodes import Node

IDENTITY = "d L⁽ᵏ⁾_f(A, E₁, …, E_k) = L⁽ᵏ⁺¹⁾_f(A, dA, E₁, …, E_k) + Σᵢ L⁽ᵏ⁾_f(A, E₁, …, dEᵢ, …, E_k)"
LATEX = r"d\,L^{(k)}_f(A, E_1, \dots, E_k) = L^{(k+1)}_f(A, dA, E_1, \dots) + \sum_i L^{(k)}_f(A, \dots, dE_i, \dots)"
REFERENCE = "Higham & Relton, Higher order Fréchet derivatives of matrix functions (SIMAX 35, 2014), §3"


def d_frechet(node: Node, d: Callable[[Node], Node | None], ctx: Any) -> Node | None:
    assert isinstance(node, N.Frechet)
    if isinstance(node, N.FrechetMatrix):
        if any(d(a) is not None for a in node.args):
            raise NoRuleError(
                f"a third derivative through {node.func} (or a second of a matrix-valued {node.func}) is not "
                f"built: it would differentiate K_{node.func}, the matrix of L_{node.func}; differentiate a "
                f"number made from it at most twice, e.g. tr(A {node.func}(X))"
            )
        return None
    parts: list[Node] = []
    da = d(node.at)
    if da is not None:
        if len(node.args) > matrix_values.MAX_ORDER:
            raise NoRuleError(
                f"a derivative of {node.func} of order {len(node.args)} is not built "
                f"(at most {matrix_values.MAX_ORDER})"
            )
        parts.append(N.Frechet(node.func, (node.at, da, *node.directions)))
    for i, e in enumerate(node.args[1:], start=1):
        de = d(e)
        if de is not None:
            parts.append(N.Frechet(node.func, (*node.args[:i], de, *node.args[i + 1 :])))
    return add(*parts) if parts else None


def adjoint(node: N.Frechet, slot: int, cot: Node) -> Node:
    """The L* with ⟨C, L^(k)_f(A, …, Eᵢ, …)⟩ = ⟨L*, Eᵢ⟩: L^(k)_f(Aᵀ, E₁ᵀ, …, C, …, E_kᵀ) (C in slot i), since
    L_f(A, E)ᵀ = L_f(Aᵀ, Eᵀ) and ⟨C, X^a E X^b⟩ = ⟨(Xᵀ)^a C (Xᵀ)^b, E⟩ term by term of f's power series."""
    args = tuple(cot if j == slot else N.Transpose(a) for j, a in enumerate(node.args))
    return N.Frechet(node.func, args)


def matrix(node: N.Frechet, slot: int) -> Node:
    """K with vec L^(k)_f(A, …, Eᵢ, …) = K vec(Eᵢ) (L is symmetric in its directions: Eᵢ may go first)."""
    return N.FrechetMatrix(node.func, tuple(a for j, a in enumerate(node.args) if j != slot))
