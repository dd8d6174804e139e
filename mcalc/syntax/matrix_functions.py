"""The catalogue rows of the matrix functions: `expm`, `logm`, `sqrtm`, `sinm`, `cosm` of a square matrix, and
S^p, a non-integer power of a symmetric positive definite S (the elementwise exp, log, sqrt, sin, cos keep
their meaning). mcalc.syntax.functions makes each row a catalogue entry of kind MATRIX_MAP (a `Columnwise`
node, as softmax: the parser, shapes, printers and evaluator read the entry).

Each function f is the primary matrix function of a scalar f (Higham, Functions of Matrices, 2008, §1.2);
its differential is d f(X) = L_f(X, dX), the Fréchet derivative (a `Frechet` node, evaluated numerically by
mcalc.syntax.matrix_values), and its derivative f′ (the `derivative` tree here) gives the trace rule
d tr(f(X)) = tr(f′(X) dX), so ∂tr(f(X))/∂X = f′(X)ᵀ (Matrix Cookbook §2.5: ∂Tr(sin(X))/∂X = cos(X)ᵀ and
its general form ∂Tr(F(X))/∂X = f(X)ᵀ, f the scalar derivative of F).

S^p has an entry per exponent, made on demand (`power_spec`): its name is `mpow:p` (`mpow:1/3`), printed
as `S^(1/3)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from mcalc.records import Record, record
from mcalc.syntax import matrix_values
from mcalc.syntax import nodes as N
from mcalc.syntax.build import mul, neg, num
from mcalc.syntax.nodes import Dim, Node

Array = Any


@record(frozen=True)
class Spec(Record):
    """What the catalogue needs of one matrix function (mcalc.syntax.functions makes the Function)."""

    name: str
    derivative: Callable[[Node], Node]  # X ↦ f′(X), the matrix function of the scalar derivative
    identity: str
    identity_latex: str
    evaluate: Callable[[Array], Array]
    numpy: str
    latex: str
    reference: str
    off_axis: bool  # defined (and differentiable) only off the closed negative real axis
    witness: str = ""
    internal: bool = False


def _f(name: str) -> Callable[[Node], Node]:
    return lambda x: N.Columnwise(name, x)


def _values(name: str) -> Callable[[Array], Array]:
    def evaluate(x: Array) -> Array:
        return matrix_values.value(name, x)

    evaluate.__name__ = name
    return evaluate


def differential(value: Node, x: Node, dx: Node, rows: Dim, vector: bool) -> Node:
    """d f(X) = L_f(X, dX) (Higham 2008, eq. 3.6), for every matrix function of the catalogue."""
    assert isinstance(value, N.Columnwise)
    return N.Frechet(value.func, (x, dx))


COOKBOOK = "MC §2.5 (∂Tr(F(X))/∂X = f(X)ᵀ, f the scalar derivative of F); Higham, Functions of Matrices (2008)"

SPECS: tuple[Spec, ...] = (
    Spec("expm", _f("expm"), "expm′(X) = expm(X); d expm(X) = L_expm(X, dX) = ∫₀¹ e^{sX} dX e^{(1−s)X} ds",
         r"d\,e^{X} = \int_0^1 e^{sX}\,dX\,e^{(1-s)X}\,ds",
         _values("expm"), "_matfun('expm', {})", "e^{{}}", f"{COOKBOOK}, ch. 10", False,
         witness="tr(A expm(X)) + tr(expm(X))"),
    Spec("logm", lambda x: N.Inverse(x), "logm′(X) = X⁻¹; d logm(X) = L_logm(X, dX), ∂tr(logm(X))/∂X = X⁻ᵀ",
         r"d\log(X) = \int_0^1 (t(X - I) + I)^{-1}\,dX\,(t(X - I) + I)^{-1}\,dt",
         _values("logm"), "_matfun('logm', {})", r"\operatorname{logm}\left({}\right)", f"{COOKBOOK}, ch. 11",
         True, witness="tr(A logm(X)) + tr(logm(X))"),
    Spec("sqrtm", lambda x: mul(num(Fraction(1, 2)), N.Inverse(N.Columnwise("sqrtm", x))),
         "sqrtm′(X) = ½ sqrtm(X)⁻¹; d sqrtm(X) = L_sqrtm(X, dX), the Z with sqrtm(X) Z + Z sqrtm(X) = dX",
         r"X^{1/2}\,dY + dY\,X^{1/2} = dX,\ Y = X^{1/2}",
         _values("sqrtm"), "_matfun('sqrtm', {})", r"\left({}\right)^{1/2}", f"{COOKBOOK}, ch. 6", True,
         witness="tr(A sqrtm(X)) + tr(sqrtm(X))"),
    Spec("sinm", _f("cosm"), "sinm′(X) = cosm(X); d sinm(X) = L_sinm(X, dX)",
         r"d\sin(X) = L_{\sin}(X, dX)", _values("sinm"), "_matfun('sinm', {})",
         r"\operatorname{sinm}\left({}\right)", f"{COOKBOOK}, ch. 3, the block formula", False,
         witness="tr(A sinm(X)) + tr(sinm(X))"),
    Spec("cosm", lambda x: neg(N.Columnwise("sinm", x)), "cosm′(X) = −sinm(X); d cosm(X) = L_cosm(X, dX)",
         r"d\cos(X) = L_{\cos}(X, dX)", _values("cosm"), "_matfun('cosm', {})",
         r"\operatorname{cosm}\left({}\right)", f"{COOKBOOK}, ch. 3, the block formula", False,
         witness="tr(A cosm(X)) + tr(cosm(X))"),
)  # fmt: skip


def power_node(x: Node, p: Fraction) -> Node:
    """S^p: the matrix power (integer p) or the power of a symmetric positive definite S (any other p)."""
    if p.denominator == 1:
        return N.Identity() if p == 0 else N.Power(x, p)
    return N.Columnwise(matrix_values.power_name(p), x)


def power_spec(spelling: str) -> Spec | None:
    """The entry of S^p for the name `mpow:p` (made when first looked up), or None for any other word."""
    if not spelling.startswith(matrix_values.POWER_PREFIX):
        return None
    try:
        p = Fraction(spelling.removeprefix(matrix_values.POWER_PREFIX))
    except (ValueError, ZeroDivisionError):
        return None
    if p.denominator == 1:
        return None
    return Spec(
        spelling, lambda x: mul(num(p), power_node(x, p - 1)),
        f"(S^p)′ = p S^(p−1) (S symmetric positive definite, p = {p}); d S^p = L(S, dS), the Daleckii–Krein form",
        r"d\,S^{p} = U\left(F^{[1]} \odot (U^\top dS\,U)\right)U^\top", _values(spelling),
        f"_matfun({numpy_name(spelling)}, {{}})", rf"\left({{}}\right)^{{{p}}}",
        "Higham, Functions of Matrices (2008), ch. 3 (the Daleckii–Krein theorem)", True,
        witness=f"tr(A S^({p}))", internal=True,
    )  # fmt: skip


# The exported code's helper (--format numpy): f(A), L^(k)_f(A, E₁, …, E_k) through the block matrix whose f has
# it as its top right block (Higham & Relton 2014, §3), and the matrix K of E ↦ L^(k)_f(A, E, …)
NUMPY_HELPER = (
    "def _matfun(f, a, *es):",
    '    """f(A) (f: "expm", "logm", "sqrtm", "sinm", "cosm", or a power p of a symmetric positive definite A), or',
    "    with directions E1, ..., Ek its k-th Frechet derivative L_f(A, E1, ..., Ek): for k = 1 at a symmetric A",
    "    U (F * (U^T E U)) U^T, F the divided differences of f at the eigenvalues (Daleckii-Krein); otherwise the",
    '    top right block of f([[A, E], [0, A]]) (nested for k > 1: Higham & Relton 2014, §3)."""',
    "    import scipy.linalg",
    "    scalar = (lambda x: x ** f) if isinstance(f, float) else getattr(np, f[:-1])",
    "    if len(es) < 2 and np.array_equal(a, a.T):",
    "        lam, u = np.linalg.eigh(a)",
    "        if not es:",
    "            return (u * scalar(lam)) @ u.T",
    "        d = lam[:, None] - lam[None, :]",
    "        h = 1e-7 * np.maximum(1.0, np.abs(lam)[:, None])",
    "        near = np.abs(d) < h  # f' as the limit, by a central difference of f on the scale of the gap",
    "        mid = (lam[:, None] + lam[None, :]) / 2",
    "        with np.errstate(all='ignore'):",
    "            dd = np.where(near, (scalar(mid + h) - scalar(mid - h)) / (2 * h),",
    "                          (scalar(lam)[:, None] - scalar(lam)[None, :]) / np.where(near, 1.0, d))",
    "        return u @ (dd * (u.T @ es[0] @ u)) @ u.T",
    "    if len(es) == 1 and f == 'expm':",
    "        return scipy.linalg.expm_frechet(a, es[0], compute_expm=False)",
    "    n = a.shape[0]",
    "    for e in es:",
    "        m = a.shape[0] // n",
    "        a = np.kron(np.eye(2), a) + np.kron(np.array([[0.0, 1.0], [0.0, 0.0]]), np.kron(np.eye(m), e))",
    "    if isinstance(f, float):",
    "        fa = scipy.linalg.fractional_matrix_power(a, f)",
    "    else:",
    "        fa = getattr(scipy.linalg, f)(a)",
    "    return np.real(fa)[:n, -n:]",
    "",
    "",
    "def _matfun_matrix(f, a, *es):",
    '    """K with vec(L_f(A, E, E2, ...)) = K vec(E), column by column (vec stacks columns)."""',
    "    n = a.shape[0]",
    "    k = np.zeros((n * n, n * n))",
    "    for j in range(n * n):",
    "        e = np.zeros(n * n)",
    "        e[j] = 1.0",
    "        k[:, j] = _matfun(f, a, e.reshape((n, n), order='F'), *es).reshape(-1, order='F')",
    "    return k",
)


# --- how the printed answer names L and K, and what its `where` lines say they are ------------------------

_LATEX_NAMES = {"expm": r"\exp", "logm": r"\log", "sqrtm": r"\sqrt{\cdot}", "sinm": r"\sin", "cosm": r"\cos"}


def power_of(func: str) -> Fraction | None:
    """p for the entry of S^p (`mpow:p`), None for any other function."""
    if not func.startswith(matrix_values.POWER_PREFIX):
        return None
    return Fraction(func.removeprefix(matrix_values.POWER_PREFIX))


_OPERATOR = re.compile(r"([LK])([23]?)_(expm|logm|sqrtm|sinm|cosm)")


def operator_of(name: str) -> tuple[str, int, bool] | None:
    """(function, order, is it the matrix K) for a name as `operator_names` prints it (`L_expm`, `K2_sqrtm`)."""
    m = _OPERATOR.fullmatch(name)
    return None if m is None else (m.group(3), int(m.group(2) or 1), m.group(1) == "K")


def numpy_name(func: str) -> str:
    """The first argument of the exported helper `_matfun`: the function's name, or the exponent p of S^p."""
    p = power_of(func)
    return repr(func) if p is None else repr(float(p))


def operator_names(func: str, order: int, matrix: bool = False) -> tuple[str, str]:
    """The text and LaTeX names of L^(k)_f (or of its matrix K): L_expm, L2_expm; L^{(2)}_{\\exp}."""
    p = power_of(func)
    short = func if p is None else f"pow({p})"
    tex_short = _LATEX_NAMES.get(func, rf"(\cdot)^{{{p}}}")
    head = "K" if matrix else "L"
    text = f"{head}{order if order > 1 else ''}_{short}"
    return text, head + (f"^{{({order})}}" if order > 1 else "") + f"_{{{tex_short}}}"


def where_lines(func: str, order: int, matrix: bool, symmetric: bool) -> list[str]:
    """What L_f (or K_f) of the printed answer is, in one line each (text)."""
    p = power_of(func)
    f = f"f = {func}" if p is None else f"f(S) = S^({p})"
    name = operator_names(func, order, matrix)[0]
    if order == 1:
        how = _FIRST.get(func, "") if p is None else ""
        if not how and p is None and not symmetric:
            how = _BLOCK
        lines = [
            f"{operator_names(func, 1)[0]}(A, E) is the Fréchet derivative of {f} at A in the direction E: "
            f"f(A + E) = f(A) + L(A, E) + o(‖E‖) (Higham 2008, ch. 3)" + (f"; {how}" if how else "")
        ]
        if symmetric or p is not None:
            lines.append(_DALECKII_KREIN)
    else:
        args = ", ".join(f"E{i}" for i in range(1, order + 1))
        lines = [
            f"{operator_names(func, order)[0]}(A, {args}) is the Fréchet derivative of order {order} of {f}: "
            "the top right block of f of the block matrix X_k = I₂ ⊗ X_{k−1} + [[0, 1], [0, 0]] ⊗ I ⊗ E_k, "
            "X₀ = A (Higham & Relton 2014, §3)"
        ]
    if matrix:
        rest = "" if order == 1 else ", " + ", ".join(f"E{i}" for i in range(2, order + 1))
        lines.append(
            f"{name}(A{rest}) is the n²×n² matrix with vec {operator_names(func, order)[0]}(A, E{rest}) = "
            f"{name}(A{rest}) vec(E)"
        )
    return lines


_BLOCK = "computed as the top right block of f([[A, E], [0, A]]) (Higham 2008, ch. 3, the block formula)"
_FIRST = {
    "expm": "L_expm(A, E) = ∫₀¹ e^{sA} E e^{(1−s)A} ds (Higham 2008, ch. 10; scipy.linalg.expm_frechet)",
    "logm": "L_logm(A, E) = ∫₀¹ (t(A − I) + I)⁻¹ E (t(A − I) + I)⁻¹ dt (Higham 2008, ch. 11)",
    "sqrtm": "L_sqrtm(A, E) is the Z solving the Sylvester equation sqrtm(A) Z + Z sqrtm(A) = E "
    "(Higham 2008, ch. 6; scipy.linalg.solve_sylvester)",
}
_DALECKII_KREIN = (
    "for a symmetric A = U diag(λ) Uᵀ: L_f(A, E) = U (F ⊙ (Uᵀ E U)) Uᵀ, F the divided differences of f at the "
    "eigenvalues, F_ij = (f(λᵢ) − f(λⱼ))/(λᵢ − λⱼ), f′(λᵢ) where λᵢ = λⱼ (Daleckii–Krein; Higham 2008, ch. 3)"
)


_FIRST_LATEX = {
    "expm": r"L_{\exp}(A, E) = \int_0^1 e^{sA} E\, e^{(1-s)A}\,ds",
    "logm": r"L_{\log}(A, E) = \int_0^1 \left(t(A - I) + I\right)^{-1} E \left(t(A - I) + I\right)^{-1} dt",
    "sqrtm": r"L_{\sqrt{\cdot}}(A, E) = Z \text{ with } A^{1/2} Z + Z A^{1/2} = E",
}
_BLOCK_LATEX = r"L_f(A, E) = \left[f\left(\begin{smallmatrix} A & E \\ 0 & A \end{smallmatrix}\right)\right]_{12}"
_DALECKII_KREIN_LATEX = (
    r"L_f(A, E) = U \left(F \odot (U^\top E\, U)\right) U^\top,\ A = U \operatorname{diag}(\lambda) U^\top,\ "
    r"F_{ij} = \frac{f(\lambda_i) - f(\lambda_j)}{\lambda_i - \lambda_j}"
)


def where_latex(func: str, order: int, matrix: bool, symmetric: bool) -> list[str]:
    """The `where_lines` as formulas (--format latex), one per line."""
    p = power_of(func)
    lines: list[str] = []
    if order == 1:
        first = _FIRST_LATEX.get(func) if p is None else None
        if first is not None:
            lines.append(first)
        if symmetric or p is not None:
            lines.append(_DALECKII_KREIN_LATEX)
        elif first is None:
            lines.append(_BLOCK_LATEX)
    else:
        lines.append(
            rf"L^{{({order})}}_f(A, {', '.join(f'E_{i}' for i in range(1, order + 1))}) = "
            rf"\left[f(X_{order})\right]_{{1,{2**order}}},\ "
            r"X_k = I_2 \otimes X_{k-1} + \left(\begin{smallmatrix} 0 & 1 \\ 0 & 0 \end{smallmatrix}\right) "
            r"\otimes I \otimes E_k,\ X_0 = A"
        )
    if matrix:
        name = operator_names(func, order, matrix=True)[1]
        rest = "" if order == 1 else ", E_2" + (r", \dots" if order > 2 else "")
        lines.append(rf"\operatorname{{vec}} L_f(A, E{rest}) = {name}(A{rest}) \operatorname{{vec}}(E)")
    return lines
