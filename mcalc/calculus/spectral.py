"""Differentials of the functions of a whole matrix (mcalc.syntax.spectral), one rule per entry, each linear in
dX and built from nodes every other layer reads, so that gradients, Hessians (the rule of each new node it
uses: λ_max's Hessian goes through eigvec_max's rule), printers and code generation follow.

    λ(S), v(S) symmetric S, λ simple    dλ = vᵀ dS v,  dv = (λI − S)⁺ dS v          M&N ch. 8 §8-9; MC eqs. 67-68
    λ(X) of a general X, simple, real   dλ = wᵀ dX u (u right, w left, wᵀu = 1)      M&N ch. 8 §8-9
    eig(S) = (λ₁ … λₙ) ascending        d eig = diag(Uᵀ dS U); diag(U⁻¹ dX U) general
    U = eigvecs(S)                      dU = U (G ⊙ (Uᵀ dS U)), G_ij = 1/(λⱼ − λᵢ)
    σ(X) with singular vectors u, v     dσ = uᵀ dX v; d svd(X) = diag(Uᵀ dX V)
    u, v of a simple σ > 0              du = (σ²I − XXᵀ)⁺ (σ dX v + X dXᵀ u), dv = (σ²I − XᵀX)⁺ (σ dXᵀ u + Xᵀ dX v)
    ‖X‖_* = Σσᵢ                         d‖X‖_* = tr((U Vᵀ)ᵀ dX)  (thin SVD, full rank)
    Q = U Vᵀ = polar(X)                 dQ = U (F ⊙ (Uᵀ dX V − Vᵀ dXᵀ U)) Vᵀ
                                             + (I − XX⁺) dX X⁺ Q + Q X⁺ dX (I − X⁺X),  F_ij = 1/(σᵢ + σⱼ)
    X⁺ (locally constant rank)          Golub & Pereyra (1973), Theorem 4.3
    prod(x)                             d prod(x) = prod(x) (1 ./ x)ᵀ dx

Which rule an eigenvalue takes depends on whether its argument is symmetric (mcalc.shapes.spectral): the
symmetric one when mcalc can see it, the general one otherwise, and the reading says which (a note).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from mcalc.errors import NoRuleError
from mcalc.shapes import ShapeEnv
from mcalc.shapes.spectral import is_symmetric, rule_note
from mcalc.syntax import nodes as N
from mcalc.syntax.build import add, mul, neg
from mcalc.syntax.nodes import Node

Rule = Callable[[N.Columnwise, Node, ShapeEnv], Node]


def _f(name: str, x: Node) -> Node:
    return N.Columnwise(name, x)


def _t(x: Node) -> Node:
    return N.Transpose(x)


def _symmetric(node: N.Columnwise, env: ShapeEnv, note: bool = True) -> bool:
    sym = is_symmetric(frozenset(env.symmetric), node.arg)
    if note:
        said = rule_note(node.func, env.text_of(node.arg), sym)
        if said not in env.rules:
            env.rules.append(said)
    return sym


def _eigenvalue(end: str) -> Rule:
    def rule(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
        u = _f(f"eigvec_{end}", node.arg)
        if _symmetric(node, env):
            return mul(_t(u), dx, u)
        return mul(_t(_f(f"eigvec_left_{end}", node.arg)), dx, u)

    return rule


def _eig(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
    u = _f("eigvecs", node.arg)
    left = _t(u) if _symmetric(node, env) else N.Inverse(u)
    return N.Diag(mul(left, dx, u))


def _needs_symmetric(node: N.Columnwise, env: ShapeEnv) -> None:
    if not _symmetric(node, env, note=False):
        text = env.text_of(node.arg)
        raise NoRuleError(
            f"the derivative of {node.func}({text}) is built for a symmetric argument, and {text} is not known "
            f"to be symmetric: declare it with --symmetric (or write a symmetric expression such as {text} + {text}ᵀ)",
            node.span,
        )


def _eigenvector(end: str) -> Rule:
    def rule(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
        _needs_symmetric(node, env)
        rows, _ = env.shape(node.arg)
        shifted = add(mul(_f(f"λ_{end}", node.arg), N.Identity(rows)), neg(node.arg))
        return mul(_f("pinv", shifted), dx, node)

    return rule


def _eigenvectors(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
    _needs_symmetric(node, env)
    u = node
    return mul(u, N.Hadamard((_f("eig_gaps", node.arg), mul(_t(u), dx, u))))


def _singular_value(end: str) -> Rule:
    def rule(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
        return mul(_t(_f(f"singvec_left_{end}", node.arg)), dx, _f(f"singvec_right_{end}", node.arg))

    return rule


def _singular_vector(side: str, end: str) -> Rule:
    """u and v of σ are unit eigenvectors of XXᵀ and XᵀX for σ², so (M&N ch. 8 §8-9 applied to them)
    du = (σ²I − XXᵀ)⁺ (σ dX v + X dXᵀ u), dv = (σ²I − XᵀX)⁺ (σ dXᵀ u + Xᵀ dX v)."""

    def rule(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
        x = node.arg
        u, v, sigma = _f(f"singvec_left_{end}", x), _f(f"singvec_right_{end}", x), _f(f"σ_{end}", x)
        rows, cols = env.shape(x)
        if side == "left":
            size, gram, push = rows, mul(x, _t(x)), add(mul(sigma, dx, v), mul(x, _t(dx), u))
        else:
            size, gram, push = cols, mul(_t(x), x), add(mul(sigma, _t(dx), u), mul(_t(x), dx, v))
        shifted = add(mul(N.Power(sigma, Fraction(2)), N.Identity(size)), neg(gram))
        return mul(_f("pinv", shifted), push)

    return rule


def _svd(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
    return N.Diag(mul(_t(_f("svd_u", node.arg)), dx, _f("svd_v", node.arg)))


def _nuclear(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
    return N.Trace(mul(_t(_f("polar", node.arg)), dx))


def _polar(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
    """dQ for Q = U Vᵀ; the two projector terms vanish for a square X of full rank (XX⁺ = X⁺X = I)."""
    x = node.arg
    u, v, p = _f("svd_u", x), _f("svd_v", x), _f("pinv", x)
    a = mul(_t(u), dx, v)
    core = mul(u, N.Hadamard((_f("svd_f", x), add(a, neg(_t(a))))), _t(v))
    m, n = (env.resolve(d) for d in env.shape(x))
    if m == n:
        return core
    left = mul(add(N.Identity(m), neg(mul(x, p))), dx, p, node)
    right = mul(node, p, dx, add(N.Identity(n), neg(mul(p, x))))
    return add(core, left, right)


def _pinv(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
    """Golub & Pereyra (1973): dX⁺ = −X⁺ dX X⁺ + X⁺X⁺ᵀ dXᵀ (I − XX⁺) + (I − X⁺X) dXᵀ X⁺ᵀ X⁺."""
    x, p = node.arg, node
    m, n = env.shape(x)
    return add(
        neg(mul(p, dx, p)),
        mul(p, _t(p), _t(dx), add(N.Identity(m), neg(mul(x, p)))),
        mul(add(N.Identity(n), neg(mul(p, x))), _t(dx), _t(p), p),
    )


def _prod(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
    return mul(node, _t(N.ElementPower(node.arg, Fraction(-1))), dx)


def _not_built(what: str) -> Rule:
    def rule(node: N.Columnwise, dx: Node, env: ShapeEnv) -> Node:
        raise NoRuleError(f"the derivative of {node.func}({env.text_of(node.arg)}) is not built: {what}", node.span)

    return rule


_HIGHER = "it appears in a derivative of order two or more that mcalc does not build"
RULES: dict[str, Rule] = {
    "λ_max": _eigenvalue("max"),
    "λ_min": _eigenvalue("min"),
    "eig": _eig,
    "eigvec_max": _eigenvector("max"),
    "eigvec_min": _eigenvector("min"),
    "eigvecs": _eigenvectors,
    "σ_max": _singular_value("max"),
    "σ_min": _singular_value("min"),
    "spectral_norm": _singular_value("max"),
    "svd": _svd,
    "nuclear_norm": _nuclear,
    "polar": _polar,
    "pinv": _pinv,
    "prod": _prod,
    "eigvec_left_max": _not_built(f"{_HIGHER} (λ_max of a non-symmetric matrix; for a symmetric one, --symmetric)"),
    "eigvec_left_min": _not_built(f"{_HIGHER} (λ_min of a non-symmetric matrix; for a symmetric one, --symmetric)"),
    "eig_gaps": _not_built(f"{_HIGHER} (the third derivative of eig)"),
    **{f"singvec_{side}_{end}": _singular_vector(side, end) for side in ("left", "right") for end in ("max", "min")},
    **{name: _not_built(f"{_HIGHER} (the third derivative of svd or ‖X‖_*)") for name in ("svd_u", "svd_v", "svd_f")},
}
