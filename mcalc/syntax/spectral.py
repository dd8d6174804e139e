"""Catalogue entries of the functions of a whole matrix: eigenvalues and eigenvectors, singular values and
vectors, the spectral and nuclear norms, the pseudo-inverse, the product of a vector's entries.

Each is a `Columnwise` node of kind WHOLE_MATRIX: its shape rule is named by `shape` (mcalc.shapes.spectral),
its differential built by mcalc.calculus.spectral (which needs the shape environment: the symmetric rule or
the general one), its values computed here with numpy (imported when first called) and, in generated code,
by the helpers of `SPECTRAL_HELPER`, which follow the same conventions:

- eigenvalues ascending (eig), singular values descending (svd);
- an eigenvector or singular vector is a unit vector whose entry of largest magnitude is positive (the
  first such entry when several tie within 1e-9); a pair of singular vectors is flipped together;
- a matrix that is symmetric (to 1e-10) is decomposed by `eigh`; any other by `eig`, and its eigenvalues
  must then all be real (else the values are NaN, and `--at` says why: mcalc.numeric.spectral).

The entries marked internal (eigvecs, eig_gaps, the left eigenvectors, the singular vectors, svd_u/svd_v,
svd_f, polar) are made by the derivative rules; they read back, so printed results are valid input.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

Function = Any  # mcalc.syntax.functions.Function, which imports this module: not imported back

Array = Any
TIE = 1e-9  # entries of equal magnitude within this (relative) tie: the first one fixes the sign
SYMMETRIC = 1e-10  # a matrix this close to its transpose is decomposed by eigh


# --- values (numpy, imported when first called) ---------------------------------------------------------


def _signs(v: Array) -> Array:
    """±1 per column: the sign that makes its entry of largest magnitude positive (the first such on a tie)."""
    import numpy as np

    big = np.abs(v)
    first = np.argmax(big >= big.max(axis=0) * (1 - TIE), axis=0)
    sign = np.sign(v[first, np.arange(v.shape[1])])
    return np.where(sign == 0, 1.0, sign)


def _signed(v: Array) -> Array:
    return v * _signs(v) if v.size else v


def is_symmetric(a: Array) -> bool:
    import numpy as np

    scale = max(1.0, float(np.abs(a).max())) if a.size else 1.0
    return a.shape[0] == a.shape[1] and bool(np.allclose(a, a.T, rtol=SYMMETRIC, atol=1e-12 * scale))


def spectrum(a: Array) -> tuple[Array, Array, Array]:
    """Eigenvalues ascending, right eigenvectors U (unit, signed columns) and left ones W (Wᵀ U = I); W = U
    for a symmetric matrix. Complex eigenvalues of a non-symmetric matrix: all NaN."""
    import numpy as np

    if is_symmetric(a):
        lam, u = np.linalg.eigh((a + a.T) / 2)
        u = _signed(u)
        return lam, u, u
    lam, u = np.linalg.eig(a)
    if np.abs(lam.imag).max() > 1e-9 * max(1.0, float(np.abs(lam).max())):
        nan = np.full(a.shape, np.nan)
        return np.full(a.shape[0], np.nan), nan, nan
    order = np.argsort(lam.real)
    lam, u = lam.real[order], u.real[:, order]
    u = _signed(u / np.linalg.norm(u, axis=0))
    return lam, u, np.linalg.inv(u).T


def singular(a: Array) -> tuple[Array, Array, Array]:
    """Thin SVD: U (m×k), singular values descending, V (n×k); each pair (uᵢ, vᵢ) flipped together so that
    uᵢ's entry of largest magnitude is positive."""
    import numpy as np

    u, s, vt = np.linalg.svd(a, full_matrices=False)
    sign = _signs(u)
    return u * sign, s, vt.T * sign


def _number(x: Any) -> Array:
    import numpy as np

    return np.full((1, 1), float(x))


def _gaps(lam: Array) -> Array:
    """G with G_ij = 1/(λⱼ − λᵢ) off the diagonal, 0 on it (the eigenvectors' derivative: Uᵀ dU = G ⊙ Uᵀ dS U)."""
    import numpy as np

    diff = lam[None, :] - lam[:, None]
    np.fill_diagonal(diff, np.inf)
    return 1.0 / diff


def _sums(s: Array) -> Array:
    """F with F_ij = 1/(σᵢ + σⱼ) (the polar factor's derivative)."""
    return 1.0 / (s[None, :] + s[:, None])


PINV_CUTOFF = 1e-12  # singular values below this, relative to the largest, are zero in pinv


def _pinv(a: Array) -> Array:
    """X⁺, its singular values below PINV_CUTOFF treated as 0: pinv(λI − S) of an eigenvector's derivative is
    singular by construction, and numpy's default cutoff (max(m, n) ε) kept its rounded zero about one time in
    three, inverting noise (the Hessian of σ_max failed --check so)."""
    import numpy as np

    return np.linalg.pinv(a, PINV_CUTOFF)


def _prod(a: Array) -> Array:
    import numpy as np

    return _number(np.prod(a))


def _eig(a: Array) -> Array:
    return spectrum(a)[0].reshape(-1, 1)


VALUES: dict[str, Any] = {
    "eig": _eig,
    "λ_max": lambda a: _number(spectrum(a)[0][-1]),
    "λ_min": lambda a: _number(spectrum(a)[0][0]),
    "eigvec_max": lambda a: spectrum(a)[1][:, -1:],
    "eigvec_min": lambda a: spectrum(a)[1][:, :1],
    "eigvec_left_max": lambda a: spectrum(a)[2][:, -1:],
    "eigvec_left_min": lambda a: spectrum(a)[2][:, :1],
    "eigvecs": lambda a: spectrum(a)[1],
    "eig_gaps": lambda a: _gaps(spectrum(a)[0]),
    "svd": lambda a: singular(a)[1].reshape(-1, 1),
    "σ_max": lambda a: _number(singular(a)[1][0]),
    "σ_min": lambda a: _number(singular(a)[1][-1]),
    "singvec_left_max": lambda a: singular(a)[0][:, :1],
    "singvec_right_max": lambda a: singular(a)[2][:, :1],
    "singvec_left_min": lambda a: singular(a)[0][:, -1:],
    "singvec_right_min": lambda a: singular(a)[2][:, -1:],
    "svd_u": lambda a: singular(a)[0],
    "svd_v": lambda a: singular(a)[2],
    "svd_f": lambda a: _sums(singular(a)[1]),
    "spectral_norm": lambda a: _number(singular(a)[1][0]),
    "nuclear_norm": lambda a: _number(singular(a)[1].sum()),
    "polar": lambda a: singular(a)[0] @ singular(a)[2].T,
    "pinv": _pinv,
    "prod": _prod,
}


# --- generated code: the same conventions, in one helper block every entry shares ----------------------

SPECTRAL_HELPER = (
    "def _signs(v):",
    "    # per column, the sign making its entry of largest magnitude positive (the first such on a tie)",
    "    big = np.abs(v)",
    "    first = np.argmax(big >= big.max(axis=0) * (1 - 1e-9), axis=0)",
    "    sign = np.sign(v[first, np.arange(v.shape[1])])",
    "    return np.where(sign == 0, 1.0, sign)",
    "",
    "",
    "def _spectrum(a):",
    "    # eigenvalues ascending, unit right eigenvectors U (entry of largest magnitude positive), left W: W.T @ U = I",
    "    if np.allclose(a, a.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(a).max())):",
    "        lam, u = np.linalg.eigh((a + a.T) / 2)",
    "        u = u * _signs(u)",
    "        return lam, u, u",
    "    lam, u = np.linalg.eig(a)",
    "    if np.abs(lam.imag).max() > 1e-9 * max(1.0, np.abs(lam).max()):",
    "        raise ValueError('complex eigenvalues: a real spectrum is needed')",
    "    order = np.argsort(lam.real)",
    "    lam, u = lam.real[order], u.real[:, order]",
    "    u = u / np.linalg.norm(u, axis=0)",
    "    u = u * _signs(u)",
    "    return lam, u, np.linalg.inv(u).T",
    "",
    "",
    "def _svd(a):",
    "    # thin SVD, singular values descending; each pair flipped so that u's largest entry is positive",
    "    u, s, vt = np.linalg.svd(a, full_matrices=False)",
    "    sign = _signs(u)",
    "    return u * sign, s, vt.T * sign",
    "",
    "",
    "def _gaps(lam):",
    "    diff = lam[None, :] - lam[:, None]",
    "    np.fill_diagonal(diff, np.inf)",
    "    return 1.0 / diff",
)

# name → (generated code with {} for the argument)
_CODE = {
    "eig": "_spectrum({})[0].reshape(-1, 1)",
    "λ_max": "float(_spectrum({})[0][-1])",
    "λ_min": "float(_spectrum({})[0][0])",
    "eigvec_max": "_spectrum({})[1][:, -1:]",
    "eigvec_min": "_spectrum({})[1][:, :1]",
    "eigvec_left_max": "_spectrum({})[2][:, -1:]",
    "eigvec_left_min": "_spectrum({})[2][:, :1]",
    "eigvecs": "_spectrum({})[1]",
    "eig_gaps": "_gaps(_spectrum({})[0])",
    "svd": "_svd({})[1].reshape(-1, 1)",
    "σ_max": "float(_svd({})[1][0])",
    "σ_min": "float(_svd({})[1][-1])",
    "singvec_left_max": "_svd({})[0][:, :1]",
    "singvec_right_max": "_svd({})[2][:, :1]",
    "singvec_left_min": "_svd({})[0][:, -1:]",
    "singvec_right_min": "_svd({})[2][:, -1:]",
    "svd_u": "_svd({})[0]",
    "svd_v": "_svd({})[2]",
    "svd_f": "(lambda s: 1.0 / (s[None, :] + s[:, None]))(_svd({})[1])",
    "spectral_norm": "float(np.linalg.norm({}, 2))",
    "nuclear_norm": "float(np.linalg.norm({}, 'nuc'))",
    "polar": "(lambda u, s, v: u @ v.T)(*_svd({}))",
    "pinv": "np.linalg.pinv({}, 1e-12)",
    "prod": "float(np.prod({}))",
}


def _no_slope(x: Any) -> Any:
    raise TypeError("a function of the whole matrix has a differential, not an elementwise slope")


MN = "M&N ch. 8"  # short names of mcalc.sources


def _entry(
    make: Callable[..., Function],
    name: str,
    shape: str,
    identity: str,
    latex: str,
    reference: str,
    tex: str,
    witness: str,
    aliases: tuple[str, ...] = (),
    internal: bool = False,
    text: str = "",
    ascii: str = "",
) -> Function:
    if not identity.startswith(name):
        identity = f"{name}: {identity}"
    return make(
        name, _no_slope, identity, latex, VALUES[name], _CODE[name], tex, reference=reference, aliases=aliases,
        numpy_helper=SPECTRAL_HELPER, internal=internal, witness=witness, shape=shape, text=text, ascii=ascii,
    )  # fmt: skip


def _op(command: str) -> str:
    return command + r"\left({}\right)"


SYM = "B^T B + x x^T"  # a symmetric argument of the witnesses (its eigenvalues apart almost surely)


# witnesses that `mcalc identities --verify` differentiates twice: the rule of an eigenvector or of the polar
# factor is what a Hessian uses (λ_max's through eigvec_max, ‖X‖_*'s through polar)
SECOND_ORDER: dict[str, tuple[str, tuple[str, ...]]] = {
    "eigvecs": (f"a^T eig({SYM})", ("x", "x")),
    "polar": ("nuclear_norm(A + x x^T)", ("x", "x")),
    "λ_max": (f"lambda_max({SYM})", ("x", "x")),
    "pinv": ("a^T pinv(A + x 1^T) b", ("x", "x")),
    **{f"singvec_{side}_max": ("sigma_max(A + x 1^T)", ("x", "x")) for side in ("left", "right")},
    **{f"singvec_{side}_min": ("sigma_min(A + x 1^T)", ("x", "x")) for side in ("left", "right")},
}


def entries(make: Callable[..., Function]) -> tuple[Function, ...]:
    """The entries, made by `make` (`Function` with kind WHOLE_MATRIX: the catalogue passes it, so that this
    module never imports the catalogue, which imports it)."""
    e = partial(_entry, make)
    return _eigen(e) + _singular(e)


def _eigen(e: Callable[..., Function]) -> tuple[Function, ...]:
    return (
        e("eig", "square→vector",
          "d eig(S) = diag(Uᵀ dS U), U = eigvecs(S) (symmetric S); diag(U⁻¹ dX U) for a real simple spectrum",
          r"d\lambda_i = u_i^\top dS\,u_i", f"{MN} §8-9 (dλ = uᵀ dX u for symmetric X); MC eq. 67",
          _op(r"\operatorname{eig}"), f"a^T eig({SYM})"),
        e("λ_max", "square→number",
          "d λ_max(S) = vᵀ dS v, v = eigvec_max(S) (symmetric S); wᵀ dX u / (wᵀu) for a simple real eigenvalue "
          "of a general X (u right, w left eigenvector)",
          r"d\lambda_{\max}(S) = v^\top dS\,v", f"{MN} §8-9 (symmetric and general cases); MC eq. 67",
          _op(r"\lambda_{\max}"), f"lambda_max({SYM}) + lambda_max(A + x 1^T)", aliases=("lambda_max",),
          ascii="lambda_max({})"),
        e("λ_min", "square→number", "d λ_min(S) = vᵀ dS v, v = eigvec_min(S) (as λ_max)",
          r"d\lambda_{\min}(S) = v^\top dS\,v", f"{MN} §8-9; MC eq. 67",
          _op(r"\lambda_{\min}"), f"lambda_min({SYM})", aliases=("lambda_min",), ascii="lambda_min({})"),
        e("eigvec_max", "square→vector",
          "d v = (λI − S)⁺ dS v, v = eigvec_max(S), λ = λ_max(S) (symmetric S, λ simple)",
          r"dv = (\lambda I - S)^{+}\,dS\,v", f"{MN} §8-9; MC eq. 68",
          _op(r"v_{\max}"), f"a^T eigvec_max({SYM})"),
        e("eigvec_min", "square→vector", "d v = (λI − S)⁺ dS v, v = eigvec_min(S), λ = λ_min(S)",
          r"dv = (\lambda I - S)^{+}\,dS\,v", f"{MN} §8-9; MC eq. 68",
          _op(r"v_{\min}"), f"a^T eigvec_min({SYM})"),
        e("eigvec_left_max", "square→vector",
          "the left eigenvector w of λ_max(X), wᵀX = λ wᵀ, scaled so that wᵀu = 1 (u = eigvec_max(X))",
          r"w^\top X = \lambda w^\top,\ w^\top u = 1", f"{MN} §8-9 (the general case)",
          _op(r"w_{\max}"), "lambda_max(A + x 1^T)", internal=True),
        e("eigvec_left_min", "square→vector", "the left eigenvector of λ_min(X), scaled so that wᵀu = 1",
          r"w^\top X = \lambda w^\top,\ w^\top u = 1", f"{MN} §8-9 (the general case)",
          _op(r"w_{\min}"), "lambda_min(A + x 1^T)", internal=True),
        e("eigvecs", "square→square",
          "U = eigvecs(S), its columns the unit eigenvectors in eig's order; dU = U (G ⊙ (Uᵀ dS U)), "
          "G = eig_gaps(S)",
          r"dU = U\left(G \odot U^\top dS\,U\right)", f"{MN} §8-9 (each column)",
          _op(r"U"), f"a^T eig({SYM})", internal=True),
        e("eig_gaps", "square→square", "G = eig_gaps(S): G_ij = 1/(λⱼ − λᵢ) for i ≠ j, 0 on the diagonal",
          r"G_{ij} = 1/(\lambda_j - \lambda_i)", f"{MN} §8-9", _op(r"G"), f"a^T eig({SYM})", internal=True),
    )  # fmt: skip


def _singular(e: Callable[..., Function]) -> tuple[Function, ...]:
    return (
        e("svd", "matrix→singular values", "d σᵢ = uᵢᵀ dX vᵢ: d svd(X) = diag(Uᵀ dX V), U = svd_u(X), V = svd_v(X)",
          r"d\sigma_i = u_i^\top dX\,v_i", f"{MN} §8-9 (σᵢ² the eigenvalues of XᵀX); MC eq. 67 applied to XᵀX",
          _op(r"\operatorname{svd}"), "a^T svd(A + x x^T)"),
        e("σ_max", "matrix→number", "d σ_max(X) = uᵀ dX v (u, v its unit left and right singular vectors)",
          r"d\sigma_{\max}(X) = u^\top dX\,v", f"{MN} §8-9; MC eq. 67 applied to XᵀX",
          _op(r"\sigma_{\max}"), "sigma_max(A + x 1^T)", aliases=("sigma_max",), ascii="sigma_max({})"),
        e("σ_min", "matrix→number", "d σ_min(X) = uᵀ dX v (its left and right singular vectors)",
          r"d\sigma_{\min}(X) = u^\top dX\,v", f"{MN} §8-9; MC eq. 67 applied to XᵀX",
          _op(r"\sigma_{\min}"), "sigma_min(A + x 1^T)", aliases=("sigma_min",), ascii="sigma_min({})"),
        *(e(name, shape, f"the unit {side} singular vector of σ_{end}(X); {rule}", rf"{letter}_{{\{end}}}",
            f"{MN} §8-9", _op(rf"{letter}_{{\{end}}}"), f"sigma_{end}(A + x 1^T)", internal=True)
          for end in ("max", "min")
          for name, shape, side, letter, rule in (
              (f"singvec_left_{end}", "matrix→rows", "left", "u", "du = (σ²I − XXᵀ)⁺ (σ dX v + X dXᵀ u)"),
              (f"singvec_right_{end}", "matrix→columns", "right", "v", "dv = (σ²I − XᵀX)⁺ (σ dXᵀ u + Xᵀ dX v)"))),
        e("svd_u", "matrix→U", "U = svd_u(X): the left singular vectors (thin SVD), in svd's order",
          r"U", f"{MN} §8-9", _op(r"U"), "a^T svd(A + x x^T)", internal=True),
        e("svd_v", "matrix→V", "V = svd_v(X): the right singular vectors (thin SVD), in svd's order",
          r"V", f"{MN} §8-9", _op(r"V"), "a^T svd(A + x x^T)", internal=True),
        e("svd_f", "matrix→k×k", "F = svd_f(X): F_ij = 1/(σᵢ + σⱼ)", r"F_{ij} = 1/(\sigma_i + \sigma_j)",
          "the polar factor's derivative (Higham ch. 8)", _op(r"F"),
          "nuclear_norm(A + x 1^T)", internal=True),
        e("spectral_norm", "matrix→number", "d‖X‖₂ = uᵀ dX v (the singular vectors of σ_max(X))",
          r"d\|X\|_2 = u^\top dX\,v", f"{MN} §8-9; ‖X‖₂ = σ_max(X)",
          r"\left\|{}\right\|_2", "spectral_norm(A + x 1^T)", text="‖{}‖₂", ascii="||{}||_2"),
        e("nuclear_norm", "matrix→number",
          "d‖X‖_* = tr((U Vᵀ)ᵀ dX), U Vᵀ = polar(X) (thin SVD, full rank); ∂‖X‖_*/∂X = U Vᵀ",
          r"\partial\|X\|_*/\partial X = U V^\top", f"{MN} §8-9, summed over the σᵢ",
          r"\left\|{}\right\|_*", "nuclear_norm(A + x 1^T)", text="‖{}‖_*", ascii="||{}||_*"),
        e("polar", "matrix→matrix",
          "Q = polar(X) = U Vᵀ; dQ = U (F ⊙ (Uᵀ dX V − Vᵀ dXᵀ U)) Vᵀ + (I − X X⁺) dX X⁺ Q + Q X⁺ dX (I − X⁺X), "
          "F = svd_f(X)",
          r"dQ = U\left(F \odot (U^\top dX V - V^\top dX^\top U)\right)V^\top + \ldots",
          "Higham ch. 8 (the polar decomposition)", _op(r"\operatorname{polar}"),
          "nuclear_norm(A + x 1^T)", internal=True),
        e("pinv", "matrix→transpose",
          "dX⁺ = −X⁺ dX X⁺ + X⁺X⁺ᵀ dXᵀ (I − XX⁺) + (I − X⁺X) dXᵀ X⁺ᵀ X⁺ (constant rank)",
          r"dX^{+} = -X^{+} dX\,X^{+} + X^{+}X^{+\top} dX^\top (I - XX^{+})"
          r" + (I - X^{+}X)\,dX^\top X^{+\top} X^{+}",
          "Golub & Pereyra Theorem 4.3",
          r"{\left({}\right)^{+}}", "a^T pinv(A + x 1^T) b"),
        e("prod", "vector→number", "d prod(x) = prod(x) (1 ./ x)ᵀ dx (no entry of x zero)",
          r"d\prod_i x_i = \left(\prod_i x_i\right) (1/x)^\top dx", "the product rule, entry by entry",
          _op(r"\operatorname{prod}"), "prod(x)"),
    )  # fmt: skip
