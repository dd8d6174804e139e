"""What a derivative through chol needs of its argument (issue 24, item 4): d chol(S) = L Φ(L⁻¹ dS L⁻ᵀ)
holds for a symmetric dS, so the argument of a chol that depends on the variable must be symmetric for
every value of the variable: a name declared --symmetric, or a form that is (Aᵀ A + I). Anything else is
refused in one line naming the fix, before a wrong derivative (one on the lower triangle alone) is shown.

And derivatives by a structured matrix (--diagonal D, --toeplitz T): taken along its free values and placed
back in the matrix (Matrix Cookbook §2.8)."""

from __future__ import annotations

from collections.abc import Callable

from mcalc.errors import InputError
from mcalc.shapes import ShapeEnv
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node
from mcalc.syntax.structured import ALPHA


def require_symmetric_arguments(function: Node, var: str, env: ShapeEnv, is_symmetric: Callable[[Node], bool]) -> None:
    """Refuse chol(M) when M depends on `var` and is not known to be symmetric."""
    for n in N.distinct_nodes(function):
        if not isinstance(n, N.Columnwise) or functions.get(n.func).draw != "spd":
            continue
        if var in N.free_symbols(n.arg) and not is_symmetric(n.arg):
            text = env.text_of(n.arg)
            fix = f"--symmetric {text}" if isinstance(n.arg, N.Symbol) else "a symmetric form such as Aᵀ A + I"
            raise InputError(
                f"{n.func}({text}) needs a symmetric positive definite argument, and {text} is not known to be "
                f"symmetric: write {fix}"
            )


# --- derivatives by a structured matrix (issue 24 item 5, MC §2.8): along its free values, placed back ---


def along_structure(gradient: Node, var: str, env: ShapeEnv) -> Node | None:
    """The gradient G (by every entry of `var` as if free) placed on `var`'s structure, or None when `var`
    has none of these: a --diagonal D moves along its diagonal only, ∂f/∂Dᵢᵢ = Gᵢᵢ, so G ⊙ I (MC §2.8.3,
    ∂tr(AD)/∂D = A ⊙ I); a --toeplitz T along the value of each diagonal, ∂f/∂t_{i−j} = the sum of G's
    diagonal i − j, placed at every entry of that diagonal: α(Gᵀ) (MC eq. 143, ∂tr(AT)/∂T = α(A))."""
    if var in env.diagonal:
        n = env.shape_of_var(var)[0]
        kept = gradient.arg if isinstance(gradient, N.Transpose) else gradient  # Gᵀ ⊙ I = G ⊙ I
        return N.Hadamard((kept, N.Identity(n)))
    if var in env.toeplitz:
        return N.Columnwise(ALPHA, N.Transpose(gradient))
    return None


def jacobian_along_structure(jacobian: Node, var: str, env: ShapeEnv) -> Node | None:
    """A vec Jacobian J (columns: vec of `var`) along the structure: J diag(vec I) for a --diagonal D
    (the columns of the off-diagonal entries zero); None when `var` has no such structure."""
    if var in env.diagonal:
        n = env.shape_of_var(var)[0]
        return N.Mul((jacobian, N.Diag(N.Vec(N.Identity(n)))))
    if var in env.toeplitz:
        raise InputError(
            f"the derivative of a matrix by the Toeplitz {var} is not built (a tensor along its diagonals); "
            f"differentiate a number made from it, e.g. tr(A …)"
        )
    return None
