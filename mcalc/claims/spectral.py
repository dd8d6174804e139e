"""The diagnoses of a wrong claim about an eigenvalue or singular-value function (issue 24 item 7): right
only for a symmetric variable (the claim vvᵀ for λ_max of a general X, whose gradient is w uᵀ), an eigenvector
or singular vector of the opposite sign, and the (λI − S)⁺ an eigenvector's derivative needs left out."""

from __future__ import annotations

from typing import Any

from mcalc.claims.sampling import Problem, close, value_at
from mcalc.claims.symmetry import _right_when_symmetric
from mcalc.syntax import nodes as N

VECTORS = frozenset({"eigvec_max", "eigvec_min", "singvec_left_max", "singvec_right_max", "singvec_left_min",
                     "singvec_right_min"})  # fmt: skip


def _calls(node: Any, names: frozenset[str]) -> list[N.Columnwise]:
    stack, out = [node], []
    while stack:
        n = stack.pop()
        if isinstance(n, N.Columnwise) and n.func in names:
            out.append(n)
        stack.extend(n.children())
    return out


def _right_at(p: Problem, node: Any, i: int) -> bool:
    value = value_at(p, node, p.samples[i])
    return value is not None and bool(close(value, p.samples[i][p.truth], p.samples[i]["unit"]))


def spectral_note(p: Problem, node: Any, typed: str) -> tuple[str, dict[str, Any]] | None:
    """(the explanation's prefix, its details) when one of the diagnoses holds, else None."""
    from mcalc.shapes import Kind

    if not _calls(p.truth, frozenset({"eigvec_left_max", "eigvec_left_min", "pinv", *VECTORS, "eigvecs"})):
        return None
    env, var = p.env, p.var
    if env.kinds.get(var) is Kind.MATRIX and var not in env.symmetric and _right_when_symmetric(p, node, [var]):
        note = (
            f"{typed} is right only when {var} is symmetric (declare --symmetric {var}; for a general {var} the "
            f"gradient of an eigenvalue is w uᵀ, u and w its right and left eigenvectors with wᵀu = 1); "
        )
        return note, {"right_when_symmetric": [var]}
    for v in _calls(node, VECTORS):
        fixed = p.simp(N.substitute(node, {v: N.Mul((N.MINUS_ONE, v))}))
        if p.samples and all(_right_at(p, fixed, i) for i in range(len(p.samples))):
            note = (
                f"{typed} is right with the sign of {v.func}({env.text_of(v.arg)}) flipped: mcalc's unit "
                f"eigenvectors and singular vectors have their entry of largest magnitude positive; "
            )
            return note, {"eigenvector_sign": v.func}
    if _calls(p.truth, frozenset({"pinv"})) and not _calls(node, frozenset({"pinv"})) and _calls(p.truth, VECTORS):
        note = (
            f"{typed} has no (λI − S)⁺: an eigenvector's derivative is dv = (λI − S)⁺ dS v, with the "
            f"pseudo-inverse pinv(λ I − S) (λI − S is singular); "
        )
        return note, {"missing_pseudo_inverse": True}
    return None
